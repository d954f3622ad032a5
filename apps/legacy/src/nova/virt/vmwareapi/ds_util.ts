/**
 * Legacy path `@vmkit/legacy/nova/virt/vmwareapi/ds_util`: Nova's nova.virt.vmwareapi.ds_util, with oslo_vmware.objects.datastore, replaced by `@vmkit/session`, `@vmkit/transfer` and `@vmkit/vmdk-driver`.
 * Importing it warns once per process (`VMKIT_LEGACY_NOVA_VIRT_VMWAREAPI_DS_UTIL`).
 *
 * @deprecated Import from `@vmkit/session`, `@vmkit/transfer` or `@vmkit/vmdk-driver` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { findDatacenter } from '@vmkit/session';
import { deleteDatastoreFile } from '@vmkit/transfer';
import { filterDatastores } from '@vmkit/vmdk-driver';
import { warnLegacyPath } from '../../../warn.js';

warnLegacyPath('nova/virt/vmwareapi/ds_util');

/** @deprecated Import `Datastore` from `@vmkit/session` (the same class, under its old name). */
export { Datastore } from '@vmkit/session';

/** @deprecated Import `DatastorePath` from `@vmkit/session` (the same class, under its old name). */
export { DatastorePath } from '@vmkit/session';

/** @deprecated Import `DatastoreURL` from `@vmkit/session` (the same class, under its old name). */
export { DatastoreURL } from '@vmkit/session';

/** @deprecated Use `findDatacenter` from `@vmkit/session` (this is the same function). */
export const get_datacenter_ref = findDatacenter;

/** @deprecated Use `deleteDatastoreFile` from `@vmkit/transfer` (this is the same function). */
export const file_delete = deleteDatastoreFile;

/** @deprecated Use `filterDatastores` from `@vmkit/vmdk-driver` (this is the same function). */
export const get_available_datastores = filterDatastores;
