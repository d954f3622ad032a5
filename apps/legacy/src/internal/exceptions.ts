/**
 * The oslo.vmware exception names shared by the legacy `error_util` and `exceptions` paths: each is the
 * vmkit error class itself, so `instanceof` and `code` work under either name. No warning here: the
 * paths that re-export these warn.
 *
 * @internal
 */
import { TransferError } from '@vmkit/transfer';
import { AlreadyExistsError, CannotDeleteFileError, DuplicateNameError, FileAlreadyExistsError, FileFaultError, FileLockedError, FileNotFoundError, InvalidPowerStateError, InvalidPropertyError, ManagedObjectNotFoundError, NoDiskSpaceError, NoPermissionError, NotAuthenticatedError, TaskInProgressError, ToolsUnavailableError, VimConnectionError, VimEncodeError, VimError, VimFaultError } from '@vmkit/vim';
import { DriverConfigError, InvalidSnapshotError, InvalidVolumeSpecError, NoValidDatastoreError, ProfileNotFoundError } from '@vmkit/vmdk-driver';

/** @deprecated Use `VimError` from `@vmkit/vim` (this is the same class). */
export const VMwareDriverException = VimError;
/** @deprecated Use `VimError` from `@vmkit/vim` (this is the same class). */
export type VMwareDriverException = VimError;
/** @deprecated Use `VimError` from `@vmkit/vim` (this is the same class). */
export const VimException = VimError;
/** @deprecated Use `VimError` from `@vmkit/vim` (this is the same class). */
export type VimException = VimError;
/** @deprecated Use `VimFaultError` from `@vmkit/vim` (this is the same class). */
export const VimFaultException = VimFaultError;
/** @deprecated Use `VimFaultError` from `@vmkit/vim` (this is the same class). */
export type VimFaultException = VimFaultError;
/** @deprecated Use `VimConnectionError` from `@vmkit/vim` (this is the same class). */
export const VimSessionOverLoadException = VimConnectionError;
/** @deprecated Use `VimConnectionError` from `@vmkit/vim` (this is the same class). */
export type VimSessionOverLoadException = VimConnectionError;
/** @deprecated Use `VimConnectionError` from `@vmkit/vim` (this is the same class). */
export const VimConnectionException = VimConnectionError;
/** @deprecated Use `VimConnectionError` from `@vmkit/vim` (this is the same class). */
export type VimConnectionException = VimConnectionError;
/** @deprecated Use `VimEncodeError` from `@vmkit/vim` (this is the same class). */
export const VimAttributeException = VimEncodeError;
/** @deprecated Use `VimEncodeError` from `@vmkit/vim` (this is the same class). */
export type VimAttributeException = VimEncodeError;
/** @deprecated Use `TransferError` from `@vmkit/transfer` (this is the same class). */
export const ImageTransferException = TransferError;
/** @deprecated Use `TransferError` from `@vmkit/transfer` (this is the same class). */
export type ImageTransferException = TransferError;
/** @deprecated Use `AlreadyExistsError` from `@vmkit/vim` (this is the same class). */
export const AlreadyExistsException = AlreadyExistsError;
/** @deprecated Use `AlreadyExistsError` from `@vmkit/vim` (this is the same class). */
export type AlreadyExistsException = AlreadyExistsError;
/** @deprecated Use `CannotDeleteFileError` from `@vmkit/vim` (this is the same class). */
export const CannotDeleteFileException = CannotDeleteFileError;
/** @deprecated Use `CannotDeleteFileError` from `@vmkit/vim` (this is the same class). */
export type CannotDeleteFileException = CannotDeleteFileError;
/** @deprecated Use `DuplicateNameError` from `@vmkit/vim` (this is the same class). */
export const DuplicateName = DuplicateNameError;
/** @deprecated Use `DuplicateNameError` from `@vmkit/vim` (this is the same class). */
export type DuplicateName = DuplicateNameError;
/** @deprecated Use `FileAlreadyExistsError` from `@vmkit/vim` (this is the same class). */
export const FileAlreadyExistsException = FileAlreadyExistsError;
/** @deprecated Use `FileAlreadyExistsError` from `@vmkit/vim` (this is the same class). */
export type FileAlreadyExistsException = FileAlreadyExistsError;
/** @deprecated Use `FileFaultError` from `@vmkit/vim` (this is the same class). */
export const FileFaultException = FileFaultError;
/** @deprecated Use `FileFaultError` from `@vmkit/vim` (this is the same class). */
export type FileFaultException = FileFaultError;
/** @deprecated Use `FileLockedError` from `@vmkit/vim` (this is the same class). */
export const FileLockedException = FileLockedError;
/** @deprecated Use `FileLockedError` from `@vmkit/vim` (this is the same class). */
export type FileLockedException = FileLockedError;
/** @deprecated Use `FileNotFoundError` from `@vmkit/vim` (this is the same class). */
export const FileNotFoundException = FileNotFoundError;
/** @deprecated Use `FileNotFoundError` from `@vmkit/vim` (this is the same class). */
export type FileNotFoundException = FileNotFoundError;
/** @deprecated Use `InvalidPowerStateError` from `@vmkit/vim` (this is the same class). */
export const InvalidPowerStateException = InvalidPowerStateError;
/** @deprecated Use `InvalidPowerStateError` from `@vmkit/vim` (this is the same class). */
export type InvalidPowerStateException = InvalidPowerStateError;
/** @deprecated Use `InvalidPropertyError` from `@vmkit/vim` (this is the same class). */
export const InvalidPropertyException = InvalidPropertyError;
/** @deprecated Use `InvalidPropertyError` from `@vmkit/vim` (this is the same class). */
export type InvalidPropertyException = InvalidPropertyError;
/** @deprecated Use `ManagedObjectNotFoundError` from `@vmkit/vim` (this is the same class). */
export const ManagedObjectNotFoundException = ManagedObjectNotFoundError;
/** @deprecated Use `ManagedObjectNotFoundError` from `@vmkit/vim` (this is the same class). */
export type ManagedObjectNotFoundException = ManagedObjectNotFoundError;
/** @deprecated Use `NoDiskSpaceError` from `@vmkit/vim` (this is the same class). */
export const NoDiskSpaceException = NoDiskSpaceError;
/** @deprecated Use `NoDiskSpaceError` from `@vmkit/vim` (this is the same class). */
export type NoDiskSpaceException = NoDiskSpaceError;
/** @deprecated Use `NoPermissionError` from `@vmkit/vim` (this is the same class). */
export const NoPermissionException = NoPermissionError;
/** @deprecated Use `NoPermissionError` from `@vmkit/vim` (this is the same class). */
export type NoPermissionException = NoPermissionError;
/** @deprecated Use `NotAuthenticatedError` from `@vmkit/vim` (this is the same class). */
export const NotAuthenticatedException = NotAuthenticatedError;
/** @deprecated Use `NotAuthenticatedError` from `@vmkit/vim` (this is the same class). */
export type NotAuthenticatedException = NotAuthenticatedError;
/** @deprecated Use `TaskInProgressError` from `@vmkit/vim` (this is the same class). */
export const TaskInProgress = TaskInProgressError;
/** @deprecated Use `TaskInProgressError` from `@vmkit/vim` (this is the same class). */
export type TaskInProgress = TaskInProgressError;
/** @deprecated Use `ToolsUnavailableError` from `@vmkit/vim` (this is the same class). */
export const ToolsUnavailableException = ToolsUnavailableError;
/** @deprecated Use `ToolsUnavailableError` from `@vmkit/vim` (this is the same class). */
export type ToolsUnavailableException = ToolsUnavailableError;
/** @deprecated Use `ProfileNotFoundError` from `@vmkit/vmdk-driver` (this is the same class). */
export const ProfileNotFoundException = ProfileNotFoundError;
/** @deprecated Use `ProfileNotFoundError` from `@vmkit/vmdk-driver` (this is the same class). */
export type ProfileNotFoundException = ProfileNotFoundError;
/** @deprecated Use `NoValidDatastoreError` from `@vmkit/vmdk-driver` (this is the same class). */
export const NoValidDatastoreException = NoValidDatastoreError;
/** @deprecated Use `NoValidDatastoreError` from `@vmkit/vmdk-driver` (this is the same class). */
export type NoValidDatastoreException = NoValidDatastoreError;
/** @deprecated Use `NoValidDatastoreError` from `@vmkit/vmdk-driver` (this is the same class). */
export const NoValidHostException = NoValidDatastoreError;
/** @deprecated Use `NoValidDatastoreError` from `@vmkit/vmdk-driver` (this is the same class). */
export type NoValidHostException = NoValidDatastoreError;
/** @deprecated Use `InvalidSnapshotError` from `@vmkit/vmdk-driver` (this is the same class). */
export const TemplateNotFoundException = InvalidSnapshotError;
/** @deprecated Use `InvalidSnapshotError` from `@vmkit/vmdk-driver` (this is the same class). */
export type TemplateNotFoundException = InvalidSnapshotError;
/** @deprecated Use `InvalidSnapshotError` from `@vmkit/vmdk-driver` (this is the same class). */
export const SnapshotNotFoundException = InvalidSnapshotError;
/** @deprecated Use `InvalidSnapshotError` from `@vmkit/vmdk-driver` (this is the same class). */
export type SnapshotNotFoundException = InvalidSnapshotError;
/** @deprecated Use `InvalidVolumeSpecError` from `@vmkit/vmdk-driver` (this is the same class). */
export const InvalidDiskTypeException = InvalidVolumeSpecError;
/** @deprecated Use `InvalidVolumeSpecError` from `@vmkit/vmdk-driver` (this is the same class). */
export type InvalidDiskTypeException = InvalidVolumeSpecError;
/** @deprecated Use `InvalidVolumeSpecError` from `@vmkit/vmdk-driver` (this is the same class). */
export const InvalidAdapterTypeException = InvalidVolumeSpecError;
/** @deprecated Use `InvalidVolumeSpecError` from `@vmkit/vmdk-driver` (this is the same class). */
export type InvalidAdapterTypeException = InvalidVolumeSpecError;
/** @deprecated Use `DriverConfigError` from `@vmkit/vmdk-driver` (this is the same class). */
export const VMwareDriverConfigurationException = DriverConfigError;
/** @deprecated Use `DriverConfigError` from `@vmkit/vmdk-driver` (this is the same class). */
export type VMwareDriverConfigurationException = DriverConfigError;
/** @deprecated Use `DriverConfigError` from `@vmkit/vmdk-driver` (this is the same class). */
export const UseLinkedCloneConfigurationFault = DriverConfigError;
/** @deprecated Use `DriverConfigError` from `@vmkit/vmdk-driver` (this is the same class). */
export type UseLinkedCloneConfigurationFault = DriverConfigError;
/** @deprecated Use `NoValidDatastoreError` from `@vmkit/vmdk-driver` (this is the same class). */
export const ClusterNotFoundException = NoValidDatastoreError;
/** @deprecated Use `NoValidDatastoreError` from `@vmkit/vmdk-driver` (this is the same class). */
export type ClusterNotFoundException = NoValidDatastoreError;
