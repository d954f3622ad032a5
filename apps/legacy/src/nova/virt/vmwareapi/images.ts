/**
 * Legacy path `@vmkit/legacy/nova/virt/vmwareapi/images`: Nova's nova.virt.vmwareapi.images, replaced by `@vmkit/transfer` and `@vmkit/vmdk-driver`.
 * Importing it warns once per process (`VMKIT_LEGACY_NOVA_VIRT_VMWAREAPI_IMAGES`).
 *
 * @deprecated Import from `@vmkit/transfer` or `@vmkit/vmdk-driver` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { copyImageToDatastoreFile, copyVmDiskToImage, importStreamOptimizedImage } from '@vmkit/transfer';
import { warnLegacyPath } from '../../../warn.js';

warnLegacyPath('nova/virt/vmwareapi/images');

/** @deprecated Use `copyImageToDatastoreFile` from `@vmkit/transfer` (this is the same function). */
export const fetch_image = copyImageToDatastoreFile;

/** @deprecated Use `importStreamOptimizedImage` from `@vmkit/transfer` (this is the same function). */
export const fetch_image_stream_optimized = importStreamOptimizedImage;

/** @deprecated Use `copyVmDiskToImage` from `@vmkit/transfer` (this is the same function). */
export const upload_image_stream_optimized = copyVmDiskToImage;
