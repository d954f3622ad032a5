import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datastore } from './datastore.js';
import { DatastoreURL } from './datastore-path.js';
import { findDatacenter, findInDatacenter, findVmByUuid } from './inventory.js';
import { listStorageProfiles, profileIdByName } from './pbm.js';
import { iterateObjects, retrieveProperties } from './properties.js';
import { VimSession } from './session.js';
import { acquireGenericServiceTicket } from './tickets.js';

let sim: Simulator;
let s: VimSession;
beforeAll(async () => {
  sim = await startSimulator();
  s = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
}, 300_000);
afterAll(async () => {
  await s?.close();
  await sim?.stop();
});

describe('inventory lookups', () => {
  it('finds a datacenter, cluster, host, resource pool, datastore and folder by path', async () => {
    const dc = await findDatacenter(s, 'DC0');
    expect(dc?.type).toBe('Datacenter');
    expect((await findInDatacenter(s, 'DC0', 'ClusterComputeResource', 'DC0_C0'))?.type).toBe('ClusterComputeResource');
    expect((await findInDatacenter(s, 'DC0', 'ResourcePool', 'DC0_C0/Resources'))?.type).toBe('ResourcePool');
    expect((await findInDatacenter(s, 'DC0', 'HostSystem', 'DC0_C0/DC0_C0_H0'))?.type).toBe('HostSystem');
    expect((await findInDatacenter(s, 'DC0', 'Datastore', 'LocalDS_0'))?.type).toBe('Datastore');
    expect(await findInDatacenter(s, 'DC0', 'Datastore', 'no-such-ds')).toBeUndefined();
    expect(await findDatacenter(s, 'DC0/vm')).toBeUndefined();
  });

  it('finds a VM by its instance UUID', async () => {
    let found: { obj: { type: string; value: string }; props: Record<string, unknown> } | undefined;
    for await (const o of iterateObjects(s, 'VirtualMachine', ['config.instanceUuid'])) {
      found = o;
      break;
    }
    const uuid = found!.props['config.instanceUuid'] as string;
    expect(await findVmByUuid(s, uuid)).toEqual(found!.obj);
    expect(await findVmByUuid(s, '00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });
});

describe('Datastore', () => {
  it('reads its summary, lists usable hosts and builds paths and URLs', async () => {
    const ref = (await findInDatacenter(s, 'DC0', 'Datastore', 'LocalDS_0'))!;
    const ds = await Datastore.fetch(s, ref, { datacenterPath: 'DC0' });
    expect(ds.name).toBe('LocalDS_0');
    expect(ds.info.capacity).toBeGreaterThan(0);
    expect(ds.info.freeSpace).toBeLessThanOrEqual(ds.info.capacity!);
    const hosts = await ds.connectedHosts(s);
    expect(hosts.length).toBeGreaterThan(0);
    expect(hosts.every((h) => h.type === 'HostSystem')).toBe(true);
    expect(Datastore.chooseHost(hosts, () => 0)).toEqual(hosts[0]);
    expect(Datastore.chooseHost([])).toBeUndefined();
    expect(ds.buildPath('vol', 'vol.vmdk').toString()).toBe('[LocalDS_0] vol/vol.vmdk');
    expect(ds.buildUrl('h:443', 'vol/vol.vmdk').toString()).toBe('https://h:443/folder/vol/vol.vmdk?dcPath=DC0&dsName=LocalDS_0');
  });

  it('refuses a capacity below the free space', () => {
    expect(() => new Datastore({ ref: { type: 'Datastore', value: 'd' }, name: 'd', capacity: 1, freeSpace: 2 })).toThrow(RangeError);
  });
});

describe('tickets and PBM', () => {
  it('acquires a generic service ticket for a /folder URL', async () => {
    const url = new DatastoreURL({ scheme: 'http', server: new URL(sim.url).host, path: 'x', datacenterPath: 'DC0', datastoreName: 'LocalDS_0' });
    const t = await acquireGenericServiceTicket(s, url, 'httpGet');
    expect(t.id).not.toBe('');
    expect(t.cookie).toBe(`vmware_cgi_ticket="${t.id}"`);
  });

  it('lists storage profiles and finds one by name', async () => {
    const profiles = await listStorageProfiles(s);
    expect(profiles.length).toBeGreaterThan(0);
    const name = profiles[0]!.name;
    expect(await profileIdByName(s, name)).toEqual(profiles[0]!.profileId);
    expect(await profileIdByName(s, 'no such profile')).toBeUndefined();
  });

  it('reads a property with its managed type', async () => {
    const p = await retrieveProperties(s, s.serviceContent.rootFolder, ['name']);
    expect(p.name).toBeDefined();
  });
});
