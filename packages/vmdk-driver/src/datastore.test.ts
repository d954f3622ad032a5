import type { ManagedObjectReference, vim } from '@vmkit/vim';
import { describe, expect, it } from 'vitest';
import { chooseDatastore, filterDatastores, type DatastoreCandidate, type HostCandidate, type SelectionInventory } from './datastore.js';

const GiB = 1024 ** 3;
const host = (v: string): ManagedObjectReference => ({ type: 'HostSystem', value: v });
const mount = (h: string, over: Partial<vim.HostMountInfo> = {}): vim.DatastoreHostMount =>
  ({ key: host(h), mountInfo: { accessMode: 'readWrite', mounted: true, accessible: true, ...over } });
function ds(name: string, free: number, mounts: vim.DatastoreHostMount[], over: Partial<vim.DatastoreSummary> = {}): DatastoreCandidate {
  const ref = { type: 'Datastore', value: name };
  return { ref, mounts, summary: { datastore: ref, name, url: `ds:///${name}`, capacity: 100 * GiB, freeSpace: free, accessible: true, type: 'VMFS', maintenanceMode: 'normal', multipleHostAccess: true, ...over } };
}
function inventory(datastores: DatastoreCandidate[], hosts: Partial<Record<string, Partial<HostCandidate>>> = {}): SelectionInventory {
  const names = new Set(datastores.flatMap((d) => d.mounts.map((m) => m.key.value)));
  const map = new Map<string, HostCandidate>();
  for (const h of names) map.set(h, { ref: host(h), connectionState: 'connected', inMaintenanceMode: false, parent: { type: 'ComputeResource', value: 'cr' }, ...hosts[h] });
  return { datastores, hosts: map, pools: new Map([['cr', { type: 'ResourcePool', value: 'rp' }]]) };
}

describe('filterDatastores', () => {
  it('applies regex, size, type, accessibility, maintenance, hosts and anti-affinity', () => {
    const all = [
      ds('ds-a', 50 * GiB, [mount('h1')]),
      ds('ds-small', 1 * GiB, [mount('h1')]),
      ds('ds-other', 50 * GiB, [mount('h1')], { type: 'OTHER' }),
      ds('ds-gone', 50 * GiB, [mount('h1')], { accessible: false }),
      ds('ds-maint', 50 * GiB, [mount('h1')], { maintenanceMode: 'inMaintenance' }),
      ds('ds-h2', 50 * GiB, [mount('h2')]),
      ds('x-ds', 50 * GiB, [mount('h1')]),
      ds('ds-empty', 0, [mount('h1')], { capacity: 0 }),
    ];
    const inv = inventory(all);
    const names = (c: DatastoreCandidate[]) => c.map((d) => d.summary.name);
    expect(names(filterDatastores(inv, { sizeBytes: 10 * GiB }))).toEqual(['ds-a', 'ds-h2', 'x-ds']);
    expect(names(filterDatastores(inv, { sizeBytes: 10 * GiB }, { regex: /ds-/ }))).toEqual(['ds-a', 'ds-h2']);
    expect(names(filterDatastores(inv, { sizeBytes: 10 * GiB, hosts: [host('h2')] }))).toEqual(['ds-h2']);
    expect(names(filterDatastores(inv, { sizeBytes: 10 * GiB, antiAffinity: ['ds-a'] }))).toEqual(['ds-h2', 'x-ds']);
    expect(names(filterDatastores(inv, { sizeBytes: 10 * GiB }, { allowedTypes: ['vmfs', 'other'] }))).toContain('ds-other');
    expect(names(filterDatastores(inv, { sizeBytes: 10 * GiB, types: ['nfs'] }))).toEqual([]);
  });
});

describe('chooseDatastore', () => {
  it('prefers the most hosts, then the least used, and a usable host', () => {
    const few = ds('few', 90 * GiB, [mount('h1')]);
    const many = ds('many', 20 * GiB, [mount('h1'), mount('h2'), mount('h3', { accessible: false })]);
    const manyFree = ds('many-free', 60 * GiB, [mount('h1'), mount('h2'), mount('h4')]);
    const inv = inventory([few, many, manyFree], { h2: { inMaintenanceMode: true }, h4: { connectionState: 'disconnected' } });
    const choice = chooseDatastore(inv, [few, many, manyFree], undefined, () => 0)!;
    expect(choice.datastore.value).toBe('many-free');
    expect(choice.host.value).toBe('h1');
    expect(choice.resourcePool.value).toBe('rp');
  });

  it('skips a datastore none of whose hosts is usable, and honours the host list', () => {
    const a = ds('a', 50 * GiB, [mount('h1'), mount('h2')]);
    const b = ds('b', 10 * GiB, [mount('h3')]);
    const inv = inventory([a, b], { h1: { inMaintenanceMode: true }, h2: { connectionState: 'notResponding' } });
    expect(chooseDatastore(inv, [a, b])?.datastore.value).toBe('b');
    expect(chooseDatastore(inv, [a, b], [host('h1')])).toBeUndefined();
  });
});
