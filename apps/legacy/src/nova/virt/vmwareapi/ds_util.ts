/**
 * Legacy path `@vmkit/legacy/nova/virt/vmwareapi/ds_util`: Nova's nova.virt.vmwareapi.ds_util, with oslo_vmware.objects.datastore, replaced by `@vmkit/session` and `@vmkit/vmdk-driver`.
 * Importing it warns once per process (`VMKIT_LEGACY_NOVA_VIRT_VMWAREAPI_DS_UTIL`).
 *
 * @deprecated Import from `@vmkit/session` or `@vmkit/vmdk-driver` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { findDatacenter } from '@vmkit/session';
import { warnLegacyPath } from '../../../warn.js';

warnLegacyPath('nova/virt/vmwareapi/ds_util');

/**
 * Nova's (then oslo.vmware's) datastore objects kept their names: `Datastore`, `DatastorePath` and
 * `DatastoreURL` are the classes of `@vmkit/session`.
 *
 * @deprecated Import `Datastore`, `DatastorePath` and `DatastoreURL` from `@vmkit/session`.
 */
export { Datastore, DatastorePath, DatastoreURL } from '@vmkit/session';

/** @deprecated Use `findDatacenter` from `@vmkit/session` (this is the same function). */
export const get_datacenter_ref = findDatacenter;
