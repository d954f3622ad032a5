import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { backingOf, inventory, startFixture, type Fixture } from '../test/fixture.js';
import { DriverNotReadyError, InvalidExistingReferenceError, InvalidSnapshotError, NoValidDatastoreError, VmdkDriver, InvalidVolumeError, InvalidVolumeSpecError, ProfileNotFoundError, type Volume } from './index.js';

const GiB = 1024 ** 3;
const vol = (over: Partial<Volume> = {}): Volume => ({ id: randomUUID(), size: 1, projectId: 'p1', status: 'available', ...over });
const fx: Fixture = await startFixture();
const driver: VmdkDriver = await fx.driver({ vmware_lazy_create: false });
const cow: VmdkDriver = await fx.driver({ vmware_lazy_create: false, vmware_snapshot_format: 'COW' });
/**
 * Probe for a simulator gap: its disk model (being built by "vcsim-disks") refuses to move a disk that
 * CreateVM_Task made ("a disk descriptor needs exactly one extent in its own folder").
 */
const moveGap = await (async () => {
  const v = vol();
  await driver.createVolume(v);
  const b = (await driver.volumeops.getBacking(v.id))!;
  const disk = (await driver.volumeops.getDiskInfo(b))!;
  const dc = await driver.volumeops.getDatacenter(b);
  try {
    await driver.volumeops.detachDisk(b, disk);
    await driver.volumeops.makeDirectory('[LocalDS_0] probe-move', dc.ref);
    await driver.volumeops.moveDisk(disk.path, '[LocalDS_0] probe-move/probe.vmdk', dc.ref);
    await driver.volumeops.deleteFile('[LocalDS_0] probe-move', dc.ref);
    return false;
  } catch {
    return true;
  } finally {
    await driver.volumeops.deleteBacking(b);
  }
})();
afterAll(async () => {
  await fx?.close();
});


describe('setup', () => {
  it('connects with the configured credentials, checks the setup, and logs out on close', async () => {
    const own = new VmdkDriver({ vmware_host_ip: fx.sim.url, vmware_host_username: fx.sim.username, vmware_host_password: fx.sim.password }, { datastoreTypes: fx.datastoreTypes });
    await expect(own.deleteVolume(vol())).rejects.toBeInstanceOf(DriverNotReadyError);
    await own.doSetup();
    await own.checkForSetupError();
    expect(own.isEsx).toBe(false);
    const s = own.session;
    await own.close();
    expect(s.currentSession).toBeUndefined();

    const wrong = new VmdkDriver({ vmware_host_ip: fx.sim.url, vmware_host_username: fx.sim.username, vmware_host_password: 'not-the-password-1234' });
    const err = await wrong.doSetup().then(() => undefined, (e: unknown) => e as Error);
    expect(err).toMatchObject({ code: 'VMKIT_VIM_FAULT_INVALID_LOGIN' });
    expect(String(err?.message)).not.toContain('not-the-password-1234');

    const noCa = new VmdkDriver({ vmware_host_ip: fx.sim.url, vmware_host_username: fx.sim.username, vmware_host_password: fx.sim.password, vmware_ca_file: '/nonexistent/ca.pem' });
    await expect(noCa.doSetup()).rejects.toMatchObject({ code: 'VMKIT_DRIVER_INVALID_CONFIG', option: 'vmware_ca_file' });

    const badProfile = await fx.driver({ vmware_storage_profile: 'no-such-profile' });
    await expect(badProfile.checkForSetupError()).rejects.toBeInstanceOf(ProfileNotFoundError);
    await expect(fx.driver({ vmware_cluster_name: 'no-such-cluster' })).rejects.toBeInstanceOf(NoValidDatastoreError);
  });
});

describe('create and delete', () => {
  it('lazy create only validates the volume type', async () => {
    const lazy = await fx.driver();
    const v = vol();
    await lazy.createVolume(v);
    expect(await backingOf(fx.session, v.id)).toBeUndefined();
    await expect(lazy.createVolume(vol({ extraSpecs: { 'vmware:vmdk_type': 'sparse' } }))).rejects.toBeInstanceOf(InvalidVolumeSpecError);
    await expect(lazy.createVolume(vol({ id: 'not-a-uuid' }))).rejects.toBeInstanceOf(InvalidVolumeError);
    await expect(lazy.createVolume(vol({ size: 0 }))).rejects.toBeInstanceOf(InvalidVolumeError);
    await expect(lazy.createVolume(vol({ size: 1.5 }))).rejects.toBeInstanceOf(InvalidVolumeError);
    await expect(lazy.createVolume(vol({ extraSpecs: { 'vmware:storage_profile': 'no-such-profile' } }))).rejects.toBeInstanceOf(ProfileNotFoundError);
  });

  it.each([
    ['thin', true, false],
    ['thick', false, false],
    ['eagerZeroedThick', false, true],
  ])('creates a %s backing in the project folder, identified by the volume id, and deletes it', async (diskType, thin, eager) => {
    const v = vol({ size: 2, extraSpecs: { 'vmware:vmdk_type': diskType, 'vmware:adapter_type': 'paraVirtual' } });
    await driver.createVolume(v);
    const b = (await backingOf(fx.session, v.id))!;
    expect(b.name).toBe(`volume-${v.id}`);
    expect(b.volumeId).toBe(v.id);
    expect(b.folder).toBe('OpenStack/Project (p1)/Volumes');
    expect(b.disks).toHaveLength(1);
    expect(b.disks[0]).toMatchObject({ capacity: 2 * GiB, thin, eager, controller: 'ParaVirtualSCSIController' });
    await driver.deleteVolume(v);
    expect(await backingOf(fx.session, v.id)).toBeUndefined();
    await driver.deleteVolume(v); // no backing: nothing to do
  });
});

describe('snapshots', () => {
  it('COW: snapshot, revert, volume from snapshot (linked), delete; refused while in use', async () => {
    const v = vol();
    await cow.createVolume(v);
    const snap = { id: randomUUID(), volume: v, volumeSize: 1 };
    expect(await cow.createSnapshot(snap)).toEqual({ providerLocation: undefined });
    expect((await backingOf(fx.session, v.id))!.snapshots).toEqual([`snapshot-${snap.id}`]);
    await expect(cow.createSnapshot({ ...snap, id: randomUUID(), volume: { ...v, status: 'in-use' } })).rejects.toBeInstanceOf(InvalidVolumeError);
    await cow.revertToSnapshot(v, snap);

    const linked = vol({ extraSpecs: { 'vmware:clone_type': 'linked' } });
    await cow.createVolumeFromSnapshot(linked, snap);
    const lb = (await backingOf(fx.session, linked.id))!;
    expect(lb.volumeId).toBe(linked.id);
    expect(lb.disks[0]!.capacity).toBe(1 * GiB);

    const bigger = vol({ size: 3, extraSpecs: { 'vmware:clone_type': 'linked' } });
    await cow.createVolumeFromSnapshot(bigger, snap);
    expect((await backingOf(fx.session, bigger.id))!.disks[0]!.capacity).toBe(3 * GiB);

    await expect(cow.deleteSnapshot({ ...snap, volume: { ...v, status: 'in-use' } })).rejects.toBeInstanceOf(InvalidSnapshotError);
    await cow.deleteSnapshot(snap);
    expect((await backingOf(fx.session, v.id))!.snapshots).toEqual([]);
    await cow.deleteSnapshot(snap); // gone: nothing to do
    for (const x of [bigger, linked, v]) await cow.deleteVolume(x);
  });

  it('template: a template in the Snapshots folder, a full clone from it, no revert, delete', async () => {
    const v = vol({ size: 1 });
    await driver.createVolume(v);
    const snap = { id: randomUUID(), volume: v, volumeSize: 1 };
    const update = (await driver.createSnapshot(snap))!;
    expect(update.providerLocation).toBe(`DC0/vm/OpenStack/Project (p1)/Volumes/Snapshots/snapshot-${snap.id}`);
    const inv = await inventory(fx.session);
    const template = inv.vms.find((x) => x.name === `snapshot-${snap.id}`)!;
    expect(template.template).toBe(true);
    expect(template.folder).toBe('OpenStack/Project (p1)/Volumes/Snapshots');
    const withLocation = { ...snap, providerLocation: update.providerLocation! };
    await expect(driver.revertToSnapshot(v, withLocation)).rejects.toBeInstanceOf(InvalidSnapshotError);

    const fromSnap = vol({ size: 2, projectId: 'p2' });
    await driver.createVolumeFromSnapshot(fromSnap, withLocation);
    const fb = (await backingOf(fx.session, fromSnap.id))!;
    expect(fb).toMatchObject({ name: `volume-${fromSnap.id}`, volumeId: fromSnap.id, template: false, folder: 'OpenStack/Project (p2)/Volumes' });
    expect(fb.disks[0]!.capacity).toBe(2 * GiB);

    await driver.deleteSnapshot(withLocation);
    expect((await inventory(fx.session)).vms.some((x) => x.name === `snapshot-${snap.id}`)).toBe(false);
    await driver.deleteVolume(fromSnap);
    await driver.deleteVolume(v);
  });
});

describe('clones and extend', () => {
  it('full clone, linked clone through a temporary snapshot, linked falls back to full when it must grow', async () => {
    const src = vol({ size: 1 });
    await driver.createVolume(src);
    // Extend first: a volume with linked clones has a delta on top, which vSphere does not extend.
    await driver.extendVolume(src, 3);
    expect((await backingOf(fx.session, src.id))!.disks[0]!.capacity).toBe(3 * GiB);
    await expect(driver.extendVolume(src, 2)).rejects.toBeInstanceOf(InvalidVolumeError); // never shrinks
    src.size = 3;
    const full = vol({ size: 3, extraSpecs: { 'vmware:vmdk_type': 'thick' } });
    await driver.createClonedVolume(full, src);
    const fb = (await backingOf(fx.session, full.id))!;
    expect(fb.volumeId).toBe(full.id);
    expect(fb.disks[0]!.parent).toBeUndefined();

    const linked = vol({ size: 3, extraSpecs: { 'vmware:clone_type': 'linked' } });
    await driver.createClonedVolume(linked, src);
    expect((await backingOf(fx.session, linked.id))!.volumeId).toBe(linked.id);
    expect((await backingOf(fx.session, src.id))!.snapshots).toEqual([]); // the temporary snapshot is gone

    await expect(driver.createClonedVolume(vol({ extraSpecs: { 'vmware:clone_type': 'linked' } }), { ...src, status: 'in-use' })).rejects.toBeInstanceOf(InvalidVolumeError);

    const grown = vol({ size: 5, extraSpecs: { 'vmware:clone_type': 'linked' } });
    await driver.createClonedVolume(grown, src);
    expect((await backingOf(fx.session, grown.id))!.disks[0]!.capacity).toBe(5 * GiB);
    expect((await backingOf(fx.session, src.id))!.snapshots).toEqual([]);

    for (const x of [full, linked, grown, src]) await driver.deleteVolume(x);
  });
});

describe('volumes attached to an instance', () => {
  it('a template snapshot and a full clone are taken out of the instance, with only the volume\'s disk', async () => {
    const src = vol({ size: 2 });
    await driver.createVolume(src);
    const srcDisk = (await backingOf(fx.session, src.id))!.disks[0]!;
    const inst = vol();
    await driver.createVolume(inst); // stands in for the instance: a VM with a disk of its own
    const instRef = (await backingOf(fx.session, inst.id))!.ref;
    const own = (await driver.volumeops.getDiskInfo(instRef))!;
    // Attach the volume's disk to the instance as Nova does: a second disk, its UUID in extraConfig volume-<id>.
    // (vSphere assigns disk UUIDs itself; the simulator reports none unless given one, so it is given here.)
    await driver.volumeops.reconfigure(instRef, {
      deviceChange: [
        {
          operation: 'add',
          device: { _type: 'VirtualDisk', key: -1, controllerKey: own.controllerKey, unitNumber: 1, capacityInKB: srcDisk.capacity / 1024, backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName: srcDisk.path, diskMode: 'persistent', uuid: '6000C29a-1111-2222-3333-444455556666' } },
        },
      ],
    });
    const attachedDisk = (await driver.volumeops.getDisks(instRef)).find((d) => d.path === srcDisk.path)!;
    expect(attachedDisk.uuid).toBeTruthy();
    await driver.volumeops.updateExtraConfig(instRef, { [`volume-${src.id}`]: attachedDisk.uuid! });
    const attached: Volume = { ...src, status: 'in-use', attachedInstanceUuids: [inst.id] };

    const snap = { id: randomUUID(), volume: attached, volumeSize: 2 };
    const { providerLocation } = (await driver.createSnapshot(snap))!;
    const template = (await inventory(fx.session)).vms.find((x) => x.name === `snapshot-${snap.id}`)!;
    expect(template.template).toBe(true);
    expect(template.disks.map((d) => d.capacity)).toEqual([2 * GiB]);

    const clone = vol({ size: 3 });
    await driver.createClonedVolume(clone, attached);
    const cb = (await backingOf(fx.session, clone.id))!;
    expect(cb.disks).toHaveLength(1);
    expect(cb.disks[0]!.capacity).toBe(3 * GiB);
    const left = (await inventory(fx.session)).vms.filter((x) => x.name.startsWith(`volume-${clone.id}-tmp`));
    expect(left).toEqual([]); // the temporary clone is gone
    expect((await driver.volumeops.getDisks(instRef)).length).toBe(2); // the instance keeps both disks

    await expect(cow.createSnapshot({ id: randomUUID(), volume: attached })).rejects.toBeInstanceOf(InvalidVolumeError);
    await driver.deleteSnapshot({ ...snap, providerLocation: providerLocation! });
    await driver.volumeops.reconfigure(instRef, { deviceChange: [{ operation: 'remove', device: attachedDisk.device }] });
    for (const x of [clone, inst, src]) await driver.deleteVolume(x);
  });
});

describe('attach, transfer, manage, retype, stats', () => {
  it('initialize_connection creates a lazy backing and returns Cinder-shaped info with a clone ticket, no password', async () => {
    const lazy = await fx.driver();
    const v = vol({ size: 1 });
    await lazy.createVolume(v);
    const plain = await lazy.initializeConnection(v, {});
    const b = (await backingOf(fx.session, v.id))!;
    expect(plain).toEqual({ driver_volume_type: 'vmdk', data: { volume: b.ref.value, volume_id: v.id, name: `volume-${v.id}`, profile_id: null } });

    const info = await lazy.initializeConnection(v, { platform: 'x86_64', os_type: 'linux', host: 'backup-1' });
    expect(info.data).toMatchObject({ vmdk_size: GiB, vmdk_path: b.disks[0]!.path });
    expect(info.data.datacenter).toMatch(/^datacenter-/);
    expect(typeof info.data.datastore).toBe('string');
    expect(info.data.config?.vmware_clone_ticket).toMatch(/\S{8,}/);
    expect(JSON.stringify(info)).not.toContain(fx.sim.password);
    expect(info.data.config).not.toHaveProperty('vmware_host_password');
    await lazy.terminateConnection(v, {});

    // An instance's attach: the backing is created under the instance's host when missing.
    const other = vol();
    // The instance: any VM on a host that sees the datastore (here the first volume's own backing).
    const instance = b;
    await lazy.initializeConnection(other, { instance: instance.ref.value });
    const ob = (await backingOf(fx.session, other.id))!;
    expect(ob.host).toEqual(instance.host);
    await lazy.deleteVolume(v);
    await lazy.deleteVolume(other);
  });

  it('accept_transfer moves the backing to the new project; unmanage forgets it', async () => {
    const v = vol({ size: 1 });
    await driver.createVolume(v);
    await driver.acceptTransfer(v, 'p9');
    expect((await backingOf(fx.session, v.id))!.folder).toBe('OpenStack/Project (p9)/Volumes');

    const before = (await backingOf(fx.session, v.id))!;
    await driver.unmanage(v);
    expect(await backingOf(fx.session, v.id)).toBeUndefined();
    const after = (await inventory(fx.session)).vms.find((x) => x.ref.value === before.ref.value)!;
    expect(after.volumeId ?? '').toBe('');

    await driver.volumeops.deleteBacking(before.ref);
  });

  it.skipIf(moveGap)('manage_existing adopts a disk of another VM; the VM keeps nothing', async () => {
    // The disk to adopt: an unmanaged VM's.
    const v = vol({ size: 1 });
    await driver.createVolume(v);
    const before = (await backingOf(fx.session, v.id))!;
    await driver.unmanage(v);
    const ref = { 'source-name': `${before.disks[0]!.path}@DC0/vm/OpenStack/Project (p1)/Volumes/${before.name}` };
    await expect(driver.manageExistingGetSize(vol(), { 'source-name': 'nonsense' })).rejects.toBeInstanceOf(InvalidExistingReferenceError);
    const managed = vol({ size: 1 });
    expect(await driver.manageExistingGetSize(managed, ref)).toBe(1);
    await driver.manageExisting(managed, ref);
    const mb = (await backingOf(fx.session, managed.id))!;
    expect(mb.disks).toHaveLength(1);
    expect(mb.disks[0]!.capacity).toBe(GiB);
    expect((await inventory(fx.session)).vms.find((x) => x.ref.value === before.ref.value)!.disks).toHaveLength(0);
    await driver.deleteVolume(managed);
    await driver.volumeops.deleteBacking(before.ref);
  });

  it('retype changes the adapter type in one reconfiguration', async () => {
    const v = vol({ size: 1 });
    await driver.createVolume(v);
    const before = (await backingOf(fx.session, v.id))!;
    expect(await driver.retype(v, { 'vmware:adapter_type': 'busLogic' })).toBe(true);
    const b = (await backingOf(fx.session, v.id))!;
    expect(b.disks).toHaveLength(1);
    expect(b.disks[0]).toMatchObject({ path: before.disks[0]!.path, capacity: GiB, controller: 'VirtualBusLogicController' });
    expect(await driver.retype({ ...v, status: 'in-use' }, {})).toBe(false);
    await driver.deleteVolume(v);
  });

  it('retype converts the disk type by a clone that takes over the identity', async () => {
    const v = vol({ size: 1 });
    await driver.createVolume(v);
    const before = (await backingOf(fx.session, v.id))!;
    expect(await driver.retype(v, { 'vmware:vmdk_type': 'eagerZeroedThick' })).toBe(true);
    const all = (await inventory(fx.session)).vms.filter((x) => x.volumeId === v.id || x.instanceUuid === v.id || x.name.startsWith(`volume-${v.id}`));
    expect(all).toHaveLength(1); // no temporary backing left
    expect(all[0]!.ref.value).not.toBe(before.ref.value);
    expect(all[0]).toMatchObject({ name: `volume-${v.id}`, instanceUuid: v.id, volumeId: v.id, folder: 'OpenStack/Project (p1)/Volumes' });
    expect(all[0]!.disks[0]!.capacity).toBe(GiB);
    await driver.deleteVolume(v);
  });

  it('reports stats', async () => {
    expect(await driver.getVolumeStats()).toMatchObject({ vendor_name: 'VMware', storage_protocol: 'vmdk', total_capacity_gb: 'unknown' });
    const withStats = await fx.driver({ vmware_enable_volume_stats: true });
    const s = await withStats.getVolumeStats();
    expect(s.total_capacity_gb).toBeGreaterThan(0);
    expect(s.free_capacity_gb).toBeLessThanOrEqual(s.total_capacity_gb as number);
  });
});
