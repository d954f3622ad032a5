import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { VimTimeoutError, type ManagedObjectReference } from '@vmkit/vim';
import { waitForTask, type DatastoreURL, type VimSession } from '@vmkit/session';
import { HashingStream, type Checksum } from './checksum.js';
import { writeDatastoreFile } from './datastore-file.js';
import { TransferError } from './errors.js';
import { importVmdk, type ImportVmdkOptions } from './vmdk-import.js';
import { exportVmdk } from './vmdk-export.js';
import { parseSparseExtentHeader } from '../formats/sparse-header.js';
import { TransferSizeMismatchError, VmdkFormatError, VmdkUnsupportedError } from '../formats/errors.js';

/** An image's metadata, as an image service (Glance) describes it. */
export interface ImageInfo {
  /** Bytes. */
  size: number;
  checksum?: Checksum;
  /** `disk_format`, `container_format`, `vmware_disktype`, `vmware_adaptertype`, ... */
  properties: Record<string, string>;
}

/** Where an image's bits come from: a stream plus what is known of it. */
export interface ImageSource {
  info(signal?: AbortSignal): Promise<ImageInfo>;
  open(signal?: AbortSignal): Promise<Readable>;
}

/** Where an image's bits go. */
export interface ImageSink {
  /** Writes the image; resolves to what was written (size and sha256 digest). */
  write(stream: Readable, properties: Record<string, string>, signal?: AbortSignal): Promise<ImageInfo>;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A directory of images: `<id>` holds the bits, `<id>.json` the metadata (size, checksum, properties).
 * The simplest image service, for tools and tests.
 */
export class LocalImageStore {
  constructor(readonly dir: string) {}

  private paths(id: string): { data: string; meta: string } {
    if (!ID.test(id)) throw new RangeError(`invalid image id ${JSON.stringify(id)}`);
    return { data: join(this.dir, id), meta: join(this.dir, `${id}.json`) };
  }

  /** The image `id` as a source. */
  source(id: string): ImageSource {
    const { data, meta } = this.paths(id);
    return {
      info: async () => JSON.parse(await readFile(meta, 'utf8')) as ImageInfo,
      open: () => Promise.resolve(createReadStream(data)),
    };
  }

  /** A sink that stores an image under `id`, atomically (a failed write leaves nothing). */
  sink(id: string): ImageSink {
    const { data, meta } = this.paths(id);
    return {
      write: async (stream, properties, signal) => {
        await mkdir(this.dir, { recursive: true });
        const tmp = `${data}.partial-${process.pid}`;
        const hashing = new HashingStream('sha256');
        try {
          await pipeline(stream, hashing, createWriteStream(tmp), signal === undefined ? {} : { signal });
          const info: ImageInfo = { size: (await stat(tmp)).size, checksum: { algorithm: 'sha256', value: hashing.digest }, properties };
          await rename(tmp, data);
          await writeFile(meta, JSON.stringify(info, null, 2));
          return info;
        } catch (err) {
          await rm(tmp, { force: true });
          throw err;
        }
      },
    };
  }
}

function withTimeout(signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
  const signals = [signal, timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs)].filter((s): s is AbortSignal => s !== undefined);
  return signals.length === 0 ? undefined : AbortSignal.any(signals);
}

/** Options of the image transfer functions. */
export interface ImageTransferOptions {
  signal?: AbortSignal;
  /** The whole transfer must finish within this many milliseconds (Cinder's `vmware_image_transfer_timeout_secs`). */
  timeoutMs?: number;
  onProgress?: (bytes: number, total: number | undefined) => void;
}

/**
 * Copies an image to a datastore file (a flat disk's extent, say), checking the declared size and
 * checksum on the way; on a mismatch or any failure the partial file is deleted.
 */
export async function copyImageToDatastoreFile(
  session: VimSession,
  image: ImageSource,
  url: DatastoreURL,
  datacenter: ManagedObjectReference,
  options: ImageTransferOptions = {},
): Promise<ImageInfo> {
  const signal = withTimeout(options.signal, options.timeoutMs);
  const info = await image.info(signal);
  const hashing = new HashingStream(info.checksum?.algorithm ?? 'sha256');
  const source = await image.open(signal);
  source.on('error', (e) => hashing.destroy(e));
  try {
    await writeDatastoreFile(url, { session }, source.pipe(hashing), info.size, {
      ...(signal === undefined ? {} : { signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
    await hashing.verify(info.checksum);
    return { ...info, checksum: { algorithm: hashing.algorithm, value: hashing.digest } };
  } catch (err) {
    source.destroy();
    const fm = session.serviceContent.fileManager;
    if (fm !== undefined) {
      await session
        .invoke('DeleteDatastoreFile_Task', fm, { name: url.datastorePath.toString(), datacenter })
        .then((task) => waitForTask(session, task))
        .catch(() => undefined);
    }
    throw timedOut(options, err);
  }
}

function timedOut(options: ImageTransferOptions, err: unknown): unknown {
  if (options.timeoutMs !== undefined && options.signal?.aborted !== true && (err as { code?: string }).code === 'VMKIT_VIM_ABORTED') {
    return new VimTimeoutError(`the image transfer did not finish within ${options.timeoutMs} ms`, { cause: err });
  }
  return err;
}

/**
 * Imports a stream-optimized image as a new VM (oslo.vmware's `fetch_stream_optimized_image`): the
 * image's declared size is the upload's length and its checksum is verified before the lease is
 * completed. Resolves to the VM.
 */
export async function importStreamOptimizedImage(
  session: VimSession,
  image: ImageSource,
  target: Omit<ImportVmdkOptions, 'source' | 'size' | 'streamOptimized' | 'checksum' | 'signal' | 'onProgress'>,
  options: ImageTransferOptions = {},
): Promise<ManagedObjectReference> {
  const signal = withTimeout(options.signal, options.timeoutMs);
  const info = await image.info(signal);
  const format = info.properties.vmware_disktype;
  if (format !== undefined && format !== 'streamOptimized') {
    throw new TransferError(`the image's disk type is ${format}, not streamOptimized`, { code: 'VMKIT_TRANSFER_WRONG_DISK_TYPE' });
  }
  try {
    return await importVmdk(session, {
      ...target,
      source: await image.open(signal),
      size: info.size,
      streamOptimized: true,
      ...(info.checksum === undefined ? {} : { checksum: info.checksum }),
      ...(signal === undefined ? {} : { signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
  } catch (err) {
    throw timedOut(options, err);
  }
}


/** Options of {@link copyVmDiskToImage}. */
export interface VmDiskToImageOptions extends ImageTransferOptions {
  /** Which disk of the VM (a lease device key or the position among its disks, as `exportVmdk` takes it); default the first. */
  disk?: string | number;
  /** Further image properties, merged over the ones this function sets. */
  properties?: Record<string, string>;
  /** Refuse (and abort) an export that grows beyond this many bytes. */
  maxSize?: number;
}

/**
 * Checks the first sector of an export as it passes: a sparse VMDK header that is stream-optimized
 * (compressed grains with markers). Counts the bytes and refuses more than `maxSize`.
 */
class ExportCheck extends Transform {
  bytes = 0;
  capacity: number | undefined;
  private head: Buffer[] | undefined = [];
  private headLength = 0;
  constructor(private readonly maxSize: number | undefined) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.maxSize !== undefined && this.bytes > this.maxSize) {
      return done(new TransferSizeMismatchError(this.maxSize, this.bytes, `the exported disk is larger than the ${this.maxSize} bytes allowed`));
    }
    if (this.head !== undefined) {
      this.head.push(chunk);
      this.headLength += chunk.length;
      if (this.headLength >= 512) {
        try {
          this.checkHeader(Buffer.concat(this.head));
        } catch (err) {
          return done(err as Error);
        }
        this.head = undefined;
      }
    }
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    if (this.head !== undefined) return done(new VmdkFormatError('truncated', `the exported disk ends after ${this.bytes} bytes, inside its header`, { offset: this.bytes }));
    done();
  }
  private checkHeader(first: Buffer): void {
    const header = parseSparseExtentHeader(first.subarray(0, 512));
    if (!header.compressed || !header.markers) {
      throw new VmdkUnsupportedError('disk-type', 'the server exported a sparse VMDK that is not stream-optimized');
    }
    this.capacity = header.capacity * 512;
  }
}

/**
 * Copies a VM's disk to an image as a stream-optimized VMDK (oslo.vmware's `upload_image`): the disk
 * is exported through an NFC lease ({@link exportVmdk}) straight into the sink, checked on the way (a
 * stream-optimized header first, at most `maxSize` bytes, the sink stored every byte) and hashed. The
 * result has the size, the sha256 digest computed here, and the image properties (`disk_format: vmdk`,
 * `container_format: bare`, `vmware_disktype: streamOptimized`, `virtual_size`). The lease is completed
 * only when the last byte was read and aborted on any failure, timeout or abort; the sink is expected
 * to leave nothing behind when its write fails (as {@link LocalImageStore}'s sinks do).
 */
export async function copyVmDiskToImage(
  session: VimSession,
  vm: ManagedObjectReference,
  sink: ImageSink,
  options: VmDiskToImageOptions = {},
): Promise<ImageInfo> {
  const signal = withTimeout(options.signal, options.timeoutMs);
  try {
    const exported = await exportVmdk(session, vm, {
      ...(signal === undefined ? {} : { signal }),
      ...(options.disk === undefined ? {} : { disk: options.disk }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
    const check = new ExportCheck(options.maxSize);
    const hashing = new HashingStream('sha256');
    exported.stream.on('error', (e) => check.destroy(e));
    check.on('error', (e) => {
      exported.stream.destroy(e);
      hashing.destroy(e);
    });
    // A sink may attach its listeners late (after an await); it still sees the failure, because a
    // pipeline over a destroyed stream rejects with its error. Until then the error is not uncaught.
    hashing.on('error', () => undefined);
    const properties: Record<string, string> = { disk_format: 'vmdk', container_format: 'bare', vmware_disktype: 'streamOptimized' };
    let written: ImageInfo;
    try {
      written = await sink.write(
        exported.stream.pipe(check).pipe(hashing),
        // The virtual size is known only once the header passed; the sink gets it through the result.
        { ...properties, ...options.properties },
        signal,
      );
    } catch (err) {
      exported.stream.destroy();
      throw err;
    }
    // The sink may resolve as soon as it has the bytes; the export is done when its lease completed.
    await finished(exported.stream);
    const digest = await hashing.finished();
    if (written.size !== check.bytes) throw new TransferSizeMismatchError(check.bytes, written.size, `the image sink stored ${written.size} of the ${check.bytes} bytes exported`);
    if (written.checksum !== undefined && written.checksum.algorithm === 'sha256' && written.checksum.value !== digest) {
      throw new TransferError(`the image sink reports sha256 ${written.checksum.value} for bytes whose sha256 is ${digest}`, { code: 'VMKIT_TRANSFER_SINK_MISMATCH' });
    }
    return {
      size: check.bytes,
      checksum: { algorithm: 'sha256', value: digest },
      properties: { ...properties, ...(check.capacity === undefined ? {} : { virtual_size: String(check.capacity) }), ...options.properties },
    };
  } catch (err) {
    throw timedOut(options, err);
  }
}
