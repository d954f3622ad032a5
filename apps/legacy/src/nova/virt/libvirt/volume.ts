/**
 * Legacy path `@vmkit/legacy/nova/virt/libvirt/volume`: Nova's nova.virt.libvirt.volume (the volume connectors), later os_brick.initiator.connector, replaced by `@vmkit/connector`.
 * Importing it warns once per process (`VMKIT_LEGACY_NOVA_VIRT_LIBVIRT_VOLUME`).
 *
 * @deprecated Import from `@vmkit/connector` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { IscsiConnector, VmdkConnector as VmdkConnectorNew, getConnectorProperties } from '@vmkit/connector';
import { warnLegacyPath } from '../../../warn.js';

warnLegacyPath('nova/virt/libvirt/volume');

/** @deprecated Use `IscsiConnector` from `@vmkit/connector` (this is the same class). */
export const LibvirtISCSIVolumeDriver = IscsiConnector;
/** @deprecated Use `IscsiConnector` from `@vmkit/connector` (this is the same class). */
export type LibvirtISCSIVolumeDriver = IscsiConnector;

/** @deprecated Use `IscsiConnector` from `@vmkit/connector` (this is the same class). */
export const ISCSIConnector = IscsiConnector;
/** @deprecated Use `IscsiConnector` from `@vmkit/connector` (this is the same class). */
export type ISCSIConnector = IscsiConnector;

/** @deprecated Use `getConnectorProperties` from `@vmkit/connector` (this is the same function). */
export const get_connector_properties = getConnectorProperties;

/** @deprecated Use `VmdkConnector` from `@vmkit/connector` (this is the same class). */
export const VmdkConnector = VmdkConnectorNew;
/** @deprecated Use `VmdkConnector` from `@vmkit/connector` (this is the same class). */
export type VmdkConnector = VmdkConnectorNew;
