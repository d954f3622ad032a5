import { diskVmConfigSpec } from '@vmkit/testkit';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSchema } from './default-schema.js';
import { InvalidLoginError, ManagedObjectNotFoundError, NotAuthenticatedError, VimConnectionError, type VimFaultError } from './errors.js';
import type { ManagedObjectReference, ServiceContent } from './generated/types.js';
import { VimClient } from './transport/client.js';
import { PbmClient } from './transport/pbm.js';

const SI = { type: 'ServiceInstance', value: 'ServiceInstance' };
let sim: Simulator;
let client: VimClient;
let content: ServiceContent;

beforeAll(async () => {
  sim = await startSimulator();
  client = await VimClient.create({ url: sim.url, schema: defaultSchema });
  content = await client.invoke('RetrieveServiceContent', SI);
  await client.invoke('Login', content.sessionManager!, { userName: sim.username, password: sim.password });
}, 300_000);
afterAll(async () => {
  await client?.invoke('Logout', content.sessionManager!).catch(() => undefined);
  await client?.close();
  await sim?.stop();
});

/** The values of the given properties of one object, by path. */
async function props(obj: ManagedObjectReference, pathSet: string[]): Promise<Record<string, unknown>> {
  const r = await client.invoke('RetrievePropertiesEx', content.propertyCollector, {
    specSet: [{ propSet: [{ type: obj.type, pathSet }], objectSet: [{ obj }] }],
    options: {},
  });
  return Object.fromEntries((r?.objects[0]?.propSet ?? []).map((p) => [p.name, p.val]));
}

async function waitTask(task: ManagedObjectReference): Promise<Record<string, unknown>> {
  for (;;) {
    const info = (await props(task, ['info'])).info as Record<string, unknown>;
    if (info.state === 'success' || info.state === 'error') return info;
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe('VimClient against the simulator', { timeout: 30_000 }, () => {
  it('negotiates the version and retrieves the service content', () => {
    expect(client.version).toMatch(/^\d+\.\d+/);
    expect(content._type).toBe('ServiceContent');
    expect(content.about.apiType).toBe('VirtualCenter');
    expect(content.rootFolder).toEqual({ type: 'Folder', value: expect.any(String) as string });
    expect(client.sessionCookie).toBeDefined();
  });

  it('retrieves properties over the inventory with a traversal spec', async () => {
    const view = await client.invoke('CreateContainerView', content.viewManager!, {
      container: content.rootFolder,
      type: ['VirtualMachine'],
      recursive: true,
    });
    const r = await client.invoke('RetrievePropertiesEx', content.propertyCollector, {
      specSet: [
        {
          propSet: [{ type: 'VirtualMachine', pathSet: ['name', 'runtime.powerState', 'config.hardware.device'] }],
          objectSet: [{ obj: view, skip: true, selectSet: [{ _type: 'TraversalSpec', name: 'v', type: 'ContainerView', path: 'view', skip: false }] }],
        },
      ],
      options: {},
    });
    await client.invoke('DestroyView', view);
    expect(r?.objects.length).toBeGreaterThan(0);
    for (const o of r?.objects ?? []) {
      expect(o.obj.type).toBe('VirtualMachine');
      const p = Object.fromEntries((o.propSet ?? []).map((x) => [x.name, x.val]));
      expect(typeof p.name).toBe('string');
      expect(['poweredOn', 'poweredOff', 'suspended']).toContain(p['runtime.powerState']);
      const devices = p['config.hardware.device'] as { _type: string }[];
      expect(Array.isArray(devices)).toBe(true);
      expect(devices.some((d) => d._type === 'VirtualDisk')).toBe(true);
    }
  });

  it('creates a VM with a controller and a disk', async () => {
    const dc = ((await props(content.rootFolder, ['childEntity'])).childEntity as ManagedObjectReference[]).find((e) => e.type === 'Datacenter')!;
    const p = await props(dc, ['vmFolder', 'datastore']);
    const ds = (p.datastore as ManagedObjectReference[])[0]!;
    const dsName = (await props(ds, ['name'])).name as string;
    const pool = await client.invoke('FindByInventoryPath', content.searchIndex!, { inventoryPath: 'DC0/host/DC0_C0/Resources' });
    const task = await client.invoke('CreateVM_Task', p.vmFolder as ManagedObjectReference, {
      config: diskVmConfigSpec({ name: 'vmkit-integ', capacityInKB: 1024, datastore: dsName, numCPUs: 1, memoryMB: 64 }),
      pool: pool!,
    });
    expect(task.type).toBe('Task');
    const info = await waitTask(task);
    expect(info.state).toBe('success');
    const vm = info.result as ManagedObjectReference;
    expect(vm.type).toBe('VirtualMachine');
    const devices = (await props(vm, ['config.hardware.device']))['config.hardware.device'] as { _type: string; capacityInKB?: number }[];
    expect(devices.find((d) => d._type === 'VirtualDisk')?.capacityInKB).toBe(1024);
    expect(devices.some((d) => d._type === 'VirtualLsiLogicController')).toBe(true);
    expect((await waitTask(await client.invoke('Destroy_Task', vm))).state).toBe('success');
  });

  it('decodes faults into typed errors: ManagedObjectNotFound, InvalidLogin, NotAuthenticated', async () => {
    const missing = client.invoke('RetrievePropertiesEx', content.propertyCollector, {
      specSet: [{ propSet: [{ type: 'VirtualMachine', pathSet: ['name'] }], objectSet: [{ obj: { type: 'VirtualMachine', value: 'vm-nope' } }] }],
      options: {},
    });
    await expect(missing).rejects.toBeInstanceOf(ManagedObjectNotFoundError);

    const other = await VimClient.create({ url: sim.url, schema: defaultSchema });
    try {
      await expect(other.invoke('RetrieveServiceContent', SI)).resolves.toMatchObject({ _type: 'ServiceContent' });
      const bad = other.invoke('Login', content.sessionManager!, { userName: sim.username, password: 'wrong-secret-42' });
      await expect(bad).rejects.toBeInstanceOf(InvalidLoginError);
      const err = (await bad.catch((e: unknown) => e)) as VimFaultError;
      expect(err.message).not.toContain('wrong-secret-42');
      expect(JSON.stringify(err.fault)).not.toContain('wrong-secret-42');
      await expect(other.invoke('CreateContainerView', content.viewManager!, { container: content.rootFolder, type: [], recursive: true })).rejects.toBeInstanceOf(
        NotAuthenticatedError,
      );
    } finally {
      await other.close();
    }
  });

  it('talks to PBM at /pbm with the vCenter session', async () => {
    const pbm = await new PbmClient(client).serviceContent();
    expect(pbm._type).toBe('PbmServiceInstanceContent');
    const ids = (await client.invoke('PbmQueryProfile', pbm.profileManager, { resourceType: { resourceType: 'STORAGE' } })) ?? [];
    expect(ids.length).toBeGreaterThan(0);
    const profiles = (await client.invoke('PbmRetrieveContent', pbm.profileManager, { profileIds: ids })) ?? [];
    expect(profiles.map((x) => x.name).length).toBe(ids.length);
  });

  it('decodes a large answer whose multi-byte characters fall across the pieces it arrives in', async () => {
    const vm = (await client.invoke('FindByInventoryPath', content.searchIndex!, { inventoryPath: 'DC0/vm/DC0_H0_VM0' }))!;
    // ~250 KB of 2-, 3- and 4-byte characters: the answer comes in several pieces, cut inside characters.
    const annotation = Array.from({ length: 20_000 }, (_, i) => `\u00e9\u263a\u{1f600}${String.fromCharCode(0x4e00 + (i % 500))}`).join('');
    const before = (await props(vm, ['config.annotation']))['config.annotation'];
    expect((await waitTask(await client.invoke('ReconfigVM_Task', vm, { spec: { annotation } }))).state).toBe('success');
    try {
      expect((await props(vm, ['config.annotation']))['config.annotation']).toBe(annotation);
    } finally {
      await waitTask(await client.invoke('ReconfigVM_Task', vm, { spec: { annotation: typeof before === 'string' ? before : '' } }));
    }
  });

  it('reports a refused connection as one that never reached the server', async () => {
    const dead = VimClient.create({ url: 'http://127.0.0.1:9/sdk', schema: defaultSchema });
    await expect(dead).rejects.toBeInstanceOf(VimConnectionError);
    await expect(dead).rejects.toMatchObject({ mayHaveReachedServer: false });
  });
});
