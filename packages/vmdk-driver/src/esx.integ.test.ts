import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalImageStore } from '@vmkit/transfer';
import { afterAll, describe, expect, it } from 'vitest';
import { backingOf, startFixture } from '../test/fixture.js';
import { VcenterRequiredError, VmdkDriver, type Volume } from './index.js';

const GiB = 1024 ** 3;
/**
 * Probe: the simulator's ESX model must start. (Today a harness change makes it exit at start-up with
 * "property collector: unexpected singleton <nil>"; the tests below are skipped, saying so, until fixed.)
 */
const started = await startFixture({ model: 'esx' }).then(
  (f) => ({ fx: f, gap: undefined }),
  (err: unknown) => {
    // Only the ESX model's start-up crash is the known gap; anything else (a build failure) is a failure.
    const message = String((err as Error).message);
    if (!message.includes('exited before it was ready')) throw err;
    return { fx: undefined, gap: message };
  },
);
const fx = started.fx!;
if (started.gap !== undefined) console.warn(`ESX model tests skipped, the simulator's ESX model does not start: ${started.gap}`);
afterAll(async () => {
  await started.fx?.close();
});
const vol = (over: Partial<Volume> = {}): Volume => ({ id: randomUUID(), size: 1, projectId: 'p1', status: 'available', ...over });

describe.skipIf(started.gap !== undefined)('on a standalone ESX host', () => {
  it('the ESX subset works: create, extend, COW snapshots, revert, attach info, stats, delete', async () => {
    const d = await fx.driver({ vmware_lazy_create: false, vmware_snapshot_format: 'COW', vmware_enable_volume_stats: true });
    expect(d.isEsx).toBe(true);
    const v = vol();
    await d.createVolume(v);
    const b = (await backingOf(fx.session, v.id))!;
    expect(b.disks[0]!.capacity).toBe(GiB);
    await d.extendVolume(v, 2);
    expect((await backingOf(fx.session, v.id))!.disks[0]!.capacity).toBe(2 * GiB);
    const snap = { id: randomUUID(), volume: v };
    await d.createSnapshot(snap);
    expect((await backingOf(fx.session, v.id))!.snapshots).toEqual([`snapshot-${snap.id}`]);
    await d.revertToSnapshot(v, snap);
    await d.deleteSnapshot(snap);
    const info = await d.initializeConnection(v, { platform: 'x86_64', os_type: 'linux' });
    expect(info.data.vmdk_path).toBe(b.disks[0]!.path);
    expect(info.data.config?.vmware_clone_ticket).toBeTruthy();
    expect((await d.getVolumeStats()).total_capacity_gb).toBeGreaterThan(0);
    await d.deleteVolume(v);
    expect(await backingOf(fx.session, v.id)).toBeUndefined();
  });

  it('copies a stream-optimized image into a volume and back out over NFC', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmkit-driver-esx-'));
    try {
      const raw = Buffer.alloc(2 * 1024 * 1024);
      randomBytes(100_000).copy(raw, 50_000);
      writeFileSync(join(dir, 'a.raw'), raw);
      execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', join(dir, 'a.raw'), join(dir, 'a.vmdk')]);
      const store = new LocalImageStore(join(dir, 'store'));
      await store.sink('img').write(Readable.from([readFileSync(join(dir, 'a.vmdk'))]), { disk_format: 'vmdk', vmware_disktype: 'streamOptimized' });
      const d = await fx.driver({ vmware_tmp_dir: dir });
      const v = vol();
      await d.copyImageToVolume(v, 'img', store.source('img'));
      expect((await backingOf(fx.session, v.id))!.disks[0]!.capacity).toBe(GiB);
      await d.copyVolumeToImage(v, store.sink('out'));
      execFileSync('qemu-img', ['compare', '-q', '-f', 'raw', '-F', 'vmdk', join(dir, 'a.raw'), join(dir, 'store', 'out')]);
      await d.deleteVolume(v);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('vCenter-only methods fail with VcenterRequiredError and leave nothing behind', async () => {
    const d = await fx.driver({ vmware_lazy_create: false });
    const v = vol();
    await d.createVolume(v);
    await expect(d.createSnapshot({ id: randomUUID(), volume: v })).rejects.toBeInstanceOf(VcenterRequiredError); // template format
    await expect(d.createClonedVolume(vol(), v)).rejects.toBeInstanceOf(VcenterRequiredError);
    await expect(d.createVolume(vol({ extraSpecs: { 'vmware:storage_profile': 'gold' } }))).rejects.toBeInstanceOf(VcenterRequiredError);
    await expect(d.retype(v, { 'vmware:vmdk_type': 'thick' })).rejects.toBeInstanceOf(VcenterRequiredError);
    const clustered = new VmdkDriver(
      { vmware_host_ip: fx.sim.url, vmware_host_username: fx.sim.username, vmware_host_password: fx.sim.password, vmware_cluster_name: 'C0' },
      { session: fx.session, datastoreTypes: fx.datastoreTypes },
    );
    await expect(clustered.doSetup()).rejects.toMatchObject({ code: 'VMKIT_DRIVER_VCENTER_REQUIRED' });
    const b = (await backingOf(fx.session, v.id))!;
    expect(b.snapshots).toEqual([]);
    await d.deleteVolume(v);
  });
});
