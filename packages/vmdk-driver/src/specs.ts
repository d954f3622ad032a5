import { adapterTypes, type AdapterType } from './config.js';
import { InvalidVolumeSpecError } from './errors.js';

/** Disk provisioning of a volume (`vmware:vmdk_type`). */
export const diskTypes = ['thin', 'thick', 'eagerZeroedThick'] as const;
/** One disk provisioning: `thin`, `thick` (lazily zeroed) or `eagerZeroedThick`. */
export type DiskType = (typeof diskTypes)[number];
/** How a volume is cloned (`vmware:clone_type`). */
export const cloneTypes = ['full', 'linked'] as const;
/** One clone type: `full` or `linked`. */
export type CloneType = (typeof cloneTypes)[number];
/** Disk types of an image (`vmware_disktype`). */
export const imageDiskTypes = ['sparse', 'preallocated', 'streamOptimized', 'thin'] as const;
/** One image disk type. */
export type ImageDiskType = (typeof imageDiskTypes)[number];

/** What a volume type's extra specs say, with Cinder's defaults. */
export interface VolumeTypeSpecs {
  /** `vmware:vmdk_type` (default thin). */
  diskType: DiskType;
  /** `vmware:clone_type` (default full). */
  cloneType: CloneType;
  /** `vmware:storage_profile`, if any. */
  storageProfile: string | undefined;
  /** `vmware:adapter_type` (default: the driver's `vmware_adapter_type`). */
  adapterType: AdapterType;
}

function pick<T extends string>(key: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new InvalidVolumeSpecError(key, value, allowed);
  return value as T;
}

/**
 * Reads a volume type's `vmware:*` extra specs (other keys are ignored, as Cinder ignores them): disk
 * type thin by default, clone type full, the storage profile, and the adapter type (the driver's
 * configured default when absent).
 */
export function parseVolumeTypeSpecs(extraSpecs: Readonly<Record<string, string>>, defaultAdapter: AdapterType = 'lsiLogic'): VolumeTypeSpecs {
  const profile = extraSpecs['vmware:storage_profile'];
  return {
    diskType: pick('vmware:vmdk_type', extraSpecs['vmware:vmdk_type'], diskTypes, 'thin'),
    cloneType: pick('vmware:clone_type', extraSpecs['vmware:clone_type'], cloneTypes, 'full'),
    storageProfile: profile === undefined || profile === '' ? undefined : profile,
    adapterType: pick('vmware:adapter_type', extraSpecs['vmware:adapter_type'], adapterTypes, defaultAdapter),
  };
}

/** What an image's properties say about its disk. */
export interface ImageDiskProperties {
  /** `vmware_disktype` (default preallocated). */
  diskType: ImageDiskType;
  /** `vmware_adaptertype` (default: the driver's `vmware_adapter_type`). */
  adapterType: AdapterType;
}

/** Reads `vmware_disktype` (default preallocated, as Cinder assumes) and `vmware_adaptertype`. */
export function parseImageProperties(properties: Readonly<Record<string, string>>, defaultAdapter: AdapterType = 'lsiLogic'): ImageDiskProperties {
  return {
    diskType: pick('vmware_disktype', properties.vmware_disktype, imageDiskTypes, 'preallocated'),
    adapterType: pick('vmware_adaptertype', properties.vmware_adaptertype, adapterTypes, defaultAdapter),
  };
}
