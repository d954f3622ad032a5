/**
 * Legacy path `@vmkit/legacy/cinder/volume/drivers/vmware/api`: Cinder's cinder.volume.drivers.vmware.api, later oslo_vmware.api, replaced by `@vmkit/session`.
 * Importing it warns once per process (`VMKIT_LEGACY_CINDER_VOLUME_DRIVERS_VMWARE_API`).
 *
 * @deprecated Import from `@vmkit/session` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { VimSession } from '@vmkit/session';
import { warnLegacyPath } from '../../../../warn.js';

warnLegacyPath('cinder/volume/drivers/vmware/api');

/** @deprecated Use `VimSession` from `@vmkit/session` (this is the same class). */
export const VMwareAPISession = VimSession;
/** @deprecated Use `VimSession` from `@vmkit/session` (this is the same class). */
export type VMwareAPISession = VimSession;
