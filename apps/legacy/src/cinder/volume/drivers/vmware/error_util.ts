/**
 * Legacy path `@vmkit/legacy/cinder/volume/drivers/vmware/error_util`: Cinder's cinder.volume.drivers.vmware.error_util, later oslo_vmware.exceptions, replaced by `@vmkit/vim`, `@vmkit/transfer` and `@vmkit/vmdk-driver`.
 * Importing it warns once per process (`VMKIT_LEGACY_CINDER_VOLUME_DRIVERS_VMWARE_ERROR_UTIL`).
 *
 * @deprecated Import from `@vmkit/vim`, `@vmkit/transfer` or `@vmkit/vmdk-driver` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { VimConnectionError } from '@vmkit/vim';
import { warnLegacyPath } from '../../../../warn.js';

// The two legacy modules name the same classes; internal/exceptions.ts exports exactly those names (the
// legacy tests hold every path's names to paths.json), so both re-export it whole.
export * from '../../../../internal/exceptions.js';

warnLegacyPath('cinder/volume/drivers/vmware/error_util');

/** @deprecated Use `VimConnectionError` from `@vmkit/vim` (this is the same class). */
export const SessionOverLoadException = VimConnectionError;
/** @deprecated Use `VimConnectionError` from `@vmkit/vim` (this is the same class). */
export type SessionOverLoadException = VimConnectionError;
