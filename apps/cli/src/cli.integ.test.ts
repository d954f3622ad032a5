import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VimSession, iterateObjects } from '@vmkit/session';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function vmkit(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, done, out: () => stdout, err: () => stderr };
}

/** Runs vmkit to the end; returns its exit code, stdout and stderr. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = vmkit(args, env);
  const code = await r.done;
  return { code, out: r.out(), err: r.err() };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.concurrent('vmkit (child process, no simulator needed)', () => {
  it('prints help and exits 0; an unknown command exits 2 (usage)', async () => {
    const h = await run(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/usage: vmkit <command>/);
    expect(h.out).toMatch(/volume create/);
    expect(h.out).toMatch(/fresh inventory/);
    const g = await run(['volume', '--help']);
    expect(g.code).toBe(0);
    expect(g.out).toMatch(/volume from-snapshot/);
    expect(g.out).not.toMatch(/snapshot revert/);
    const u = await run(['frobnicate']);
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/unknown command "frobnicate"/);
    const v = await run(['volume', 'frobnicate']);
    expect(v.code).toBe(2);
    expect(v.err).toMatch(/unknown command "volume frobnicate"/);
  });

  it('refuses a password given as a flag value, without echoing it', async () => {
    const r = await run(['volume', 'list', '--password', 'hunter2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--password-file/);
    expect(r.err + r.out).not.toContain('hunter2');
  });

  it.each([
    [['sim', '--vms', 'many'], /--vms must be a positive whole number/],
    [['volume', 'create', 'v1'], /--size-gb is required/],
    [['volume', 'create', 'v1', '--size-gb', '0'], /--size-gb must be a positive whole number/],
    [['volume', 'create', 'v1', '--size-gb', '1', '--type', 'sparse'], /--type must be one of thin, thick, eagerZeroedThick/],
    [['volume', 'create', '--size-gb', '1'], /expected <name>/],
    [['volume', 'show'], /expected <id\|name>/],
    [['volume', 'clone', 'a', 'b', '--clone-type', 'deep'], /--clone-type must be one of full, linked/],
    [['volume', 'retype', 'a'], /at least one of --type, --profile, --adapter/],
    [['volume', 'list', '--frob'], /Unknown option '--frob'/],
    [['demo', '--url', 'https://127.0.0.1:9/sdk'], /--url needs --user/],
  ])('%j is a usage error (exit 2), before connecting', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/\[VMKIT_CLI_USAGE\]/);
    expect(r.err).not.toMatch(/starting the embedded/);
  });
});

describe('vmkit on the embedded simulator', () => {
  it('demo runs the volume lifecycle and reports each step with its round trips', async () => {
    const r = await run(['demo', '--json']);
    expect(r.err).not.toMatch(/vmkit:/);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { steps: { step: string; roundTrips: number; ms: number; detail: string }[]; roundTrips: number };
    expect(summary.steps.map((s) => s.step)).toEqual([
      'create a 1 GiB thin volume',
      'create a 1 GiB thick volume',
      'create a 1 GiB eagerZeroedThick volume',
      'snapshot the thin volume',
      'clone it (full)',
      'clone its snapshot (linked)',
      'extend the full clone to 2 GiB',
      'revert the thin volume to its snapshot',
      'retype the thick volume to thin, paraVirtual',
      'connection info for this host',
      'volume stats',
      'delete the snapshot',
      'delete the 5 volumes',
    ]);
    expect(summary.steps.every((s) => s.roundTrips >= 1)).toBe(true);
    expect(summary.roundTrips).toBe(summary.steps.reduce((n, s) => n + s.roundTrips, 0));
    const detail = Object.fromEntries(summary.steps.map((s) => [s.step, s.detail]));
    expect(detail['create a 1 GiB eagerZeroedThick volume']).toMatch(/1 GiB eagerZeroedThick/);
    expect(detail['clone its snapshot (linked)']).toMatch(/\(linked\)/);
    expect(detail['extend the full clone to 2 GiB']).toMatch(/2 GiB thin/);
    expect(detail['retype the thick volume to thin, paraVirtual']).toMatch(/1 GiB thin .*paraVirtual/);
    expect(detail['delete the 5 volumes']).toBe('5 backings deleted');
  }, 120_000);

  it('a missing volume exits 3 with its code; --json output of create and list', async () => {
    const missing = await run(['volume', 'show', '0e6ab7a4-0f3c-4c4b-9a55-5b2f2f0b6f11', '--json']);
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/^vmkit: no volume "0e6ab7a4-0f3c-4c4b-9a55-5b2f2f0b6f11" \[VMKIT_CLI_VOLUME_NOT_FOUND\]$/m);
    expect(missing.out).toBe('');
    expect((await run(['snapshot', 'list', 'nosuch'])).code).toBe(3);

    const created = await run(['volume', 'create', 'v1', '--size-gb', '2', '--type', 'thick', '--adapter', 'paraVirtual', '--json']);
    expect(created.code).toBe(0);
    const v = JSON.parse(created.out) as Record<string, unknown>;
    expect(v).toMatchObject({ name: 'v1', sizeGb: 2, capacityBytes: 2 * 1024 ** 3, type: 'thick', adapter: 'paraVirtual', linked: false, snapshots: [] });
    expect(v.id).toMatch(UUID);
    expect(typeof v.datastore).toBe('string');
    expect(v.path).toMatch(/^\[.+\] .+\.vmdk$/);

    // Each invocation on the embedded simulator starts from a fresh inventory.
    const list = await run(['volume', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toEqual([]);
  }, 120_000);

  it('sim serves until interrupted, then stops the simulator', async () => {
    const r = vmkit(['sim', '--json']);
    for (let i = 0; i < 1200 && !r.out().includes('}'); i++) await new Promise((res) => setTimeout(res, 100));
    const info = JSON.parse(r.out()) as { url: string; pid: number };
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sdk$/);
    expect(alive(info.pid)).toBe(true);
    r.child.kill('SIGINT');
    expect(await r.done).toBe(0);
    expect(alive(info.pid)).toBe(false);
  }, 120_000);
});

describe('vmkit against one simulator given by --url (state kept between invocations)', () => {
  let sim: Simulator;
  let session: VimSession;
  const env = () => ({ VMKIT_PASSWORD: sim.password });
  const cli = (...args: string[]) => run(['--url', sim.url, '--user', sim.username, ...args], env());
  const json = async (...args: string[]) => {
    const r = await cli(...args, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.out) as Record<string, unknown> & Record<string, unknown>[];
  };
  /** The volume ids carried by the inventory's VMs, read straight from the property collector. */
  const volumeIds = async () => {
    const ids: string[] = [];
    for await (const o of iterateObjects(session, 'VirtualMachine', ['config.extraConfig'])) {
      const id = (o.props['config.extraConfig'] as { key: string; value: string }[] | undefined)?.find((e) => e.key === 'cinder.volume.id')?.value;
      if (id !== undefined && id !== '') ids.push(id);
    }
    return ids.sort();
  };

  beforeAll(async () => {
    sim = await startSimulator({ control: true });
    session = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
  }, 120_000);
  afterAll(async () => {
    await session?.close();
    await sim?.stop();
  });

  it('volumes and snapshots across invocations, read back from the inventory', async () => {
    const a = await json('volume', 'create', 'alpha', '--size-gb', '1');
    expect(a).toMatchObject({ name: 'alpha', sizeGb: 1, type: 'thin', adapter: 'lsiLogic' });
    expect(await volumeIds()).toEqual([a.id]);

    const dup = await cli('volume', 'create', 'alpha', '--size-gb', '1');
    expect(dup.code).toBe(4);
    expect(dup.err).toMatch(/a volume named "alpha" exists already .*\[VMKIT_CLI_ALREADY_EXISTS\]/);

    const listed = await json('volume', 'list');
    expect(listed.map((v) => v.id)).toEqual([a.id]);
    expect((await json('volume', 'show', 'alpha')).id).toBe(a.id);
    const table = await cli('volume', 'list');
    expect(table.out).toMatch(/^ID +NAME +SIZE \(GIB\) +TYPE +ADAPTER +DATASTORE +SNAPSHOTS$/m);
    expect(table.out).toMatch(/alpha +1 +thin/);

    const s = await json('snapshot', 'create', 'alpha', 's1', '--description', 'first');
    expect(s).toMatchObject({ volumeId: a.id, name: 's1', description: 'first' });
    expect((await cli('snapshot', 'create', 'alpha', 's1')).code).toBe(4);
    expect((await json('snapshot', 'list', String(a.id))).map((x) => x.name)).toEqual(['s1']);
    expect((await cli('snapshot', 'revert', 'alpha', 'nope')).code).toBe(3);
    expect(await json('snapshot', 'revert', 'alpha', 's1')).toMatchObject({ reverted: true });

    const linked = await json('volume', 'from-snapshot', 'alpha', 's1', 'beta', '--clone-type', 'linked');
    expect(linked).toMatchObject({ name: 'beta', sizeGb: 1, linked: true });
    const full = await json('volume', 'clone', 'alpha', 'gamma', '--size-gb', '3');
    expect(full).toMatchObject({ name: 'gamma', sizeGb: 3, linked: false });

    expect(await json('volume', 'extend', 'gamma', '--size-gb', '4')).toMatchObject({ sizeGb: 4, capacityBytes: 4 * 1024 ** 3 });
    const shrink = await cli('volume', 'extend', 'gamma', '--size-gb', '2');
    expect(shrink.code).toBe(2);
    expect(shrink.err).toMatch(/never shrink/);

    expect(await json('volume', 'retype', 'gamma', '--type', 'eagerZeroedThick')).toMatchObject({ id: full.id, type: 'eagerZeroedThick', sizeGb: 4 });

    expect(await json('snapshot', 'delete', 'alpha', 's1')).toMatchObject({ deleted: true });
    expect((await json('snapshot', 'list', 'alpha'))).toEqual([]);

    const stats = await json('stats');
    expect(stats).toMatchObject({ vendor_name: 'VMware', storage_protocol: 'vmdk', volumes: 3 });
    expect(typeof stats.total_capacity_gb).toBe('number');

    expect(await volumeIds()).toEqual([a.id, linked.id, full.id].sort());
    for (const name of ['beta', 'alpha', 'gamma']) expect(await json('volume', 'delete', name)).toMatchObject({ deleted: true });
    expect(await volumeIds()).toEqual([]);
    expect((await cli('volume', 'delete', 'alpha')).code).toBe(3);
  }, 180_000);

  it('--connection-info shows what a host attach gets, without the clone ticket or a password', async () => {
    const v = await json('volume', 'create', 'delta', '--size-gb', '1');
    const info = await json('volume', 'show', String(v.id), '--connection-info');
    expect(info).toMatchObject({ driver_volume_type: 'vmdk', data: { volume_id: v.id, name: 'delta', vmdk_size: 1024 ** 3 } });
    const data = info.data as { vmdk_path: string; config: Record<string, unknown> };
    expect(data.vmdk_path).toBe(v.path);
    expect(data.config.vmware_clone_ticket).toBe('<redacted>');
    const table = await cli('volume', 'show', 'delta', '--connection-info');
    expect(table.code).toBe(0);
    for (const out of [JSON.stringify(info), table.out, table.err]) expect(out).not.toContain(sim.password);
    await json('volume', 'delete', 'delta');
  }, 60_000);

  it('an error names the fault; --debug prints the cause chain', async () => {
    await sim.control.queueFault('CreateVM_Task', { fault: 'NoDiskSpace' });
    const r = await cli('volume', 'create', 'eps', '--size-gb', '1', '--debug');
    expect(r.code).not.toBe(0);
    expect(r.err.split('\n')[0]).toMatch(/^vmkit: .*NoDiskSpace.*\[VMKIT_/);
    expect(await volumeIds()).toEqual([]);
  }, 60_000);

  it('Ctrl-C during the demo exits 130 and leaves no volume behind', async () => {
    await sim.control.setTaskDelay(1500);
    try {
      const before = await sim.control.calls('CreateVM_Task');
      const r = vmkit(['--url', sim.url, '--user', sim.username, 'demo'], env());
      for (let i = 0; i < 600 && (await sim.control.calls('CreateVM_Task')) === before; i++) await new Promise((res) => setTimeout(res, 50));
      r.child.kill('SIGINT');
      expect(await r.done).toBe(130);
      expect(r.out()).toBe('');
    } finally {
      await sim.control.setTaskDelay(0);
    }
    expect(await volumeIds()).toEqual([]);
  }, 120_000);
});
