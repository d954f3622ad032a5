/** Datastore selection against the simulator: state set through its control endpoint, results read from the inventory. */
import { randomUUID } from 'node:crypto';
import { listStorageProfiles, profilesOf } from '@vmkit/session';
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
