/**
 * Legacy path `@vmkit/legacy/cinder/volume/drivers/vmware/io_util`: Cinder's cinder.volume.drivers.vmware.io_util, replaced by `@vmkit/transfer`.
 * Importing it warns once per process (`VMKIT_LEGACY_CINDER_VOLUME_DRIVERS_VMWARE_IO_UTIL`).
 *
 * @deprecated Import from `@vmkit/transfer` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { warnLegacyPath } from '../../../../warn.js';

warnLegacyPath('cinder/volume/drivers/vmware/io_util');

export {};
