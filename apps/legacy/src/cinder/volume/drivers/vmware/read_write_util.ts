/**
 * Legacy path `@vmkit/legacy/cinder/volume/drivers/vmware/read_write_util`: Cinder's cinder.volume.drivers.vmware.read_write_util, later oslo_vmware.rw_handles, replaced by `@vmkit/transfer`.
 * Importing it warns once per process (`VMKIT_LEGACY_CINDER_VOLUME_DRIVERS_VMWARE_READ_WRITE_UTIL`).
 *
 * @deprecated Import from `@vmkit/transfer` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { exportVmdk, importVmdk, openDatastoreFile, writeDatastoreFile } from '@vmkit/transfer';
import { warnLegacyPath } from '../../../../warn.js';

warnLegacyPath('cinder/volume/drivers/vmware/read_write_util');

/** @deprecated Use `openDatastoreFile` from `@vmkit/transfer` (this is the same function). */
export const VMwareHTTPReadFile = openDatastoreFile;

/** @deprecated Use `openDatastoreFile` from `@vmkit/transfer` (this is the same function). */
export const FileReadHandle = openDatastoreFile;

/** @deprecated Use `writeDatastoreFile` from `@vmkit/transfer` (this is the same function). */
export const VMwareHTTPWriteFile = writeDatastoreFile;

/** @deprecated Use `writeDatastoreFile` from `@vmkit/transfer` (this is the same function). */
export const FileWriteHandle = writeDatastoreFile;

/** @deprecated Use `importVmdk` from `@vmkit/transfer` (this is the same function). */
export const VMwareHTTPWriteVmdk = importVmdk;

/** @deprecated Use `importVmdk` from `@vmkit/transfer` (this is the same function). */
export const VmdkWriteHandle = importVmdk;

/** @deprecated Use `exportVmdk` from `@vmkit/transfer` (this is the same function). */
export const VMwareHTTPReadVmdk = exportVmdk;

/** @deprecated Use `exportVmdk` from `@vmkit/transfer` (this is the same function). */
export const VmdkReadHandle = exportVmdk;
