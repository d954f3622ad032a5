import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DatastoreURL, findDatacenter, findInDatacenter, iterateObjects, VimSession } from '@vmkit/session';
import { diskVmImportSpec } from '@vmkit/testkit';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamOptimizedEncoder } from '../formats/stream-optimized-encoder.js';
import { ChecksumMismatchError } from './checksum.js';
import { openDatastoreFile } from './datastore-file.js';
import { TransferNotFoundError } from './errors.js';
import { copyImageToDatastoreFile, importStreamOptimizedImage, LocalImageStore } from './image.js';

let sim: Simulator;
let session: VimSession;
let dir: string;
let store: LocalImageStore;
beforeAll(async () => {
  sim = await startSimulator();
  session = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
  dir = await mkdtemp(join(tmpdir(), 'vmkit-images-'));
  store = new LocalImageStore(dir);
}, 300_000);
afterAll(async () => {
  await session?.close();
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

const urlOf = (path: string) =>
  new DatastoreURL({ scheme: 'http', server: new URL(sim.url).host, path, datacenterPath: 'DC0', datastoreName: 'LocalDS_0' });

async function storeImage(id: string, size: number, properties: Record<string, string> = {}) {
  const data = randomBytes(size);
  const info = await store.sink(id).write(Readable.from([data]), properties);
  return { data, info };
}

describe('LocalImageStore', () => {
  it('stores an image with its size and sha256, and reads it back', async () => {
    const { data, info } = await storeImage('img-1', 100_000, { disk_format: 'vmdk' });
    expect(info.size).toBe(100_000);
    expect(info.checksum).toEqual({ algorithm: 'sha256', value: createHash('sha256').update(data).digest('hex') });
    expect(await store.source('img-1').info()).toEqual(info);
    const chunks: Buffer[] = [];
    for await (const c of await store.source('img-1').open()) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it('refuses ids that could escape the directory, and leaves nothing after a failed write', async () => {
    expect(() => store.source('../etc/passwd')).toThrow(RangeError);
    const failing = new Readable({ read() { this.destroy(new Error('source broke')); } });
    await expect(store.sink('img-broken').write(failing, {})).rejects.toThrow('source broke');
    expect((await readdir(dir)).filter((f) => f.startsWith('img-broken'))).toEqual([]);
  });
});

describe('image transfer', () => {
  it('copies an image to a datastore file, verifying its checksum', async () => {
    const { info } = await storeImage('img-flat', 300_000);
    const dc = (await findDatacenter(session, 'DC0'))!;
    const out = await copyImageToDatastoreFile(session, store.source('img-flat'), urlOf('images/img-flat-flat.vmdk'), dc);
    expect(out.checksum).toEqual(info.checksum);
    const { size, stream } = await openDatastoreFile(urlOf('images/img-flat-flat.vmdk'), { session });
    expect(size).toBe(300_000);
    stream.destroy();
  });

  it('refuses an image whose bytes do not match its checksum and leaves no file behind', async () => {
    await storeImage('img-bad', 50_000);
    const lying = store.source('img-bad');
    const source = { info: async () => ({ ...(await lying.info()), checksum: { algorithm: 'sha256' as const, value: '0'.repeat(64) } }), open: () => lying.open() };
    const dc = (await findDatacenter(session, 'DC0'))!;
    await expect(copyImageToDatastoreFile(session, source, urlOf('images/img-bad-flat.vmdk'), dc)).rejects.toBeInstanceOf(ChecksumMismatchError);
    await expect(openDatastoreFile(urlOf('images/img-bad-flat.vmdk'), { session })).rejects.toBeInstanceOf(TransferNotFoundError);
  });

  it('imports a stream-optimized image as a VM, and aborts (no VM) on a checksum mismatch', async () => {
    const target = async (name: string) => ({
      pool: (await findInDatacenter(session, 'DC0', 'ResourcePool', 'DC0_C0/Resources'))!,
      folder: (await findInDatacenter(session, 'DC0', 'Folder', ''))!,
      importSpec: diskVmImportSpec({ name, capacityInKB: 1024, thin: false }),
    });
    // A real stream-optimized VMDK of the 1 MiB disk the spec creates (the simulator checks what it gets).
    const raw = Buffer.alloc(1024 * 1024);
    randomBytes(200_000).copy(raw, 100_000);
    await store.sink('img-so').write(Readable.from([raw]).pipe(createStreamOptimizedEncoder({ capacity: raw.length })), { vmware_disktype: 'streamOptimized' });
    const vm = await importStreamOptimizedImage(session, store.source('img-so'), await target('from-image'));
    expect(vm.type).toBe('VirtualMachine');

    const lying = store.source('img-so');
    const bad = { info: async () => ({ ...(await lying.info()), checksum: { algorithm: 'sha256' as const, value: 'f'.repeat(64) } }), open: () => lying.open() };
    await expect(importStreamOptimizedImage(session, bad, await target('from-bad-image'))).rejects.toBeInstanceOf(ChecksumMismatchError);
    const names: string[] = [];
    for await (const o of iterateObjects(session, 'VirtualMachine', ['name'])) names.push(o.props.name as string);
    expect(names).toContain('from-image');
    expect(names).not.toContain('from-bad-image');

    await storeImage('img-sparse', 1000, { vmware_disktype: 'sparse' });
    await expect(importStreamOptimizedImage(session, store.source('img-sparse'), await target('x'))).rejects.toThrow(/not streamOptimized/);
  });
});
