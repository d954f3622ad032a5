/**
 * Legacy path `@vmkit/legacy/cinder/volume/drivers/vmware/volumeops`: Cinder's cinder.volume.drivers.vmware.volumeops, replaced by `@vmkit/vmdk-driver`.
 * Importing it warns once per process (`VMKIT_LEGACY_CINDER_VOLUME_DRIVERS_VMWARE_VOLUMEOPS`).
 *
 * @deprecated Import from `@vmkit/vmdk-driver` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { VolumeOps } from '@vmkit/vmdk-driver';
import { warnLegacyPath } from '../../../../warn.js';

warnLegacyPath('cinder/volume/drivers/vmware/volumeops');

/** @deprecated Use `VolumeOps` from `@vmkit/vmdk-driver` (this is the same class). */
export const VMwareVolumeOps = VolumeOps;
/** @deprecated Use `VolumeOps` from `@vmkit/vmdk-driver` (this is the same class). */
export type VMwareVolumeOps = VolumeOps;
