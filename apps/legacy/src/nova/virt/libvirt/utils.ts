/**
 * Legacy path `@vmkit/legacy/nova/virt/libvirt/utils`: Nova's nova.virt.libvirt.utils (the initiator helpers), later os_brick.initiator.connector, replaced by `@vmkit/connector`.
 * Importing it warns once per process (`VMKIT_LEGACY_NOVA_VIRT_LIBVIRT_UTILS`).
 *
 * @deprecated Import from `@vmkit/connector` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { getConnectorProperties } from '@vmkit/connector';
import { warnLegacyPath } from '../../../warn.js';

warnLegacyPath('nova/virt/libvirt/utils');

/** @deprecated Use `getConnectorProperties` from `@vmkit/connector` (this is the same function). */
export const get_connector_properties = getConnectorProperties;
