import type { ManagedObjectReference, VirtualDevice, VirtualDisk, vim } from '@vmkit/vim';
import { findFault } from '@vmkit/vim';
import { type DatastorePath, findByInventoryPath, retrieveMany, retrieveProperties, waitForTask, type VimSession } from '@vmkit/session';
import type { AdapterType } from './config.js';
import { InvalidVolumeError } from './errors.js';
import type { DiskType } from './specs.js';

/** The extraConfig key holding a backing's volume id (Cinder's `cinder.volume.id`). */
export const VOLUME_ID_KEY = 'cinder.volume.id';

/** A storage profile id as PBM returns it. */
export type ProfileId = vim.PbmProfileId;

/** The controller device type of an adapter type (Cinder's `ControllerType`). */
const controllerTypes: Record<AdapterType, string> = {
  lsiLogic: 'VirtualLsiLogicController',
  busLogic: 'VirtualBusLogicController',
  lsiLogicsas: 'VirtualLsiLogicSASController',
  paraVirtual: 'ParaVirtualSCSIController',
  ide: 'VirtualIDEController',
};

/** The adapter type of a controller device type; undefined for a controller the driver does not create. */
export function adapterTypeOfController(type: string): AdapterType | undefined {
  for (const [adapter, controller] of Object.entries(controllerTypes)) if (controller === type) return adapter as AdapterType;
  return undefined;
}

/** What {@link VolumeOps.getDiskInfo} reports about a backing's (first) disk. */
export interface DiskInfo {
  /** The device key. */
  key: number;
  /** `[ds] dir/name.vmdk`. */
  path: string;
  /** Bytes. */
  capacity: number;
  /** The provisioning as the backing says it. */
  diskType: DiskType;
  /** The device key of its controller. */
  controllerKey: number;
  /** The adapter type of its controller, when known. */
  adapterType: AdapterType | undefined;
  /** The disk's datastore. */
  datastore: ManagedObjectReference | undefined;
  /** The disk's UUID (`backing.uuid`), when the server reports one. */
  uuid: string | undefined;
  /** The disk's parent (a linked clone's base), if any. */
  parentPath: string | undefined;
  /** The device as the server reported it (edited and re-sent by extend and adapter changes). */
  device: VirtualDisk;
}

/** What a backing is asked to be by {@link VolumeOps.createBacking}. */
export interface CreateBackingSpec {
  /** The VM's name (Cinder: the volume's name). */
  name: string;
  /** Disk size in KiB; omitted for a disk-less backing. */
  sizeKb?: number;
  diskType?: DiskType;
  adapterType?: AdapterType;
  folder: ManagedObjectReference;
  resourcePool: ManagedObjectReference;
  host?: ManagedObjectReference;
  datastoreName: string;
  profileId?: ProfileId;
  /** The instance UUID (Cinder: the volume id), for lookup with FindByUuid. */
  instanceUuid?: string;
  /** extraConfig entries (`cinder.volume.id`). */
  extraConfig?: Readonly<Record<string, string>>;
}

/** How {@link VolumeOps.cloneBacking} clones. */
export interface CloneBackingSpec {
  name: string;
  /** `full` copies the disks; `linked` makes child disks on the snapshot (needs `snapshot`). */
  cloneType: 'full' | 'linked';
  snapshot?: ManagedObjectReference;
  datastore?: ManagedObjectReference;
  /** Provisioning of the clone's disk (full clones only). */
  diskType?: DiskType;
  host?: ManagedObjectReference;
  resourcePool?: ManagedObjectReference;
  folder?: ManagedObjectReference;
  instanceUuid?: string;
  extraConfig?: Readonly<Record<string, string>>;
  profileId?: ProfileId;
  /** Only these disks (device keys) are cloned; the others are removed from the clone. */
  diskKeys?: readonly number[];
}

/** Options of {@link VolumeOps}. */
export interface VolumeOpsOptions {
  /** How long a single task may run, in ms (default 1 hour). */
  taskTimeoutMs?: number;
  /** Objects per property-collector page (Cinder's `vmware_max_objects_retrieval`). */
  maxObjects?: number;
  signal?: AbortSignal;
}

function backingInfo(diskType: DiskType | undefined, fileName = ''): Record<string, unknown> {
  return {
    _type: 'VirtualDiskFlatVer2BackingInfo',
    fileName,
    diskMode: 'persistent',
    ...(diskType === 'thin' ? { thinProvisioned: true } : diskType === undefined ? {} : { thinProvisioned: false }),
    ...(diskType === 'eagerZeroedThick' ? { eagerlyScrub: true } : {}),
  };
}

function optionValues(extra: Readonly<Record<string, string>> | undefined): { key: string; value: unknown }[] | undefined {
  if (extra === undefined) return undefined;
  return Object.entries(extra).map(([key, value]) => ({ _type: 'OptionValue', key, value }) as never);
}

function profileSpec(profileId: ProfileId | undefined): Record<string, unknown>[] | undefined {
  return profileId === undefined ? undefined : [{ _type: 'VirtualMachineDefinedProfileSpec', profileId: profileId.uniqueId }];
}

function isDisk(d: VirtualDevice): d is VirtualDisk {
  return d._type === 'VirtualDisk';
}

/** The disk type a disk's backing says. */
function diskTypeOf(backing: Record<string, unknown> | undefined): DiskType {
  if (backing?.thinProvisioned === true) return 'thin';
  if (backing?.eagerlyScrub === true) return 'eagerZeroedThick';
  return 'thick';
}

/**
 * The vSphere operations the driver is made of, one call each, after Cinder's `VMwareVolumeOps`:
 * backings (the shadow VMs), their disks, snapshots, clones, relocations, folders and templates. Each
 * method makes the round trips it says and waits for its task; it never cleans up after itself, that is
 * the caller's part (the driver).
 */
export class VolumeOps {
  private readonly folderCache = new Map<string, Promise<ManagedObjectReference>>();
  private readonly dcCache = new Map<string, Promise<{ ref: ManagedObjectReference; name: string; vmFolder: ManagedObjectReference }>>();
  private readonly poolCache = new Map<string, Promise<ManagedObjectReference>>();

  constructor(
    readonly session: VimSession,
    private readonly options: VolumeOpsOptions = {},
  ) {}

  private call(): { signal?: AbortSignal } {
    return this.options.signal === undefined ? {} : { signal: this.options.signal };
  }

  /** Waits for a task and returns its result. */
  async wait(task: ManagedObjectReference): Promise<unknown> {
    return waitForTask(this.session, task, { timeoutMs: this.options.taskTimeoutMs ?? 3_600_000, ...this.call() });
  }

  // ---- lookups ----

  /** The backing whose instance UUID is the volume id (Cinder's `get_backing`): FindAllByUuid, one round trip. */
  async getBacking(volumeId: string): Promise<ManagedObjectReference | undefined> {
    const found = await this.session.invoke('FindAllByUuid', this.session.serviceContent.searchIndex!, { uuid: volumeId, vmSearch: true, instanceUuid: true }, this.call());
    return found?.[0];
  }

  /** The entity at an inventory path (`DC0/vm/OpenStack/...`), or undefined. */
  async getEntityByInventoryPath(path: string): Promise<ManagedObjectReference | undefined> {
    return findByInventoryPath(this.session, path, this.call());
  }

  /** A VM's host (`runtime.host`). */
  async getHost(vm: ManagedObjectReference): Promise<ManagedObjectReference | undefined> {
    const p = await retrieveProperties(this.session, vm, ['runtime.host'], this.call());
    return p['runtime.host'] as ManagedObjectReference | undefined;
  }

  /**
   * The datacenter an entity lives in, with its name and VM folder: one round trip (a traversal up the
   * `parent` chain), cached per entity.
   */
  getDatacenter(entity: ManagedObjectReference): Promise<{ ref: ManagedObjectReference; name: string; vmFolder: ManagedObjectReference }> {
    const key = `${entity.type}:${entity.value}`;
    let hit = this.dcCache.get(key);
    if (hit === undefined) {
      hit = this.fetchDatacenter(entity);
      this.dcCache.set(key, hit);
      hit.catch(() => this.dcCache.delete(key));
    }
    return hit;
  }

  private async fetchDatacenter(entity: ManagedObjectReference): Promise<{ ref: ManagedObjectReference; name: string; vmFolder: ManagedObjectReference }> {
    if (entity.type === 'Datacenter') {
      const p = await retrieveProperties(this.session, entity, ['name', 'vmFolder'], this.call());
      return { ref: entity, name: p.name as string, vmFolder: p.vmFolder as ManagedObjectReference };
    }
    const result = await this.session.invoke(
      'RetrievePropertiesEx',
      this.session.serviceContent.propertyCollector,
      {
        specSet: [
          {
            propSet: [{ type: 'Datacenter', pathSet: ['name', 'vmFolder'] }],
            objectSet: [
              {
                obj: entity,
                skip: true,
                selectSet: [{ _type: 'TraversalSpec', name: 'up', type: 'ManagedEntity', path: 'parent', skip: false, selectSet: [{ name: 'up' }] }],
              },
            ],
          },
        ],
        options: {},
      },
      this.call(),
    );
    const dc = (result?.objects ?? []).find((o) => o.obj.type === 'Datacenter');
    if (dc === undefined) throw new InvalidVolumeError(`${entity.type} ${entity.value} is in no datacenter`);
    const props = Object.fromEntries((dc.propSet ?? []).map((p) => [p.name, p.val]));
    return { ref: dc.obj, name: props.name as string, vmFolder: props.vmFolder as ManagedObjectReference };
  }

  /** The root resource pool of a host's compute resource, cached (two round trips the first time). */
  resourcePoolOfHost(host: ManagedObjectReference): Promise<ManagedObjectReference> {
    let hit = this.poolCache.get(host.value);
    if (hit === undefined) {
      hit = (async () => {
        const p = await retrieveProperties(this.session, host, ['parent'], this.call());
        const cr = p.parent as ManagedObjectReference;
        const q = await retrieveProperties(this.session, cr, ['resourcePool'], this.call());
        return q.resourcePool as ManagedObjectReference;
      })();
      this.poolCache.set(host.value, hit);
      hit.catch(() => this.poolCache.delete(host.value));
    }
    return hit;
  }

  /** Remembers a host's resource pool learnt elsewhere (datastore selection reads them in bulk). */
  rememberResourcePool(host: ManagedObjectReference, pool: ManagedObjectReference): void {
    if (!this.poolCache.has(host.value)) this.poolCache.set(host.value, Promise.resolve(pool));
  }

  // ---- folders ----

  /**
   * Creates a folder under `parent`, or returns the existing one of that name (Cinder's
   * `create_folder`): a concurrent creator's DuplicateName fault names the winner's folder, so the race
   * costs no extra round trip.
   */
  async createFolder(parent: ManagedObjectReference, name: string): Promise<ManagedObjectReference> {
    try {
      return await this.session.invoke('CreateFolder', parent, { name }, this.call());
    } catch (err) {
      const dup = findFault(err, 'DuplicateName');
      const existing = dup?.fault.object as ManagedObjectReference | undefined;
      if (dup === undefined) throw err;
      // vCenter names the existing folder; some servers (govmomi's simulator) name the parent instead.
      if (existing !== undefined && existing.type === 'Folder' && existing.value !== parent.value) return existing;
      const found = await this.childFolder(parent, name);
      if (found === undefined) throw err;
      return found;
    }
  }

  private async childFolder(parent: ManagedObjectReference, name: string): Promise<ManagedObjectReference | undefined> {
    const p = await retrieveProperties(this.session, parent, ['childEntity'], this.call());
    const children = ((p.childEntity as ManagedObjectReference[] | undefined) ?? []).filter((c) => c.type === 'Folder');
    const named = await retrieveMany(this.session, children, ['name'], this.call());
    return named.find((c) => decodeURIComponent(String(c.props.name)) === name)?.obj;
  }

  /**
   * The VM folder at `names` under a datacenter's VM folder, created as needed (Cinder's
   * `create_vm_inventory_folder`). Cached; concurrent callers for one path share one creation.
   */
  createVmInventoryFolder(datacenter: { ref: ManagedObjectReference; vmFolder: ManagedObjectReference }, names: readonly string[]): Promise<ManagedObjectReference> {
    let parent: Promise<ManagedObjectReference> = Promise.resolve(datacenter.vmFolder);
    let path = datacenter.ref.value;
    for (const name of names) {
      path = `${path}/${name}`;
      let hit = this.folderCache.get(path);
      if (hit === undefined) {
        const key = path;
        hit = parent.then((p) => this.createFolder(p, name));
        this.folderCache.set(key, hit);
        hit.catch(() => this.folderCache.delete(key));
      }
      parent = hit;
    }
    return parent;
  }

  /** Forgets cached folders (after a folder was deleted behind the driver's back). */
  forgetFolders(): void {
    this.folderCache.clear();
  }

  // ---- backings ----

  /** The config spec of a backing VM (Cinder's `get_create_spec`): 128 MiB, 1 vCPU, otherGuest, vmx-08. */
  createSpec(spec: CreateBackingSpec): Record<string, unknown> {
    const devices: Record<string, unknown>[] = [];
    if (spec.sizeKb !== undefined) {
      const adapter = spec.adapterType ?? 'lsiLogic';
      let controllerKey = 200; // the VM's default IDE controller
      if (adapter !== 'ide') {
        controllerKey = -100;
        devices.push({ operation: 'add', device: { _type: controllerTypes[adapter], key: controllerKey, busNumber: 0, sharedBus: 'noSharing', scsiCtlrUnitNumber: 7 } });
      }
      // The controller goes first: a server may apply the changes in order.
      devices.push({
        operation: 'add',
        fileOperation: 'create',
        device: {
          _type: 'VirtualDisk',
          key: controllerKey - 1,
          controllerKey,
          unitNumber: 0,
          capacityInKB: Math.max(1024, Math.ceil(spec.sizeKb)),
          backing: backingInfo(spec.diskType ?? 'thin'),
        },
        ...(spec.profileId === undefined ? {} : { profile: profileSpec(spec.profileId) }),
      });
    }
    return {
      name: spec.name,
      version: 'vmx-08',
      guestId: 'otherGuest',
      numCPUs: 1,
      memoryMB: 128,
      ...(spec.instanceUuid === undefined ? {} : { instanceUuid: spec.instanceUuid }),
      files: { vmPathName: `[${spec.datastoreName}]` },
      ...(devices.length === 0 ? {} : { deviceChange: devices }),
      ...(spec.extraConfig === undefined ? {} : { extraConfig: optionValues(spec.extraConfig) }),
      ...(spec.profileId === undefined ? {} : { vmProfile: profileSpec(spec.profileId) }),
    };
  }

  /** Creates a backing VM with one disk, or none when `sizeKb` is omitted (Cinder's `create_backing`): CreateVM_Task. */
  async createBacking(spec: CreateBackingSpec): Promise<ManagedObjectReference> {
    const task = await this.session.invoke(
      'CreateVM_Task',
      spec.folder,
      { config: this.createSpec(spec), pool: spec.resourcePool, ...(spec.host === undefined ? {} : { host: spec.host }) },
      this.call(),
    );
    return (await this.wait(task)) as ManagedObjectReference;
  }

  /** Destroys a backing or template with its files (Cinder's `delete_backing`): Destroy_Task. */
  async deleteBacking(vm: ManagedObjectReference): Promise<void> {
    await this.wait(await this.session.invoke('Destroy_Task', vm, {}, this.call()));
  }

  /** The backing's datastore (the first of `datastore`). */
  async getDatastore(vm: ManagedObjectReference): Promise<ManagedObjectReference | undefined> {
    const p = await retrieveProperties(this.session, vm, ['datastore'], this.call());
    return (p.datastore as ManagedObjectReference[] | undefined)?.[0];
  }

  /** Where a backing is: its datastore, resource pool, host and folder (one round trip), to move it back after a failure. */
  async getPlacement(vm: ManagedObjectReference): Promise<{ datastore: ManagedObjectReference | undefined; resourcePool: ManagedObjectReference | undefined; host: ManagedObjectReference | undefined; folder: ManagedObjectReference | undefined }> {
    const p = await retrieveProperties(this.session, vm, ['datastore', 'resourcePool', 'runtime.host', 'parent'], this.call());
    return {
      datastore: (p.datastore as ManagedObjectReference[] | undefined)?.[0],
      resourcePool: p.resourcePool as ManagedObjectReference | undefined,
      host: p['runtime.host'] as ManagedObjectReference | undefined,
      folder: p.parent as ManagedObjectReference | undefined,
    };
  }

  /** The backing's disks, in device order. */
  async getDisks(vm: ManagedObjectReference): Promise<DiskInfo[]> {
    const p = await retrieveProperties(this.session, vm, ['config.hardware.device'], this.call());
    return VolumeOps.disksOf((p['config.hardware.device'] as VirtualDevice[] | undefined) ?? []);
  }

  /** The disks among a device list. */
  static disksOf(devices: readonly VirtualDevice[]): DiskInfo[] {
    const byKey = new Map(devices.map((d) => [d.key, d]));
    return devices.filter(isDisk).map((d) => {
      const b = d.backing as unknown as Record<string, unknown> | undefined;
      const parent = b?.parent as Record<string, unknown> | undefined;
      const controller = d.controllerKey === undefined ? undefined : byKey.get(d.controllerKey);
      return {
        key: d.key,
        path: (b?.fileName as string | undefined) ?? '',
        capacity: d.capacityInBytes ?? (d.capacityInKB ?? 0) * 1024,
        diskType: diskTypeOf(b),
        controllerKey: d.controllerKey ?? 0,
        adapterType: controller?._type === undefined ? undefined : adapterTypeOfController(controller._type),
        datastore: b?.datastore as ManagedObjectReference | undefined,
        uuid: b?.uuid as string | undefined,
        parentPath: parent?.fileName as string | undefined,
        device: d,
      };
    });
  }

  /** The backing's first disk (Cinder's `_get_disk_device` / `get_vmdk_path` / `get_disk_size`); undefined when disk-less. */
  async getDiskInfo(vm: ManagedObjectReference): Promise<DiskInfo | undefined> {
    return (await this.getDisks(vm))[0];
  }

  /** Reconfigures a backing: ReconfigVM_Task. */
  async reconfigure(vm: ManagedObjectReference, spec: Record<string, unknown>): Promise<void> {
    await this.wait(await this.session.invoke('ReconfigVM_Task', vm, { spec }, this.call()));
  }

  /**
   * Grows a backing's disk to `newSizeBytes` (Cinder's `extend_virtual_disk`, here one ReconfigVM_Task
   * editing the disk's capacity, which works on vCenter and ESX alike). Refuses to shrink.
   */
  async extendDisk(vm: ManagedObjectReference, disk: DiskInfo, newSizeBytes: number): Promise<void> {
    if (newSizeBytes < disk.capacity) throw new InvalidVolumeError(`cannot shrink a disk from ${disk.capacity} to ${newSizeBytes} bytes`);
    if (newSizeBytes === disk.capacity) return;
    const edited = { ...disk.device, capacityInKB: Math.ceil(newSizeBytes / 1024), capacityInBytes: newSizeBytes };
    await this.reconfigure(vm, { deviceChange: [{ operation: 'edit', device: edited }] });
  }

  /** Sets extraConfig entries on a backing (Cinder's `update_backing_extra_config`). */
  async updateExtraConfig(vm: ManagedObjectReference, extra: Readonly<Record<string, string>>): Promise<void> {
    await this.reconfigure(vm, { extraConfig: optionValues(extra) });
  }

  /**
   * Sets a backing's instance UUID and its extraConfig volume id (by default the same value; an empty
   * string removes the key) in one reconfiguration.
   */
  async setVolumeIdentity(vm: ManagedObjectReference, instanceUuid: string, volumeId = instanceUuid): Promise<void> {
    await this.reconfigure(vm, { instanceUuid, extraConfig: optionValues({ [VOLUME_ID_KEY]: volumeId }) });
  }

  /** Associates a storage profile with the backing and its disk (Cinder's `change_backing_profile`); none clears it. */
  async changeBackingProfile(vm: ManagedObjectReference, disk: DiskInfo | undefined, profileId: ProfileId | undefined): Promise<void> {
    const profile = profileId === undefined ? [{ _type: 'VirtualMachineEmptyProfileSpec' }] : profileSpec(profileId);
    const spec: Record<string, unknown> = { vmProfile: profile };
    if (disk !== undefined) {
      const p = await retrieveProperties(this.session, vm, ['config.hardware.device'], this.call());
      const device = ((p['config.hardware.device'] as VirtualDevice[] | undefined) ?? []).find((d) => d.key === disk.key);
      if (device !== undefined) spec.deviceChange = [{ operation: 'edit', device, profile }];
    }
    await this.reconfigure(vm, spec);
  }

  /** Renames a backing (Cinder's `rename_backing`): Rename_Task. */
  async renameBacking(vm: ManagedObjectReference, name: string): Promise<void> {
    await this.wait(await this.session.invoke('Rename_Task', vm, { newName: name }, this.call()));
  }

  /**
   * Moves a backing to another datastore (and host/pool), optionally converting its disk's
   * provisioning (Cinder's `relocate_backing`): RelocateVM_Task.
   */
  async relocateBacking(
    vm: ManagedObjectReference,
    target: { datastore: ManagedObjectReference; resourcePool?: ManagedObjectReference; host?: ManagedObjectReference; diskType?: DiskType; disk?: DiskInfo; profileId?: ProfileId },
  ): Promise<void> {
    const spec: Record<string, unknown> = {
      datastore: target.datastore,
      ...(target.resourcePool === undefined ? {} : { pool: target.resourcePool }),
      ...(target.host === undefined ? {} : { host: target.host }),
      diskMoveType: 'moveAllDiskBackingsAndDisallowSharing',
    };
    if (target.disk !== undefined) {
      spec.disk = [
        {
          diskId: target.disk.key,
          datastore: target.datastore,
          ...(target.diskType === undefined ? {} : { diskBackingInfo: backingInfo(target.diskType) }),
          ...(target.profileId === undefined ? {} : { profile: profileSpec(target.profileId) }),
        },
      ];
    }
    if (target.profileId !== undefined) spec.profile = profileSpec(target.profileId);
    await this.wait(await this.session.invoke('RelocateVM_Task', vm, { spec, priority: 'defaultPriority' } as never, this.call()));
  }

  /** Moves a backing into a folder (Cinder's `move_backing_to_folder`): MoveIntoFolder_Task. */
  async moveBackingToFolder(vm: ManagedObjectReference, folder: ManagedObjectReference): Promise<void> {
    await this.wait(await this.session.invoke('MoveIntoFolder_Task', folder, { list: [vm] }, this.call()));
  }

  /** Marks a backing as a template (Cinder's `mark_backing_as_template`). */
  async markAsTemplate(vm: ManagedObjectReference): Promise<void> {
    await this.session.invoke('MarkAsTemplate', vm, {}, this.call());
  }

  // ---- snapshots ----

  /** Takes a snapshot of a backing, without memory or quiescing (Cinder's `create_snapshot`): CreateSnapshot_Task. */
  async createSnapshot(vm: ManagedObjectReference, name: string, description = ''): Promise<ManagedObjectReference> {
    const task = await this.session.invoke('CreateSnapshot_Task', vm, { name, description, memory: false, quiesce: false }, this.call());
    return (await this.wait(task)) as ManagedObjectReference;
  }

  /** The snapshot of that name in a backing's snapshot tree (Cinder's `get_snapshot`), or undefined. */
  async getSnapshot(vm: ManagedObjectReference, name: string): Promise<ManagedObjectReference | undefined> {
    const p = await retrieveProperties(this.session, vm, ['snapshot'], this.call());
    const info = p.snapshot as vim.VirtualMachineSnapshotInfo | undefined;
    const search = (list: readonly vim.VirtualMachineSnapshotTree[] | undefined): ManagedObjectReference | undefined => {
      for (const node of list ?? []) {
        if (node.name === name) return node.snapshot;
        const below = search(node.childSnapshotList);
        if (below !== undefined) return below;
      }
      return undefined;
    };
    return search(info?.rootSnapshotList);
  }

  /** How many snapshots a backing has (Cinder's `snapshot_exists` asks whether it is more than none). */
  async getSnapshotCount(vm: ManagedObjectReference): Promise<number> {
    const p = await retrieveProperties(this.session, vm, ['snapshot'], this.call());
    const count = (list: readonly vim.VirtualMachineSnapshotTree[] | undefined): number =>
      (list ?? []).reduce((n, node) => n + 1 + count(node.childSnapshotList), 0);
    return count((p.snapshot as vim.VirtualMachineSnapshotInfo | undefined)?.rootSnapshotList);
  }

  /** Deletes a snapshot, keeping its children (Cinder's `delete_snapshot`): RemoveSnapshot_Task. */
  async deleteSnapshot(snapshot: ManagedObjectReference): Promise<void> {
    await this.wait(await this.session.invoke('RemoveSnapshot_Task', snapshot, { removeChildren: false }, this.call()));
  }

  /** Reverts a backing to a snapshot (Cinder's `revert_to_snapshot`): RevertToSnapshot_Task. */
  async revertToSnapshot(snapshot: ManagedObjectReference): Promise<void> {
    await this.wait(await this.session.invoke('RevertToSnapshot_Task', snapshot, {}, this.call()));
  }

  // ---- clones ----

  /** Clones a backing or template (Cinder's `clone_backing`): CloneVM_Task into the given folder (else the source's). */
  async cloneBacking(vm: ManagedObjectReference, spec: CloneBackingSpec): Promise<ManagedObjectReference> {
    let folder = spec.folder;
    let disks: DiskInfo[] | undefined;
    if (folder === undefined) {
      const p = await retrieveProperties(this.session, vm, ['parent'], this.call());
      folder = p.parent as ManagedObjectReference;
    }
    if ((spec.diskType !== undefined && spec.cloneType === 'full') || spec.diskKeys !== undefined) disks = await this.getDisks(vm);
    const location: Record<string, unknown> = {
      ...(spec.datastore === undefined ? {} : { datastore: spec.datastore }),
      ...(spec.cloneType === 'linked' ? { diskMoveType: 'createNewChildDiskBacking' } : { diskMoveType: 'moveAllDiskBackingsAndDisallowSharing' }),
      ...(spec.resourcePool === undefined ? {} : { pool: spec.resourcePool }),
      ...(spec.host === undefined ? {} : { host: spec.host }),
    };
    const keep = spec.diskKeys === undefined ? undefined : new Set(spec.diskKeys);
    if (spec.diskType !== undefined && spec.cloneType === 'full' && disks !== undefined && spec.datastore !== undefined) {
      location.disk = disks
        .filter((d) => keep === undefined || keep.has(d.key))
        .map((d) => ({ diskId: d.key, datastore: spec.datastore, diskBackingInfo: backingInfo(spec.diskType) }));
    }
    const config: Record<string, unknown> = {
      ...(spec.instanceUuid === undefined ? {} : { instanceUuid: spec.instanceUuid }),
      ...(spec.extraConfig === undefined ? {} : { extraConfig: optionValues(spec.extraConfig) }),
      ...(spec.profileId === undefined ? {} : { vmProfile: profileSpec(spec.profileId) }),
    };
    if (keep !== undefined && disks !== undefined) {
      const drop = disks.filter((d) => !keep.has(d.key));
      if (drop.length > 0) config.deviceChange = drop.map((d) => ({ operation: 'remove', device: { _type: 'VirtualDisk', key: d.key, controllerKey: d.controllerKey, unitNumber: 0, capacityInKB: 0 } }));
    }
    const cloneSpec = {
      location,
      template: false,
      powerOn: false,
      ...(Object.keys(config).length === 0 ? {} : { config }),
      ...(spec.snapshot === undefined ? {} : { snapshot: spec.snapshot }),
    };
    const task = await this.session.invoke('CloneVM_Task', vm, { folder, name: spec.name, spec: cloneSpec }, this.call());
    return (await this.wait(task)) as ManagedObjectReference;
  }

  // ---- disks ----

  /**
   * Adds an existing disk file to a (disk-less) backing, with a new controller (Cinder's
   * `attach_disk_to_backing`).
   */
  async attachDisk(vm: ManagedObjectReference, path: string, options: { adapterType: AdapterType; diskType: DiskType; sizeKb: number }): Promise<void> {
    const controllerKey = options.adapterType === 'ide' ? 200 : -100;
    const changes: Record<string, unknown>[] = [];
    if (options.adapterType !== 'ide') {
      changes.push({ operation: 'add', device: { _type: controllerTypes[options.adapterType], key: controllerKey, busNumber: 0, sharedBus: 'noSharing', scsiCtlrUnitNumber: 7 } });
    }
    changes.push({
      operation: 'add',
      device: { _type: 'VirtualDisk', key: controllerKey - 1, controllerKey, unitNumber: 0, capacityInKB: options.sizeKb, backing: backingInfo(options.diskType, path) },
    });
    await this.reconfigure(vm, { deviceChange: changes });
  }

  /**
   * Moves a backing's disk to a new controller of another adapter type in one reconfiguration (remove
   * the disk, add the controller, add the same file on it): it either all happens or nothing does.
   */
  async changeAdapter(vm: ManagedObjectReference, disk: DiskInfo, adapterType: AdapterType): Promise<void> {
    const device = disk.device;
    const controllerKey = adapterType === 'ide' ? 200 : -100;
    const changes: Record<string, unknown>[] = [{ operation: 'remove', device }];
    if (adapterType !== 'ide') {
      changes.push({ operation: 'add', device: { _type: controllerTypes[adapterType], key: controllerKey, busNumber: 1, sharedBus: 'noSharing', scsiCtlrUnitNumber: 7 } });
    }
    changes.push({
      operation: 'add',
      device: { _type: 'VirtualDisk', key: -101 - (adapterType === 'ide' ? 1 : 0), controllerKey, unitNumber: 0, capacityInKB: Math.ceil(disk.capacity / 1024), backing: device.backing },
    });
    await this.reconfigure(vm, { deviceChange: changes });
  }

  /** Puts a disk that was detached back on its controller, as it was. */
  async reattachDisk(vm: ManagedObjectReference, disk: DiskInfo): Promise<void> {
    await this.reconfigure(vm, { deviceChange: [{ operation: 'add', device: { ...disk.device, key: -1 } }] });
  }

  /** An extraConfig value of a VM (Nova keeps `volume-<id>` = the attached disk's UUID on its instances). */
  async getExtraConfig(vm: ManagedObjectReference, key: string): Promise<string | undefined> {
    const p = await retrieveProperties(this.session, vm, ['config.extraConfig'], this.call());
    const values = ((p['config.extraConfig'] as { key: string; value: unknown }[] | undefined) ?? []).filter((o) => o.key === key);
    const last = values.at(-1)?.value;
    return typeof last === 'string' && last !== '' ? last : undefined;
  }

  /** Removes a disk from a backing, keeping its file (Cinder's `detach_disk_from_backing`). */
  async detachDisk(vm: ManagedObjectReference, disk: DiskInfo): Promise<void> {
    const p = await retrieveProperties(this.session, vm, ['config.hardware.device'], this.call());
    const device = ((p['config.hardware.device'] as VirtualDevice[] | undefined) ?? []).find((d) => d.key === disk.key);
    if (device === undefined) return;
    await this.reconfigure(vm, { deviceChange: [{ operation: 'remove', device }] });
  }

  /** Moves a virtual disk (descriptor and extents) within a datacenter (Cinder's `move_vmdk_file`): MoveVirtualDisk_Task. */
  async moveDisk(source: string, destination: string, datacenter: ManagedObjectReference): Promise<void> {
    const vdm = this.session.serviceContent.virtualDiskManager!;
    await this.wait(await this.session.invoke('MoveVirtualDisk_Task', vdm, { sourceName: source, sourceDatacenter: datacenter, destName: destination, destDatacenter: datacenter, force: false }, this.call()));
  }

  /** Creates a datastore directory with its parents; an existing one is fine (Cinder's `create_datastore_folder`). */
  async makeDirectory(path: string, datacenter: ManagedObjectReference): Promise<void> {
    try {
      await this.session.invoke('MakeDirectory', this.session.serviceContent.fileManager!, { name: path, datacenter, createParentDirectories: true }, this.call());
    } catch (err) {
      if (findFault(err, 'FileAlreadyExists') === undefined) throw err;
    }
  }

  /** A datastore's name. */
  async datastoreName(ds: ManagedObjectReference): Promise<string> {
    const p = await retrieveProperties(this.session, ds, ['name'], this.call());
    return p.name as string;
  }

  /** Deletes a datastore file or folder (Cinder's `delete_file`): DeleteDatastoreFile_Task. */
  async deleteFile(path: DatastorePath | string, datacenter: ManagedObjectReference): Promise<void> {
    const fm = this.session.serviceContent.fileManager!;
    await this.wait(await this.session.invoke('DeleteDatastoreFile_Task', fm, { name: String(path), datacenter }, this.call()));
  }

  /** A clone ticket: a one-use credential that logs another client into this session (SessionManager.AcquireCloneTicket). */
  async acquireCloneTicket(): Promise<string> {
    return this.session.invoke('AcquireCloneTicket', this.session.serviceContent.sessionManager!, {}, this.call());
  }
}
