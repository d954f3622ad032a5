/**
 * Legacy path `@vmkit/legacy/cinder/volume/drivers/vmware/vmdk`: Cinder's cinder.volume.drivers.vmware.vmdk (the driver), replaced by `@vmkit/vmdk-driver`.
 * Importing it warns once per process (`VMKIT_LEGACY_CINDER_VOLUME_DRIVERS_VMWARE_VMDK`).
 *
 * @deprecated Import from `@vmkit/vmdk-driver` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { VOLUME_ID_KEY, VmdkDriver } from '@vmkit/vmdk-driver';
import { warnLegacyPath } from '../../../../warn.js';

warnLegacyPath('cinder/volume/drivers/vmware/vmdk');

/** @deprecated Use `VmdkDriver` from `@vmkit/vmdk-driver` (this is the same class). */
export const VMwareVcVmdkDriver = VmdkDriver;
/** @deprecated Use `VmdkDriver` from `@vmkit/vmdk-driver` (this is the same class). */
export type VMwareVcVmdkDriver = VmdkDriver;

/** @deprecated Use `VmdkDriver` from `@vmkit/vmdk-driver` (this is the same class). */
export const VMwareEsxVmdkDriver = VmdkDriver;
/** @deprecated Use `VmdkDriver` from `@vmkit/vmdk-driver` (this is the same class). */
export type VMwareEsxVmdkDriver = VmdkDriver;

/** @deprecated Use `VOLUME_ID_KEY` from `@vmkit/vmdk-driver` (this is the same value). */
export const EXTRA_CONFIG_VOLUME_ID_KEY = VOLUME_ID_KEY;
