/**
 * Legacy path `@vmkit/legacy/cinder/volume/drivers/vmware/pbm`: Cinder's cinder.volume.drivers.vmware.pbm, later oslo_vmware.pbm, replaced by `@vmkit/vim` and `@vmkit/session`.
 * Importing it warns once per process (`VMKIT_LEGACY_CINDER_VOLUME_DRIVERS_VMWARE_PBM`).
 *
 * @deprecated Import from `@vmkit/vim` or `@vmkit/session` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { listStorageProfiles, matchingDatastores, profileIdByName, profilesOf } from '@vmkit/session';
import { PbmClient } from '@vmkit/vim';
import { warnLegacyPath } from '../../../../warn.js';

warnLegacyPath('cinder/volume/drivers/vmware/pbm');

/** @deprecated Use `PbmClient` from `@vmkit/vim` (this is the same class). */
export const PBMClient = PbmClient;
/** @deprecated Use `PbmClient` from `@vmkit/vim` (this is the same class). */
export type PBMClient = PbmClient;

/** @deprecated Use `PbmClient` from `@vmkit/vim` (this is the same class). */
export const Pbm = PbmClient;
/** @deprecated Use `PbmClient` from `@vmkit/vim` (this is the same class). */
export type Pbm = PbmClient;

/** @deprecated Use `listStorageProfiles` from `@vmkit/session` (this is the same function). */
export const get_all_profiles = listStorageProfiles;

/** @deprecated Use `profileIdByName` from `@vmkit/session` (this is the same function). */
export const get_profile_id_by_name = profileIdByName;

/** @deprecated Use `profilesOf` from `@vmkit/session` (this is the same function). */
export const get_profiles = profilesOf;

/** @deprecated Use `matchingDatastores` from `@vmkit/session` (this is the same function). */
export const filter_hubs_by_profile = matchingDatastores;
