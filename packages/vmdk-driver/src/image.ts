/**
 * The image pipeline, split the way Nova's spawn refactor split it:
 * - a validated image object ({@link validateImage}: disk format, container, disk type, adapter type,
 *   size, linked-clone flag);
 * - image *handlers* obtain the bits ({@link stageImage}: from any `ImageSource` of @vmkit/transfer, an
 *   OVA unwrapped to its disk, size and checksum verified, into a staging file);
 * - image *processors* make them usable ({@link toStreamOptimized}: a sparse disk read to raw, a flat
 *   extent taken as it is, both encoded stream-optimized; a stream-optimized disk kept);
 * - image *users* consume them (the driver's full copy: an NFC import into a new backing).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  HashingStream,
  TransferSizeMismatchError,
  createSparseVmdkReadStream,
  createStreamOptimizedEncoder,
  inspectVmdk,
  openOvaDisk,
  type ImageInfo,
  type ImageSource,
} from '@vmkit/transfer';
import type { AdapterType } from './config.js';
import { ImageUnacceptableError } from './errors.js';
import { parseImageProperties, type ImageDiskType } from './specs.js';

/** An image the driver accepts, validated (Nova's `VMwareImage`, Cinder's checks in `copy_image_to_volume`). */
export interface VmdkImage {
  id: string;
  /** Bytes of the image as stored (the OVA's, for an OVA). */
  size: number;
  /** `vmware_disktype` (default preallocated). */
  diskType: ImageDiskType;
  /** `vmware_adaptertype` (default: the driver's `vmware_adapter_type`). */
  adapterType: AdapterType;
  /** `container_format`: `bare` or `ova`. */
  containerFormat: 'bare' | 'ova';
  /** `vmware_linked_clone` (Nova's flag; kept for users that clone a cached base). */
  linkedClone: boolean;
  /** The declared checksum, verified while the bits are staged. */
  checksum: ImageInfo['checksum'];
}

/**
 * Validates an image's metadata: `disk_format` vmdk (or absent), `container_format` bare or ova (or
 * absent), known `vmware_disktype` and `vmware_adaptertype`. {@link ImageUnacceptableError} (or
 * `InvalidVolumeSpecError` for a bad property value) otherwise.
 */
export function validateImage(id: string, info: ImageInfo, defaultAdapter: AdapterType): VmdkImage {
  const p = info.properties;
  const diskFormat = p.disk_format;
  if (diskFormat !== undefined && diskFormat.toLowerCase() !== 'vmdk') {
    throw new ImageUnacceptableError('format', `image ${id}: disk format ${diskFormat} is not accepted, only vmdk`);
  }
  const container = p.container_format ?? 'bare';
  if (container !== 'bare' && container !== 'ova') {
    throw new ImageUnacceptableError('format', `image ${id}: container format ${container} is not supported, only bare and ova`);
  }
  const { diskType, adapterType } = parseImageProperties(p, defaultAdapter);
  return {
    id,
    size: info.size,
    diskType,
    adapterType,
    containerFormat: container,
    linkedClone: /^(true|yes|1)$/i.test(p.vmware_linked_clone ?? ''),
    checksum: info.checksum,
  };
}

/** Counts the bytes that pass. */
class Counter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/** A staged image: a local file holding the disk's bytes, and what is known about it. */
export interface StagedImage {
  image: VmdkImage;
  /** The staging file (the disk itself: an OVA is unwrapped). */
  path: string;
  /** The disk's virtual size in bytes. */
  capacity: number;
  /** The form of the staged bytes. */
  form: 'streamOptimized' | 'sparse' | 'flat';
  /** Removes the staging file. */
  cleanup(): Promise<void>;
}

/** Options of the pipeline's steps. */
export interface ImagePipelineOptions {
  /** Where staging files go (Cinder's `vmware_tmp_dir`). */
  tmpDir: string;
  signal?: AbortSignal;
}

/**
 * Handler: obtains an image's bits into a staging file, verifying the declared size and checksum of
 * what was read; an OVA is unwrapped to the disk its OVF names. Then it reads the disk's header to
 * learn its virtual size and form, refusing a disk that is not what the image says
 * (`ImageUnacceptableError` with reason `disk-type`). On any failure the staging file is removed.
 */
export async function stageImage(image: VmdkImage, source: ImageSource, options: ImagePipelineOptions): Promise<StagedImage> {
  const path = join(options.tmpDir, `vmkit-image-${randomUUID()}.vmdk`);
  const cleanup = () => rm(path, { force: true });
  const signal = options.signal;
  try {
    const input = await source.open(signal);
    const counter = new Counter();
    const hashing = new HashingStream(image.checksum?.algorithm ?? 'sha256');
    let ovfCapacity: number | undefined;
    // An OVA is staged whole first (so that all of its bytes are counted and hashed), then unwrapped.
    const first = image.containerFormat === 'ova' ? `${path}.ova` : path;
    try {
      await pipeline(input, counter, hashing, createWriteStream(first), signal === undefined ? {} : { signal });
      if (counter.bytes !== image.size) throw new TransferSizeMismatchError(image.size, counter.bytes, `image ${image.id} has ${counter.bytes} bytes, not the ${image.size} it declares`);
      await hashing.verify(image.checksum);
      if (image.containerFormat === 'ova') {
        const ova = await openOvaDisk(createReadStream(first), signal === undefined ? {} : { signal });
        ovfCapacity = ova.disk.capacity;
        await pipeline(ova.stream, createWriteStream(path), signal === undefined ? {} : { signal });
      }
    } finally {
      if (first !== path) await rm(first, { force: true });
    }
    const { form, capacity } = await describeDisk(image, path, ovfCapacity);
    return { image, path, capacity, form, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function describeDisk(image: VmdkImage, path: string, ovfCapacity: number | undefined): Promise<{ form: StagedImage['form']; capacity: number }> {
  const fileSize = (await stat(path)).size;
  if (image.diskType === 'preallocated' || image.diskType === 'thin') {
    if (fileSize % 512 !== 0 || fileSize === 0) throw new ImageUnacceptableError('disk-type', `image ${image.id}: a ${image.diskType} image is a flat extent, a non-empty multiple of 512 bytes; it has ${fileSize}`);
    return { form: 'flat', capacity: fileSize };
  }
  let info;
  try {
    info = await inspectVmdk(path);
  } catch (cause) {
    throw new ImageUnacceptableError('disk-type', `image ${image.id}: not a ${image.diskType} VMDK`, { cause });
  }
  const wanted = image.diskType === 'streamOptimized' || image.containerFormat === 'ova' ? 'streamOptimized' : 'monolithicSparse';
  if (info.diskType !== wanted && !(image.containerFormat === 'ova' && info.diskType === 'monolithicSparse')) {
    throw new ImageUnacceptableError('disk-type', `image ${image.id}: says ${image.diskType} but holds a ${info.diskType} disk`);
  }
  return { form: info.diskType === 'streamOptimized' ? 'streamOptimized' : 'sparse', capacity: ovfCapacity ?? info.capacity };
}

/** A stream-optimized disk ready for an NFC import: its file, size and virtual size. */
export interface StreamOptimizedDisk {
  path: string;
  size: number;
  capacity: number;
  cleanup(): Promise<void>;
}

/**
 * Processor: turns a staged disk into a stream-optimized file for an NFC import: kept as it is when it
 * already is one; a sparse disk is read to raw bytes and a flat extent taken as it is, both encoded.
 */
export async function toStreamOptimized(staged: StagedImage, options: ImagePipelineOptions): Promise<StreamOptimizedDisk> {
  if (staged.form === 'streamOptimized') {
    return { path: staged.path, size: (await stat(staged.path)).size, capacity: staged.capacity, cleanup: () => staged.cleanup() };
  }
  const out = join(options.tmpDir, `vmkit-image-${randomUUID()}-so.vmdk`);
  const cleanup = async () => {
    await rm(out, { force: true });
    await staged.cleanup();
  };
  try {
    const raw: Readable = staged.form === 'sparse' ? createSparseVmdkReadStream(staged.path, options.signal === undefined ? {} : { signal: options.signal }) : createReadStream(staged.path);
    const adapter = staged.image.adapterType === 'ide' ? 'ide' : staged.image.adapterType === 'busLogic' ? 'buslogic' : 'lsilogic';
    await pipeline(
      raw,
      createStreamOptimizedEncoder({ capacity: staged.capacity, descriptor: { adapterType: adapter }, ...(options.signal === undefined ? {} : { signal: options.signal }) }),
      createWriteStream(out),
      options.signal === undefined ? {} : { signal: options.signal },
    );
    return { path: out, size: (await stat(out)).size, capacity: staged.capacity, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
