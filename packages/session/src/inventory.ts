import type { ManagedObjectReference } from '@vmkit/vim';
import type { PropertyOptions } from './properties.js';
import type { VimSession } from './session.js';

/**
 * The object at an inventory path, such as `DC0/host/DC0_C0`, `DC0/vm/volumes` or
 * `DC0/datastore/ds1` (SearchIndex.FindByInventoryPath); undefined when nothing is there.
 */
export async function findByInventoryPath(
  session: VimSession,
  path: string,
  options: PropertyOptions = {},
): Promise<ManagedObjectReference | undefined> {
  return session.invoke('FindByInventoryPath', session.serviceContent.searchIndex!, { inventoryPath: path }, options);
}

/** The kinds of object {@link findInDatacenter} looks up, and the datacenter folder each lives in. */
const folders = {
  Folder: 'vm',
  VirtualMachine: 'vm',
  ClusterComputeResource: 'host',
  ComputeResource: 'host',
  HostSystem: 'host',
  ResourcePool: 'host',
  Datastore: 'datastore',
} as const;

/**
 * An object of a kind by its path inside a datacenter: a folder or VM under `vm/`, a cluster, host or
 * resource pool under `host/` (a cluster's root pool is `<cluster>/Resources`), a datastore under
 * `datastore/`. Undefined when absent or of another type.
 */
export async function findInDatacenter(
  session: VimSession,
  datacenterPath: string,
  kind: keyof typeof folders,
  relativePath: string,
  options: PropertyOptions = {},
): Promise<ManagedObjectReference | undefined> {
  const ref = await findByInventoryPath(session, `${datacenterPath}/${folders[kind]}/${relativePath}`, options);
  if (ref === undefined) return undefined;
  if (kind === 'HostSystem' && ref.type === 'ComputeResource') return undefined; // a standalone host's parent
  return ref.type === kind ? ref : undefined;
}

/** The datacenter at a path (`DC0`, or `folder/DC0` when it sits in folders). */
export async function findDatacenter(session: VimSession, path: string, options: PropertyOptions = {}): Promise<ManagedObjectReference | undefined> {
  const ref = await findByInventoryPath(session, path, options);
  return ref?.type === 'Datacenter' ? ref : undefined;
}

/**
 * The VM whose instance UUID (or, with `instanceUuid: false`, BIOS UUID) is `uuid`, optionally within a
 * datacenter: the lookup Cinder makes for a volume's shadow VM. Undefined when there is none.
 */
export async function findVmByUuid(
  session: VimSession,
  uuid: string,
  options: PropertyOptions & { datacenter?: ManagedObjectReference; instanceUuid?: boolean } = {},
): Promise<ManagedObjectReference | undefined> {
  return session.invoke(
    'FindByUuid',
    session.serviceContent.searchIndex!,
    {
      uuid,
      vmSearch: true,
      instanceUuid: options.instanceUuid ?? true,
      ...(options.datacenter === undefined ? {} : { datacenter: options.datacenter }),
    },
    options.signal === undefined ? {} : { signal: options.signal },
  );
}
