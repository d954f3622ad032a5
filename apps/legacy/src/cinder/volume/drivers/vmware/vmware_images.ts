/**
 * Legacy path `@vmkit/legacy/cinder/volume/drivers/vmware/vmware_images`: Cinder's cinder.volume.drivers.vmware.vmware_images, later oslo_vmware.image_transfer, replaced by `@vmkit/transfer`.
 * Importing it warns once per process (`VMKIT_LEGACY_CINDER_VOLUME_DRIVERS_VMWARE_VMWARE_IMAGES`).
 *
 * @deprecated Import from `@vmkit/transfer` instead; the README of `@vmkit/legacy` maps every name.
 * @packageDocumentation
 */
import { copyImageToDatastoreFile, copyVmDiskToImage, importStreamOptimizedImage } from '@vmkit/transfer';
import { warnLegacyPath } from '../../../../warn.js';

warnLegacyPath('cinder/volume/drivers/vmware/vmware_images');

/** @deprecated Use `copyImageToDatastoreFile` from `@vmkit/transfer` (this is the same function). */
export const fetch_flat_image = copyImageToDatastoreFile;

/** @deprecated Use `copyImageToDatastoreFile` from `@vmkit/transfer` (this is the same function). */
export const download_flat_image = copyImageToDatastoreFile;

/** @deprecated Use `importStreamOptimizedImage` from `@vmkit/transfer` (this is the same function). */
export const fetch_stream_optimized_image = importStreamOptimizedImage;

/** @deprecated Use `importStreamOptimizedImage` from `@vmkit/transfer` (this is the same function). */
export const download_stream_optimized_image = importStreamOptimizedImage;

/** @deprecated Use `copyVmDiskToImage` from `@vmkit/transfer` (this is the same function). */
export const upload_image = copyVmDiskToImage;
