import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { iterateObjects, retrieveMany, retrieveProperties, type VimSession } from '@vmkit/session';
import type { ManagedObjectReference, VirtualDevice, vim } from '@vmkit/vim';
import { VOLUME_ID_KEY, VolumeOps, type Volume } from '@vmkit/vmdk-driver';
import { ConflictError, VolumeNotFoundError } from './errors.js';

const GiB = 1024 ** 3;

/** One snapshot of a volume, as its backing's snapshot tree says. */
export interface SnapshotRecord {
  name: string;
  description: string;
  /** ISO time. */
  created: string | undefined;
  /** The parent snapshot's name, if any. */
  parent: string | undefined;
}

/**
 * A volume as the vCenter inventory shows it: a backing VM whose instance UUID and `cinder.volume.id`
 * are the volume id. Everything here is read through the property collector; nothing is stored locally.
 */
export interface VolumeRecord {
  id: string;
  /** The backing VM's name. */
  name: string;
  /** Capacity in GiB (rounded up). */
  sizeGb: number;
  /** Capacity in bytes. */
  capacityBytes: number;
  /** thin, thick or eagerZeroedThick; undefined when the backing has no disk. */
  type: string | undefined;
  /** The disk's controller type (lsiLogic, paraVirtual, ...). */
  adapter: string | undefined;
  /** The disk's datastore name. */
  datastore: string | undefined;
  /** `[ds] dir/file.vmdk`. */
  path: string | undefined;
  /** True when the disk is a linked clone (has a parent disk). */
  linked: boolean;
  /** The project, from the folder `OpenStack/Project (<project>)/...`. */
  project: string | undefined;
  snapshots: SnapshotRecord[];
  /** The local file of an attach on this host (`vmkit volume attach`), if the volume is attached here. */
  attachedPath: string | undefined;
  /** The backing VM (for the commands; not printed). */
  backing: ManagedObjectReference;
}

const VM_PATHS = ['name', 'config.instanceUuid', 'config.template', 'config.extraConfig', 'config.hardware.device', 'snapshot', 'parent'];

function volumeIdOf(props: Record<string, unknown>): string | undefined {
  if (props['config.template'] === true) return undefined;
  const extra = (props['config.extraConfig'] as { key: string; value?: unknown }[] | undefined) ?? [];
  const id = extra.find((o) => o.key === VOLUME_ID_KEY)?.value;
  if (typeof id !== 'string' || id === '') return undefined;
  return id;
}

function flattenSnapshots(list: readonly vim.VirtualMachineSnapshotTree[] | undefined, parent?: string): SnapshotRecord[] {
  const out: SnapshotRecord[] = [];
  for (const node of list ?? []) {
    const created = node.createTime as unknown;
    out.push({
      name: node.name,
      description: node.description ?? '',
      created: created instanceof Date ? created.toISOString() : typeof created === 'string' ? created : undefined,
      parent,
    });
    out.push(...flattenSnapshots(node.childSnapshotList, node.name));
  }
  return out;
}

/** What the folder and datastore names are, to print a record. */
interface Names {
  folders: Map<string, { name: string; parent: ManagedObjectReference | undefined }>;
  datastores: Map<string, string>;
}

function projectOf(names: Names, parent: ManagedObjectReference | undefined): string | undefined {
  for (let r = parent; r?.type === 'Folder'; ) {
    const f = names.folders.get(r.value);
    if (f === undefined) return undefined;
    const m = /^Project \((.*)\)$/.exec(f.name);
    if (m !== null) return m[1];
    r = f.parent;
  }
  return undefined;
}

/** Where `vmkit volume attach` keeps the local file of a volume: derived from its id, nothing else recorded. */
export function attachmentPath(attachDir: string, volumeId: string): string {
  return join(attachDir, `${volumeId}.vmdk`);
}

/** Options of the lookups. */
export interface LookupOptions {
  signal?: AbortSignal;
  /** The folder of this host's attachments, to tell which volumes are attached here. */
  attachDir?: string;
}

function toRecord(id: string, obj: ManagedObjectReference, props: Record<string, unknown>, names: Names, attachDir: string | undefined): VolumeRecord {
  const attached = attachDir === undefined ? undefined : attachmentPath(attachDir, id);
  const devices = (props['config.hardware.device'] as VirtualDevice[] | undefined) ?? [];
  const disk = VolumeOps.disksOf(devices)[0];
  const snapshotInfo = props.snapshot as vim.VirtualMachineSnapshotInfo | undefined;
  return {
    id,
    name: String(props.name),
    sizeGb: disk === undefined ? 0 : Math.ceil(disk.capacity / GiB),
    capacityBytes: disk?.capacity ?? 0,
    type: disk?.diskType,
    adapter: disk?.adapterType,
    datastore: (disk?.datastore === undefined ? undefined : names.datastores.get(disk.datastore.value)) ?? /^\[([^\]]*)\]/.exec(disk?.path ?? '')?.[1],
    path: disk?.path,
    linked: disk?.parentPath !== undefined,
    project: projectOf(names, props.parent as ManagedObjectReference | undefined),
    snapshots: flattenSnapshots(snapshotInfo?.rootSnapshotList),
    attachedPath: attached !== undefined && existsSync(attached) ? attached : undefined,
    backing: obj,
  };
}

async function readNames(session: VimSession, signal: AbortSignal | undefined): Promise<Names> {
  const opts = signal === undefined ? {} : { signal };
  const folders: Names['folders'] = new Map();
  for await (const f of iterateObjects(session, 'Folder', ['name', 'parent'], opts)) {
    folders.set(f.obj.value, { name: String(f.props.name), parent: f.props.parent as ManagedObjectReference | undefined });
  }
  const datastores = new Map<string, string>();
  for await (const d of iterateObjects(session, 'Datastore', ['name'], opts)) datastores.set(d.obj.value, String(d.props.name));
  return { folders, datastores };
}

/** Every volume in the inventory, by name. */
export async function listVolumes(session: VimSession, options: LookupOptions = {}): Promise<VolumeRecord[]> {
  const { signal } = options;
  const names = await readNames(session, signal);
  const out: VolumeRecord[] = [];
  for await (const o of iterateObjects(session, 'VirtualMachine', VM_PATHS, signal === undefined ? {} : { signal })) {
    const id = volumeIdOf(o.props);
    if (id !== undefined) out.push(toRecord(id, o.obj, o.props, names, options.attachDir));
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The volume with this id (its backing found by instance UUID, one round trip) or, when `ref` is not a
 * UUID, this name; {@link VolumeNotFoundError} when there is none, {@link ConflictError} when a name
 * matches more than one.
 */
export async function findVolume(session: VimSession, ops: VolumeOps, ref: string, options: LookupOptions = {}): Promise<VolumeRecord> {
  const { signal } = options;
  if (UUID.test(ref)) {
    const backing = await ops.getBacking(ref.toLowerCase());
    if (backing !== undefined) {
      const opts = signal === undefined ? {} : { signal };
      const props = await retrieveProperties(session, backing, VM_PATHS, opts);
      const id = volumeIdOf(props);
      if (id !== undefined) {
        const parents = await folderChain(session, props.parent as ManagedObjectReference | undefined, signal);
        const disk = VolumeOps.disksOf((props['config.hardware.device'] as VirtualDevice[] | undefined) ?? [])[0];
        const datastores = new Map<string, string>();
        if (disk?.datastore !== undefined) {
          const ds = await retrieveProperties(session, disk.datastore, ['name'], opts);
          datastores.set(disk.datastore.value, String(ds.name));
        }
        return toRecord(id, backing, props, { folders: parents, datastores }, options.attachDir);
      }
    }
    throw new VolumeNotFoundError(ref);
  }
  const matches = (await listVolumes(session, options)).filter((v) => v.name === ref);
  if (matches.length === 0) throw new VolumeNotFoundError(ref);
  if (matches.length > 1) throw new ConflictError(`${matches.length} volumes are named ${JSON.stringify(ref)}: give the id (${matches.map((m) => m.id).join(', ')})`);
  return matches[0]!;
}

/** The folders from `start` up to the datacenter, names and parents (a few round trips, for one volume's project). */
async function folderChain(session: VimSession, start: ManagedObjectReference | undefined, signal: AbortSignal | undefined): Promise<Names['folders']> {
  const out: Names['folders'] = new Map();
  const opts = signal === undefined ? {} : { signal };
  for (let r = start, i = 0; r?.type === 'Folder' && i < 8; i++) {
    const [p] = await retrieveMany(session, [r], ['name', 'parent'], opts);
    if (p === undefined) break;
    const parent = p.props.parent as ManagedObjectReference | undefined;
    out.set(r.value, { name: String(p.props.name), parent });
    if (/^Project \(.*\)$/.test(String(p.props.name))) break;
    r = parent;
  }
  return out;
}

/** The driver's view of a volume read from the inventory: id, name, size, project and its type as extra specs. */
export function toDriverVolume(v: VolumeRecord, extra: Partial<Volume> = {}): Volume {
  const extraSpecs: Record<string, string> = {};
  if (v.type !== undefined) extraSpecs['vmware:vmdk_type'] = v.type;
  if (v.adapter !== undefined) extraSpecs['vmware:adapter_type'] = v.adapter;
  return {
    id: v.id,
    name: v.name,
    size: v.sizeGb,
    ...(v.project === undefined ? {} : { projectId: v.project }),
    extraSpecs,
    // Attached here: in use, as Cinder would say (the driver then refuses what would break the detach).
    status: v.attachedPath === undefined ? 'available' : 'in-use',
    ...extra,
  };
}

/** The record as printed under `--json` (the backing's moref value instead of the reference). */
export function volumeJson(v: VolumeRecord): Record<string, unknown> {
  const { backing, ...rest } = v;
  return { ...rest, backing: backing.value };
}
