/**
 * The spec of the VM that simulator-backed tests make again and again: one LSI Logic SCSI controller
 * and one new disk on it.
 *
 * The types here are structural on purpose: testkit does not depend on `@vmkit/vim` (whose own tests
 * use it), and these objects are assignable to its `VirtualMachineConfigSpec` and
 * `VirtualMachineImportSpec`.
 */

/** What {@link diskVmConfigSpec} and {@link diskVmImportSpec} build. */
export interface DiskVmOptions {
  /** The VM's name. */
  name: string;
  /** The disk's capacity in KiB. */
  capacityInKB: number;
  /** The datastore that holds the VM's files; `LocalDS_0` (the simulator's first) when left out. */
  datastore?: string;
  /** A thin disk (the default) or, with `false`, a thick one. */
  thin?: boolean;
  /** The number of virtual CPUs, left to the server when left out. */
  numCPUs?: number;
  /** The memory in MiB, left to the server when left out. */
  memoryMB?: number;
}

/** A device of a {@link DiskVmConfigSpec}: the controller or the disk. */
export interface DiskVmDevice {
  /** The wire type: `VirtualLsiLogicController` or `VirtualDisk`. */
  _type: string;
  /** The device key (negative for the new disk). */
  key: number;
  /** The controller's bus. */
  busNumber?: number;
  /** The controller's bus sharing. */
  sharedBus?: string;
  /** The controller's own unit on its bus (7, as govmomi and vCenter set it). */
  scsiCtlrUnitNumber?: number;
  /** The disk's controller. */
  controllerKey?: number;
  /** The disk's unit on the controller. */
  unitNumber?: number;
  /** The disk's capacity in KiB. */
  capacityInKB?: number;
  /** The disk's flat file backing, its file name left to the server. */
  backing?: { _type: string; fileName: string; diskMode: string; thinProvisioned?: boolean };
}

/** One entry of a {@link DiskVmConfigSpec}'s device changes. */
export interface DiskVmDeviceChange {
  /** Always `add`. */
  operation: 'add';
  /** `create` for the disk, whose file the server makes. */
  fileOperation?: 'create';
  /** The device added. */
  device: DiskVmDevice;
}

/** A `VirtualMachineConfigSpec` with one SCSI controller and one new disk. */
export interface DiskVmConfigSpec {
  /** The VM's name. */
  name: string;
  /** The guest OS identifier (`otherGuest64`). */
  guestId: string;
  /** Where the VM's files go (`[datastore]`). */
  files: { vmPathName: string };
  /** The number of virtual CPUs, when given. */
  numCPUs?: number;
  /** The memory in MiB, when given. */
  memoryMB?: number;
  /** The controller, then the disk. */
  deviceChange: DiskVmDeviceChange[];
}

/** A `VirtualMachineImportSpec` (for `ImportVApp`) around a {@link DiskVmConfigSpec}. */
export interface DiskVmImportSpec {
  /** Always `VirtualMachineImportSpec`, so that it travels with its `xsi:type`. */
  _type: 'VirtualMachineImportSpec';
  /** The VM to make. */
  configSpec: DiskVmConfigSpec;
}

/**
 * The config spec of a VM with an LSI Logic controller (key 1000, bus 0, its own unit 7: the simulator
 * cannot tell an absent unit from 0 and would then see unit 0 as the controller's own) and one new disk
 * on unit 0, for `CreateVM_Task`.
 */
export function diskVmConfigSpec(options: DiskVmOptions): DiskVmConfigSpec {
  const backing: NonNullable<DiskVmDevice['backing']> = { _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '', diskMode: 'persistent' };
  if (options.thin ?? true) backing.thinProvisioned = true;
  const spec: DiskVmConfigSpec = {
    name: options.name,
    guestId: 'otherGuest64',
    files: { vmPathName: `[${options.datastore ?? 'LocalDS_0'}]` },
    deviceChange: [
      { operation: 'add', device: { _type: 'VirtualLsiLogicController', key: 1000, busNumber: 0, sharedBus: 'noSharing', scsiCtlrUnitNumber: 7 } },
      {
        operation: 'add',
        fileOperation: 'create',
        device: { _type: 'VirtualDisk', key: -1, controllerKey: 1000, unitNumber: 0, capacityInKB: options.capacityInKB, backing },
      },
    ],
  };
  if (options.numCPUs !== undefined) spec.numCPUs = options.numCPUs;
  if (options.memoryMB !== undefined) spec.memoryMB = options.memoryMB;
  return spec;
}

/** {@link diskVmConfigSpec} as the import spec of `ImportVApp` (what `importVmdk` takes). */
export function diskVmImportSpec(options: DiskVmOptions): DiskVmImportSpec {
  return { _type: 'VirtualMachineImportSpec', configSpec: diskVmConfigSpec(options) };
}
