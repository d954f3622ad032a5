import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { startFaultProxy } from '@vmkit/testkit';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { DuplicateNameError, InvalidLoginError, InvalidPowerStateError, VimAbortError, type ManagedObjectReference } from '@vmkit/vim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutcomeUnknownError, SessionClosedError } from './errors.js';
import { iterateObjects, retrieveMany, retrieveProperties } from './properties.js';
import { VimSession } from './session.js';
import { waitForTask } from './tasks.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ vms: 3 });
}, 300_000);
afterAll(() => sim?.stop());

const connect = (extra: Partial<Parameters<typeof VimSession.connect>[0]> = {}) =>
  VimSession.connect({ host: sim.url, username: sim.username, password: sim.password, retryBaseMs: 1, retryCapMs: 5, ...extra });

/** Counts the SOAP requests per method while `fn` runs. */
async function countCalls<T>(fn: () => Promise<T>): Promise<[T, Map<string, number>]> {
  const counts = new Map<string, number>();
  const onMessage = (m: unknown) => {
    const method = (m as { method: string }).method;
    counts.set(method, (counts.get(method) ?? 0) + 1);
  };
  subscribe('vmkit:soap:request', onMessage);
  try {
    return [await fn(), counts];
  } finally {
    unsubscribe('vmkit:soap:request', onMessage);
  }
}

const vmNames = async (s: VimSession): Promise<string[]> => {
  const out: string[] = [];
  for await (const o of iterateObjects(s, 'VirtualMachine', ['name'])) out.push(o.props.name as string);
  return out.sort();
};

describe('VimSession', () => {
  it('logs in, and logs out on close; a closed session refuses calls', async () => {
    const s = await connect();
    expect(s.currentSession?.userName).toBe(sim.username);
    const admin = await connect();
    const listed = async () => ((await retrieveProperties(admin, admin.serviceContent.sessionManager!, ['sessionList'])).sessionList as { key: string }[]).map((x) => x.key);
    const key = s.currentSession!.key;
    expect(await listed()).toContain(key);
    await s.close();
    await s.close();
    expect(await listed()).not.toContain(key);
    await expect(s.invoke('RetrieveServiceContent', { type: 'ServiceInstance', value: 'ServiceInstance' })).rejects.toBeInstanceOf(SessionClosedError);
    await admin.close();
  });

  it('never publishes passwords or the session cookie on its diagnostics channels', async () => {
    const seen: string[] = [];
    const names = ['vmkit:soap:request', 'vmkit:soap:response', 'vmkit:soap:error', 'vmkit:session:retry', 'vmkit:session:relogin'];
    const record = (m: unknown) => seen.push(JSON.stringify(m, (_k, v: unknown) => (v instanceof Error ? { message: v.message, cause: String(v.cause) } : v)));
    for (const n of names) subscribe(n, record);
    try {
      await connect({ password: 'wrong-password-31' }).catch(() => undefined);
      await using s = await connect();
      const cookie = s.client.sessionCookie!;
      await retrieveProperties(s, s.serviceContent.rootFolder, ['name']);
      expect(seen.length).toBeGreaterThan(3);
      for (const line of seen) {
        expect(line).not.toContain('wrong-password-31');
        expect(line).not.toContain(sim.password === 'pass' ? '"pass"' : sim.password);
        expect(line).not.toContain(cookie.replace(/"/g, ''));
      }
    } finally {
      for (const n of names) unsubscribe(n, record);
    }
  });

  it('refuses a wrong password at once, without naming it', async () => {
    const [err, counts] = await countCalls(() => connect({ password: 'not-the-password-7' }).catch((e: unknown) => e));
    expect(err).toBeInstanceOf(InvalidLoginError);
    expect(String((err as Error).message)).not.toContain('not-the-password-7');
    expect(counts.get('Login')).toBe(1);
  });

  it('logs in with a clone ticket once; a spent ticket is InvalidLogin and never named', async () => {
    const admin = await connect();
    const ticket = await admin.invoke('AcquireCloneTicket', admin.serviceContent.sessionManager!);
    const [cloned, counts] = await countCalls(() => VimSession.connect({ host: sim.url, cloneTicket: ticket }));
    expect(counts.get('CloneSession')).toBe(1);
    expect(counts.get('Login')).toBeUndefined();
    expect(cloned.currentSession?.userName).toBe(sim.username);
    expect(cloned.currentSession?.key).not.toBe(admin.currentSession?.key);
    expect((await vmNames(cloned)).length).toBeGreaterThan(0);
    const err = await VimSession.connect({ host: sim.url, cloneTicket: ticket }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidLoginError);
    expect(String((err as Error).message)).not.toContain(ticket);
    await cloned.close();
    await admin.close();
  });

  it('wants exactly one of a user and password or a clone ticket', async () => {
    await expect(VimSession.connect({ host: sim.url, username: 'u', password: 'p', cloneTicket: 't' })).rejects.toMatchObject({ code: 'VMKIT_SESSION_INVALID_OPTIONS' });
    await expect(VimSession.connect({ host: sim.url, username: 'u' })).rejects.toMatchObject({ code: 'VMKIT_SESSION_INVALID_OPTIONS' });
  });

  it('re-logs in once for 50 concurrent callers after its session was terminated', async () => {
    await using s = await connect();
    await using admin = await connect();
    const expected = await vmNames(s);
    await admin.invoke('TerminateSession', admin.serviceContent.sessionManager!, { sessionId: [s.currentSession!.key] });
    const [results, counts] = await countCalls(() =>
      Promise.all(Array.from({ length: 50 }, () => retrieveProperties(s, s.serviceContent.rootFolder, ['name']))),
    );
    expect(results.every((r) => typeof r.name === 'string')).toBe(true);
    expect(counts.get('Login')).toBe(1);
    expect(await vmNames(s)).toEqual(expected);
  });

  it('survives an idle period longer than the idle timeout with keepalive; re-logs in without it', async () => {
    await using shortSim = await startSimulator({ idleTimeoutMs: 1000 });
    const open = (keepaliveIntervalMs: number) =>
      VimSession.connect({ host: shortSim.url, username: shortSim.username, password: shortSim.password, keepaliveIntervalMs });
    await using kept = await open(1000);
    await using idle = await open(0);
    await new Promise((r) => setTimeout(r, 3500));
    const [, keptCounts] = await countCalls(() => retrieveProperties(kept, kept.serviceContent.rootFolder, ['name']));
    expect(keptCounts.get('Login')).toBeUndefined();
    const [, idleCounts] = await countCalls(() => retrieveProperties(idle, idle.serviceContent.rootFolder, ['name']));
    expect(idleCounts.get('Login')).toBe(1);
  }, 60_000);

  it('completes 500 reads through 20 % injected faults, and reports an unsafe call instead of re-sending it', async () => {
    const origin = new URL(sim.url).origin;
    await using proxy = await startFaultProxy({ target: origin, seed: 7 });
    await using s = await connect({ host: `${proxy.origin}/sdk`, apiRetryCount: 20 });
    proxy.setRates({ 'reset-before': 0.05, 'reset-after': 0.05, 'status-503': 0.05, truncate: 0.05 });
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => retrieveProperties(s, s.serviceContent.rootFolder, i % 2 === 0 ? ['name'] : ['childEntity'])),
    );
    expect(results).toHaveLength(500);
    expect(proxy.records.filter((r) => r.fault !== 'pass').length).toBeGreaterThan(50);

    // A state-changing call whose request reached the server and whose answer was lost.
    proxy.setRates({});
    const before = proxy.records.length;
    const folder = s.serviceContent.rootFolder;
    const dc = ((await retrieveProperties(s, folder, ['childEntity'])).childEntity as ManagedObjectReference[])[0]!;
    const vmFolder = (await retrieveProperties(s, dc, ['vmFolder'])).vmFolder as ManagedObjectReference;
    const name = `outcome-${Date.now()}`;
    proxy.setRates({ 'reset-after': 1 });
    await expect(s.invoke('CreateFolder', vmFolder, { name })).rejects.toBeInstanceOf(OutcomeUnknownError);
    proxy.setRates({});
    expect(proxy.records.slice(before).filter((r) => r.soapMethod === 'CreateFolder')).toHaveLength(1);
    // It did happen, once: a second try is refused as a duplicate.
    await expect(s.invoke('CreateFolder', vmFolder, { name })).rejects.toBeInstanceOf(DuplicateNameError);
  }, 120_000);

  it('pages over every VM with a small page size, equal to a single retrieval', async () => {
    await using s = await connect();
    const all = await vmNames(s);
    const paged: string[] = [];
    for await (const o of iterateObjects(s, 'VirtualMachine', ['name'], { pageSize: 2 })) paged.push(o.props.name as string);
    expect(paged.sort()).toEqual(all);
    expect(new Set(paged).size).toBe(paged.length);
    const vms: ManagedObjectReference[] = [];
    for await (const o of iterateObjects(s, 'VirtualMachine', ['name'])) {
      vms.push(o.obj);
      break;
    }
    const many = await retrieveMany(s, vms, ['name', 'runtime.powerState']);
    expect(many[0]?.props['runtime.powerState']).toBeDefined();
  });
});

describe('waitForTask', () => {
  it('returns the result of a task, and raises the typed fault of a failed one', async () => {
    await using s = await connect();
    let vmRef: ManagedObjectReference | undefined;
    for await (const o of iterateObjects(s, 'VirtualMachine', ['runtime.powerState'])) {
      if (o.props['runtime.powerState'] === 'poweredOn') {
        vmRef = o.obj;
        break;
      }
    }
    // Powering on a running VM fails with InvalidPowerState, raised as its typed error.
    await expect(waitForTask(s, await s.invoke('PowerOnVM_Task', vmRef!, {}))).rejects.toBeInstanceOf(InvalidPowerStateError);
    const progress: (number | undefined)[] = [];
    await expect(waitForTask(s, await s.invoke('PowerOffVM_Task', vmRef!), { onProgress: (p) => progress.push(p) })).resolves.toBeUndefined();
    expect(progress.length).toBeGreaterThan(0);
    expect((await retrieveProperties(s, vmRef!, ['runtime.powerState']))['runtime.powerState']).toBe('poweredOff');
    await waitForTask(s, await s.invoke('PowerOnVM_Task', vmRef!, {}));
  });

  it('stops waiting when aborted', async () => {
    await using s = await connect();
    let vmRef: ManagedObjectReference | undefined;
    for await (const o of iterateObjects(s, 'VirtualMachine', ['name'])) {
      vmRef = o.obj;
      break;
    }
    const task = await s.invoke('PowerOnVM_Task', vmRef!, {});
    await expect(waitForTask(s, task, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(VimAbortError);
  });
});
