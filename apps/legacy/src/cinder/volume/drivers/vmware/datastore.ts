/**
 * Legacy path `@vmkit/legacy/cinder/volume/drivers/vmware/datastore`: Cinder's cinder.volume.drivers.vmware.datastore, replaced by `@vmkit/vmdk-driver`.
 * Importing it warns once per process (`VMKIT_LEGACY_CINDER_VOLUME_DRIVERS_VMWARE_DATASTORE`).
 *
 * @deprecated Import from `@vmkit/vmdk-driver` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { DatastoreSelector as DatastoreSelectorNew } from '@vmkit/vmdk-driver';
import { warnLegacyPath } from '../../../../warn.js';

warnLegacyPath('cinder/volume/drivers/vmware/datastore');

/** @deprecated Use `DatastoreSelector` from `@vmkit/vmdk-driver` (this is the same class). */
export const DatastoreSelector = DatastoreSelectorNew;
/** @deprecated Use `DatastoreSelector` from `@vmkit/vmdk-driver` (this is the same class). */
export type DatastoreSelector = DatastoreSelectorNew;
