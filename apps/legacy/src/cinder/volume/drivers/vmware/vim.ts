/**
 * Legacy path `@vmkit/legacy/cinder/volume/drivers/vmware/vim`: Cinder's cinder.volume.drivers.vmware.vim, later oslo_vmware.vim, replaced by `@vmkit/vim`.
 * Importing it warns once per process (`VMKIT_LEGACY_CINDER_VOLUME_DRIVERS_VMWARE_VIM`).
 *
 * @deprecated Import from `@vmkit/vim` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { VimClient } from '@vmkit/vim';
import { warnLegacyPath } from '../../../../warn.js';

warnLegacyPath('cinder/volume/drivers/vmware/vim');

/** @deprecated Use `VimClient` from `@vmkit/vim` (this is the same class). */
export const Vim = VimClient;
/** @deprecated Use `VimClient` from `@vmkit/vim` (this is the same class). */
export type Vim = VimClient;
