import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatastorePath, VimSession, retrieveProperties, waitForTask, type VimSessionOptions } from '@vmkit/session';
import { exportVmdk, importVmdk, inspectVmdk } from '@vmkit/transfer';
import { InvalidLoginError, VimError, type ManagedObjectReference, type vim } from '@vmkit/vim';
import type { Connector, ConnectorCallOptions, DisconnectOptions } from '../connector.js';
import { BackingHasSnapshotsError, CleanupIncompleteError, ConnectorError, OperationNotSupportedError, TicketRefusedError } from '../errors.js';
import { parseVmdkConnectionInfo, type VmdkConnectionData, type VmdkConnectionInfo } from './connection-info.js';

/** Options of {@link VmdkConnector}. */
export interface VmdkConnectorOptions {
  /**
   * A session to work through instead of logging in from `connection_info`; the connector never
   * closes it. Without one, the connector logs in with the clone ticket in `connection_info`.
   */
  session?: VimSession;
  /**
   * Accept `vmware_host_username`/`vmware_host_password` in `connection_info` (os-brick's way). Off by
   * default: a `connection_info` that carries a password is refused.
   */
  allowPasswordLogin?: boolean;
  /** The folder the local VMDK files are written to (default `config.vmware_tmp_dir`, else the OS's temporary folder). */
  tmpDir?: string;
  /** Session options for the sessions the connector opens itself (CA, pool size, retries...). */
  sessionOptions?: Omit<VimSessionOptions, 'host' | 'port' | 'username' | 'password' | 'cloneTicket' | 'signal'>;
}

/** What {@link VmdkConnector.connectVolume} resolves with: the local file and what it was when written. */
export interface VmdkDeviceInfo {
  /** The local stream-optimized VMDK file. */
  path: string;
  /** Its modification time (ms since the epoch) right after the export. */
  mtime: number;
  /** Its size in bytes right after the export. */
  size: number;
}

/** Options of {@link VmdkConnector.disconnectVolume}. */
export interface VmdkDisconnectOptions extends DisconnectOptions {
  /**
   * Give the attachment up without writing the file back, changed or not (after a restore that failed
   * half-way, say): the local file is removed and the volume stays as it is.
   */
  discard?: boolean;
}

/** What {@link VmdkConnector.disconnectVolume} did. */
export interface VmdkDetachResult {
  /** Whether the file had changed and was written back into the volume. */
  uploaded: boolean;
  /** The datastore path of the volume's disk afterwards (a new file when `uploaded`). */
  vmdkPath?: string;
}

interface Attachment {
  session: VimSession;
  owned: boolean;
  path: string;
}

interface DiskDevice extends vim.VirtualDisk {
  backing: vim.VirtualDiskFlatVer2BackingInfo;
}

const TEMP_PREFIX = 'vmkit-detach-';
const CLEANUP_ATTEMPTS = 3;

/**
 * The VMDK connector, after os-brick's `VmdkConnector`, for hosts that are not VMs (backup and restore):
 * attach exports the volume's disk to a local stream-optimized file; detach, when the file changed,
 * imports it and swaps it into the volume's backing VM so that the old disk is deleted only after the
 * new one is in place.
 *
 * Unlike os-brick it never takes vCenter's password from `connection_info` (a one-use clone ticket or
 * a session given by the caller), and a failed detach never loses the volume's disk: until the swap,
 * every failure undoes what was done and leaves the volume as it was (and the local file in place for
 * another try); the swap itself is one `ReconfigVM_Task`.
 *
 * A session opened from a clone ticket is kept from attach to detach (the ticket works once); `close()`
 * logs out of any still open.
 */
export class VmdkConnector implements Connector<VmdkConnectionInfo, VmdkDeviceInfo> {
  readonly protocol = 'VMDK';
  private readonly attachments = new Map<string, Attachment>();
  /** Volumes with an attach or detach in progress: a second one at the same time is refused. */
  private readonly busy = new Set<string>();

  constructor(private readonly options: VmdkConnectorOptions = {}) {}

  /**
   * Exports the backing VM's only disk (ExportVm, through `@vmkit/transfer`) to a new local file
   * (mode 0600) and resolves with its path, modification time and size. A failure leaves no file.
   */
  async connectVolume(info: VmdkConnectionInfo, options: ConnectorCallOptions = {}): Promise<VmdkDeviceInfo> {
    const data = parseVmdkConnectionInfo(info).data;
    return this.exclusive(data.volume_id, () => this.connect(data, options));
  }

  private async connect(data: VmdkConnectionData, options: ConnectorCallOptions): Promise<VmdkDeviceInfo> {
    if (this.attachments.has(data.volume_id)) {
      throw new ConnectorError(`volume ${data.volume_id} is attached already; detach it first`, 'VMKIT_CONNECTOR_ALREADY_ATTACHED');
    }
    const { session, owned } = await this.open(data, options.signal);
    const path = join(this.options.tmpDir ?? data.config?.vmware_tmp_dir ?? tmpdir(), `${safeName(data.volume_id)}-${randomBytes(4).toString('hex')}.vmdk`);
    try {
      const backing = vmRef(data.volume);
      await backingDisk(session, backing, options.signal);
      const signal = transferSignal(data, options.signal);
      const exported = await exportVmdk(session, backing, { ...(signal === undefined ? {} : { signal }) });
      const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
      let created = false; // a file of the same name that was there before is not ours to remove
      out.once('open', () => {
        created = true;
      });
      try {
        await pipeline(exported.stream, out, ...(signal === undefined ? [] : [{ signal }]));
      } catch (err) {
        exported.stream.destroy();
        if (created) await unlink(path).catch(() => undefined);
        throw err;
      }
      const st = await stat(path);
      this.attachments.set(data.volume_id, { session, owned, path });
      return { path, mtime: st.mtimeMs, size: st.size };
    } catch (err) {
      if (owned) await session.close();
      throw err;
    }
  }

  /**
   * Detaches: when the file's modification time or size changed (and `discard` is not set), writes it
   * back into the volume — checks (no snapshots on the backing, one disk, a stream-optimized file no
   * larger than the volume, whose disk gets the volume's size), imports it into a temporary VM, unregisters that VM, moves the new disk next to the old one and deletes the
   * temporary VM's folder, then swaps the disks in one `ReconfigVM_Task` (the old disk removed without
   * destroying its file, the new one added at the same controller and unit), and finally deletes the
   * old disk's files. Removes the local file at the end.
   *
   * @throws {@link BackingHasSnapshotsError} before anything moves when the backing has snapshots.
   * @throws {@link CleanupIncompleteError} when something temporary (or, after the swap, the old disk
   * file) could not be removed; `committed` says whether the volume holds the new data.
   * Any other failure before the swap leaves the volume exactly as it was, nothing temporary behind,
   * and the local file in place.
   */
  async disconnectVolume(info: VmdkConnectionInfo, device: VmdkDeviceInfo, options: VmdkDisconnectOptions = {}): Promise<VmdkDetachResult> {
    const data = parseVmdkConnectionInfo(info).data;
    checkDevice(device);
    return this.exclusive(data.volume_id, () => this.disconnect(data, device, options));
  }

  private async disconnect(data: VmdkConnectionData, device: VmdkDeviceInfo, options: VmdkDisconnectOptions): Promise<VmdkDetachResult> {
    const st = await stat(device.path).catch((cause: unknown) => {
      if (options.discard === true) return undefined; // nothing to give up but the session
      throw new ConnectorError(`the attached file ${device.path} is gone`, 'VMKIT_CONNECTOR_BAD_DEVICE_INFO', { cause });
    });
    const attachment = this.attachments.get(data.volume_id);
    if (st === undefined || options.discard === true || (st.mtimeMs === device.mtime && st.size === device.size)) {
      await this.release(data.volume_id);
      if (st !== undefined) await unlink(device.path);
      return { uploaded: false };
    }
    const { session, owned } = attachment ?? (await this.open(data, options.signal));
    if (attachment === undefined) this.attachments.set(data.volume_id, { session, owned, path: device.path });
    const vmdkPath = await new DiskSwap(session, data, device.path, options.signal).run();
    await this.release(data.volume_id);
    await unlink(device.path);
    return { uploaded: true, vmdkPath };
  }

  /** A VMDK attachment is a copy: it cannot grow. Always a typed {@link OperationNotSupportedError}. */
  extendVolume(): Promise<number> {
    return Promise.reject(new OperationNotSupportedError('extendVolume', 'a VMDK attachment is a local copy of the disk and cannot be extended; extend the volume, then attach it again'));
  }

  /** The local file of the volume while this connector has it attached, else nothing. */
  getVolumePaths(info: VmdkConnectionInfo): Promise<string[]> {
    const a = this.attachments.get(parseVmdkConnectionInfo(info).data.volume_id);
    return Promise.resolve(a === undefined ? [] : [a.path]);
  }

  /** Whether `path` is a readable stream-optimized VMDK (what an attach writes). */
  async checkValidDevice(path: string, options: ConnectorCallOptions = {}): Promise<boolean> {
    try {
      const info = await inspectVmdk(path, options.signal === undefined ? {} : { signal: options.signal });
      return info.diskType === 'streamOptimized';
    } catch {
      return false;
    }
  }

  /** Logs out of every session this connector opened and forgets its attachments (the local files stay). */
  async close(): Promise<void> {
    const ids = [...this.attachments.keys()];
    await Promise.all(ids.map((id) => this.release(id)));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async exclusive<T>(volumeId: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy.has(volumeId)) throw new ConnectorError(`volume ${volumeId} is being attached or detached already`, 'VMKIT_CONNECTOR_BUSY');
    this.busy.add(volumeId);
    try {
      return await fn();
    } finally {
      this.busy.delete(volumeId);
    }
  }

  private async release(volumeId: string): Promise<void> {
    const a = this.attachments.get(volumeId);
    this.attachments.delete(volumeId);
    if (a?.owned === true) await a.session.close();
  }

  /** The caller's session, or one opened with the clone ticket (or, when allowed, the password). */
  private async open(data: VmdkConnectionData, signal: AbortSignal | undefined): Promise<{ session: VimSession; owned: boolean }> {
    if (this.options.session !== undefined) return { session: this.options.session, owned: false };
    const c = data.config;
    if (c === undefined) throw new ConnectorError('connection_info has no config to reach vCenter with, and the connector was given no session', 'VMKIT_CONNECTOR_INVALID_CONNECTION_INFO');
    const hasPassword = c.vmware_host_password !== undefined && c.vmware_host_password !== null;
    if (hasPassword && this.options.allowPasswordLogin !== true) {
      throw new ConnectorError('connection_info carries a password; refused (log in with a clone ticket, or create the connector with allowPasswordLogin)', 'VMKIT_CONNECTOR_PASSWORD_REFUSED');
    }
    const base: VimSessionOptions = {
      ...this.options.sessionOptions,
      host: c.vmware_host_ip,
      ...(c.vmware_host_port === undefined || /^https?:\/\//i.test(c.vmware_host_ip) ? {} : { port: c.vmware_host_port }),
      ...(c.vmware_ca_file === undefined || c.vmware_ca_file === null ? {} : { ca: await readFile(c.vmware_ca_file) }),
      ...(c.vmware_insecure === true ? { insecure: true } : {}),
      ...(c.vmware_api_retry_count === undefined ? {} : { apiRetryCount: c.vmware_api_retry_count }),
      ...(c.vmware_task_poll_interval === undefined ? {} : { taskPollIntervalSeconds: c.vmware_task_poll_interval }),
      ...(signal === undefined ? {} : { signal }),
    };
    if (c.vmware_clone_ticket !== undefined && c.vmware_clone_ticket !== null && c.vmware_clone_ticket !== '') {
      try {
        return { session: await VimSession.connect({ ...base, cloneTicket: c.vmware_clone_ticket }), owned: true };
      } catch (err) {
        if (err instanceof InvalidLoginError) throw new TicketRefusedError({ cause: err });
        throw err;
      }
    }
    if (hasPassword && c.vmware_host_username !== undefined) {
      return { session: await VimSession.connect({ ...base, username: c.vmware_host_username, password: c.vmware_host_password! }), owned: true };
    }
    throw new ConnectorError('connection_info has no clone ticket (config.vmware_clone_ticket), and the connector was given no session', 'VMKIT_CONNECTOR_INVALID_CONNECTION_INFO');
  }
}

/** The write-back of a changed file: every step, and the undo of each until the swap. */
class DiskSwap {
  private readonly backing: ManagedObjectReference;
  private readonly call: { signal?: AbortSignal };
  /** What exists now that must go if the detach fails before the swap. */
  private tempVm: ManagedObjectReference | undefined;
  private tempVmRegistered = false;
  private tempFolder: DatastorePath | undefined;
  private orphanDisk: string | undefined;

  constructor(
    private readonly session: VimSession,
    private readonly data: VmdkConnectionData,
    private readonly file: string,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.backing = vmRef(data.volume);
    this.call = signal === undefined ? {} : { signal };
  }

  async run(): Promise<string> {
    // Checks first: nothing moves until they pass.
    const { disk: oldDisk, props } = await backingDisk(this.session, this.backing, this.signal, ['snapshot', 'resourcePool', 'parent']);
    const snap = props.snapshot as vim.VirtualMachineSnapshotInfo | undefined;
    if ((snap?.rootSnapshotList?.length ?? 0) > 0) throw new BackingHasSnapshotsError(this.data.volume);
    const image = await inspectVmdk(this.file, this.call).catch((cause: unknown) => {
      throw new ConnectorError(`the attached file ${this.file} is not a VMDK any more`, 'VMKIT_CONNECTOR_BAD_DEVICE_INFO', { cause });
    });
    if (image.diskType !== 'streamOptimized') throw new ConnectorError(`the attached file is a ${image.diskType} VMDK, not the stream-optimized one attach wrote`, 'VMKIT_CONNECTOR_BAD_DEVICE_INFO');
    // The volume's size is the driver's record: the new disk gets exactly that size. A smaller image
    // (a backup of a smaller volume) fills its start and the rest reads as zeros; a larger one cannot fit.
    const volumeBytes = diskBytes(oldDisk) ?? image.capacity;
    if (image.capacity > volumeBytes) {
      throw new ConnectorError(`the attached file holds a disk of ${image.capacity} bytes, larger than the volume's ${volumeBytes}: refused, nothing was changed`, 'VMKIT_CONNECTOR_CAPACITY_MISMATCH');
    }
    const pool = props.resourcePool as ManagedObjectReference | undefined;
    if (pool === undefined) throw new ConnectorError(`the backing VM ${this.data.volume} has no resource pool (a template?)`, 'VMKIT_CONNECTOR_UNEXPECTED_BACKING');
    const oldPath = DatastorePath.parse(oldDisk.backing.fileName);
    const dc = this.data.datacenter === undefined ? await datacenterOf(this.session, this.backing, this.signal) : { type: 'Datacenter', value: this.data.datacenter };
    const vpx = this.session.serviceContent.about.apiType === 'VirtualCenter';

    let newPath: string;
    try {
      newPath = await this.stage(oldDisk, oldPath, volumeBytes, pool, vpx ? (props.parent as ManagedObjectReference | undefined) : undefined, dc);
      await this.swap(oldDisk, newPath, volumeBytes);
    } catch (err) {
      await this.undo(err, dc);
      throw err;
    }
    // The volume holds the new disk: the old one goes last.
    try {
      await retrying(() => this.deleteDisk(oldPath.toString(), dc));
    } catch (cause) {
      throw new CleanupIncompleteError('the volume holds the new data, but its old disk file could not be deleted', [oldPath.toString()], { committed: true, cause });
    }
    return newPath;
  }

  /** Import into a temporary VM, unregister it, move its disk next to the old one, delete its folder. */
  private async stage(oldDisk: DiskDevice, oldPath: DatastorePath, capacity: number, pool: ManagedObjectReference, folder: ManagedObjectReference | undefined, dc: ManagedObjectReference): Promise<string> {
    const name = `${TEMP_PREFIX}${safeName(this.data.volume_id)}-${randomBytes(4).toString('hex')}`;
    const size = (await stat(this.file)).size;
    const thin = oldDisk.backing.thinProvisioned === true;
    const importSpec: vim.VirtualMachineImportSpec = {
      _type: 'VirtualMachineImportSpec',
      configSpec: {
        name,
        guestId: 'otherGuest',
        numCPUs: 1,
        memoryMB: 128,
        files: { vmPathName: `[${oldPath.datastore}]` },
        deviceChange: [
          { operation: 'add', device: { _type: 'VirtualLsiLogicController', key: 1000, busNumber: 0, sharedBus: 'noSharing', scsiCtlrUnitNumber: 7 } as vim.VirtualDevice },
          {
            operation: 'add',
            fileOperation: 'create',
            device: {
              _type: 'VirtualDisk',
              key: -100,
              controllerKey: 1000,
              unitNumber: 0,
              capacityInKB: Math.ceil(capacity / 1024),
              backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '', diskMode: 'persistent', thinProvisioned: thin, ...(thin ? {} : { eagerlyScrub: oldDisk.backing.eagerlyScrub === true }) },
            } as vim.VirtualDevice,
          },
        ],
      },
    };
    const signal = transferSignal(this.data, this.signal);
    this.tempVm = await importVmdk(this.session, {
      importSpec,
      pool,
      ...(folder === undefined ? {} : { folder }),
      source: createReadStream(this.file),
      size,
      streamOptimized: true,
      ...(signal === undefined ? {} : { signal }),
    });
    this.tempVmRegistered = true;
    const { disk: tempDisk, props } = await backingDisk(this.session, this.tempVm, this.signal, ['config.files.vmPathName']);
    const vmx = DatastorePath.parse(props['config.files.vmPathName'] as string);
    // Only a folder of the temporary VM's own is ever deleted, never a datastore's root.
    if (vmx.parent.relPath !== '' && vmx.parent.basename.startsWith(TEMP_PREFIX)) this.tempFolder = vmx.parent;
    const tempPath = tempDisk.backing.fileName;

    await this.session.invoke('UnregisterVM', this.tempVm, {}, this.call);
    this.tempVmRegistered = false;
    this.orphanDisk = tempPath;

    const stem = oldPath.basename.replace(/\.vmdk$/i, '').replace(/-vmkit[0-9a-f]{8}$/, '');
    const newPath = oldPath.parent.join(`${stem}-vmkit${randomBytes(4).toString('hex')}.vmdk`).toString();
    const vdm = this.session.serviceContent.virtualDiskManager!;
    await waitForTask(this.session, await this.session.invoke('MoveVirtualDisk_Task', vdm, { sourceName: tempPath, sourceDatacenter: dc, destName: newPath, destDatacenter: dc, force: false }, this.call), this.call);
    this.orphanDisk = newPath;
    if (this.tempFolder !== undefined) {
      await this.deleteFile(this.tempFolder.toString(), dc);
      this.tempFolder = undefined;
    }
    this.tempVm = undefined;
    return newPath;
  }

  /** One ReconfigVM_Task: the old disk out (its file kept), the new one in at the same place. */
  private async swap(oldDisk: DiskDevice, newPath: string, capacity: number): Promise<void> {
    const profileId = this.data.profile_id;
    const newDisk: vim.VirtualDisk = {
      _type: 'VirtualDisk',
      key: -101,
      controllerKey: oldDisk.controllerKey,
      unitNumber: oldDisk.unitNumber,
      capacityInKB: Math.ceil(capacity / 1024),
      capacityInBytes: capacity,
      backing: {
        _type: 'VirtualDiskFlatVer2BackingInfo',
        fileName: newPath,
        diskMode: oldDisk.backing.diskMode,
        ...(oldDisk.backing.thinProvisioned === undefined ? {} : { thinProvisioned: oldDisk.backing.thinProvisioned }),
      },
    };
    const spec: vim.VirtualMachineConfigSpec = {
      deviceChange: [
        { operation: 'remove', device: oldDisk as vim.VirtualDevice },
        {
          operation: 'add',
          device: newDisk as vim.VirtualDevice,
          ...(profileId === undefined || profileId === null || profileId === '' ? {} : { profile: [{ _type: 'VirtualMachineDefinedProfileSpec', profileId }] }),
        },
      ],
    };
    try {
      await waitForTask(this.session, await this.session.invoke('ReconfigVM_Task', this.backing, { spec }, this.call), this.call);
    } catch (err) {
      // The outcome may be unknown (the answer was lost): look before undoing anything.
      const now = await backingDisk(this.session, this.backing, undefined).catch(() => undefined);
      if (now?.disk.backing.fileName !== newPath) throw err;
    }
    this.orphanDisk = undefined;
  }

  /** Removes what the failed detach made; the volume was never touched. */
  private async undo(cause: unknown, dc: ManagedObjectReference): Promise<void> {
    const leftovers: string[] = [];
    const attempt = async (what: string, fn: () => Promise<void>) => {
      try {
        await retrying(fn);
      } catch {
        leftovers.push(what);
      }
    };
    const orphan = this.orphanDisk;
    if (orphan !== undefined) await attempt(orphan, () => this.deleteDisk(orphan, dc));
    const folder = this.tempFolder;
    if (this.tempVm !== undefined && this.tempVmRegistered) {
      const vm = this.tempVm;
      await attempt(`VirtualMachine:${vm.value}`, async () => {
        await waitForTask(this.session, await this.session.invoke('Destroy_Task', vm));
      });
    } else if (folder !== undefined) {
      await attempt(folder.toString(), () => this.deleteFile(folder.toString(), dc));
    }
    if (leftovers.length > 0) throw new CleanupIncompleteError('the detach failed and the volume is unchanged, but temporary objects could not be removed', leftovers, { committed: false, cause });
  }

  /** Deletes a disk's files; one that is gone already counts as deleted. */
  private async deleteDisk(path: string, dc: ManagedObjectReference): Promise<void> {
    const vdm = this.session.serviceContent.virtualDiskManager!;
    try {
      await waitForTask(this.session, await this.session.invoke('DeleteVirtualDisk_Task', vdm, { name: path, datacenter: dc }));
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  private async deleteFile(path: string, dc: ManagedObjectReference): Promise<void> {
    const fm = this.session.serviceContent.fileManager!;
    try {
      await waitForTask(this.session, await this.session.invoke('DeleteDatastoreFile_Task', fm, { name: path, datacenter: dc }));
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }
}

/** FileNotFound, or the simulator's CannotDeleteFile of a missing file. */
function isGone(err: unknown): boolean {
  if (!(err instanceof VimError)) return false;
  const name = (err as { faultName?: string }).faultName;
  return name === 'FileNotFound' || (name === 'CannotDeleteFile' && /no such file/i.test(err.message));
}

/** Runs a clean-up step up to three times (a transient fault should not leave garbage behind). */
async function retrying(fn: () => Promise<void>): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= CLEANUP_ATTEMPTS) throw err;
      await sleep(100 * i);
    }
  }
}

/** The VM's only disk (a flat-backed VirtualDisk) and other properties asked for. */
async function backingDisk(
  session: VimSession,
  vm: ManagedObjectReference,
  signal: AbortSignal | undefined,
  more: readonly string[] = [],
): Promise<{ disk: DiskDevice; props: Record<string, unknown> }> {
  const props = await retrieveProperties(session, vm, ['config.hardware.device', ...more], signal === undefined ? {} : { signal });
  const devices = (props['config.hardware.device'] as vim.VirtualDevice[] | undefined) ?? [];
  const disks = devices.filter((d) => d._type === 'VirtualDisk') as vim.VirtualDisk[];
  if (disks.length !== 1) throw new ConnectorError(`the VM ${vm.value} has ${disks.length} disks, not the one a volume's backing has`, 'VMKIT_CONNECTOR_UNEXPECTED_BACKING');
  const disk = disks[0]!;
  const b: { _type?: string; fileName?: unknown } | undefined = disk.backing;
  if (b?._type !== 'VirtualDiskFlatVer2BackingInfo' || typeof b.fileName !== 'string') {
    throw new ConnectorError(`the disk of VM ${vm.value} has a ${b?._type ?? 'missing'} backing, not a VMDK file`, 'VMKIT_CONNECTOR_UNEXPECTED_BACKING');
  }
  return { disk: disk as DiskDevice, props };
}

/** A disk's capacity in bytes (`capacityInBytes`, else `capacityInKB`). */
function diskBytes(disk: vim.VirtualDisk): number | undefined {
  if (typeof disk.capacityInBytes === 'number' && disk.capacityInBytes > 0) return disk.capacityInBytes;
  return typeof disk.capacityInKB === 'number' ? disk.capacityInKB * 1024 : undefined;
}

/** The datacenter an entity lives in, found by walking up its parents. */
async function datacenterOf(session: VimSession, obj: ManagedObjectReference, signal: AbortSignal | undefined): Promise<ManagedObjectReference> {
  let cur: ManagedObjectReference | undefined = obj;
  for (let i = 0; cur !== undefined && i < 64; i++) {
    if (cur.type === 'Datacenter') return cur;
    cur = (await retrieveProperties(session, cur, ['parent'], signal === undefined ? {} : { signal })).parent as ManagedObjectReference | undefined;
  }
  throw new ConnectorError(`no datacenter above ${obj.type}:${obj.value}`, 'VMKIT_CONNECTOR_UNEXPECTED_BACKING');
}

function vmRef(value: string): ManagedObjectReference {
  return { type: 'VirtualMachine', value };
}

/** The caller's signal, bounded by `vmware_image_transfer_timeout_secs` when given. */
function transferSignal(data: VmdkConnectionData, signal: AbortSignal | undefined): AbortSignal | undefined {
  const secs = data.config?.vmware_image_transfer_timeout_secs;
  if (secs === undefined || secs === null || secs <= 0) return signal;
  const timeout = AbortSignal.timeout(secs * 1000);
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}

/** A volume id made safe for a file or VM name. */
function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
}

function checkDevice(device: VmdkDeviceInfo): void {
  const d = device as Partial<VmdkDeviceInfo> | undefined;
  if (typeof d?.path !== 'string' || typeof d.mtime !== 'number' || typeof d.size !== 'number') {
    throw new ConnectorError('the device info is not what connectVolume returned ({ path, mtime, size })', 'VMKIT_CONNECTOR_BAD_DEVICE_INFO');
  }
}
