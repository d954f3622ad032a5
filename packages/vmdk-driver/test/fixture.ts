/**
 * Simulator fixture of the driver's integration tests: a simulator with its control endpoint, a
 * session, a driver, and an inventory read straight from the property collector (never from the
 * driver's own word).
 */
import { startSimulator, type Simulator, type SimulatorOptions } from '@vmkit/vcsim';
import { VimSession, iterateObjects, retrieveProperties } from '@vmkit/session';
import type { ManagedObjectReference, VirtualDevice } from '@vmkit/vim';
import { VmdkDriver, type VmdkDriverOptions } from '../src/index.js';

export interface Fixture {
  sim: Simulator;
  session: VimSession;
  /** Datastore types to accept: Cinder's, plus `other` while the simulator reports its local datastores as OTHER. */
  datastoreTypes: string[];
  driver(config?: Record<string, unknown>, options?: VmdkDriverOptions): Promise<VmdkDriver>;
  close(): Promise<void>;
}

export async function startFixture(options: SimulatorOptions = {}): Promise<Fixture> {
  const sim = await startSimulator({ control: true, ...options });
  const session = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
  // Gap: govmomi 0.24's local datastores report type OTHER, which Cinder's selector refuses; accept it here.
  const types: string[] = [];
  for await (const ds of iterateObjects(session, 'Datastore', ['summary.type'])) types.push(String(ds.props['summary.type']).toLowerCase());
  const datastoreTypes = ['vmfs', 'nfs', 'nfs41', 'vsan', 'vvol', ...(types.includes('other') ? ['other'] : [])];
  const drivers: VmdkDriver[] = [];
  return {
    sim,
    session,
    datastoreTypes,
    async driver(config = {}, opts = {}) {
      const d = new VmdkDriver(
        { vmware_host_ip: sim.url, vmware_host_username: sim.username, vmware_host_password: sim.password, ...config },
        { session, datastoreTypes, ...opts },
      );
      await d.doSetup();
      drivers.push(d);
      return d;
    },
    async close() {
      for (const d of drivers) await d.close();
      await session.close();
      await sim.stop();
    },
  };
}

/** One VM as the property collector reports it. */
export interface VmView {
  ref: ManagedObjectReference;
  host: ManagedObjectReference | undefined;
  name: string;
  instanceUuid: string | undefined;
  template: boolean;
  volumeId: string | undefined;
  snapshots: string[];
  /** The folder path from the datacenter's VM folder, e.g. `OpenStack/Project (p1)/Volumes`. */
  folder: string;
  disks: { path: string; capacity: number; thin: boolean; eager: boolean; parent: string | undefined; controller: string | undefined }[];
}

/** Every VM and every folder, read from the property collector. */
export async function inventory(session: VimSession): Promise<{ vms: VmView[]; folders: string[] }> {
  const folders = new Map<string, { name: string; parent: ManagedObjectReference | undefined }>();
  for await (const f of iterateObjects(session, 'Folder', ['name', 'parent'])) {
    folders.set(f.obj.value, { name: String(f.props.name), parent: f.props.parent as ManagedObjectReference | undefined });
  }
  const folderPath = (ref: ManagedObjectReference | undefined): string => {
    const parts: string[] = [];
    for (let r = ref; r !== undefined && r.type === 'Folder'; ) {
      const f = folders.get(r.value);
      if (f === undefined || f.parent?.type !== 'Folder') break; // stop at the datacenter's vm folder
      parts.unshift(f.name);
      r = f.parent;
    }
    return parts.join('/');
  };
  const vms: VmView[] = [];
  for await (const o of iterateObjects(session, 'VirtualMachine', ['name', 'runtime.host', 'config.instanceUuid', 'config.template', 'config.extraConfig', 'snapshot', 'parent', 'config.hardware.device'])) {
    const p = o.props;
    const extra = (p['config.extraConfig'] as { key: string; value: unknown }[] | undefined) ?? [];
    const names: string[] = [];
    const walk = (list: { name: string; childSnapshotList?: unknown[] }[] | undefined) => {
      for (const n of list ?? []) {
        names.push(n.name);
        walk(n.childSnapshotList as never);
      }
    };
    walk((p.snapshot as { rootSnapshotList?: never } | undefined)?.rootSnapshotList);
    const devices = (p['config.hardware.device'] as VirtualDevice[] | undefined) ?? [];
    const byKey = new Map(devices.map((d) => [d.key, d]));
    vms.push({
      ref: o.obj,
      host: p['runtime.host'] as ManagedObjectReference | undefined,
      name: String(p.name),
      instanceUuid: p['config.instanceUuid'] as string | undefined,
      template: p['config.template'] === true,
      // The last entry wins: govmomi's simulator appends a re-set key instead of replacing it.
      volumeId: extra.filter((e) => e.key === 'cinder.volume.id').at(-1)?.value as string | undefined,
      snapshots: names,
      folder: folderPath(p.parent as ManagedObjectReference | undefined),
      disks: devices
        .filter((d) => d._type === 'VirtualDisk')
        .map((d) => {
          const b = d.backing as unknown as Record<string, unknown>;
          return {
            path: String(b.fileName),
            capacity: (d as { capacityInBytes?: number; capacityInKB?: number }).capacityInBytes ?? ((d as { capacityInKB?: number }).capacityInKB ?? 0) * 1024,
            thin: b.thinProvisioned === true,
            eager: b.eagerlyScrub === true,
            parent: (b.parent as { fileName?: string } | undefined)?.fileName,
            controller: d.controllerKey === undefined ? undefined : byKey.get(d.controllerKey)?._type,
          };
        }),
    });
  }
  return { vms, folders: [...folders.keys()].map((k) => folderPath({ type: 'Folder', value: k })).filter((x) => x !== '') };
}

/** The VM whose instance UUID is the volume id. */
export async function backingOf(session: VimSession, volumeId: string): Promise<VmView | undefined> {
  return (await inventory(session)).vms.find((v) => v.instanceUuid === volumeId);
}

/** A stable digest of an inventory, for before/after comparisons. */
export function digest(inv: { vms: VmView[]; folders: string[] }): string[] {
  return [
    ...inv.vms.map((v) => `vm ${v.name} ${v.instanceUuid ?? ''} ${v.template} ${v.folder} snaps=${v.snapshots.join(',')} disks=${v.disks.map((d) => `${d.path}:${d.capacity}`).join(',')}`),
    ...inv.folders.map((f) => `folder ${f}`),
  ].sort();
}

export { retrieveProperties };
