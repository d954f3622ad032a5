import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { debuglog } from 'node:util';
import type { ManagedObjectReference } from '@vmkit/vim';
import { findFault } from '@vmkit/vim';
import { DatastorePath, VimSession, matchingDatastores } from '@vmkit/session';
import { copyVmDiskToImage, importVmdk, type ImageInfo, type ImageSink, type ImageSource } from '@vmkit/transfer';
import { parseDriverConfig, type VmdkDriverConfig } from './config.js';
import { DatastoreSelector, type DatastoreChoice, type DatastoreRequirements } from './datastore.js';
import {
  CleanupFailedError,
  DriverConfigError,
  DriverNotReadyError,
  ImageUnacceptableError,
  InvalidExistingReferenceError,
  InvalidSnapshotError,
  InvalidVolumeError,
  NoValidDatastoreError,
  VcenterRequiredError,
} from './errors.js';
import { stageImage, toStreamOptimized, validateImage, type StreamOptimizedDisk, type VmdkImage } from './image.js';
import { parseVolumeTypeSpecs, type VolumeTypeSpecs } from './specs.js';
import type { ConnectorProperties, ExistingReference, Snapshot, SnapshotModelUpdate, Volume, VolumeStats } from './types.js';
import { VmdkConnector, type VmdkConnectionInfo } from '@vmkit/connector';
import { VOLUME_ID_KEY, VolumeOps, type DiskInfo, type ProfileId } from './volumeops.js';

const log = debuglog('vmkit');
const GiB = 1024 ** 3;

/** The driver's version, reported in its stats. */
export const DRIVER_VERSION = '3.4.5-vmkit';

/** Options of {@link VmdkDriver} beyond Cinder's. */
export interface VmdkDriverOptions {
  /** Use this session instead of connecting (the driver then does not close it). */
  session?: VimSession;
  /** Datastore types the selector accepts (default Cinder's: vmfs, nfs, nfs41, vsan, vvol). */
  datastoreTypes?: readonly string[];
  /** The backend name reported in stats (Cinder's `volume_backend_name`; default `VMwareVcVmdkDriver`). */
  backendName?: string;
  /** Aborts every call. */
  signal?: AbortSignal;
}

/**
 * Undo steps, run in reverse after a failure. The operation's own error is kept; when a step cannot be
 * undone the error becomes a {@link CleanupFailedError} (its cause the original) naming what is left.
 */
class Undo {
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = [];
  push(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }
  /** Runs the steps in reverse; resolves with the ones that failed. */
  async run(): Promise<{ what: string; error: unknown }[]> {
    const failed: { what: string; error: unknown }[] = [];
    for (const step of this.steps.reverse()) {
      try {
        await step.run();
      } catch (error) {
        log('cleanup step %s failed: %s', step.what, (error as Error).message);
        failed.push({ what: step.what, error });
      }
    }
    this.steps.length = 0;
    return failed;
  }
  /** Runs `work`; on failure undoes what was recorded and rethrows. */
  async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const failed = await this.run();
      if (failed.length === 0) throw err;
      throw new CleanupFailedError((err as Error).message ?? String(err), failed.map((f) => f.what), failed.map((f) => f.error), { cause: err });
    }
  }
}

function volumeName(v: Volume): string {
  return v.name ?? `volume-${v.id}`;
}

function snapshotName(s: Snapshot): string {
  return s.name ?? `snapshot-${s.id}`;
}

function inUse(v: Volume): boolean {
  return v.status === 'in-use' || (v.attachedInstanceUuids?.length ?? 0) > 0;
}

/**
 * Cinder's VMware VMDK volume driver (`VMwareVcVmdkDriver`) on @vmkit/session: one powered-off shadow
 * VM ("backing") per volume, found by its instance UUID (the volume id), in the folder
 * `OpenStack/Project (<project>)/<vmware_volume_folder>` of its datacenter. Methods keep Cinder's
 * behaviour; each multi-step method undoes its own steps when a later one fails.
 *
 * ```ts
 * const driver = new VmdkDriver({ vmware_host_ip: 'vc.example.com', vmware_host_username: 'u', vmware_host_password: 'p' });
 * await driver.doSetup();
 * await driver.createVolume({ id, size: 1, projectId: 'p1' });
 * ```
 */
export class VmdkDriver {
  /** The validated options (Cinder names). */
  readonly config: VmdkDriverConfig;
  private readonly options: VmdkDriverOptions;
  private sessionRef: VimSession | undefined;
  private ownsSession = false;
  private ops: VolumeOps | undefined;
  private selector: DatastoreSelector | undefined;
  private esx = false;
  private clusterHosts: ManagedObjectReference[] | undefined;
  private readonly imageBases = new Map<string, Promise<{ vm: ManagedObjectReference; snapshot: ManagedObjectReference }>>();

  /** Validates the options (Cinder's `_validate_params`); {@link DriverConfigError} on a bad one. */
  constructor(config: Readonly<Record<string, unknown>>, options: VmdkDriverOptions = {}) {
    this.config = parseDriverConfig(config);
    this.options = options;
  }

  /** The session (after {@link VmdkDriver.doSetup}). */
  get session(): VimSession {
    if (this.sessionRef === undefined) throw new DriverNotReadyError('the driver is not set up: call doSetup() first');
    return this.sessionRef;
  }

  /** The vSphere operations (after {@link VmdkDriver.doSetup}). */
  get volumeops(): VolumeOps {
    if (this.ops === undefined) throw new DriverNotReadyError('the driver is not set up: call doSetup() first');
    return this.ops;
  }

  /** The datastore selector (after {@link VmdkDriver.doSetup}). */
  get datastoreSelector(): DatastoreSelector {
    if (this.selector === undefined) throw new DriverNotReadyError('the driver is not set up: call doSetup() first');
    return this.selector;
  }

  /** True when connected to a standalone ESX host rather than vCenter. */
  get isEsx(): boolean {
    return this.esx;
  }

  private call(): { signal?: AbortSignal } {
    return this.options.signal === undefined ? {} : { signal: this.options.signal };
  }

  /**
   * Connects and prepares (Cinder's `do_setup`): logs in, tells vCenter from ESX, resolves the
   * configured clusters to their hosts. vCenter-only options on ESX are {@link VcenterRequiredError}s.
   */
  async doSetup(): Promise<void> {
    const c = this.config;
    if (this.options.session !== undefined) {
      this.sessionRef = this.options.session;
    } else {
      let ca: Buffer | undefined;
      if (c.vmware_ca_file !== undefined) {
        try {
          ca = await readFile(c.vmware_ca_file);
        } catch (cause) {
          throw new DriverConfigError('vmware_ca_file', 'cannot be read', { cause });
        }
      }
      this.sessionRef = await VimSession.connect({
        host: c.vmware_host_ip,
        ...(/^https?:\/\//i.test(c.vmware_host_ip) ? {} : { port: c.vmware_host_port }),
        username: c.vmware_host_username,
        password: c.vmware_host_password,
        ...(ca === undefined ? {} : { ca }),
        ...(ca === undefined && c.vmware_insecure ? { insecure: true } : {}),
        poolSize: c.vmware_connection_pool_size,
        apiRetryCount: c.vmware_api_retry_count,
        taskPollIntervalSeconds: c.vmware_task_poll_interval,
        ...this.call(),
      });
      this.ownsSession = true;
    }
    const session = this.sessionRef;
    this.esx = session.serviceContent.about.apiType === 'HostAgent';
    this.ops = new VolumeOps(session, { taskTimeoutMs: c.vmware_image_transfer_timeout_secs * 1000, maxObjects: c.vmware_max_objects_retrieval, ...this.call() });
    this.selector = new DatastoreSelector(session, {
      regex: c.vmware_datastore_regex,
      allowedTypes: this.options.datastoreTypes,
      maxObjects: c.vmware_max_objects_retrieval,
      ...this.call(),
    });
    if (c.vmware_cluster_name.length > 0) {
      try {
        if (this.esx) throw new VcenterRequiredError('vmware_cluster_name');
        this.clusterHosts = await this.resolveClusterHosts(c.vmware_cluster_name);
      } catch (err) {
        await this.close(); // a session this driver opened is not left logged in
        throw err;
      }
    }
  }

  private async resolveClusterHosts(names: readonly string[]): Promise<ManagedObjectReference[]> {
    const inv = await this.datastoreSelector.inventory();
    const clusters = new Map<string, ManagedObjectReference>();
    const session = this.session;
    const dcs = await session.invoke('RetrievePropertiesEx', session.serviceContent.propertyCollector, {
      specSet: [
        {
          propSet: [{ type: 'ClusterComputeResource', pathSet: ['name'] }],
          objectSet: [
            {
              obj: session.serviceContent.rootFolder,
              skip: true,
              selectSet: [
                { _type: 'TraversalSpec', name: 'f', type: 'Folder', path: 'childEntity', skip: false, selectSet: [{ name: 'f' }, { name: 'd' }] },
                { _type: 'TraversalSpec', name: 'd', type: 'Datacenter', path: 'hostFolder', skip: false, selectSet: [{ name: 'f' }] },
              ],
            },
          ],
        },
      ],
      options: {},
    }, this.call());
    for (const oc of dcs?.objects ?? []) {
      if (oc.obj.type !== 'ClusterComputeResource') continue;
      const name = oc.propSet?.find((p) => p.name === 'name')?.val as string | undefined;
      if (name !== undefined) clusters.set(name, oc.obj);
    }
    const missing = names.filter((n) => !clusters.has(n));
    if (missing.length > 0) throw new NoValidDatastoreError(`compute cluster(s) not found: ${missing.join(', ')}`);
    const wanted = new Set(names.map((n) => clusters.get(n)!.value));
    const hosts = [...inv.hosts.values()].filter((h) => h.parent !== undefined && wanted.has(h.parent.value)).map((h) => h.ref);
    if (hosts.length === 0) throw new NoValidDatastoreError(`there are no hosts in the configured cluster(s): ${names.join(', ')}`);
    return hosts;
  }

  /** Checks the setup (Cinder's `check_for_setup_error`): the session answers, and configured storage profiles exist. */
  async checkForSetupError(): Promise<void> {
    await this.session.invoke('CurrentTime', { type: 'ServiceInstance', value: 'ServiceInstance' }, {}, this.call());
    if (this.config.vmware_storage_profile.length > 0) {
      if (this.esx) throw new VcenterRequiredError('vmware_storage_profile');
      for (const p of this.config.vmware_storage_profile) await this.datastoreSelector.getProfileId(p);
    }
  }

  /** Logs out when the driver opened the session. */
  async close(): Promise<void> {
    if (this.ownsSession) await this.sessionRef?.close();
    this.sessionRef = undefined;
    this.ops = undefined;
    this.selector = undefined;
  }

  /** `await using driver = ...` closes it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- helpers ----

  /** The volume's type specs, after checking the volume itself (a UUID id, a whole positive size in GiB). */
  private specs(volume: Volume): VolumeTypeSpecs {
    if (typeof volume.id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(volume.id)) {
      throw new InvalidVolumeError(`volume id ${JSON.stringify(volume.id)} is not a UUID (it becomes the backing's instance UUID)`);
    }
    if (!Number.isSafeInteger(volume.size) || volume.size < 1) throw new InvalidVolumeError(`volume ${volume.id}: size ${String(volume.size)} is not a whole number of GiB >= 1`);
    return parseVolumeTypeSpecs(volume.extraSpecs ?? {}, this.config.vmware_adapter_type);
  }

  private async profileId(specs: VolumeTypeSpecs): Promise<ProfileId | undefined> {
    if (specs.storageProfile === undefined) return undefined;
    if (this.esx) throw new VcenterRequiredError('a storage profile (vmware:storage_profile)');
    return this.datastoreSelector.getProfileId(specs.storageProfile);
  }

  private extraConfig(volume: Volume): Record<string, string> {
    return { [VOLUME_ID_KEY]: volume.id };
  }

  private folderNames(projectId: string | undefined, snapshot = false): string[] {
    const names = ['OpenStack', `Project (${projectId ?? 'default'})`, this.config.vmware_volume_folder];
    return snapshot ? [...names, 'Snapshots'] : names;
  }

  private async volumeFolder(entity: ManagedObjectReference, projectId: string | undefined, snapshot = false): Promise<{ folder: ManagedObjectReference; path: string }> {
    const dc = await this.volumeops.getDatacenter(entity);
    // A standalone ESX host has no inventory folders (CreateFolder is vCenter's): its VM folder serves.
    if (this.esx) return { folder: dc.vmFolder, path: `${dc.name}/vm` };
    const names = this.folderNames(projectId, snapshot);
    const folder = await this.volumeops.createVmInventoryFolder(dc, names);
    return { folder, path: [dc.name, 'vm', ...names].join('/') };
  }

  private async selectDatastore(req: DatastoreRequirements): Promise<DatastoreChoice> {
    const hosts = req.hosts ?? this.clusterHosts;
    const choice = await this.datastoreSelector.select({ ...req, ...(hosts === undefined ? {} : { hosts }) });
    this.volumeops.rememberResourcePool(choice.host, choice.resourcePool);
    return choice;
  }

  /** Where a backing of this volume can go: datastore, host, pool and the project's folder (Cinder's `_select_ds_for_volume`). */
  private async placeVolume(volume: Volume, sizeGb = volume.size, host?: ManagedObjectReference, antiAffinity?: readonly string[]): Promise<DatastoreChoice & { folder: ManagedObjectReference }> {
    const specs = this.specs(volume);
    const choice = await this.selectDatastore({
      sizeBytes: sizeGb * GiB,
      profileName: specs.storageProfile,
      ...(host === undefined ? {} : { hosts: [host] }),
      ...(antiAffinity === undefined ? {} : { antiAffinity }),
    });
    const { folder } = await this.volumeFolder(choice.resourcePool, volume.projectId);
    return { ...choice, folder };
  }

  /** Creates the volume's backing with one disk (Cinder's `_create_backing`). */
  private async createBacking(volume: Volume, host?: ManagedObjectReference, options: { diskLess?: boolean } = {}): Promise<ManagedObjectReference> {
    const specs = this.specs(volume);
    const profileId = await this.profileId(specs);
    const place = await this.placeVolume(volume, volume.size, host);
    return this.volumeops.createBacking({
      name: volumeName(volume),
      ...(options.diskLess === true ? {} : { sizeKb: volume.size * 1024 * 1024, diskType: specs.diskType, adapterType: specs.adapterType }),
      folder: place.folder,
      resourcePool: place.resourcePool,
      host: place.host,
      datastoreName: place.summary.name,
      ...(profileId === undefined ? {} : { profileId }),
      instanceUuid: volume.id,
      extraConfig: this.extraConfig(volume),
    });
  }

  private async requireDisk(backing: ManagedObjectReference): Promise<DiskInfo> {
    const disk = await this.volumeops.getDiskInfo(backing);
    if (disk === undefined) throw new InvalidVolumeError(`backing ${backing.value} has no disk`);
    return disk;
  }

  private async extendBacking(backing: ManagedObjectReference, sizeGb: number, disk?: DiskInfo): Promise<void> {
    const d = disk ?? (await this.requireDisk(backing));
    if (d.capacity < sizeGb * GiB) await this.volumeops.extendDisk(backing, d, sizeGb * GiB);
  }

  private requireVcenter(what: string): void {
    if (this.esx) throw new VcenterRequiredError(what);
  }

  // ---- volumes ----

  /**
   * Creates a volume (Cinder's `create_volume`). With `vmware_lazy_create` (the default) it only
   * validates the volume type (disk type, adapter type, storage profile) and the backing is made on
   * first use; otherwise the backing is created now.
   */
  async createVolume(volume: Volume): Promise<void> {
    const specs = this.specs(volume);
    if (this.config.vmware_lazy_create) {
      await this.profileId(specs);
      return;
    }
    await this.createBacking(volume);
  }

  /** Deletes a volume's backing with its disk, if there is one (Cinder's `delete_volume`). */
  async deleteVolume(volume: Volume): Promise<void> {
    const backing = await this.volumeops.getBacking(volume.id);
    if (backing === undefined) return;
    await this.volumeops.deleteBacking(backing);
  }

  /**
   * Grows a volume (Cinder's `extend_volume`): in place, or, when its datastore lacks the space
   * (NoDiskSpace), after relocating the backing to a datastore that has it.
   */
  async extendVolume(volume: Volume, newSizeGb: number): Promise<void> {
    const backing = await this.volumeops.getBacking(volume.id);
    if (backing === undefined) return;
    const disk = await this.requireDisk(backing);
    if (!Number.isSafeInteger(newSizeGb) || newSizeGb * GiB < disk.capacity) {
      throw new InvalidVolumeError(`cannot extend volume ${volume.id} to ${newSizeGb} GiB: its disk has ${disk.capacity} bytes`);
    }
    try {
      await this.extendBacking(backing, newSizeGb, disk);
      return;
    } catch (err) {
      if (findFault(err, 'NoDiskSpace') === undefined && findFault(err, 'InsufficientDisks') === undefined) throw err;
      log('no room to extend %s in place; relocating', volume.id);
    }
    this.requireVcenter('relocating a volume to extend it');
    const was = await this.volumeops.getPlacement(backing);
    // Not the datastore that just said it has no room.
    const place = await this.placeVolume(volume, newSizeGb, undefined, was.datastore === undefined ? undefined : [was.datastore.value]);
    const undo = new Undo();
    await undo.guard(async () => {
      await this.volumeops.relocateBacking(backing, { datastore: place.datastore, resourcePool: place.resourcePool, host: place.host });
      if (was.datastore !== undefined) {
        const back = { datastore: was.datastore, ...(was.resourcePool === undefined ? {} : { resourcePool: was.resourcePool }), ...(was.host === undefined ? {} : { host: was.host }) };
        undo.push('relocate the backing back', () => this.volumeops.relocateBacking(backing, back));
      }
      if (was.folder === undefined || was.folder.value !== place.folder.value) {
        await this.volumeops.moveBackingToFolder(backing, place.folder);
        if (was.folder !== undefined) undo.push('move the backing back', () => this.volumeops.moveBackingToFolder(backing, was.folder!));
      }
      await this.extendBacking(backing, newSizeGb);
    });
  }

  // ---- snapshots ----

  /**
   * Snapshots a volume (Cinder's `create_snapshot`). `COW` format: a VM snapshot of the backing
   * (refused while the volume is in use). `template` format: a full clone of the backing marked as a
   * template in the project's `Snapshots` folder; its inventory path is returned as `providerLocation`.
   * No backing: nothing to do.
   */
  async createSnapshot(snapshot: Snapshot): Promise<SnapshotModelUpdate | undefined> {
    const volume = snapshot.volume;
    const format = this.config.vmware_snapshot_format;
    if (inUse(volume) && format === 'COW') throw new InvalidVolumeError(`a COW snapshot of volume ${volume.id} is not supported while it is in use`);
    const backing = await this.volumeops.getBacking(volume.id);
    if (backing === undefined) return undefined;
    if (format === 'COW') {
      await this.volumeops.createSnapshot(backing, snapshotName(snapshot), snapshot.description ?? '');
      return { providerLocation: undefined };
    }
    this.requireVcenter('a template-format snapshot (vmware_snapshot_format=template)');
    const name = snapshotName(snapshot);
    const { folder, path } = await this.volumeFolder(backing, volume.projectId, true);
    const datastore = await this.volumeops.getDatastore(backing);
    const undo = new Undo();
    return undo.guard(async () => {
      const template = inUse(volume)
        ? await this.cloneFromInstance(volume, name, { folder, datastore })
        : await this.volumeops.cloneBacking(backing, { name, cloneType: 'full', folder, ...(datastore === undefined ? {} : { datastore }) });
      undo.push('delete the template clone', () => this.volumeops.deleteBacking(template));
      await this.volumeops.markAsTemplate(template);
      return { providerLocation: `${path}/${name}` };
    });
  }

  private async templateAt(path: string): Promise<ManagedObjectReference> {
    const template = await this.volumeops.getEntityByInventoryPath(path);
    if (template === undefined || template.type !== 'VirtualMachine') throw new InvalidSnapshotError(`the snapshot's template is not at ${path}`);
    return template;
  }

  /**
   * Deletes a snapshot (Cinder's `delete_snapshot`): its template, or its VM snapshot (refused while the
   * volume is in use). A missing backing or snapshot is not an error.
   */
  async deleteSnapshot(snapshot: Snapshot): Promise<void> {
    const isTemplate = snapshot.providerLocation !== undefined;
    if (isTemplate) {
      const template = await this.volumeops.getEntityByInventoryPath(snapshot.providerLocation!);
      if (template !== undefined) await this.volumeops.deleteBacking(template);
      return;
    }
    const backing = await this.volumeops.getBacking(snapshot.volume.id);
    if (backing === undefined) return;
    const snap = await this.volumeops.getSnapshot(backing, snapshotName(snapshot));
    if (snap === undefined) return;
    if (inUse(snapshot.volume)) throw new InvalidSnapshotError(`deleting a COW snapshot of volume ${snapshot.volume.id} is not supported while it is in use`);
    await this.volumeops.deleteSnapshot(snap);
  }

  /** Reverts a volume to a COW snapshot (Cinder's `revert_to_snapshot`); template snapshots cannot be reverted to. */
  async revertToSnapshot(volume: Volume, snapshot: Snapshot): Promise<void> {
    if (snapshot.providerLocation !== undefined) throw new InvalidSnapshotError('cannot revert to a template-format snapshot');
    const backing = await this.volumeops.getBacking(volume.id);
    if (backing === undefined) return;
    const snap = await this.volumeops.getSnapshot(backing, snapshotName(snapshot));
    if (snap === undefined) throw new InvalidSnapshotError(`volume ${volume.id} has no snapshot ${snapshotName(snapshot)}`);
    await this.volumeops.revertToSnapshot(snap);
  }

  // ---- clones ----

  /**
   * Clones `source` (a backing, a template, or a backing at a snapshot) as the volume's backing
   * (Cinder's `_clone_backing`): linked clones stay on the source's datastore and fall back to full
   * when the volume must grow; the clone is extended to the volume's size. On any failure the clone is
   * deleted.
   */
  private async cloneAsVolume(volume: Volume, source: ManagedObjectReference, snapshot: ManagedObjectReference | undefined, cloneType: 'full' | 'linked', sourceSizeGb: number): Promise<ManagedObjectReference> {
    this.requireVcenter('cloning a volume');
    let type = cloneType;
    if (type === 'linked' && volume.size > sourceSizeGb) type = 'full';
    if (type === 'linked' && snapshot === undefined) type = 'full';
    const specs = this.specs(volume);
    const profileId = await this.profileId(specs);
    const base = { name: volumeName(volume), instanceUuid: volume.id, extraConfig: this.extraConfig(volume), ...(profileId === undefined ? {} : { profileId }) };
    let clone: ManagedObjectReference;
    if (type === 'full') {
      const place = await this.placeVolume(volume);
      clone = await this.volumeops.cloneBacking(source, {
        ...base,
        cloneType: 'full',
        ...(snapshot === undefined ? {} : { snapshot }),
        datastore: place.datastore,
        diskType: specs.diskType,
        host: place.host,
        resourcePool: place.resourcePool,
        folder: place.folder,
      });
    } else {
      const { folder } = await this.volumeFolder(source, volume.projectId);
      clone = await this.volumeops.cloneBacking(source, { ...base, cloneType: 'linked', snapshot: snapshot!, folder });
    }
    if (volume.size > sourceSizeGb) {
      const undo = new Undo();
      undo.push('delete the clone', () => this.volumeops.deleteBacking(clone));
      await undo.guard(() => this.extendBacking(clone, volume.size));
    }
    return clone;
  }

  /**
   * Creates a volume from a snapshot (Cinder's `create_volume_from_snapshot`): a full clone of the
   * snapshot's template, or a clone (full or linked, by `vmware:clone_type`) of the source backing at
   * its VM snapshot. No source backing or snapshot point: nothing is created, as in Cinder.
   */
  async createVolumeFromSnapshot(volume: Volume, snapshot: Snapshot): Promise<void> {
    const backing = await this.volumeops.getBacking(snapshot.volume.id);
    if (backing === undefined) return;
    const sourceSize = snapshot.volumeSize ?? snapshot.volume.size;
    if (snapshot.providerLocation !== undefined) {
      const template = await this.templateAt(snapshot.providerLocation);
      await this.cloneAsVolume(volume, template, undefined, 'full', sourceSize);
      return;
    }
    const snap = await this.volumeops.getSnapshot(backing, snapshotName(snapshot));
    if (snap === undefined) return;
    await this.cloneAsVolume(volume, backing, snap, this.specs(volume).cloneType, sourceSize);
  }

  /**
   * Clones a volume (Cinder's `create_cloned_volume`): full, or linked through a temporary snapshot of
   * the source (only when the source is `available`), which is removed afterwards whatever happens.
   */
  async createClonedVolume(volume: Volume, source: Volume): Promise<void> {
    const backing = await this.volumeops.getBacking(source.id);
    if (backing === undefined) return;
    const cloneType = this.specs(volume).cloneType;
    this.requireVcenter('cloning a volume');
    if (cloneType === 'linked' && volume.size <= source.size) {
      if (source.status !== undefined && source.status !== 'available') throw new InvalidVolumeError(`a linked clone of volume ${source.id} is not supported in state ${source.status}`);
      const snap = await this.volumeops.createSnapshot(backing, `temp-snapshot-${volume.id}`);
      try {
        await this.cloneAsVolume(volume, backing, snap, 'linked', source.size);
      } finally {
        try {
          await this.volumeops.deleteSnapshot(snap);
        } catch (err) {
          log('could not delete the temporary snapshot of %s: %s', source.id, (err as Error).message);
        }
      }
      return;
    }
    if (inUse(source)) {
      await this.cloneAttachedVolume(volume, source);
      return;
    }
    await this.cloneAsVolume(volume, backing, undefined, 'full', source.size);
  }

  /** A full clone of an attached volume (Cinder's `_clone_attached_volume`): out of its instance into a temporary VM, whose disk the new backing adopts. */
  private async cloneAttachedVolume(volume: Volume, source: Volume): Promise<void> {
    const place = await this.placeVolume(volume);
    const undo = new Undo();
    const tmp = await this.cloneFromInstance(source, `${volumeName(volume)}-tmp-${randomUUID().slice(0, 8)}`, place);
    undo.push('delete the temporary clone', () => this.volumeops.deleteBacking(tmp));
    await undo.guard(async () => {
      const disk = await this.requireDisk(tmp);
      const backing = await this.adoptDisk(volume, tmp, disk, undo);
      if (volume.size * GiB > disk.capacity) await this.extendBacking(backing, volume.size);
    });
    await this.volumeops.deleteBacking(tmp);
  }

  // ---- attach ----

  /**
   * Moves the backing to a datastore the host can use and the profile allows, unless it is already on
   * one (Cinder's `_relocate_backing`).
   */
  private async relocateForHost(volume: Volume, backing: ManagedObjectReference, host: ManagedObjectReference): Promise<void> {
    const datastore = await this.volumeops.getDatastore(backing);
    const profile = this.esx ? undefined : this.specs(volume).storageProfile;
    if (datastore !== undefined && (await this.datastoreSelector.isAccessibleFrom(datastore, host)) && (await this.datastoreSelector.isCompliant(datastore, profile))) return;
    this.requireVcenter('relocating a volume to the attaching host');
    const place = await this.placeVolume(volume, volume.size, host);
    await this.volumeops.relocateBacking(backing, { datastore: place.datastore, resourcePool: place.resourcePool, host: place.host });
    await this.volumeops.moveBackingToFolder(backing, place.folder);
  }

  /**
   * Returns Cinder's `connection_info` for a volume (Cinder's `initialize_connection`), creating the
   * backing first when the volume has none (on the instance's host when the connector names an
   * instance), and relocating it when that host cannot see its datastore. For a host attach
   * (`platform` and `os_type` in the connector) it adds the disk's path, size, datastore, datacenter
   * and a `config` whose credential is a one-use clone ticket, never the password.
   */
  async initializeConnection(volume: Volume, connector: ConnectorProperties): Promise<VmdkConnectionInfo> {
    let backing = await this.volumeops.getBacking(volume.id);
    if (connector.instance !== undefined) {
      const instance = { type: 'VirtualMachine', value: connector.instance };
      const host = await this.volumeops.getHost(instance);
      if (backing === undefined) backing = await this.createBacking(volume, host);
      else if (host !== undefined) await this.relocateForHost(volume, backing, host);
    } else if (backing === undefined) {
      backing = await this.createBacking(volume);
    }
    const specs = this.specs(volume);
    const profileId = specs.storageProfile === undefined || this.esx ? undefined : await this.datastoreSelector.getProfileId(specs.storageProfile);
    const info: VmdkConnectionInfo = {
      driver_volume_type: 'vmdk',
      data: { volume: backing.value, volume_id: volume.id, name: volumeName(volume), profile_id: profileId?.uniqueId ?? null },
    };
    if ('platform' in connector && 'os_type' in connector) {
      const disk = await this.requireDisk(backing);
      const dc = await this.volumeops.getDatacenter(backing);
      const c = this.config;
      info.data.vmdk_size = volume.size * GiB;
      info.data.vmdk_path = disk.path;
      const ds = disk.datastore ?? (await this.volumeops.getDatastore(backing));
      if (ds !== undefined) info.data.datastore = ds.value;
      info.data.datacenter = dc.ref.value;
      info.data.config = {
        vmware_host_ip: c.vmware_host_ip,
        vmware_host_port: c.vmware_host_port,
        vmware_clone_ticket: await this.volumeops.acquireCloneTicket(),
        vmware_api_retry_count: c.vmware_api_retry_count,
        vmware_task_poll_interval: c.vmware_task_poll_interval,
        ...(c.vmware_ca_file === undefined ? {} : { vmware_ca_file: c.vmware_ca_file }),
        vmware_insecure: c.vmware_insecure,
        vmware_tmp_dir: c.vmware_tmp_dir,
        vmware_image_transfer_timeout_secs: c.vmware_image_transfer_timeout_secs,
      };
    }
    return info;
  }

  /** Nothing to undo on the backend (Cinder's `terminate_connection` is a no-op too). */
  async terminateConnection(volume: Volume, connector: ConnectorProperties): Promise<void> {
    void volume;
    void connector;
    await Promise.resolve();
  }

  /** Moves the backing to the new project's folder (Cinder's `accept_transfer`). */
  async acceptTransfer(volume: Volume, newProjectId: string): Promise<void> {
    const backing = await this.volumeops.getBacking(volume.id);
    if (backing === undefined) return;
    const { folder } = await this.volumeFolder(backing, newProjectId);
    await this.volumeops.moveBackingToFolder(backing, folder);
  }

  // ---- retype ----

  /**
   * Changes a volume's type (Cinder's `retype`): converts the disk type (relocating, or cloning in
   * place and swapping), moves to a datastore the new profile allows, changes the adapter type, and
   * sets the new profile. Returns false, changing nothing, when the volume is in use or no datastore
   * fits; true when done (or when there is no backing yet).
   */
  async retype(volume: Volume, newExtraSpecs: Readonly<Record<string, string>>): Promise<boolean> {
    if (inUse(volume)) return false;
    const backing = await this.volumeops.getBacking(volume.id);
    if (backing === undefined) return true;
    const old = this.specs(volume);
    const next = parseVolumeTypeSpecs(newExtraSpecs, this.config.vmware_adapter_type);
    const newVolume: Volume = { ...volume, extraSpecs: newExtraSpecs };
    const newProfileId = await this.profileId(next);
    const diskTypeChange = old.diskType !== next.diskType;
    const profileChange = old.storageProfile !== next.storageProfile;
    const datastore = await this.volumeops.getDatastore(backing);
    const compliant = datastore === undefined || (await this.datastoreSelector.isCompliant(datastore, next.storageProfile));
    let current = backing;
    if (diskTypeChange || !compliant) {
      this.requireVcenter('retype with a disk type or datastore change');
      const hasSnapshots = (await this.volumeops.getSnapshotCount(backing)) > 0;
      let place: DatastoreChoice & { folder: ManagedObjectReference };
      try {
        place = await this.placeWithAntiAffinity(newVolume, diskTypeChange && hasSnapshots && datastore !== undefined ? [datastore.value] : undefined);
      } catch (err) {
        if (err instanceof NoValidDatastoreError) return false;
        throw err;
      }
      const disk = await this.requireDisk(backing);
      if (datastore === undefined || place.datastore.value !== datastore.value) {
        await this.volumeops.relocateBacking(backing, { datastore: place.datastore, resourcePool: place.resourcePool, host: place.host, diskType: next.diskType, disk });
        await this.volumeops.moveBackingToFolder(backing, place.folder);
      } else {
        current = await this.convertInPlace(volume, backing, place, next);
      }
    }
    if (next.adapterType !== old.adapterType) {
      await this.volumeops.changeAdapter(current, await this.requireDisk(current), next.adapterType);
    }
    if (profileChange && !this.esx) await this.volumeops.changeBackingProfile(current, await this.volumeops.getDiskInfo(current), newProfileId);
    return true;
  }

  private async placeWithAntiAffinity(volume: Volume, antiAffinity: string[] | undefined): Promise<DatastoreChoice & { folder: ManagedObjectReference }> {
    const specs = this.specs(volume);
    const choice = await this.selectDatastore({ sizeBytes: volume.size * GiB, profileName: specs.storageProfile, ...(antiAffinity === undefined ? {} : { antiAffinity }) });
    const { folder } = await this.volumeFolder(choice.resourcePool, volume.projectId);
    return { ...choice, folder };
  }

  /**
   * Converts the disk type on the same datastore (Cinder clones under the volume's name after renaming
   * the backing aside; here the clone gets a temporary name and its own folder, so the two never share
   * a directory): full-clone with the new disk type, delete the old backing, give the clone the volume's
   * identity and name. Until the old backing is deleted, a failure deletes the clone and leaves the
   * volume as it was.
   */
  private async convertInPlace(volume: Volume, backing: ManagedObjectReference, place: DatastoreChoice & { folder: ManagedObjectReference }, next: VolumeTypeSpecs): Promise<ManagedObjectReference> {
    const undo = new Undo();
    const clone = await undo.guard(async () => {
      const c = await this.volumeops.cloneBacking(backing, {
        name: `${volumeName(volume)}-retype-${randomUUID().slice(0, 8)}`,
        cloneType: 'full',
        datastore: place.datastore,
        diskType: next.diskType,
        host: place.host,
        resourcePool: place.resourcePool,
        folder: place.folder,
      });
      undo.push('delete the clone', () => this.volumeops.deleteBacking(c));
      await this.volumeops.deleteBacking(backing);
      return c;
    });
    await this.volumeops.setVolumeIdentity(clone, volume.id);
    await this.volumeops.renameBacking(clone, volumeName(volume));
    return clone;
  }

  // ---- manage ----

  private async existing(ref: ExistingReference): Promise<{ vm: ManagedObjectReference; disk: DiskInfo }> {
    const source = ref['source-name'];
    if (typeof source !== 'string' || source === '') throw new InvalidExistingReferenceError('source-name cannot be empty');
    const at = source.lastIndexOf('@');
    if (at <= 0 || at === source.length - 1) throw new InvalidExistingReferenceError("source-name must be '<vmdk path>@<VM inventory path>'");
    const vmdkPath = source.slice(0, at);
    const vmPath = source.slice(at + 1);
    const vm = await this.volumeops.getEntityByInventoryPath(vmPath);
    if (vm?.type !== 'VirtualMachine') throw new InvalidExistingReferenceError(`no VM at ${vmPath}`);
    const disk = (await this.volumeops.getDisks(vm)).find((d) => d.path === vmdkPath);
    if (disk === undefined) throw new InvalidExistingReferenceError(`VM ${vmPath} has no disk ${vmdkPath}`);
    return { vm, disk };
  }

  /** The size in GiB, rounded up, of the disk `manageExisting` would take (Cinder's `manage_existing_get_size`). */
  async manageExistingGetSize(volume: Volume, ref: ExistingReference): Promise<number> {
    void volume;
    const { disk } = await this.existing(ref);
    return Math.ceil(disk.capacity / GiB);
  }

  /**
   * Brings an existing disk under management (Cinder's `manage_existing`): a disk-less backing is
   * created for the volume, the disk is detached from its VM, moved into the backing's folder and
   * attached to the backing. On failure the disk goes back to its VM and the backing is deleted.
   */
  async manageExisting(volume: Volume, ref: ExistingReference): Promise<void> {
    const { vm, disk } = await this.existing(ref);
    const undo = new Undo();
    await undo.guard(() => this.adoptDisk(volume, vm, disk, undo));
  }

  /**
   * Moves a VM's disk into a new disk-less backing of the volume (Cinder's `_manage_existing_int`),
   * recording in `undo` how to put everything back.
   */
  private async adoptDisk(volume: Volume, vm: ManagedObjectReference, disk: DiskInfo, undo: Undo): Promise<ManagedObjectReference> {
    const specs = this.specs(volume);
    const host = await this.volumeops.getHost(vm);
    const backing = await this.createBacking({ ...volume, size: Math.max(volume.size, Math.ceil(disk.capacity / GiB)) }, host, { diskLess: true });
    undo.push('delete the new backing', () => this.volumeops.deleteBacking(backing));
    await this.volumeops.detachDisk(vm, disk);
    undo.push('reattach the disk to its VM', () => this.volumeops.reattachDisk(vm, disk));
    const backingDs = await this.volumeops.getDatastore(backing);
    const dsName = backingDs === undefined ? DatastorePath.parse(disk.path).datastore : await this.datastoreName(backingDs);
    const dest = new DatastorePath(dsName, volumeName(volume), `${volumeName(volume)}.vmdk`);
    const dc = await this.volumeops.getDatacenter(vm);
    let finalPath = disk.path;
    if (dest.toString() !== disk.path) {
      await this.volumeops.makeDirectory(new DatastorePath(dsName, volumeName(volume)).toString(), dc.ref);
      await this.volumeops.moveDisk(disk.path, dest.toString(), dc.ref);
      undo.push('move the disk back', () => this.volumeops.moveDisk(dest.toString(), disk.path, dc.ref));
      finalPath = dest.toString();
    }
    await this.volumeops.attachDisk(backing, finalPath, { adapterType: specs.adapterType, diskType: specs.diskType, sizeKb: Math.ceil(disk.capacity / 1024) });
    return backing;
  }

  /**
   * Full-clones the disk of an attached volume out of the instance it is attached to (Cinder's
   * `_create_temp_backing_from_attached_vmdk`): the instance is found by the attachment's instance UUID,
   * the disk by the UUID Nova keeps in the instance's extraConfig `volume-<id>`; every other disk is left
   * out of the clone.
   */
  private async cloneFromInstance(
    source: Volume,
    name: string,
    target: { folder: ManagedObjectReference; datastore?: ManagedObjectReference | undefined; host?: ManagedObjectReference; resourcePool?: ManagedObjectReference },
  ): Promise<ManagedObjectReference> {
    const instanceUuid = source.attachedInstanceUuids?.[0];
    if (instanceUuid === undefined) throw new InvalidVolumeError(`volume ${source.id} is in use but names no instance (attachedInstanceUuids)`);
    const instance = await this.volumeops.getBacking(instanceUuid);
    if (instance === undefined) throw new InvalidVolumeError(`the instance ${instanceUuid} that volume ${source.id} is attached to does not exist`);
    const deviceUuid = await this.volumeops.getExtraConfig(instance, `volume-${source.id}`);
    const disk = (await this.volumeops.getDisks(instance)).find((d) => deviceUuid !== undefined && d.uuid?.toLowerCase() === deviceUuid.toLowerCase());
    if (disk === undefined) throw new InvalidVolumeError(`instance ${instanceUuid} has no disk of volume ${source.id} (extraConfig volume-${source.id})`);
    return this.volumeops.cloneBacking(instance, {
      name,
      cloneType: 'full',
      folder: target.folder,
      diskKeys: [disk.key],
      ...(target.datastore === undefined ? {} : { datastore: target.datastore }),
      ...(target.host === undefined ? {} : { host: target.host }),
      ...(target.resourcePool === undefined ? {} : { resourcePool: target.resourcePool }),
    });
  }

  private async datastoreName(ds: ManagedObjectReference): Promise<string> {
    const inv = await this.volumeops.datastoreName(ds);
    return inv;
  }

  /** Releases a volume's backing from management (Cinder's `unmanage`): its volume id is cleared from extraConfig. */
  async unmanage(volume: Volume): Promise<void> {
    const backing = await this.volumeops.getBacking(volume.id);
    if (backing === undefined) return;
    await this.volumeops.setVolumeIdentity(backing, randomUUID(), '');
  }

  // ---- images ----

  /**
   * Writes an image into the volume (Cinder's `copy_image_to_volume`), through Nova's pipeline: the
   * handler stages the bits (OVA unwrapped, size and checksum verified), a processor makes them a
   * stream-optimized disk, and a user consumes it:
   * - full copy (the default): an NFC import into a new backing, extended to the volume's size;
   * - linked-clone base (the image says `vmware_linked_clone` and the volume type
   *   `vmware:clone_type: linked`): the image is imported once per size into a cached base VM
   *   (`OpenStack/Images/image-<id>-<size>g`, with a snapshot `base`), and each volume is a linked clone
   *   of it; the bits are not fetched again while the base exists.
   * A volume smaller than the image's disk is refused (`ImageUnacceptableError`, reason `too-large`)
   * before anything is created. An existing backing is replaced only once the new one is complete; any
   * failure deletes what was made and leaves the old one as it was.
   */
  async copyImageToVolume(volume: Volume, imageId: string, source: ImageSource): Promise<void> {
    const specs = this.specs(volume);
    const image = validateImage(imageId, await source.info(this.options.signal), this.config.vmware_adapter_type);
    const existing = await this.volumeops.getBacking(volume.id);
    if (image.linkedClone && specs.cloneType === 'linked' && existing === undefined && !this.esx) {
      const base = await this.imageBase(image, source, volume);
      const { folder } = await this.volumeFolder(base.vm, volume.projectId);
      const profileId = await this.profileId(specs);
      await this.volumeops.cloneBacking(base.vm, {
        name: volumeName(volume),
        cloneType: 'linked',
        snapshot: base.snapshot,
        folder,
        instanceUuid: volume.id,
        extraConfig: this.extraConfig(volume),
        ...(profileId === undefined ? {} : { profileId }),
      });
      return;
    }
    const name = existing === undefined ? volumeName(volume) : `${volumeName(volume)}-image-${randomUUID().slice(0, 8)}`;
    const vm = await this.importImage(image, source, volume, name, existing === undefined);
    const undo = new Undo();
    undo.push('delete the imported backing', () => this.volumeops.deleteBacking(vm));
    await undo.guard(async () => {
      if (existing !== undefined) await this.volumeops.deleteBacking(existing);
    });
    if (existing !== undefined) {
      await this.volumeops.setVolumeIdentity(vm, volume.id);
      await this.volumeops.renameBacking(vm, volumeName(volume));
    }
  }

  /**
   * Stages, processes and imports an image as a new VM of `volume.size` GiB (extended after the
   * import when the image's disk is smaller), with the volume's identity when `identity`. Nothing is
   * left behind on failure: no staging file, no VM.
   */
  private async importImage(image: VmdkImage, source: ImageSource, volume: Volume, name: string, identity: boolean): Promise<ManagedObjectReference> {
    const c = this.config;
    const specs = this.specs(volume);
    const pipelineOptions = { tmpDir: c.vmware_tmp_dir, ...this.call() };
    const staged = await stageImage(image, source, pipelineOptions);
    let disk: StreamOptimizedDisk | undefined;
    try {
      if (staged.capacity > volume.size * GiB) {
        throw new ImageUnacceptableError('too-large', `image ${image.id} holds a disk of ${staged.capacity} bytes, larger than the ${volume.size} GiB volume`);
      }
      disk = await toStreamOptimized(staged, pipelineOptions);
      const profileId = await this.profileId(specs);
      const place = await this.placeVolume(volume);
      const config = this.volumeops.createSpec({
        name,
        sizeKb: Math.ceil(disk.capacity / 1024),
        diskType: specs.diskType,
        adapterType: image.adapterType,
        folder: place.folder,
        resourcePool: place.resourcePool,
        host: place.host,
        datastoreName: place.summary.name,
        ...(profileId === undefined ? {} : { profileId }),
        ...(identity ? { instanceUuid: volume.id, extraConfig: this.extraConfig(volume) } : {}),
      });
      const vm = await importVmdk(this.session, {
        importSpec: { _type: 'VirtualMachineImportSpec', configSpec: config },
        pool: place.resourcePool,
        ...(this.esx ? {} : { folder: place.folder }),
        host: place.host,
        source: createReadStream(disk.path),
        size: disk.size,
        streamOptimized: true,
        signal: AbortSignal.any([AbortSignal.timeout(c.vmware_image_transfer_timeout_secs * 1000), ...(this.options.signal === undefined ? [] : [this.options.signal])]),
      });
      if (volume.size * GiB > disk.capacity) {
        const undo = new Undo();
        undo.push('delete the imported backing', () => this.volumeops.deleteBacking(vm));
        await undo.guard(() => this.extendBacking(vm, volume.size));
      }
      return vm;
    } finally {
      await (disk ?? staged).cleanup();
    }
  }

  /**
   * The cached base of an image at a volume's size (Nova's linked-clone image cache, one copy per
   * size as Nova keeps `<image>.<size>.vmdk`): found by its inventory path, else imported under a
   * temporary name, given its snapshot `base`, and only then renamed, so that a half-made base is
   * never found. Concurrent callers in this driver share one creation.
   */
  private imageBase(image: VmdkImage, source: ImageSource, volume: Volume): Promise<{ vm: ManagedObjectReference; snapshot: ManagedObjectReference }> {
    const key = `${image.id}/${volume.size}`;
    let hit = this.imageBases.get(key);
    if (hit === undefined) {
      hit = this.makeImageBase(image, source, volume);
      this.imageBases.set(key, hit);
      void hit.catch(() => this.imageBases.delete(key));
    }
    return hit;
  }

  private async makeImageBase(image: VmdkImage, source: ImageSource, volume: Volume): Promise<{ vm: ManagedObjectReference; snapshot: ManagedObjectReference }> {
    const name = `image-${image.id}-${volume.size}g`;
    const place = await this.placeVolume(volume);
    const dc = await this.volumeops.getDatacenter(place.resourcePool);
    const path = [dc.name, 'vm', 'OpenStack', 'Images', name].join('/');
    const found = await this.volumeops.getEntityByInventoryPath(path);
    if (found !== undefined) {
      const snapshot = await this.volumeops.getSnapshot(found, 'base');
      if (snapshot !== undefined) return { vm: found, snapshot };
    }
    const folder = await this.volumeops.createVmInventoryFolder(dc, ['OpenStack', 'Images']);
    const vm = await this.importImage(image, source, { ...volume, extraSpecs: { ...volume.extraSpecs, 'vmware:vmdk_type': 'thin' } }, `${name}-${randomUUID().slice(0, 8)}`, false);
    const undo = new Undo();
    undo.push('delete the half-made image base', () => this.volumeops.deleteBacking(vm));
    return undo.guard(async () => {
      await this.volumeops.moveBackingToFolder(vm, folder);
      const snapshot = await this.volumeops.createSnapshot(vm, 'base', `linked-clone base of image ${image.id}`);
      await this.volumeops.renameBacking(vm, name);
      return { vm, snapshot };
    });
  }

  /**
   * Uploads the volume as a stream-optimized VMDK image (Cinder's `copy_volume_to_image`) through an
   * NFC export into `sink`; an attached volume is refused. The result is what the sink stored (size,
   * sha256, properties `disk_format: vmdk`, `vmware_disktype: streamOptimized`, ...).
   */
  async copyVolumeToImage(volume: Volume, sink: ImageSink, imageMeta: { disk_format?: string; properties?: Record<string, string> } = {}): Promise<ImageInfo> {
    if (inUse(volume)) throw new InvalidVolumeError(`uploading volume ${volume.id} to an image is not supported while it is in use`);
    if (imageMeta.disk_format !== undefined && imageMeta.disk_format.toLowerCase() !== 'vmdk') {
      throw new ImageUnacceptableError('format', `cannot create an image of disk format ${imageMeta.disk_format}, only vmdk`);
    }
    const backing = (await this.volumeops.getBacking(volume.id)) ?? (await this.createBacking(volume));
    return copyVmDiskToImage(this.session, backing, sink, {
      timeoutMs: this.config.vmware_image_transfer_timeout_secs * 1000,
      maxSize: volume.size * GiB + 64 * 1024 * 1024,
      properties: { vmware_adaptertype: this.specs(volume).adapterType, ...(imageMeta.properties ?? {}) },
      ...this.call(),
    });
  }

  // ---- backup ----

  /**
   * Backs a volume up through the VMDK connector, the way Cinder's backup manager does with os-brick:
   * attach (the connector exports the disk to a local stream-optimized VMDK), copy that file into
   * `target`, detach (nothing changed, nothing is written back). Resolves with the bytes written and
   * their sha256. A volume without a backing gets one first, as Cinder's attach does.
   */
  async backupVolume(volume: Volume, target: NodeJS.WritableStream): Promise<{ size: number; sha256: string }> {
    const connector = new VmdkConnector({ session: this.session, tmpDir: this.config.vmware_tmp_dir });
    const info = await this.initializeConnection(volume, { platform: process.arch, os_type: process.platform });
    const device = await connector.connectVolume(info, this.call());
    try {
      const hash = createHash('sha256');
      let size = 0;
      await pipeline(
        createReadStream(device.path),
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        target,
        this.call(),
      );
      return { size, sha256: hash.digest('hex') };
    } finally {
      await connector.disconnectVolume(info, device, this.call());
    }
  }

  /**
   * Restores a backup made by {@link VmdkDriver.backupVolume} into a volume through the VMDK connector:
   * attach, replace the local file with the backup, detach (the connector imports the file and swaps
   * it in as the volume's disk, refusing a volume with snapshots). The volume's other properties stay.
   */
  async restoreBackup(volume: Volume, source: NodeJS.ReadableStream): Promise<void> {
    const connector = new VmdkConnector({ session: this.session, tmpDir: this.config.vmware_tmp_dir });
    const info = await this.initializeConnection(volume, { platform: process.arch, os_type: process.platform });
    const device = await connector.connectVolume(info, this.call());
    try {
      await pipeline(source, createWriteStream(device.path), this.call());
    } catch (err) {
      await connector.disconnectVolume(info, device, { ...this.call(), force: true }).catch(() => undefined);
      throw err;
    }
    await connector.disconnectVolume(info, device, this.call());
  }

  // ---- stats ----

  /**
   * Cinder's volume stats (`get_volume_stats`): capacities are `unknown` unless
   * `vmware_enable_volume_stats`; then they are the sums, in whole GiB, over the datastores that are
   * accessible, out of maintenance, visible to the configured clusters' hosts and, when
   * `vmware_storage_profile` names profiles, compliant with one of them.
   */
  async getVolumeStats(): Promise<VolumeStats> {
    const stats: VolumeStats = {
      volume_backend_name: this.options.backendName ?? 'VMwareVcVmdkDriver',
      vendor_name: 'VMware',
      driver_version: DRIVER_VERSION,
      storage_protocol: 'vmdk',
      reserved_percentage: 0,
      total_capacity_gb: 'unknown',
      free_capacity_gb: 'unknown',
      shared_targets: false,
    };
    if (!this.config.vmware_enable_volume_stats) return stats;
    const inv = await this.datastoreSelector.inventory();
    const hosts = this.clusterHosts === undefined ? undefined : new Set(this.clusterHosts.map((h) => h.value));
    let usable = inv.datastores.filter((ds) => {
      const s = ds.summary;
      if (!s.accessible || (s.maintenanceMode ?? 'normal') !== 'normal') return false;
      return hosts === undefined || ds.mounts.some((m) => hosts.has(m.key.value));
    });
    const profiles = this.config.vmware_storage_profile;
    if (profiles.length > 0 && !this.esx && usable.length > 0) {
      const compliant = new Set<string>();
      for (const name of profiles) {
        const id = await this.datastoreSelector.getProfileId(name);
        for (const ds of await matchingDatastores(this.session, id, usable.map((d) => d.ref), this.call())) compliant.add(ds.value);
      }
      usable = usable.filter((d) => compliant.has(d.ref.value));
    }
    stats.total_capacity_gb = Math.round(usable.reduce((n, d) => n + d.summary.capacity, 0) / GiB);
    stats.free_capacity_gb = Math.round(usable.reduce((n, d) => n + d.summary.freeSpace, 0) / GiB);
    return stats;
  }
}
