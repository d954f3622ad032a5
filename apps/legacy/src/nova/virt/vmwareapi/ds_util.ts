/**
 * Legacy path `@vmkit/legacy/nova/virt/vmwareapi/ds_util`: Nova's nova.virt.vmwareapi.ds_util, with oslo_vmware.objects.datastore, replaced by `@vmkit/session`, `@vmkit/transfer` and `@vmkit/vmdk-driver`.
 * Importing it warns once per process (`VMKIT_LEGACY_NOVA_VIRT_VMWAREAPI_DS_UTIL`).
 *
 * @deprecated Import from `@vmkit/session`, `@vmkit/transfer` or `@vmkit/vmdk-driver` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { Datastore as DatastoreNew, DatastorePath as DatastorePathNew, DatastoreURL as DatastoreURLNew, findDatacenter } from '@vmkit/session';
import { deleteDatastoreFile } from '@vmkit/transfer';
import { filterDatastores } from '@vmkit/vmdk-driver';
import { warnLegacyPath } from '../../../warn.js';

warnLegacyPath('nova/virt/vmwareapi/ds_util');

/** @deprecated Use `Datastore` from `@vmkit/session` (this is the same class). */
export const Datastore = DatastoreNew;
/** @deprecated Use `Datastore` from `@vmkit/session` (this is the same class). */
export type Datastore = DatastoreNew;

/** @deprecated Use `DatastorePath` from `@vmkit/session` (this is the same class). */
export const DatastorePath = DatastorePathNew;
/** @deprecated Use `DatastorePath` from `@vmkit/session` (this is the same class). */
export type DatastorePath = DatastorePathNew;

/** @deprecated Use `DatastoreURL` from `@vmkit/session` (this is the same class). */
export const DatastoreURL = DatastoreURLNew;
/** @deprecated Use `DatastoreURL` from `@vmkit/session` (this is the same class). */
export type DatastoreURL = DatastoreURLNew;

/** @deprecated Use `findDatacenter` from `@vmkit/session` (this is the same function). */
export const get_datacenter_ref = findDatacenter;

/** @deprecated Use `deleteDatastoreFile` from `@vmkit/transfer` (this is the same function). */
export const file_delete = deleteDatastoreFile;

/** @deprecated Use `filterDatastores` from `@vmkit/vmdk-driver` (this is the same function). */
export const get_available_datastores = filterDatastores;
