import { createHash, randomBytes, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { acquireGenericServiceTicket, DatastoreURL, VimSession } from '@vmkit/session';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { VimAbortError } from '@vmkit/vim';
import { afterAll, describe, expect, it } from 'vitest';
import { TransferSizeMismatchError } from '../formats/errors.js';
import { fillRandom } from '../../test/images.js';
import { deleteDatastoreFile, openDatastoreFile, writeDatastoreFile } from './datastore-file.js';
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
