/** Datastore selection against the simulator: state set through its control endpoint, results read from the inventory. */
import { randomUUID } from 'node:crypto';
import { iterateObjects, listStorageProfiles, profilesOf } from '@vmkit/session';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { backingOf, startFixture } from '../test/fixture.js';
import { NoValidDatastoreError, type Volume } from './index.js';

const fx = await startFixture({ datastores: 2 });
afterEach(async () => {
  await fx.sim.control.reset();
});
afterAll(async () => {
  await fx.close();
});
const driver = await fx.driver({ vmware_lazy_create: false });
const vol = (over: Partial<Volume> = {}): Volume => ({ id: randomUUID(), size: 1, projectId: 'pp', status: 'available', ...over });
const datastoreOf = async (v: Volume) => /^\[([^\]]+)\]/.exec((await backingOf(fx.session, v.id))!.disks[0]!.path)![1]!;

describe('datastore selection', () => {
  it('skips datastores in maintenance, too full or inaccessible, and says so when nothing fits', async () => {
    await fx.sim.control.setDatastore('LocalDS_0', { maintenanceMode: 'inMaintenance' });
    const a = vol();
    await driver.createVolume(a);
    expect(await datastoreOf(a)).toBe('LocalDS_1');
    await fx.sim.control.reset();

    await fx.sim.control.setDatastore('LocalDS_1', { freeSpace: 1024 });
    const b = vol();
    await driver.createVolume(b);
    expect(await datastoreOf(b)).toBe('LocalDS_0');

    await fx.sim.control.setDatastore('LocalDS_0', { accessible: false });
    await expect(driver.createVolume(vol())).rejects.toBeInstanceOf(NoValidDatastoreError);
    await fx.sim.control.reset();
    for (const v of [a, b]) await driver.deleteVolume(v);
  });

  it('honours vmware_datastore_regex', async () => {
    const only1 = await fx.driver({ vmware_lazy_create: false, vmware_datastore_regex: 'LocalDS_1' });
    const v = vol();
    await only1.createVolume(v);
    expect(await datastoreOf(v)).toBe('LocalDS_1');
    await only1.deleteVolume(v);
  });

  it('places a volume with a storage profile on a compliant datastore and associates the profile', async () => {
    const profiles = await listStorageProfiles(fx.session);
    const name = profiles[0]!.name;
    await fx.sim.control.tagDatastore('LocalDS_1', name);
    const v = vol({ extraSpecs: { 'vmware:storage_profile': name } });
    await driver.createVolume(v);
    expect(await datastoreOf(v)).toBe('LocalDS_1');
    const b = (await backingOf(fx.session, v.id))!;
    const ids = await profilesOf(fx.session, b.ref);
    expect(ids.map((p) => p.uniqueId)).toContain(profiles[0]!.profileId.uniqueId);
    const info = await driver.initializeConnection(v, {});
    expect(info.data.profile_id).toBe(profiles[0]!.profileId.uniqueId);
    await driver.deleteVolume(v);
  });

  it('retype to a storage profile moves the volume to a compliant datastore and associates the profile', async () => {
    const profiles = await listStorageProfiles(fx.session);
    const name = profiles[0]!.name;
    const only0 = await fx.driver({ vmware_lazy_create: false, vmware_datastore_regex: 'LocalDS_0' });
    const v = vol();
    await only0.createVolume(v);
    expect(await datastoreOf(v)).toBe('LocalDS_0');
    await fx.sim.control.tagDatastore('LocalDS_1', name);
    expect(await driver.retype(v, { 'vmware:storage_profile': name })).toBe(true);
    expect(await datastoreOf(v)).toBe('LocalDS_1');
    const b = (await backingOf(fx.session, v.id))!;
    expect((await profilesOf(fx.session, b.ref)).map((p) => p.uniqueId)).toContain(profiles[0]!.profileId.uniqueId);
    expect(b.folder).toBe('OpenStack/Project (pp)/Volumes');
    // No compliant datastore: the retype is refused (false) and nothing moves.
    await fx.sim.control.reset();
    expect(await driver.retype({ ...v, extraSpecs: { 'vmware:storage_profile': name } }, { 'vmware:storage_profile': profiles[1]?.name ?? name })).toBe(false);
    expect(await datastoreOf(v)).toBe('LocalDS_1');
    await driver.deleteVolume(v);
  });

  it('reports stats over the usable datastores, or over those of vmware_storage_profile', async () => {
    const GiB = 1024 ** 3;
    const summaries = new Map<string, { capacity: number; freeSpace: number }>();
    for await (const ds of iterateObjects(fx.session, 'Datastore', ['summary'])) {
      const s = ds.props.summary as { name: string; capacity: number; freeSpace: number };
      summaries.set(s.name, s);
    }
    const all = await fx.driver({ vmware_enable_volume_stats: true });
    const total = [...summaries.values()].reduce((n, s) => n + s.capacity, 0);
    expect((await all.getVolumeStats()).total_capacity_gb).toBe(Math.round(total / GiB));
    await fx.sim.control.setDatastore('LocalDS_0', { maintenanceMode: 'inMaintenance' });
    expect((await all.getVolumeStats()).total_capacity_gb).toBe(Math.round(summaries.get('LocalDS_1')!.capacity / GiB));
    await fx.sim.control.reset();

    const name = (await listStorageProfiles(fx.session))[0]!.name;
    await fx.sim.control.tagDatastore('LocalDS_0', name);
    const byProfile = await fx.driver({ vmware_enable_volume_stats: true, vmware_storage_profile: name });
    const s = await byProfile.getVolumeStats();
    expect(s.total_capacity_gb).toBe(Math.round(summaries.get('LocalDS_0')!.capacity / GiB));
    // Free space is the host file system's, which other processes change: only its bounds are checked.
    expect(s.free_capacity_gb).toBeGreaterThan(0);
    expect(s.free_capacity_gb).toBeLessThanOrEqual(s.total_capacity_gb as number);
    expect(s.total_capacity_gb).toBeLessThan(Math.round(total / GiB)); // one datastore, not both
  });

  it("relocates the backing when the attaching instance's host cannot use its datastore", async () => {
    const v = vol();
    await driver.createVolume(v);
    const from = await datastoreOf(v);
    const to = from === 'LocalDS_0' ? 'LocalDS_1' : 'LocalDS_0';
    const instance = vol();
    await driver.createVolume(instance); // a VM on a host that sees both datastores
    const inst = (await backingOf(fx.session, instance.id))!;
    await fx.sim.control.setDatastore(from, { accessible: false });
    const info = await driver.initializeConnection(v, { instance: inst.ref.value });
    await fx.sim.control.reset();
    expect(await datastoreOf(v)).toBe(to);
    expect((await backingOf(fx.session, v.id))!.folder).toBe('OpenStack/Project (pp)/Volumes');
    expect(info.data.volume).toBe((await backingOf(fx.session, v.id))!.ref.value);
    for (const x of [v, instance]) await driver.deleteVolume(x);
  });
});
