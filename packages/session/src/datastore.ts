import type { ManagedObjectReference, vim } from '@vmkit/vim';
import { DatastorePath, DatastoreURL } from './datastore-path.js';
import { retrieveMany, retrieveProperties, type PropertyOptions } from './properties.js';
import type { VimSession } from './session.js';

/** What a {@link Datastore} knows of itself (the summary fields Cinder's selection reads). */
export interface DatastoreInfo {
  ref: ManagedObjectReference;
  name: string;
  /** Bytes. */
  capacity?: number;
  /** Bytes. */
  freeSpace?: number;
  /** Bytes promised to thin disks but not yet used. */
  uncommitted?: number;
  /** VMFS, NFS, NFS41, CIFS, vsan, VVOL, PMEM, OTHER. */
  type?: string;
  accessible?: boolean;
  maintenanceMode?: string;
  /** The datacenter's inventory path, for `/folder` URLs. */
  datacenterPath?: string;
}

/** A datastore, after oslo.vmware's `objects.datastore.Datastore`. */
export class Datastore {
  constructor(readonly info: DatastoreInfo) {
    if (info.capacity !== undefined && info.freeSpace !== undefined && info.capacity < info.freeSpace) {
      throw new RangeError(`datastore ${info.name}: capacity ${info.capacity} is smaller than free space ${info.freeSpace}`);
    }
  }

  get ref(): ManagedObjectReference {
    return this.info.ref;
  }

  get name(): string {
    return this.info.name;
  }

  /** Reads a datastore's summary. */
  static async fetch(session: VimSession, ref: ManagedObjectReference, options: PropertyOptions & { datacenterPath?: string } = {}): Promise<Datastore> {
    const p = await retrieveProperties(session, ref, ['summary'], options);
    const s = p.summary as { name: string; capacity?: number; freeSpace?: number; uncommitted?: number; type?: string; accessible?: boolean; maintenanceMode?: string };
    return new Datastore({
      ref,
      name: s.name,
      ...(s.capacity === undefined ? {} : { capacity: s.capacity }),
      ...(s.freeSpace === undefined ? {} : { freeSpace: s.freeSpace }),
      ...(s.uncommitted === undefined ? {} : { uncommitted: s.uncommitted }),
      ...(s.type === undefined ? {} : { type: s.type }),
      ...(s.accessible === undefined ? {} : { accessible: s.accessible }),
      ...(s.maintenanceMode === undefined ? {} : { maintenanceMode: s.maintenanceMode }),
      ...(options.datacenterPath === undefined ? {} : { datacenterPath: options.datacenterPath }),
    });
  }

  /** A path on this datastore: `buildPath('vol', 'vol.vmdk')` is `[name] vol/vol.vmdk`. */
  buildPath(...parts: string[]): DatastorePath {
    return new DatastorePath(this.name, ...parts);
  }

  /** The `/folder` URL of a path on this datastore through `server`. */
  buildUrl(server: string, relPath: string, datacenterPath = this.info.datacenterPath, scheme: 'http' | 'https' = 'https'): DatastoreURL {
    if (datacenterPath === undefined) throw new RangeError(`datastore ${this.name}: a datacenter path is needed to build a URL`);
    return new DatastoreURL({ scheme, server, path: relPath, datacenterPath, datastoreName: this.name });
  }

  /** A mount is usable when it is mounted, accessible and read-write. */
  static isMountUsable(mount: vim.HostMountInfo | undefined): boolean {
    return mount !== undefined && mount.accessMode === 'readWrite' && mount.mounted !== false && mount.accessible === true;
  }

  /**
   * The hosts that can use this datastore now: mounted read-write and accessible, connected and not in
   * maintenance mode. Empty when the datastore itself is inaccessible.
   */
  async connectedHosts(session: VimSession, options: PropertyOptions = {}): Promise<ManagedObjectReference[]> {
    const p = await retrieveProperties(session, this.ref, ['summary.accessible', 'host'], options);
    if (p['summary.accessible'] === false) return [];
    const mounts = (p.host as vim.DatastoreHostMount[] | undefined) ?? [];
    const candidates = mounts.filter((m) => Datastore.isMountUsable(m.mountInfo)).map((m) => m.key);
    const runtimes = await retrieveMany(session, candidates, ['runtime.inMaintenanceMode', 'runtime.connectionState'], options);
    return runtimes
      .filter((h) => h.props['runtime.inMaintenanceMode'] !== true && (h.props['runtime.connectionState'] ?? 'connected') === 'connected')
      .map((h) => h.obj);
  }

  /** One of the hosts, chosen at random (spreading load), or undefined when there is none. */
  static chooseHost(hosts: readonly ManagedObjectReference[], random: () => number = Math.random): ManagedObjectReference | undefined {
    return hosts.length === 0 ? undefined : hosts[Math.floor(random() * hosts.length)];
  }
}
