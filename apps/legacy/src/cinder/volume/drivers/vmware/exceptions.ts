/**
 * Legacy path `@vmkit/legacy/cinder/volume/drivers/vmware/exceptions`: Cinder's cinder.volume.drivers.vmware.exceptions, with oslo_vmware.exceptions, replaced by `@vmkit/vim`, `@vmkit/transfer` and `@vmkit/vmdk-driver`.
 * Importing it warns once per process (`VMKIT_LEGACY_CINDER_VOLUME_DRIVERS_VMWARE_EXCEPTIONS`).
 *
 * @deprecated Import from `@vmkit/vim`, `@vmkit/transfer` or `@vmkit/vmdk-driver` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { warnLegacyPath } from '../../../../warn.js';

export {
  VMwareDriverException,
  VimException,
  VimFaultException,
  VimSessionOverLoadException,
  VimConnectionException,
  VimAttributeException,
  ImageTransferException,
  AlreadyExistsException,
  CannotDeleteFileException,
  DuplicateName,
  FileAlreadyExistsException,
  FileFaultException,
  FileLockedException,
  FileNotFoundException,
  InvalidPowerStateException,
  InvalidPropertyException,
  ManagedObjectNotFoundException,
  NoDiskSpaceException,
  NoPermissionException,
  NotAuthenticatedException,
  TaskInProgress,
  ToolsUnavailableException,
  ProfileNotFoundException,
  NoValidDatastoreException,
  NoValidHostException,
  TemplateNotFoundException,
  SnapshotNotFoundException,
  InvalidDiskTypeException,
  InvalidAdapterTypeException,
  VMwareDriverConfigurationException,
  UseLinkedCloneConfigurationFault,
  ClusterNotFoundException,
} from '../../../../internal/exceptions.js';

warnLegacyPath('cinder/volume/drivers/vmware/exceptions');
