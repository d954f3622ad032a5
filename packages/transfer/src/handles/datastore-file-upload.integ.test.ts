/**
 * uploadDatastoreFile against the simulator: a session's upload takes the direct PUT (directPut, on a
 * connection of its own), a ticket's the undici fallback (writeDatastoreFile); every upload is read
 * back and compared by sha256.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import { acquireGenericServiceTicket, DatastoreURL, VimSession } from '@vmkit/session';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { VimAbortError, VimError } from '@vmkit/vim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { downloadDatastoreFile, openDatastoreFile, uploadDatastoreFile } from './datastore-file.js';
import { TransferError, TransferNotFoundError } from './errors.js';

const MiB = 1024 * 1024;

const sim: Simulator = await startSimulator();
const session: VimSession = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmkit-upload-'));
});
afterAll(async () => {
  await session.close();
  await sim.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const urlOf = (path: string, server = new URL(sim.url).host, scheme: 'http' | 'https' = 'http') =>
  new DatastoreURL({ scheme, server, path, datacenterPath: 'DC0', datastoreName: 'LocalDS_0' });

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A local file of `size` random bytes, and their sha256. */
async function localFile(name: string, size: number): Promise<{ path: string; digest: string }> {
  const data = randomBytes(size);
  const path = join(dir, name);
  await writeFile(path, data);
  return { path, digest: sha256(data) };
}

/** Downloads the datastore file at `url` (through `session`) and returns its size and sha256. */
async function readBack(url: DatastoreURL, through: VimSession = session): Promise<{ bytes: number; digest: string }> {
  const path = join(dir, `back-${randomBytes(4).toString('hex')}.bin`);
  const { bytes } = await downloadDatastoreFile(url, { session: through }, path);
  const digest = await sha256Of(path);
  await rm(path);
  return { bytes, digest };
}

/** Counts the PUT requests that go through `dispatcher` (the session's undici pool, say). */
function countPuts(dispatcher: Dispatcher): { puts: () => number; restore: () => void } {
  let puts = 0;
  const original = dispatcher.dispatch.bind(dispatcher);
  const spy = vi.spyOn(dispatcher, 'dispatch').mockImplementation((opts, handler) => {
    if (opts.method === 'PUT') puts++;
    return original(opts, handler);
  });
  return { puts: () => puts, restore: () => spy.mockRestore() };
}

function expectMonotonic(progress: readonly number[], last: number): void {
  expect(progress.length).toBeGreaterThan(0);
  for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
  expect(progress.at(-1)).toBe(last);
}

describe('uploadDatastoreFile with a session (the direct PUT)', () => {
  // 48 MiB and an odd tail: many rounds of the ring, and a last buffer partly filled.
  const size = 48 * MiB + 4099;
  let source: { path: string; digest: string };
  beforeAll(async () => {
    source = await localFile('source-48m.bin', size);
  });

  it('uploads a file from a path: equal sha256 read back, monotonic progress to the size, not through the session\'s pool', async () => {
    const url = urlOf('upload-test/from-path.bin');
    const progress: number[] = [];
    const totals = new Set<number | undefined>();
    // The session's client owns its connections: the upload takes a connection of its own.
    expect(session.client.connectOptions).toBeDefined();
    const pool = countPuts(session.client.dispatcher);
    try {
      await uploadDatastoreFile(url, { session }, source.path, {
        onProgress: (bytes, total) => {
          progress.push(bytes);
          totals.add(total);
        },
      });
    } finally {
      pool.restore();
    }
    expect(pool.puts()).toBe(0);
    expectMonotonic(progress, size);
    expect([...totals]).toEqual([size]);
    expect(await readBack(url)).toEqual({ bytes: size, digest: source.digest });
  }, 60_000);

  it('uploads from an open FileHandle, from its start whatever its position, and leaves it open', async () => {
    const url = urlOf('upload-test/from-handle.bin');
    const file = await open(source.path, 'r');
    try {
      // Move the handle's own position: the upload reads from offset 0 regardless.
      await file.read(Buffer.alloc(1000), 0, 1000, null);
      await uploadDatastoreFile(url, { session }, file);
      // Still the caller's, still open.
      expect((await file.stat()).size).toBe(size);
    } finally {
      await file.close();
    }
    expect(await readBack(url)).toEqual({ bytes: size, digest: source.digest });
  }, 60_000);

  it('uploads an empty file, and replaces a longer one with a shorter one', async () => {
    const url = urlOf('upload-test/replaced.bin');
    const small = await localFile('small.bin', 3001);
    await uploadDatastoreFile(url, { session }, small.path);
    expect(await readBack(url)).toEqual({ bytes: 3001, digest: small.digest });
    const empty = await localFile('empty.bin', 0);
    const progress: number[] = [];
    await uploadDatastoreFile(url, { session }, empty.path, { onProgress: (n) => progress.push(n) });
    const { size: got, stream } = await openDatastoreFile(url, { session });
    stream.destroy();
    expect(got).toBe(0);
    expect(await readBack(url)).toEqual({ bytes: 0, digest: empty.digest });
    expect(progress).toEqual([]);
  });

  it('stops with VimAbortError when aborted mid-upload, leaving the local handle usable', async () => {
    const url = urlOf('upload-test/aborted.bin');
    const controller = new AbortController();
    let last = 0;
    const file = await open(source.path, 'r');
    try {
      const err: unknown = await uploadDatastoreFile(url, { session }, file, {
        signal: controller.signal,
        onProgress: (bytes) => {
          last = bytes;
          if (bytes >= 8 * MiB) controller.abort();
        },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VimAbortError);
      expect((err as VimAbortError).code).toBe('VMKIT_VIM_ABORTED');
      expect(last).toBeLessThan(size);
      expect((await file.read(Buffer.alloc(10), 0, 10, 0)).bytesRead).toBe(10);
    } finally {
      await file.close();
    }
  }, 30_000);

  it('refuses a missing local file with a TransferError, creating nothing on the datastore', async () => {
    const url = urlOf('upload-test/never.bin');
    const missing = join(dir, 'no-such-file.bin');
    const err: unknown = await uploadDatastoreFile(url, { session }, missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VimError);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as TransferError).code).toBe('VMKIT_TRANSFER_FAILED');
    expect(((err as TransferError).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect((err as TransferError).message).toContain(missing);
    await expect(openDatastoreFile(url, { session })).rejects.toBeInstanceOf(TransferNotFoundError);
  });

  it('refuses a directory, a device or a pipe (nothing to send, or a size of 0 that is not the content), creating nothing', async () => {
    const fifo = join(dir, 'a-pipe');
    execFileSync('mkfifo', [fifo]);
    const folder = await mkdtemp(join(dir, 'a-folder-'));
    for (const [name, source] of [
      ['folder', folder],
      ['device', '/dev/zero'],
      ['pipe', fifo],
    ] as const) {
      const url = urlOf(`upload-test/not-regular-${name}.bin`);
      const err: unknown = await uploadDatastoreFile(url, { session }, source).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(TransferError);
      expect((err as TransferError).code, name).toBe('VMKIT_TRANSFER_FAILED');
      expect((err as TransferError).message, name).toContain('not a regular file');
      await expect(openDatastoreFile(url, { session }), name).rejects.toBeInstanceOf(TransferNotFoundError);
    }
    // The same for an open handle on a folder or a device.
    for (const [name, source] of [
      ['folder-handle', folder],
      ['device-handle', '/dev/zero'],
    ] as const) {
      const url = urlOf(`upload-test/not-regular-${name}.bin`);
      const file = await open(source, 'r');
      try {
        const err: unknown = await uploadDatastoreFile(url, { session }, file).catch((e: unknown) => e);
        expect(err, name).toBeInstanceOf(TransferError);
        expect((err as TransferError).message, name).toContain('not a regular file');
      } finally {
        await file.close();
      }
      await expect(openDatastoreFile(url, { session }), name).rejects.toBeInstanceOf(TransferNotFoundError);
    }
  });

  it('refuses a logged-out session with a typed error, creating nothing', async () => {
    const closed = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
    await closed.close();
    const url = urlOf('upload-test/logged-out.bin');
    const err: unknown = await uploadDatastoreFile(url, { session: closed }, source.path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as TransferError).code).toBe('VMKIT_TRANSFER_NOT_AUTHENTICATED');
    await expect(openDatastoreFile(url, { session })).rejects.toBeInstanceOf(TransferNotFoundError);
  });
});

describe('uploadDatastoreFile with a generic service ticket (the fallback)', () => {
  it('streams through the ticket\'s dispatcher, and the file lands whole', async () => {
    const size = 4 * MiB + 1;
    const source = await localFile('ticket.bin', size);
    const url = urlOf('upload-test/ticket.bin');
    const agent = new Agent();
    let dispatched = 0;
    const counting = agent.compose((dispatch) => (opts, handler) => {
      if (opts.method === 'PUT') dispatched++;
      return dispatch(opts, handler);
    });
    const progress: number[] = [];
    try {
      const put = await acquireGenericServiceTicket(session, url, 'httpPut');
      await uploadDatastoreFile(url, { ticketCookie: put.cookie, dispatcher: counting }, source.path, { onProgress: (n) => progress.push(n) });
    } finally {
      await agent.close();
    }
    expect(dispatched).toBe(1);
    expectMonotonic(progress, size);
    expect(await readBack(url)).toEqual({ bytes: size, digest: source.digest });
  }, 60_000);

  it('reports a ticket the server refuses as a typed 401 without the ticket in it, creating nothing', async () => {
    const source = await localFile('ticket-refused.bin', 16 * MiB);
    const url = urlOf('upload-test/ticket-refused.bin');
    const secret = 'not-a-real-ticket-0451';
    const err: unknown = await uploadDatastoreFile(url, { ticketCookie: `vmware_cgi_ticket="${secret}"` }, source.path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as TransferError).status).toBe(401);
    expect(String(err)).not.toContain(secret);
    await expect(openDatastoreFile(url, { session })).rejects.toBeInstanceOf(TransferNotFoundError);
    // The local file was closed under the refused stream without an error escaping (vitest reports those).
    await new Promise((resolve) => setTimeout(resolve, 20));
  }, 30_000);

  it('uploads from an open FileHandle through the fallback, leaving it open, also when the ticket is refused', async () => {
    const size = 2 * MiB + 7;
    const source = await localFile('ticket-handle.bin', size);
    const url = urlOf('upload-test/ticket-handle.bin');
    const file = await open(source.path, 'r');
    try {
      await file.read(Buffer.alloc(10), 0, 10, null);
      const put = await acquireGenericServiceTicket(session, url, 'httpPut');
      await uploadDatastoreFile(url, { ticketCookie: put.cookie }, file);
      expect((await file.stat()).size).toBe(size);
      const err: unknown = await uploadDatastoreFile(urlOf('upload-test/ticket-handle-refused.bin'), { ticketCookie: 'vmware_cgi_ticket="nope-nope"' }, file).catch(
        (e: unknown) => e,
      );
      expect((err as TransferError).status).toBe(401);
      // Still the caller's, still open, and readable.
      const { bytesRead } = await file.read(Buffer.alloc(100), 0, 100, 0);
      expect(bytesRead).toBe(100);
    } finally {
      await file.close();
    }
    expect(await readBack(url)).toEqual({ bytes: size, digest: source.digest });
  }, 30_000);

  it('uploads an empty file through the fallback too', async () => {
    const empty = await localFile('ticket-empty.bin', 0);
    const url = urlOf('upload-test/ticket-empty.bin');
    const put = await acquireGenericServiceTicket(session, url, 'httpPut');
    await uploadDatastoreFile(url, { ticketCookie: put.cookie }, empty.path);
    expect(await readBack(url)).toEqual({ bytes: 0, digest: empty.digest });
  });
});

describe('uploadDatastoreFile over TLS', () => {
  let secureSim: Simulator;
  let secure: VimSession;
  const secureUrl = (path: string) => urlOf(path, new URL(secureSim.url).host, 'https');

  beforeAll(async () => {
    secureSim = await startSimulator({ tls: true });
    secure = await VimSession.connect({ host: secureSim.url, username: secureSim.username, password: secureSim.password, ca: secureSim.certificate! });
  }, 300_000);
  afterAll(async () => {
    await secure?.close();
    await secureSim?.stop();
  });

  it('uploads with the simulator\'s CA trusted: equal sha256 read back', async () => {
    const size = 12 * MiB + 3;
    const source = await localFile('tls.bin', size);
    const url = secureUrl('upload-test/tls.bin');
    const progress: number[] = [];
    await uploadDatastoreFile(url, { session: secure }, source.path, { onProgress: (n) => progress.push(n) });
    expectMonotonic(progress, size);
    expect(await readBack(url, secure)).toEqual({ bytes: size, digest: source.digest });
  }, 60_000);

  it('uploads many small files over TLS, where the answer can come before the last write\'s callback', async () => {
    // A TLS socket calls a write back from a setImmediate: for a small file the simulator's 200 can be
    // read first (at least once in 120 uploads in every run tried here). The upload must wait for the
    // callback, not fail.
    const url = secureUrl('upload-test/tls-small.bin');
    const path = join(dir, 'tls-small.bin');
    for (let i = 0; i < 120; i++) {
      const data = randomBytes(1 + ((i * 977) % 6000));
      await writeFile(path, data);
      await uploadDatastoreFile(url, { session: secure }, path);
      if (i % 40 === 0) expect(await readBack(url, secure)).toEqual({ bytes: data.length, digest: sha256(data) });
    }
  }, 60_000);

  it('refuses a server that the trusted CA did not sign, keeping the TLS cause and creating nothing', async () => {
    const source = await localFile('tls-refused.bin', 1000);
    const url = secureUrl('upload-test/tls-refused.bin');
    // A session that trusts another CA cannot log in; the upload is given the logged-in session's cookie
    // with the TLS settings of a client that trusts a public root (or the system's CAs) instead.
    for (const ca of [rootCertificates[0]!, undefined]) {
      const client = secure.client;
      const misconfigured = {
        client: {
          sessionCookie: client.sessionCookie,
          dispatcher: client.dispatcher,
          connectOptions: { ...client.connectOptions!, rejectUnauthorized: true, ca },
        },
      } as unknown as VimSession;
      const err: unknown = await uploadDatastoreFile(url, { session: misconfigured }, source.path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransferError);
      expect((err as TransferError).code).toBe('VMKIT_TRANSFER_FAILED');
      expect(((err as TransferError).cause as NodeJS.ErrnoException).code).toMatch(/CERT|SIGN|VERIFY/);
      expect(String(err)).not.toContain(client.sessionCookie);
      expect(String((err as TransferError).cause)).not.toContain(client.sessionCookie);
    }
    await expect(openDatastoreFile(url, { session: secure })).rejects.toBeInstanceOf(TransferNotFoundError);
  });
});
