/**
 * @vmkit/vmdk-driver: A VMDK volume driver for vCenter and ESX after Cinder's VMware VMDK driver, with Nova's image pipeline.
 *
 * @packageDocumentation
 */
export { adapterTypes, parseDriverConfig } from './config.js';
export type { AdapterType, VmdkDriverConfig } from './config.js';
export { cloneTypes, diskTypes, imageDiskTypes, parseImageProperties, parseVolumeTypeSpecs } from './specs.js';
export type { CloneType, DiskType, ImageDiskProperties, ImageDiskType, VolumeTypeSpecs } from './specs.js';
export {
  CleanupFailedError,
  DriverConfigError,
  DriverNotReadyError,
  ImageUnacceptableError,
  InvalidExistingReferenceError,
  InvalidSnapshotError,
  InvalidVolumeError,
  InvalidVolumeSpecError,
  NoValidDatastoreError,
  ProfileNotFoundError,
  VcenterRequiredError,
} from './errors.js';
export { VOLUME_ID_KEY, VolumeOps, adapterTypeOfController } from './volumeops.js';
export type { CloneBackingSpec, CreateBackingSpec, DiskInfo, ProfileId, VolumeOpsOptions } from './volumeops.js';
export { DatastoreSelector, chooseDatastore, defaultDatastoreTypes, filterDatastores } from './datastore.js';
export type { DatastoreCandidate, DatastoreChoice, DatastoreRequirements, HostCandidate, SelectionInventory, SelectionOptions } from './datastore.js';
export { DRIVER_VERSION, VmdkDriver } from './driver.js';
export type { VmdkDriverOptions } from './driver.js';
export type { ConnectorProperties, ExistingReference, Snapshot, SnapshotModelUpdate, Volume, VolumeStats } from './types.js';
export { stageImage, toStreamOptimized, validateImage } from './image.js';
export type { ImagePipelineOptions, StagedImage, StreamOptimizedDisk, VmdkImage } from './image.js';
