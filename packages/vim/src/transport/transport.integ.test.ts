// The transport against the simulator: TLS verification (on by default, a CA option, `insecure` only when
// asked), what goes on the wire with every call (SOAPAction with the negotiated version, the session
// cookie, a fresh operationID, PBM at /pbm with the vcSessionCookie header), abort, request timeout and
// HTTP statuses as typed errors. The wire is observed through an undici interceptor on the client's own
// dispatcher, not mocked: every request still reaches the simulator.
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { Agent, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSchema } from '../default-schema.js';
import { VimAbortError, VimConnectionError, VimHttpError, VimTimeoutError } from '../errors.js';
import type { ServiceContent } from '../generated/types.js';
import { VimClient } from './client.js';
import { PbmClient } from './pbm.js';

const SI = { type: 'ServiceInstance', value: 'ServiceInstance' };

interface Seen {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A keep-alive agent that records each request's path, headers and body on its way out. */
function tappedAgent(seen: Seen[], options: Agent.Options = {}): Dispatcher {
  return new Agent(options).compose((dispatch) => (opts, handler) => {
    const headers: Record<string, string> = {};
    const raw = opts.headers as Record<string, string | string[] | undefined> | undefined;
    for (const [k, v] of Object.entries(raw ?? {})) if (v !== undefined) headers[k.toLowerCase()] = String(v);
    seen.push({ path: opts.path, headers, body: typeof opts.body === 'string' ? opts.body : '' });
    return dispatch(opts, handler);
  });
}

describe('transport over http', { timeout: 30_000 }, () => {
  let sim: Simulator;
  let client: VimClient;
  let content: ServiceContent;
  const seen: Seen[] = [];

  beforeAll(async () => {
    sim = await startSimulator();
    client = await VimClient.create({ url: sim.url, schema: defaultSchema, dispatcher: tappedAgent(seen), operationIdPrefix: 'integ' });
    content = await client.invoke('RetrieveServiceContent', SI);
    await client.invoke('Login', content.sessionManager!, { userName: sim.username, password: sim.password });
  }, 300_000);
  afterAll(async () => {
    await client?.invoke('Logout', content.sessionManager!).catch(() => undefined);
    await client?.close();
    await sim?.stop();
  });

  it('sends SOAPAction with the negotiated version, a fresh operationID per call, and the session cookie after Login', async () => {
    seen.length = 0;
    await client.invoke('CurrentTime', SI);
    await client.invoke('CurrentTime', SI);
    expect(seen).toHaveLength(2);
    const ids = seen.map((s) => /<operationID>([^<]+)<\/operationID>/.exec(s.body)?.[1]);
    expect(ids[0]).toMatch(/^integ-\d+$/);
    expect(new Set(ids).size).toBe(2);
    for (const s of seen) {
      expect(s.path).toBe('/sdk');
      expect(s.headers.soapaction).toBe(`urn:vim25/${client.version}`);
      expect(s.headers.cookie).toBe(`vmware_soap_session=${client.sessionCookie}`);
    }
  });

  it('sends PBM calls to /pbm with the vCenter session in the vcSessionCookie header', async () => {
    seen.length = 0;
    const pbm = await new PbmClient(client).serviceContent();
    await client.invoke('PbmQueryProfile', pbm.profileManager, { resourceType: { resourceType: 'STORAGE' } });
    expect(seen.map((s) => s.path)).toEqual(['/pbm', '/pbm']);
    const cookie = (client.sessionCookie ?? '').replace(/^"|"$/g, '');
    for (const s of seen) {
      expect(s.headers.soapaction).toMatch(/^urn:pbm\//);
      expect(s.body).toContain(`<vcSessionCookie>${cookie}</vcSessionCookie>`);
    }
  });

  it('turns an aborted call into VimAbortError, before sending or while waiting', async () => {
    const done = AbortSignal.abort(new Error('no longer needed'));
    await expect(client.invoke('CurrentTime', SI, {}, { signal: done })).rejects.toBeInstanceOf(VimAbortError);
    // WaitForUpdatesEx with the current version blocks until something changes: abort it while it waits.
    const collector = await client.invoke('CreatePropertyCollector', content.propertyCollector);
    await client.invoke('CreateFilter', collector, {
      spec: { propSet: [{ type: 'Folder', pathSet: ['name'] }], objectSet: [{ obj: content.rootFolder }] },
      partialUpdates: false,
    });
    const first = await client.invoke('WaitForUpdatesEx', collector, { options: { maxWaitSeconds: 0 } });
    const controller = new AbortController();
    const waiting = client.invoke('WaitForUpdatesEx', collector, { version: first?.version ?? '', options: { maxWaitSeconds: 60 } }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(waiting).rejects.toBeInstanceOf(VimAbortError);

    // The same wait with a short request timeout: VimTimeoutError.
    const impatient = await VimClient.create({ url: sim.url, schema: defaultSchema, version: client.version, requestTimeoutMs: 200 });
    impatient.sessionCookie = client.sessionCookie;
    try {
      await expect(impatient.invoke('WaitForUpdatesEx', collector, { version: first?.version ?? '', options: { maxWaitSeconds: 60 } })).rejects.toBeInstanceOf(VimTimeoutError);
    } finally {
      await impatient.close(0);
    }
    await client.invoke('DestroyPropertyCollector', collector);
  }, 30_000);

  it('turns an HTTP status other than 200 into VimHttpError with the status', async () => {
    const wrong = await VimClient.create({ url: sim.url.replace(/\/sdk$/, '/not-the-sdk'), schema: defaultSchema, version: client.version });
    try {
      const err = (await wrong.invoke('CurrentTime', SI).catch((e: unknown) => e)) as VimHttpError;
      expect(err).toBeInstanceOf(VimHttpError);
      expect(err.status).toBeGreaterThanOrEqual(400);
    } finally {
      await wrong.close();
    }
  });
});

describe('transport over https', { timeout: 30_000 }, () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({ tls: true });
  }, 300_000);
  afterAll(async () => {
    await sim?.stop();
  });

  it('verifies the certificate by default and refuses a self-signed one', async () => {
    const err = (await VimClient.create({ url: sim.url, schema: defaultSchema }).catch((e: unknown) => e)) as VimConnectionError;
    expect(err).toBeInstanceOf(VimConnectionError);
    expect(err.code).toBe('VMKIT_VIM_TLS');
    expect(err.mayHaveReachedServer).toBe(false);
  });

  it('trusts the server with its CA given, or with insecure when asked for', async () => {
    expect(sim.certificate).toBeDefined();
    for (const options of [{ ca: sim.certificate! }, { insecure: true }]) {
      const client = await VimClient.create({ url: sim.url, schema: defaultSchema, ...options });
      try {
        const content = await client.invoke('RetrieveServiceContent', SI);
        await client.invoke('Login', content.sessionManager!, { userName: sim.username, password: sim.password });
        await client.invoke('Logout', content.sessionManager!);
      } finally {
        await client.close();
      }
    }
  });
});
