/**
 * @vmkit/transfer: vSphere transfer handles as Node streams: datastore files, NFC VMDK import and export, image transfer, VMDK and OVA formats.
 *
 * @packageDocumentation
 */

// ---- VMDK and OVA formats: errors ----

/** A malformed VMDK file or descriptor (code `VMKIT_TRANSFER_VMDK_FORMAT`). */
export { VmdkFormatError } from './formats/errors.js';
/** A well-formed VMDK this package does not handle (code `VMKIT_TRANSFER_VMDK_UNSUPPORTED`). */
export { VmdkUnsupportedError } from './formats/errors.js';
/** A malformed or incomplete OVA archive or OVF descriptor (code `VMKIT_TRANSFER_OVA_FORMAT`). */
export { OvaFormatError } from './formats/errors.js';
/** A byte stream shorter or longer than required (code `VMKIT_TRANSFER_SIZE_MISMATCH`). */
export { TransferSizeMismatchError } from './formats/errors.js';
/** Which VMDK check failed, on {@link VmdkFormatError.reason}. */
export type { VmdkFormatReason } from './formats/errors.js';
/** Which OVA check failed, on {@link OvaFormatError.reason}. */
export type { OvaFormatReason } from './formats/errors.js';
/** Constructor options of the format errors (`cause`, `offset`). */
export type { FormatErrorOptions } from './formats/errors.js';

// ---- VMDK: headers, descriptors, disk types ----

/** Parses and validates a hosted sparse extent header (`KDMV`) from its first 512 bytes. */
export { parseSparseExtentHeader } from './formats/sparse-header.js';
/** A hosted sparse extent header. */
export type { SparseExtentHeader } from './formats/sparse-header.js';
/** Options of {@link parseSparseExtentHeader}. */
export type { ParseSparseHeaderOptions } from './formats/sparse-header.js';
/** An ESX vmfsSparse (`COWD`) header. */
export type { CowdHeader } from './formats/sparse-header.js';
/** An ESXi seSparse constant header. */
export type { SeSparseHeader } from './formats/sparse-header.js';

/** Parses a VMDK text descriptor (embedded or standalone). */
export { parseVmdkDescriptor } from './formats/descriptor.js';
/** Writes a VMDK text descriptor (monolithicFlat, vmfs, streamOptimized...). */
export { formatVmdkDescriptor } from './formats/descriptor.js';
/** The BIOS geometry VMware writes for a capacity and adapter type. */
export { vmdkGeometry } from './formats/descriptor.js';
/** A parsed descriptor. */
export type { VmdkDescriptor } from './formats/descriptor.js';
/** One extent line of a descriptor. */
export type { VmdkExtent } from './formats/descriptor.js';
/** An extent's access: RW, RDONLY, NOACCESS. */
export type { VmdkExtentAccess } from './formats/descriptor.js';
/** An extent's type: FLAT, SPARSE, ZERO, VMFS, VMFSSPARSE, VMFSRDM, VMFSRAW, SESPARSE. */
export type { VmdkExtentType } from './formats/descriptor.js';
/** `ddb.adapterType` values. */
export type { VmdkAdapterType } from './formats/descriptor.js';
/** BIOS geometry (`ddb.geometry.*`). */
export type { VmdkGeometry } from './formats/descriptor.js';
/** What {@link formatVmdkDescriptor} writes. */
export type { VmdkDescriptorInit } from './formats/descriptor.js';
/** Options of {@link parseVmdkDescriptor}. */
export type { ParseVmdkDescriptorOptions } from './formats/descriptor.js';

/** Decides a disk's type and capacity from its header and descriptor. */
export { detectDiskType } from './formats/disk-type.js';
/** True when a `createType` names a disk type this package knows. */
export { isVmdkDiskType } from './formats/disk-type.js';
/** VMDK disk types (the descriptor's `createType` values, plus `vmfsThin`). */
export type { VmdkDiskType } from './formats/disk-type.js';
/** The input of {@link detectDiskType}. */
export type { DiskTypeEvidence } from './formats/disk-type.js';
/** The result of {@link detectDiskType}. */
export type { DiskTypeResult } from './formats/disk-type.js';

/** What a VMDK file is, reading only its header and descriptor. */
export { inspectVmdk } from './formats/inspect.js';
/** The result of {@link inspectVmdk}. */
export type { VmdkInfo } from './formats/inspect.js';
/** What kind of bytes a VMDK file holds. */
export type { VmdkContainer } from './formats/inspect.js';
/** Options of {@link inspectVmdk}. */
export type { InspectVmdkOptions } from './formats/inspect.js';
/** A positional byte source (`read(position, length)`, optional `size`). */
export type { RandomAccessSource } from './formats/source.js';
/** What the VMDK readers accept: a path, a FileHandle, bytes or a {@link RandomAccessSource}. */
export type { VmdkSource } from './formats/source.js';

// ---- VMDK conversions as streams ----

/** A Duplex: stream-optimized VMDK bytes in, raw disk bytes out. */
export { createStreamOptimizedDecoder } from './formats/stream-optimized-decoder.js';
/** Options of {@link createStreamOptimizedDecoder}. */
export type { StreamOptimizedDecoderOptions } from './formats/stream-optimized-decoder.js';
/** What the readers report from a sparse VMDK's header and descriptor before the data. */
export type { SparseHeaderInfo } from './formats/stream-optimized-decoder.js';
/** A Duplex: raw disk bytes in, stream-optimized VMDK bytes out. */
export { createStreamOptimizedEncoder } from './formats/stream-optimized-encoder.js';
/** Options of {@link createStreamOptimizedEncoder}. */
export type { StreamOptimizedEncoderOptions } from './formats/stream-optimized-encoder.js';
/** The descriptor settings of {@link createStreamOptimizedEncoder}. */
export type { StreamOptimizedDescriptorOptions } from './formats/stream-optimized-encoder.js';
/** A Readable of the raw disk inside a monolithicSparse or on-disk stream-optimized file. */
export { createSparseVmdkReadStream } from './formats/sparse-reader.js';
/** Options of {@link createSparseVmdkReadStream}. */
export type { SparseVmdkReadStreamOptions } from './formats/sparse-reader.js';

/** A Writable that stores raw disk bytes in a new file, leaving zero runs as holes (as `qemu-img convert` does). */
export { createSparseFileWriteStream } from './formats/sparse-file.js';
/** Options of {@link createSparseFileWriteStream}. */
export type { SparseFileWriteStreamOptions } from './formats/sparse-file.js';
/** Converts a stream-optimized VMDK file into a raw image file (holes for zero runs), through reused read buffers. */
export { convertStreamOptimizedToRaw } from './formats/convert.js';
/** Options and result of {@link convertStreamOptimizedToRaw}. */
export type { ConvertToRawOptions, ConvertToRawResult } from './formats/convert.js';

// ---- OVA ----

/** Reads a tar archive's members in order from a byte stream. */
export { readTar } from './formats/tar.js';
/** A tar member. */
export type { TarEntry } from './formats/tar.js';
/** A tar member's kind. */
export type { TarEntryType } from './formats/tar.js';
/** Parses an OVF descriptor's file references and disks. */
export { parseOvf } from './formats/ovf.js';
/** A parsed OVF descriptor. */
export type { OvfDescriptor } from './formats/ovf.js';
/** An OVF `References/File`. */
export type { OvfFile } from './formats/ovf.js';
/** An OVF `DiskSection/Disk`. */
export type { OvfDisk } from './formats/ovf.js';
/** Finds the disk in an OVA stream and streams its member. */
export { openOvaDisk } from './formats/ova.js';
/** The result of {@link openOvaDisk}. */
export type { OvaDisk } from './formats/ova.js';
/** Options of {@link openOvaDisk}. */
export type { OpenOvaDiskOptions } from './formats/ova.js';

// ---- Datastore file handles over /folder ----

/** Opens a datastore file for reading over HTTP `/folder` (size and a checked byte stream). */
export { openDatastoreFile } from './handles/datastore-file.js';
/** Writes a datastore file over HTTP `/folder` with PUT, streaming with backpressure. */
export { writeDatastoreFile } from './handles/datastore-file.js';
/** Downloads a datastore file over HTTP `/folder` into a local file (renamed into place when complete), through reused buffers. */
export { downloadDatastoreFile } from './handles/datastore-file.js';
/** Options and result of {@link downloadDatastoreFile}. */
export type { DownloadDatastoreFileOptions, DownloadResult } from './handles/datastore-file.js';
/** Uploads a local file to a datastore over HTTP `/folder` with PUT, through reused buffers. */
export { uploadDatastoreFile } from './handles/datastore-file.js';
/** Deletes a datastore file over HTTP `/folder` with DELETE. */
export { deleteDatastoreFile } from './handles/datastore-file.js';
/** How a `/folder` request authenticates (session cookie or generic service ticket), and the handles' options. */
export type { DatastoreFileOptions, FolderAuth } from './handles/datastore-file.js';
/** A transfer failed (code `VMKIT_TRANSFER_FAILED`, or `VMKIT_TRANSFER_HTTP_STATUS` with `status`). */
export { TransferError } from './handles/errors.js';
/** The datastore file does not exist (code `VMKIT_TRANSFER_NOT_FOUND`). */
export { TransferNotFoundError } from './handles/errors.js';

// ---- NFC: VMDK import ----

/** Imports a disk as a new VM through an NFC lease (ImportVApp, lease, upload, progress, complete or abort). */
export { importVmdk } from './handles/vmdk-import.js';
/** The URL to transfer a lease's device with (`*` becomes the session's server). */
export { deviceUrlFor } from './handles/vmdk-import.js';
/** Options of {@link importVmdk}. */
export type { ImportVmdkOptions } from './handles/vmdk-import.js';

// ---- NFC: VMDK export ----

/** Exports a VM's disk as a stream-optimized VMDK through an NFC lease (ExportVm, lease, download, progress, complete or abort). */
export { exportVmdk } from './handles/vmdk-export.js';
/** Options of {@link exportVmdk}. */
export type { ExportVmdkOptions } from './handles/vmdk-export.js';
/** The result of {@link exportVmdk}: the stream and what the lease said about it. */
export type { VmdkExport } from './handles/vmdk-export.js';

// ---- Image transfer ----

/** Copies an image to a datastore file, checking size and checksum; a failure leaves no file. */
export { copyImageToDatastoreFile } from './handles/image.js';
/** Imports a stream-optimized image as a new VM; the checksum is verified before the lease completes. */
export { importStreamOptimizedImage } from './handles/image.js';
/** Copies a VM's disk to an image as a stream-optimized VMDK, reporting its size and sha256 digest. */
export { copyVmDiskToImage } from './handles/image.js';
/** Options of {@link copyVmDiskToImage}. */
export type { VmDiskToImageOptions } from './handles/image.js';
/** A directory of images with metadata: the simplest image source and sink. */
export { LocalImageStore } from './handles/image.js';
/** Image metadata, sources, sinks and transfer options. */
export type { ImageInfo, ImageSink, ImageSource, ImageTransferOptions } from './handles/image.js';
/** The bytes did not match their declared checksum (code `VMKIT_TRANSFER_CHECKSUM_MISMATCH`). */
export { ChecksumMismatchError } from './handles/checksum.js';
/** A pass-through stream that hashes what flows through it. */
export { HashingStream } from './handles/checksum.js';
/** A declared checksum (algorithm and hex digest). */
export type { Checksum } from './handles/checksum.js';
