import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingStream, inspectVmdk, openOvaDisk, type Checksum, type ImageInfo, type ImageSink, type ImageSource } from '@vmkit/transfer';
import { UsageError } from './errors.js';
import type { Progress } from './progress.js';

/** What a local image file is: its container, disk type and the virtual size of its disk. */
export interface LocalImage {
  path: string;
  /** Bytes of the file. */
  size: number;
  /** Glance-style properties for the driver: `disk_format`, `container_format`, `vmware_disktype`, ... */
  properties: Record<string, string>;
  /** The disk's virtual size in bytes. */
  capacity: number;
}

const TAR_MAGIC_OFFSET = 257;

/** True when the file starts with a ustar header (an OVA is a tar archive). */
async function isTar(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(buf, 0, 8, TAR_MAGIC_OFFSET);
    return bytesRead >= 5 && buf.subarray(0, 5).toString('latin1') === 'ustar';
  } finally {
    await fh.close();
  }
}

/**
 * Reads what a local image file is, without reading it all: an OVA (its OVF names the disk and its
 * capacity), a stream-optimized or monolithic sparse VMDK (its header), or, with
 * `diskType: 'preallocated'`, a raw flat extent. Anything else is a {@link UsageError} naming what it is.
 */
export async function describeLocalImage(path: string, options: { diskType?: string; adapter?: string; signal?: AbortSignal } = {}): Promise<LocalImage> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new UsageError(`${path} is not a file`);
    size = s.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const adapter: Record<string, string> = options.adapter === undefined ? {} : { vmware_adaptertype: options.adapter };
  if (options.diskType === 'preallocated') {
    return { path, size, capacity: size, properties: { disk_format: 'vmdk', container_format: 'bare', vmware_disktype: 'preallocated', ...adapter } };
  }
  if (await isTar(path)) {
    const stream = createReadStream(path);
    try {
      const ova = await openOvaDisk(stream, options.signal === undefined ? {} : { signal: options.signal });
      ova.stream.destroy();
      return { path, size, capacity: ova.disk.capacity ?? 0, properties: { disk_format: 'vmdk', container_format: 'ova', vmware_disktype: 'streamOptimized', ...adapter } };
    } finally {
      stream.destroy();
    }
  }
  let info;
  try {
    info = await inspectVmdk(path, options.signal === undefined ? {} : { signal: options.signal });
  } catch (cause) {
    throw new UsageError(`${path} is not a VMDK or an OVA (${(cause as Error).message}); for a raw flat disk give --disk-type preallocated`, { cause });
  }
  const diskType = info.diskType === 'streamOptimized' ? 'streamOptimized' : info.diskType === 'monolithicSparse' ? 'sparse' : undefined;
  if (diskType === undefined) {
    throw new UsageError(`${path} is a ${info.diskType} VMDK; import takes a streamOptimized or monolithicSparse VMDK, an OVA, or a raw flat disk (--disk-type preallocated)`);
  }
  return { path, size, capacity: info.capacity, properties: { disk_format: 'vmdk', container_format: 'bare', vmware_disktype: diskType, ...adapter } };
}

/** Counts bytes as they pass and reports them to a progress display. */
class Meter extends Transform {
  bytes = 0;
  constructor(private readonly progress: Progress) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.progress.update(this.bytes);
    done(null, chunk);
  }
}

/** A local file as the driver's image source, its reads shown on `progress`. */
export function fileImageSource(image: LocalImage, progress: Progress, checksum?: Checksum): ImageSource {
  return {
    info: () => Promise.resolve({ size: image.size, properties: image.properties, ...(checksum === undefined ? {} : { checksum }) }),
    open: (signal) => {
      const meter = new Meter(progress);
      const file = createReadStream(image.path, signal === undefined ? {} : { signal });
      file.on('error', (e) => meter.destroy(e));
      return Promise.resolve(file.pipe(meter));
    },
  };
}

/**
 * A local file as the driver's image sink: written to `<file>.part`, renamed over `file` only once
 * complete; on any failure the partial file is removed. Reports size and sha256.
 */
export function fileImageSink(file: string, progress: Progress): ImageSink {
  return {
    async write(stream: Readable, properties: Record<string, string>, signal?: AbortSignal): Promise<ImageInfo> {
      const part = `${file}.part`;
      const hashing = new HashingStream('sha256');
      const meter = new Meter(progress);
      try {
        await pipeline(stream, meter, hashing, createWriteStream(part, { flags: 'wx' }), signal === undefined ? {} : { signal });
        await rename(part, file);
      } catch (err) {
        await rm(part, { force: true });
        throw err;
      }
      return { size: meter.bytes, checksum: { algorithm: "sha256", value: hashing.digest }, properties };
    },
  };
}
