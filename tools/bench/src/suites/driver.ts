import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { VimSession, iterateObjects } from '@vmkit/session';
import { recordSoapCalls } from '@vmkit/testkit';
import { LocalImageStore, createStreamOptimizedEncoder } from '@vmkit/transfer';
import { startSimulator } from '@vmkit/vcsim';
import { VmdkDriver, type Snapshot, type Volume } from '@vmkit/vmdk-driver';
import { figure } from '../figure.js';
import type { Suite } from '../suite.js';

/**
 * Cinder's round trips per driver method, read once from its source (Debian's python3-cinder,
 * cinder/volume/drivers/vmware/{vmdk,volumeops,datastore}.py; line ranges below), counted under the
 * same conditions as vmkit's run: no storage profile, no cluster option, warm caches (the datacenter
 * of a resource pool, the volume folders and profile ids are cached in Cinder after first use), and
 * tasks that finish at once, so that oslo.vmware's wait_for_task reads the task once (one invoke plus
 * one poll per task). Helpers used below:
 * - get_backing = FindAllByUuid, 1 (volumeops.py 296-325)
 * - select_datastore = datastores 1 + host properties 1 + resource pool 1 = 3 (datastore.py 180-326)
 * - get_dc(entity) walks `parent` one call per level (volumeops.py 485-508): 5 from a backing in
 *   OpenStack/Project/Volumes (Volumes, Project, OpenStack, vm folder, datacenter)
 * - update_backing_disk_uuid = device read 1 + ReconfigVM_Task 2 = 3 (volumeops.py 1367-1393)
 * - a task = invoke 1 + poll 1 = 2
 */
const cinder: Record<string, { count: number; source: string; how: string }> = {
  create_volume: { count: 8, source: 'vmdk.py 508-519, 602-660, 700-720', how: 'select_datastore 3 + CreateVM_Task 2 + update_backing_disk_uuid 3 (vmware_lazy_create=False)' },
  delete_volume: { count: 3, source: 'vmdk.py 521-538, volumeops.py 366-378', how: 'get_backing 1 + Destroy_Task 2' },
  create_snapshot: { count: 11, source: 'vmdk.py 850-914, volumeops.py 1176-1226, 1738-1740, 1774-1776', how: 'get_backing 1 + get_dc 5 + get_datastore 1 + CloneVM_Task 2 + MarkAsTemplate 1 + get_inventory_path 1 (template format)' },
  delete_snapshot: { count: 4, source: 'vmdk.py 916-964', how: 'get_backing 1 + FindByInventoryPath 1 + Destroy_Task 2 (template format)' },
  create_volume_from_snapshot: {
    count: 38,
    source: 'vmdk.py 2210-2266, 2308-2315, 1874-1905, 1232-1240; volumeops.py 1116-1226, 1253-1313, 1610-1633',
    how: 'get_backing 1 + template 1 + select 3 + disk read 1 + CloneVM_Task 2 + disk read 1 + disk-less backing (select 3 + CreateVM_Task 2) + detach 2 + get_dc 5 + get_dc 5 + path 1 + MoveVirtualDisk_Task 2 + attach (read 1 + reconfig 2) + disk uuid 3 + size 1 + Destroy_Task 2 (template format)',
  },
  create_cloned_volume: { count: 9, source: 'vmdk.py 2156-2208, 2326-2378', how: 'get_backing 1 + select 3 + CloneVM_Task 2 + update_backing_disk_uuid 3 (full clone)' },
  'create_cloned_volume.linked': { count: 9, source: 'vmdk.py 2326-2378; volumeops.py 998-1022, 1069-1092, 1108-1114', how: 'get_backing 1 + CreateSnapshot_Task 2 + parent folder 1 + CloneVM_Task 2 + get_snapshot 1 + RemoveSnapshot_Task 2' },
  extend_volume: { count: 9, source: 'vmdk.py 1425-1435, 1774-1800; volumeops.py 598-625, 1491-1506', how: 'get_backing 1 + get_vmdk_path 1 + get_dc 5 + ExtendVirtualDisk_Task 2' },
  initialize_connection: { count: 17, source: 'vmdk.py 722-831', how: 'get_backing 1 + create backing 8 + get_vmdk_path 1 + get_datastore 1 + get_dc 5 (lazy volume, host connector with platform and os_type)' },
  revert_to_snapshot: { count: 4, source: 'vmdk.py 2388-2400; volumeops.py 1094-1106', how: 'get_backing 1 + get_snapshot 1 + RevertToSnapshot_Task 2 (COW format)' },
  accept_transfer: { count: 10, source: 'vmdk.py 2057-2081, 2380-2386; volumeops.py 540-596, 980-996', how: 'get_backing 1 + get_dc 5 + CreateFolder 2 (new project) + MoveIntoFolder_Task 2' },
  retype: { count: 7, source: 'vmdk.py 1589-1772; volumeops.py 1253-1313', how: 'get_backing 1 + get_datastore 1 + disk read 1 + detach ReconfigVM_Task 2 + attach ReconfigVM_Task 2 (adapter type change)' },
  manage_existing_get_size: { count: 2, source: 'vmdk.py 1831-1872; volumeops.py 1726-1772', how: 'FindByInventoryPath 1 + device read 1' },
  unmanage: { count: 3, source: 'vmdk.py 1920-1927; volumeops.py 1395-1406', how: 'get_backing 1 + ReconfigVM_Task 2' },
  delete_volume_lazy: { count: 1, source: 'vmdk.py 521-538', how: 'get_backing 1 (no backing yet)' },
  copy_image_to_volume: {
    count: 21,
    source: 'vmdk.py 1347-1423, 1444-1521; oslo_vmware rw_handles.py 369-495, 536-650, api.py 456-492',
    how: 'select 3 + NFC import (ImportVApp 1 + lease state 1 + lease info 1 + lease state 1 + HttpNfcLeaseComplete 1) + update_backing_disk_uuid 3 + get_backing 1 + disk size 1 + extend (get_vmdk_path 1 + get_dc 5 + ExtendVirtualDisk_Task 2) (stream-optimized image smaller than the volume)',
  },
  copy_volume_to_image: {
    count: 7,
    source: 'vmdk.py 1523-1582; oslo_vmware image_transfer.py 299-360, rw_handles.py 369-495, 656-720',
    how: 'get_backing 1 + get_vmdk_path 1 + NFC export (ExportVm 1 + lease state 1 + lease info 1 + lease state 1 + HttpNfcLeaseComplete 1)',
  },
};

/** Counts vmkit's SOAP requests (the `vmkit:soap:request` diagnostics channel) and the wall time while `fn` runs. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; trips: number; ms: number }> {
  const t0 = performance.now();
  const [value, calls] = await recordSoapCalls(fn);
  return { value, trips: calls.length, ms: performance.now() - t0 };
}

/**
 * Per driver method: vmkit's SOAP round trips next to Cinder's for the same method (from its source,
 * above), and vmkit's wall time against the simulator; then the lifecycle's totals.
 */
export const driverSuite: Suite = {
  name: 'driver',
  description: "VMDK driver methods: vmkit's SOAP round trips next to Cinder's (read from its source), and wall time",
  async run(ctx) {
    await using sim = await startSimulator({ vms: 1 });
    await using session = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
    // govmomi 0.24's local datastores report type OTHER, which Cinder's selector refuses: accept it here.
    const types: string[] = [];
    for await (const ds of iterateObjects(session, 'Datastore', ['summary.type'])) types.push(String(ds.props['summary.type']).toLowerCase());
    const options = { session, datastoreTypes: ['vmfs', 'nfs', 'nfs41', 'vsan', 'vvol', ...types] };
    const base = { vmware_host_ip: sim.url, vmware_host_username: sim.username, vmware_host_password: sim.password, vmware_lazy_create: false };
    const driver = new VmdkDriver(base, options);
    const cow = new VmdkDriver({ ...base, vmware_snapshot_format: 'COW' }, options);
    const lazy = new VmdkDriver({ ...base, vmware_lazy_create: true }, options);
    for (const d of [driver, cow, lazy]) await d.doSetup();
    const vol = (over: Partial<Volume> = {}): Volume => ({ id: randomUUID(), size: 1, projectId: 'bench', status: 'available', ...over });

    // Warm the caches as a running Cinder has them (a resource pool's datacenter, the volume folders).
    for (const d of [driver, cow, lazy]) {
      const warm = vol();
      await d.initializeConnection(warm, {});
      await d.deleteVolume(warm);
    }

    let vmkitTotal = 0;
    let cinderTotal = 0;
    const run = async (method: string, fn: () => Promise<unknown>) => {
      if (ctx.signal.aborted) return;
      const { trips, ms } = await measured(fn);
      const c = cinder[method];
      if (c === undefined) throw new Error(`no Cinder count for ${method}`);
      ctx.emit(figure(`driver.${method}`, 'vmkit', 'roundtrips', trips));
      ctx.emit(figure(`driver.${method}`, 'cinder', 'roundtrips', c.count));
      ctx.emit(figure(`driver.${method}`, 'vmkit', 'latency', ms));
      ctx.log(`driver.${method}: vmkit ${trips} round trips in ${ms.toFixed(1)} ms; cinder ${c.count} (${c.source}: ${c.how})`);
      vmkitTotal += trips;
      cinderTotal += c.count;
    };

    const a = vol();
    await run('create_volume', () => driver.createVolume(a));
    const snap: Snapshot = { id: randomUUID(), volume: a, volumeSize: 1 };
    let location: string | undefined;
    await run('create_snapshot', async () => {
      location = (await driver.createSnapshot(snap))?.providerLocation;
    });
    const fromSnap = vol();
    await run('create_volume_from_snapshot', () => driver.createVolumeFromSnapshot(fromSnap, { ...snap, providerLocation: location! }));
    await run('delete_snapshot', () => driver.deleteSnapshot({ ...snap, providerLocation: location! }));
    await run('extend_volume', () => driver.extendVolume(a, 2));
    const full = vol();
    await run('create_cloned_volume', () => driver.createClonedVolume(full, a));
    const linked = vol({ extraSpecs: { 'vmware:clone_type': 'linked' } });
    await run('create_cloned_volume.linked', () => driver.createClonedVolume(linked, a));
    const cowSnap: Snapshot = { id: randomUUID(), volume: a, volumeSize: 2 };
    await cow.createSnapshot(cowSnap);
    await run('revert_to_snapshot', () => cow.revertToSnapshot(a, cowSnap));
    await cow.deleteSnapshot(cowSnap);
    await run('accept_transfer', () => driver.acceptTransfer(a, 'bench-2'));
    await run('retype', () => driver.retype({ ...a, projectId: 'bench-2' }, { 'vmware:adapter_type': 'busLogic' }));
    const lz = vol();
    await lazy.createVolume(lz);
    await run('delete_volume_lazy', () => lazy.deleteVolume(lz));
    const attach = vol();
    await lazy.createVolume(attach);
    await run('initialize_connection', () => lazy.initializeConnection(attach, { platform: 'x86_64', os_type: 'linux' }));
    const disk = (await driver.volumeops.getDiskInfo((await driver.volumeops.getBacking(attach.id))!))!;
    const ref = { 'source-name': `${disk.path}@DC0/vm/OpenStack/Project (bench)/Volumes/volume-${attach.id}` };
    await run('manage_existing_get_size', () => driver.manageExistingGetSize(vol(), ref));
    await run('unmanage', () => driver.unmanage(fromSnap));
    await driver.volumeops.deleteBacking((await driver.volumeops.getEntityByInventoryPath(`DC0/vm/OpenStack/Project (bench)/Volumes/volume-${fromSnap.id}`))!);
    for (const v of [full, linked, attach]) await driver.deleteVolume(v);
    // Images: a stream-optimized image of an 8 MiB disk into a 1 GiB volume, and the volume back out.
    const dir = await mkdtemp(join(tmpdir(), 'vmkit-bench-driver-'));
    try {
      const store = new LocalImageStore(dir);
      const raw = Buffer.alloc(8 * 1024 * 1024);
      randomBytes(1024 * 1024).copy(raw, 1024 * 1024);
      await store.sink('image').write(Readable.from([raw]).pipe(createStreamOptimizedEncoder({ capacity: raw.length })), { disk_format: 'vmdk', vmware_disktype: 'streamOptimized' });
      const imaged = vol();
      const images = new VmdkDriver({ ...base, vmware_tmp_dir: dir }, options);
      await images.doSetup();
      const warm = vol();
      await images.initializeConnection(warm, {});
      await images.deleteVolume(warm);
      await run('copy_image_to_volume', () => images.copyImageToVolume(imaged, 'image', store.source('image')));
      await run('copy_volume_to_image', () => images.copyVolumeToImage(imaged, store.sink('out')));
      await images.deleteVolume(imaged);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await run('delete_volume', () => driver.deleteVolume(a));

    ctx.emit(figure('driver.lifecycle', 'vmkit', 'roundtrips', vmkitTotal));
    ctx.emit(figure('driver.lifecycle', 'cinder', 'roundtrips', cinderTotal));
    ctx.log(`lifecycle: vmkit ${vmkitTotal} round trips, cinder ${cinderTotal} (${(100 * (1 - vmkitTotal / cinderTotal)).toFixed(0)} % fewer)`);
  },
};
