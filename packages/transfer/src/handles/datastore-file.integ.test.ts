import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { DatastoreURL, VimSession } from '@vmkit/session';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { VimAbortError } from '@vmkit/vim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferSizeMismatchError } from '../formats/errors.js';
import { openDatastoreFile, writeDatastoreFile } from './datastore-file.js';
import { TransferNotFoundError } from './errors.js';

let sim: Simulator;
let session: VimSession;
beforeAll(async () => {
  sim = await startSimulator();
  session = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
}, 300_000);
afterAll(async () => {
  await session?.close();
  await sim?.stop();
});

const urlOf = (path: string) =>
  new DatastoreURL({ scheme: 'http', server: new URL(sim.url).host, path, datacenterPath: 'DC0', datastoreName: 'LocalDS_0' });

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
