import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalImageStore, TransferSizeMismatchError, ChecksumMismatchError } from '@vmkit/transfer';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { backingOf, digest, inventory, startFixture } from '../test/fixture.js';
import { packOva } from '../test/ova.js';
import { ImageUnacceptableError, type Volume } from './index.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const fx = await startFixture();
const dir = mkdtempSync(join(tmpdir(), 'vmkit-driver-images-'));
const staging = join(dir, 'staging');
execFileSync('mkdir', ['-p', staging]);
const store = new LocalImageStore(join(dir, 'store'));
const driver = await fx.driver({ vmware_tmp_dir: staging });
afterEach(async () => {
  await fx.sim.control.reset();
  expect(readdirSync(staging)).toEqual([]); // no staging file left behind
});
afterAll(async () => {
  await fx.close();
  rmSync(dir, { recursive: true, force: true });
});
const vol = (over: Partial<Volume> = {}): Volume => ({ id: randomUUID(), size: 1, projectId: 'pi', status: 'available', ...over });

/** A raw disk of `size` bytes with random data in a few places. */
function rawDisk(size: number): Buffer {
  const raw = Buffer.alloc(size);
  randomBytes(300_000).copy(raw, 100_000);
  randomBytes(4096).copy(raw, size - 8192);
  return raw;
}

/** Stores an image made by qemu-img from `raw` (`subformat` undefined: the raw bytes, a flat extent). */
async function storeImage(id: string, raw: Buffer, diskType: string, subformat?: string, extra: Record<string, string> = {}): Promise<void> {
  const rawPath = join(dir, `${id}.raw`);
  writeFileSync(rawPath, raw);
  let path = rawPath;
  if (subformat !== undefined) {
    path = join(dir, `${id}.vmdk`);
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', `subformat=${subformat}`, rawPath, path]);
  }
  await store.sink(id).write(Readable.from([readFileSync(path)]), { disk_format: 'vmdk', container_format: 'bare', vmware_disktype: diskType, ...extra });
}

/**
 * Exports the volume through copyVolumeToImage and checks with qemu-img that the exported disk holds
 * `raw` followed by zeros (qemu-img compare treats the larger image's extra part as having to be zero).
 */
async function expectVolumeHolds(v: Volume, raw: Buffer): Promise<void> {
  const id = `out-${randomUUID()}`;
  const info = await driver.copyVolumeToImage(v, store.sink(id), { disk_format: 'vmdk' });
  expect(info.properties.vmware_disktype).toBe('streamOptimized');
  const rawPath = join(dir, `${id}.raw`);
  writeFileSync(rawPath, raw);
  const exported = join(dir, 'store', id);
  expect(JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-f', 'vmdk', exported], { encoding: 'utf8' })) as { 'virtual-size': number }).toMatchObject({ 'virtual-size': v.size * GiB });
  execFileSync('qemu-img', ['compare', '-q', '-f', 'raw', '-F', 'vmdk', rawPath, exported]); // throws unless equal
  rmSync(rawPath);
  rmSync(exported);
}

describe('copy_image_to_volume and copy_volume_to_image', () => {
  it.each([
    ['streamOptimized', 'streamOptimized'],
    ['sparse', 'monolithicSparse'],
    ['preallocated', undefined],
    ['thin', undefined],
  ] as const)('a %s image becomes the volume, extended to its size, and comes back byte for byte (qemu-img compare)', async (diskType, subformat) => {
    const raw = rawDisk(8 * MiB);
    const id = `img-${diskType}`;
    await storeImage(id, raw, diskType, subformat);
    const v = vol({ size: 1 });
    await driver.createVolume(v);
    await driver.copyImageToVolume(v, id, store.source(id));
    const b = (await backingOf(fx.session, v.id))!;
    expect(b).toMatchObject({ name: `volume-${v.id}`, volumeId: v.id, folder: 'OpenStack/Project (pi)/Volumes' });
    expect(b.disks).toHaveLength(1);
    expect(b.disks[0]!.capacity).toBe(GiB);
    await expectVolumeHolds(v, raw);
    await driver.deleteVolume(v);
  }, 60_000);

  it('an OVA holding a stream-optimized disk', async () => {
    const raw = rawDisk(4 * MiB);
    const rawPath = join(dir, 'ova.raw');
    writeFileSync(rawPath, raw);
    const ovaDir = join(dir, 'ova');
    execFileSync('mkdir', ['-p', ovaDir]);
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', rawPath, join(ovaDir, 'disk1.vmdk')]);
    packOva(ovaDir, join(dir, 'image.ova'), raw.length);
    await store.sink('img-ova').write(Readable.from([readFileSync(join(dir, 'image.ova'))]), { disk_format: 'vmdk', container_format: 'ova', vmware_disktype: 'streamOptimized' });
    const v = vol({ size: 1 });
    await driver.copyImageToVolume(v, 'img-ova', store.source('img-ova'));
    await expectVolumeHolds(v, raw);
    await driver.deleteVolume(v);
  }, 60_000);

  it('replaces an existing backing only once the new one is complete', async () => {
    await storeImage('img-replace', rawDisk(2 * MiB), 'streamOptimized', 'streamOptimized');
    const eager = await fx.driver({ vmware_tmp_dir: staging, vmware_lazy_create: false });
    const v = vol();
    await eager.createVolume(v);
    const old = (await backingOf(fx.session, v.id))!;
    await eager.copyImageToVolume(v, 'img-replace', store.source('img-replace'));
    const now = (await inventory(fx.session)).vms.filter((x) => x.instanceUuid === v.id || x.name.startsWith(`volume-${v.id}`));
    expect(now).toHaveLength(1);
    expect(now[0]!.ref.value).not.toBe(old.ref.value);
    expect(now[0]!.name).toBe(`volume-${v.id}`);
    await eager.deleteVolume(v);
  }, 60_000);
});

describe('the linked-clone base (Nova image user)', () => {
  it('imports a linked-clone image once per size and makes each volume a linked clone of the cached base', async () => {
    const raw = rawDisk(4 * MiB);
    await storeImage('img-linked', raw, 'streamOptimized', 'streamOptimized', { vmware_linked_clone: 'true' });
    const linked = { 'vmware:clone_type': 'linked' };
    await fx.sim.control.reset();
    const a = vol({ extraSpecs: linked });
    const b = vol({ extraSpecs: linked });
    await Promise.all([driver.copyImageToVolume(a, 'img-linked', store.source('img-linked')), driver.copyImageToVolume(b, 'img-linked', store.source('img-linked'))]);
    expect(await fx.sim.control.calls('ImportVApp')).toBe(1);
    const c = vol({ extraSpecs: linked });
    await driver.copyImageToVolume(c, 'img-linked', store.source('img-linked'));
    expect(await fx.sim.control.calls('ImportVApp')).toBe(1); // the base is cached

    const inv = await inventory(fx.session);
    const base = inv.vms.filter((x) => x.name === 'image-img-linked-1g');
    expect(base).toHaveLength(1);
    expect(base[0]!.folder).toBe('OpenStack/Images');
    expect(base[0]!.snapshots).toEqual(['base']);
    const baseDisk = base[0]!.disks[0]!.parent; // the base's running delta sits on the snapshot's file
    expect(baseDisk).toBeDefined();
    const paths = new Set<string>();
    for (const v of [a, b, c]) {
      const vb = inv.vms.find((x) => x.instanceUuid === v.id)!;
      expect(vb).toMatchObject({ name: `volume-${v.id}`, volumeId: v.id, folder: 'OpenStack/Project (pi)/Volumes' });
      expect(vb.disks[0]!.capacity).toBe(GiB);
      // Its own delta, in its own folder, on the base's snapshot (concurrent clones once shared one).
      expect(vb.disks[0]!.path).toContain(`] volume-${v.id}/`);
      expect(vb.disks[0]!.parent).toBe(baseDisk);
      paths.add(vb.disks[0]!.path);
    }
    expect(paths.size).toBe(3);
    await expectVolumeHolds(b, raw);

    // Without the linked clone type the image is copied in full, as before.
    const full = vol();
    await driver.copyImageToVolume(full, 'img-linked', store.source('img-linked'));
    expect(await fx.sim.control.calls('ImportVApp')).toBe(2);
    for (const v of [a, b, c, full]) await driver.deleteVolume(v);
    expect((await inventory(fx.session)).vms.filter((x) => x.name === 'image-img-linked-1g')).toHaveLength(1); // the cache stays
  }, 60_000);
});

describe('backup and restore through the VMDK connector', () => {
  it('backs a volume up to a file and restores it into another volume', async () => {
    const raw = rawDisk(4 * MiB);
    await storeImage('img-backup', raw, 'preallocated');
    const a = vol();
    await driver.copyImageToVolume(a, 'img-backup', store.source('img-backup'));
    const file = join(dir, 'backup.vmdk');
    const { size, sha256 } = await driver.backupVolume(a, createWriteStream(file));
    expect(size).toBe(readFileSync(file).length);
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    execFileSync('qemu-img', ['compare', '-q', '-f', 'raw', '-F', 'vmdk', join(dir, 'img-backup.raw'), file]);
    // The backup left the source as it was: same backing, same disk, no snapshot.
    const sa = (await backingOf(fx.session, a.id))!;
    expect(sa.snapshots).toEqual([]);

    const b = vol();
    await driver.createVolume(b);
    await driver.restoreBackup(b, createReadStream(file));
    await expectVolumeHolds(b, raw);
    expect((await backingOf(fx.session, b.id))!.disks).toHaveLength(1);
    await driver.deleteVolume(a);
    await driver.deleteVolume(b);
  }, 60_000);
});

describe('refusals and failures leave nothing behind', () => {
  it('refuses an image larger than the volume, a wrong format, a lying size or checksum, and a failed import', async () => {
    await storeImage('img-ok', rawDisk(2 * MiB), 'streamOptimized', 'streamOptimized');
    const before = digest(await inventory(fx.session));
    // A 1 GiB volume cannot hold a 2 GiB disk (a small stream-optimized file of a 2 GiB disk).
    const hugePath = join(dir, 'huge.vmdk');
    execFileSync('qemu-img', ['create', '-q', '-f', 'vmdk', '-o', 'subformat=streamOptimized', hugePath, String(2 * GiB)]);
    await store.sink('img-huge').write(Readable.from([readFileSync(hugePath)]), { disk_format: 'vmdk', vmware_disktype: 'streamOptimized' });
    await expect(driver.copyImageToVolume(vol(), 'img-huge', store.source('img-huge'))).rejects.toMatchObject({ code: 'VMKIT_DRIVER_IMAGE_UNACCEPTABLE', reason: 'too-large' });
    const withProps = (id: string, props: Record<string, string>) => {
      const s = store.source(id);
      return { open: (signal?: AbortSignal) => s.open(signal), info: async () => { const i = await s.info(); return { ...i, properties: { ...i.properties, ...props } }; } };
    };
    await expect(driver.copyImageToVolume(vol(), 'img-ok', withProps('img-ok', { disk_format: 'qcow2' }))).rejects.toBeInstanceOf(ImageUnacceptableError);
    await expect(driver.copyImageToVolume(vol(), 'img-ok', withProps('img-ok', { container_format: 'docker' }))).rejects.toBeInstanceOf(ImageUnacceptableError);
    await expect(driver.copyImageToVolume(vol(), 'img-ok', withProps('img-ok', { vmware_disktype: 'sparse' }))).rejects.toMatchObject({ reason: 'disk-type' });
    const lying = (id: string, change: (i: Awaited<ReturnType<ReturnType<typeof store.source>['info']>>) => object) => {
      const s = store.source(id);
      return { open: (signal?: AbortSignal) => s.open(signal), info: async () => ({ ...(await s.info()), ...change(await s.info()) }) };
    };
    await expect(driver.copyImageToVolume(vol(), 'img-ok', lying('img-ok', (i) => ({ size: i.size + 1 })))).rejects.toBeInstanceOf(TransferSizeMismatchError);
    await expect(driver.copyImageToVolume(vol(), 'img-ok', lying('img-ok', () => ({ checksum: { algorithm: 'sha256', value: '0'.repeat(64) } })))).rejects.toBeInstanceOf(ChecksumMismatchError);

    for (const method of ['ImportVApp', 'HttpNfcLeaseComplete']) {
      await fx.sim.control.queueFault(method, { count: 1, fault: 'FileLocked' });
      await expect(driver.copyImageToVolume(vol(), 'img-ok', store.source('img-ok'))).rejects.toThrow();
      await fx.sim.control.reset();
    }
    await fx.sim.control.queueFault('ReconfigVM_Task', { count: 1, fault: 'FileLocked' }); // the extend after the import
    await expect(driver.copyImageToVolume(vol({ size: 2 }), 'img-ok', store.source('img-ok'))).rejects.toMatchObject({ faultName: 'FileLocked' });
    expect(digest(await inventory(fx.session))).toEqual(before);
  }, 60_000);
});
