/**
 * Legacy path `@vmkit/legacy/cinder/volume/drivers/vmware/datastore`: Cinder's cinder.volume.drivers.vmware.datastore, replaced by `@vmkit/vmdk-driver`.
 * Importing it warns once per process (`VMKIT_LEGACY_CINDER_VOLUME_DRIVERS_VMWARE_DATASTORE`).
 *
 * @deprecated Import from `@vmkit/vmdk-driver` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { warnLegacyPath } from '../../../../warn.js';

warnLegacyPath('cinder/volume/drivers/vmware/datastore');

/** @deprecated Import `DatastoreSelector` from `@vmkit/vmdk-driver` (the same class, under its old name). */
export { DatastoreSelector } from '@vmkit/vmdk-driver';
