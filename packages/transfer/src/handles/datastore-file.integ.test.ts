import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import { acquireGenericServiceTicket, DatastoreURL, VimSession } from '@vmkit/session';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { VimAbortError, VimError } from '@vmkit/vim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TransferSizeMismatchError } from '../formats/errors.js';
import { fillRandom } from '../../test/images.js';
import { deleteDatastoreFile, downloadDatastoreFile, openDatastoreFile, writeDatastoreFile } from './datastore-file.js';
import { directGet } from './direct-get.js';
import { TransferError, TransferNotFoundError } from './errors.js';

// Started at load time: `it.skipIf` below is decided when the tests are collected.
const sim: Simulator = await startSimulator();
const session: VimSession = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
afterAll(async () => {
  await session.close();
  await sim.stop();
});

const urlOf = (path: string) =>
  new DatastoreURL({ scheme: 'http', server: new URL(sim.url).host, path, datacenterPath: 'DC0', datastoreName: 'LocalDS_0' });

/**
 * Whether the simulator's `/folder` deletes on DELETE (govmomi 0.24 answers DELETE like a GET;
 * tools/vcsim adds the delete). Asked with plain HTTP, not with the handle under test.
 */
async function probeFolderDelete(): Promise<boolean> {
  const url = urlOf('transfer-test/delete-probe.bin').toString();
  const cookie = `vmware_soap_session=${session.client.sessionCookie ?? ''}`;
  const send = async (method: string, body?: string) => {
    const res = await request(url, { method, headers: { cookie }, ...(body === undefined ? {} : { body }) });
    await res.body.dump();
    return res.statusCode;
  };
  await send('PUT', 'probe');
  await send('DELETE');
  return (await send('GET')) === 404;
}
const hasFolderDelete = await probeFolderDelete();

/** Random bytes in 64 KiB pieces, as a stream, with their sha256. */
function randomSource(size: number): { stream: Readable; digest: string } {
  const data = randomBytes(size);
  const chunks: Buffer[] = [];
  for (let i = 0; i < size; i += 65536) chunks.push(data.subarray(i, i + 65536));
  return { stream: Readable.from(chunks), digest: createHash('sha256').update(data).digest('hex') };
}

async function sha256(stream: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}

describe('datastore file handles', () => {
  it('uploads and downloads a file with equal sha256 and progress', async () => {
    const size = 8 * 1024 * 1024 + 123;
    const src = randomSource(size);
    const progress: number[] = [];
    await writeDatastoreFile(urlOf('transfer-test/a b.bin'), { session }, src.stream, size, { onProgress: (n) => progress.push(n) });
    expect(progress.at(-1)).toBe(size);
    const { size: got, stream } = await openDatastoreFile(urlOf('transfer-test/a b.bin'), { session });
    expect(got).toBe(size);
    expect(await sha256(stream)).toBe(src.digest);
  });

  it('reports a missing file as not found', async () => {
    await expect(openDatastoreFile(urlOf('transfer-test/missing.bin'), { session })).rejects.toBeInstanceOf(TransferNotFoundError);
  });

  it('refuses a source shorter than the size it announced', async () => {
    const src = randomSource(1000);
    await expect(writeDatastoreFile(urlOf('transfer-test/short.bin'), { session }, src.stream, 2000)).rejects.toBeInstanceOf(TransferSizeMismatchError);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(openDatastoreFile(urlOf('transfer-test/a b.bin'), { session }, { signal: controller.signal })).rejects.toBeInstanceOf(VimAbortError);
  });
});

/** 1 GiB of sparse-ish content in 1 MiB chunks: 16 KiB of seeded random bytes at the start of each, zeros after. */
function* sparseGiB(hash: Hash): Generator<Buffer> {
  for (let i = 0; i < 1024; i++) {
    const chunk = Buffer.alloc(1024 * 1024);
    fillRandom(chunk.subarray(0, 16 * 1024), i + 1);
    hash.update(chunk);
    yield chunk;
  }
}

describe('datastore file handles at scale and with other credentials', () => {
  it('moves a 1 GiB file up and down with equal sha256', async () => {
    const size = 1024 * 1024 * 1024;
    const up = createHash('sha256');
    await writeDatastoreFile(urlOf('transfer-test/one-gib.bin'), { session }, Readable.from(sparseGiB(up)), size);
    const upDigest = up.digest('hex');
    const { size: got, stream } = await openDatastoreFile(urlOf('transfer-test/one-gib.bin'), { session });
    expect(got).toBe(size);
    expect(await sha256(stream)).toBe(upDigest);
    const fm = session.serviceContent.fileManager!;
    await session.invoke('DeleteDatastoreFile_Task', fm, { name: '[LocalDS_0] transfer-test/one-gib.bin' });
  }, 180_000);

  it('reads and writes with a generic service ticket instead of the session cookie', async () => {
    const url = urlOf('transfer-test/ticket.bin');
    const src = randomSource(100_000);
    const put = await acquireGenericServiceTicket(session, url, 'httpPut');
    await writeDatastoreFile(url, { ticketCookie: put.cookie }, src.stream, 100_000);
    const get = await acquireGenericServiceTicket(session, url, 'httpGet');
    const { stream } = await openDatastoreFile(url, { ticketCookie: get.cookie });
    expect(await sha256(stream)).toBe(src.digest);
  });

  it('is refused with a typed 401 for an unknown ticket, and a ticket works once', async () => {
    const url = urlOf('transfer-test/ticket.bin');
    const bogus: unknown = await openDatastoreFile(url, { ticketCookie: 'vmware_cgi_ticket="not-a-ticket"' }).catch((e: unknown) => e);
    expect(bogus).toBeInstanceOf(TransferError);
    expect((bogus as TransferError).status).toBe(401);
    expect((bogus as TransferError).message).not.toContain('not-a-ticket'); // a ticket is a secret
    const get = await acquireGenericServiceTicket(session, url, 'httpGet');
    (await openDatastoreFile(url, { ticketCookie: get.cookie })).stream.destroy();
    await expect(openDatastoreFile(url, { ticketCookie: get.cookie })).rejects.toMatchObject({ status: 401 });
  });

  it.skipIf(!hasFolderDelete)(`deletes a file with DELETE, and a second delete is not found${hasFolderDelete ? '' : ' (skipped: the simulator does not delete on DELETE)'}`, async () => {
    const url = urlOf('transfer-test/delete-me.bin');
    await writeDatastoreFile(url, { session }, randomSource(1000).stream, 1000);
    await deleteDatastoreFile(url, { session });
    await expect(openDatastoreFile(url, { session })).rejects.toBeInstanceOf(TransferNotFoundError);
    await expect(deleteDatastoreFile(url, { session })).rejects.toBeInstanceOf(TransferNotFoundError);
  });
});

const MiB = 1024 * 1024;

function expectMonotonic(progress: readonly number[], last: number): void {
  expect(progress.length).toBeGreaterThan(0);
  for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
  expect(progress.at(-1)).toBe(last);
}

/** The folder's entries: what a download must leave behind (no `.vmkit-download` temporary). */
const entries = async (dir: string) => (await readdir(dir)).sort();

describe('downloadDatastoreFile', () => {
  // 64 MiB and an odd tail: many buffers of the ring, and a last one partly filled.
  const size = 64 * MiB + 4097;
  const url = urlOf('transfer-test/download-64m.bin');
  let digest: string;
  let dir: string;
  const smallUrl = urlOf('transfer-test/download-small.bin');
  let smallDigest: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vmkit-download-'));
    const src = randomSource(size);
    digest = src.digest;
    await writeDatastoreFile(url, { session }, src.stream, size);
    const small = randomSource(3000);
    smallDigest = small.digest;
    await writeDatastoreFile(smallUrl, { session }, small.stream, 3000);
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads to a path: equal sha256, monotonic progress, the size, mode 0600, no temporary left', async () => {
    const destination = join(dir, 'disk.bin');
    const progress: number[] = [];
    const totals = new Set<number | undefined>();
    // The session's client owns its connections, so the download takes the direct path (directGet).
    expect(session.client.connectOptions).toBeDefined();
    const result = await downloadDatastoreFile(url, { session }, destination, {
      onProgress: (bytes, total) => {
        progress.push(bytes);
        totals.add(total);
      },
    });
    expect(result).toEqual({ bytes: size });
    expect(await sha256(createReadStream(destination))).toBe(digest);
    expectMonotonic(progress, size);
    expect([...totals]).toEqual([size]);
    expect((await stat(destination)).mode & 0o777).toBe(0o600);
    expect(await entries(dir)).toEqual(['disk.bin']);
    await rm(destination);
  }, 60_000);

  it('downloads into an open FileHandle', async () => {
    const path = join(dir, 'handle.bin');
    const file = await open(path, 'w+');
    try {
      const result = await downloadDatastoreFile(url, { session }, file);
      expect(result).toEqual({ bytes: size });
    } finally {
      await file.close();
    }
    expect(await sha256(createReadStream(path))).toBe(digest);
    await rm(path);
  }, 60_000);

  it('reports a missing file as not found, leaving the destination as it was and no temporary', async () => {
    const destination = join(dir, 'keep.bin');
    await writeFile(destination, 'the old content');
    const err: unknown = await downloadDatastoreFile(urlOf('transfer-test/no-such-file.bin'), { session }, destination).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferNotFoundError);
    expect((err as TransferNotFoundError).code).toBe('VMKIT_TRANSFER_NOT_FOUND');
    expect(await readFile(destination, 'utf8')).toBe('the old content');
    expect(await entries(dir)).toEqual(['keep.bin']);
    await rm(destination);
  });

  it('stops when aborted mid-download, leaving the destination as it was and no temporary', async () => {
    const destination = join(dir, 'keep.bin');
    await writeFile(destination, 'the old content');
    const controller = new AbortController();
    let last = 0;
    const err: unknown = await downloadDatastoreFile(url, { session }, destination, {
      signal: controller.signal,
      onProgress: (bytes) => {
        last = bytes;
        if (bytes >= 9 * MiB) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VimAbortError);
    expect((err as VimAbortError).code).toBe('VMKIT_VIM_ABORTED');
    expect(last).toBeLessThan(size);
    expect(await readFile(destination, 'utf8')).toBe('the old content');
    expect(await entries(dir)).toEqual(['keep.bin']);
    await rm(destination);
  }, 60_000);

  it('replaces an existing destination, with fsync and the mode asked for', async () => {
    const destination = join(dir, 'replaced.bin');
    await writeFile(destination, 'the old content', { mode: 0o644 });
    expect(await downloadDatastoreFile(smallUrl, { session }, destination, { fsync: true, mode: 0o640 })).toEqual({ bytes: 3000 });
    expect(await sha256(createReadStream(destination))).toBe(smallDigest);
    expect((await stat(destination)).mode & 0o777).toBe(0o640);
    expect(await entries(dir)).toEqual(['replaced.bin']);
    await rm(destination);
  });

  it('leaves no temporary when the file cannot take the destination\'s name', async () => {
    // A folder of that name: the download completes, the rename refuses.
    const destination = join(dir, 'a-folder');
    await mkdir(join(destination, 'inside'), { recursive: true });
    const err: unknown = await downloadDatastoreFile(smallUrl, { session }, destination).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as TransferError).code).toBe('VMKIT_TRANSFER_FAILED');
    expect((err as TransferError).cause).toBeDefined();
    expect(await entries(dir)).toEqual(['a-folder']);
    await rm(destination, { recursive: true });
  });

  it('refuses a session that is logged out, leaving no temporary', async () => {
    const closed = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
    await closed.close();
    const err: unknown = await downloadDatastoreFile(url, { session: closed }, join(dir, 'never.bin')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as TransferError).code).toBe('VMKIT_TRANSFER_NOT_AUTHENTICATED');
    expect(await entries(dir)).toEqual([]);
  });

  it('with a generic service ticket, streams through the ticket\'s dispatcher instead', async () => {
    const destination = join(dir, 'ticket.bin');
    const agent = new Agent();
    let dispatched = 0;
    const counting = agent.compose((dispatch) => (opts, handler) => {
      dispatched++;
      return dispatch(opts, handler);
    });
    try {
      const get = await acquireGenericServiceTicket(session, url, 'httpGet');
      const progress: number[] = [];
      const result = await downloadDatastoreFile(url, { ticketCookie: get.cookie, dispatcher: counting }, destination, { onProgress: (n) => progress.push(n) });
      expect(result).toEqual({ bytes: size });
      expectMonotonic(progress, size);
    } finally {
      await agent.close();
    }
    expect(dispatched).toBe(1);
    expect(await sha256(createReadStream(destination))).toBe(digest);
    expect((await stat(destination)).mode & 0o777).toBe(0o600);
    await rm(destination);
  }, 60_000);
});

describe('downloadDatastoreFile over TLS', () => {
  let secureSim: Simulator;
  let secure: VimSession;
  const size = 5 * MiB + 3;
  let digest: string;
  let dir: string;
  const secureUrl = (path: string) =>
    new DatastoreURL({ scheme: 'https', server: new URL(secureSim.url).host, path, datacenterPath: 'DC0', datastoreName: 'LocalDS_0' });

  beforeAll(async () => {
    secureSim = await startSimulator({ tls: true });
    secure = await VimSession.connect({ host: secureSim.url, username: secureSim.username, password: secureSim.password, ca: secureSim.certificate! });
    dir = await mkdtemp(join(tmpdir(), 'vmkit-download-tls-'));
    const src = randomSource(size);
    digest = src.digest;
    await writeDatastoreFile(secureUrl('transfer-test/tls.bin'), { session: secure }, src.stream, size);
  }, 300_000);
  afterAll(async () => {
    await secure?.close();
    await secureSim?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('downloads with the server\'s CA trusted, and with verification turned off', async () => {
    const destination = join(dir, 'tls.bin');
    expect(await downloadDatastoreFile(secureUrl('transfer-test/tls.bin'), { session: secure }, destination)).toEqual({ bytes: size });
    expect(await sha256(createReadStream(destination))).toBe(digest);
    await rm(destination);
    const insecure = await VimSession.connect({ host: secureSim.url, username: secureSim.username, password: secureSim.password, insecure: true });
    try {
      expect(await downloadDatastoreFile(secureUrl('transfer-test/tls.bin'), { session: insecure }, destination)).toEqual({ bytes: size });
    } finally {
      await insecure.close();
    }
    expect(await sha256(createReadStream(destination))).toBe(digest);
    await rm(destination);
  }, 60_000);

  it('fills the ring over TLS with a slow file (reads decrypted after the stop go to the spare buffer), every byte in place', async () => {
    // TLS keeps handing decrypted bytes over after the socket was told to stop: they queue up.
    const big = 20 * MiB + 5;
    const src = randomSource(big);
    const url = secureUrl('transfer-test/tls-big.bin');
    await writeDatastoreFile(url, { session: secure }, src.stream, big);
    const out = Buffer.alloc(big);
    let started = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    let release: () => void = () => undefined;
    const ringFull = new Promise<void>((resolve) => (release = resolve));
    const file = {
      async write(buffer: Uint8Array, offset: number, length: number, position: number) {
        const index = started++;
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        // The first four writes (the whole ring) wait for one another; later ones take a while.
        if (started === 4) release();
        await (index < 4 ? ringFull : new Promise((resolve) => setTimeout(resolve, [15, 1, 8][index % 3])));
        Buffer.from(buffer.buffer, buffer.byteOffset + offset, length).copy(out, position);
        inFlight--;
        return { bytesWritten: length, buffer };
      },
    };
    // A read that lands in directGet's 64 KiB spare buffer is copied out of it with Buffer.from.
    const from = vi.spyOn(Buffer, 'from');
    let spareReads: number;
    let result;
    try {
      result = await directGet(new URL(url.toString()), {
        cookie: `vmware_soap_session=${secure.client.sessionCookie ?? ''}`,
        connect: secure.client.connectOptions!,
        file: file as unknown as FileHandle,
        what: 'GET [LocalDS_0] transfer-test/tls-big.bin',
      });
    } finally {
      spareReads = from.mock.calls.filter(([arg]) => arg instanceof Uint8Array && arg.buffer.byteLength === 64 * 1024).length;
      from.mockRestore();
    }
    expect(result).toEqual({ bytes: big, total: big });
    expect(maxInFlight).toBe(4);
    expect(spareReads).toBeGreaterThan(0);
    expect(createHash('sha256').update(out).digest('hex')).toBe(src.digest);
  }, 60_000);

  it('refuses a server that a CA it trusts did not sign, with a typed error that keeps the TLS cause', async () => {
    const cookie = `vmware_soap_session=${secure.client.sessionCookie ?? ''}`;
    const path = join(dir, 'refused.bin');
    const file = await open(path, 'w+');
    try {
      // Another CA (a public root), and the system's CAs (no `ca`): neither signed the simulator's certificate.
      for (const ca of [rootCertificates[0]!, undefined]) {
        const err: unknown = await directGet(new URL(secureUrl('transfer-test/tls.bin').toString()), {
          cookie,
          connect: { rejectUnauthorized: true, connectTimeoutMs: 10_000, ...(ca === undefined ? {} : { ca }) },
          file,
          what: 'GET [LocalDS_0] transfer-test/tls.bin',
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VimError);
        expect(err).toBeInstanceOf(TransferError);
        expect((err as TransferError).code).toBe('VMKIT_TRANSFER_FAILED');
        expect(((err as TransferError).cause as NodeJS.ErrnoException).code).toMatch(/CERT|SIGN|VERIFY/);
        expect(String(err)).not.toContain(secure.client.sessionCookie);
        expect(String((err as TransferError).cause)).not.toContain(secure.client.sessionCookie);
      }
      expect((await file.stat()).size).toBe(0);
    } finally {
      await file.close();
    }
  }, 60_000);
});
