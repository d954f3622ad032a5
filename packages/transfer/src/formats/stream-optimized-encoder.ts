/**
 * Raw disk bytes -> stream-optimized VMDK, as a stream, in VMware's streaming layout: header (grain
 * directory "at end"), embedded descriptor, then for each 64 KiB grain that is not all zeros a grain
 * marker with its deflated bytes, a grain table after each table's worth of grains, and at the end the
 * grain directory, the footer and the end-of-stream marker. Nothing is ever written twice, so the
 * output can go straight to an HTTP upload (an NFC lease, an image service).
 */
import type { Duplex } from 'node:stream';
import { constants as zlibConstants, deflate, type InputType, type ZlibOptions } from 'node:zlib';
import { destroyOnAbort } from './abort.js';
import { ByteReader } from './byte-reader.js';
import { generatorDuplex } from './duplex.js';
import { formatVmdkDescriptor, type VmdkDescriptorInit } from './descriptor.js';
import { TransferSizeMismatchError, VmdkFormatError } from './errors.js';
import {
  COMPRESSION_DEFLATE,
  FLAG_COMPRESSED,
  FLAG_MARKERS,
  FLAG_VALID_NEWLINE_TEST,
  MARKER_EOS,
  MARKER_FOOTER,
  MARKER_GD,
  MARKER_GT,
  SECTOR_SIZE,
  encodeSparseExtentHeader,
  type SparseExtentHeaderInit,
} from './sparse-header.js';
import { isAllZero } from './zero.js';

/** Sectors per grain in the files this encoder writes (64 KiB, as VMware and qemu write). */
export const STREAM_OPTIMIZED_GRAIN_SECTORS = 128;
const GTES_PER_GT = 512;
/** Sectors reserved for the embedded descriptor (as VMware and qemu reserve). */
const DESCRIPTOR_SECTORS = 20;
/** The grains start at this sector: header, descriptor, then zeros up to one grain. */
const OVERHEAD_SECTORS = 128;

/** The descriptor settings a caller may choose; the create type and the extent are the encoder's. */
export type StreamOptimizedDescriptorOptions = Omit<VmdkDescriptorInit, 'createType' | 'extents'>;

/** Options of {@link createStreamOptimizedEncoder}. */
export interface StreamOptimizedEncoderOptions {
  /** The raw disk's size in bytes: a multiple of 512. The input must be exactly this long. */
  capacity: number;
  /** The extent file name written in the embedded descriptor (default "disk.vmdk"). */
  fileName?: string;
  /** Descriptor settings: adapter type (default lsilogic), hardware version, CID, uuid, more `ddb.*`. */
  descriptor?: StreamOptimizedDescriptorOptions;
  /** zlib level 0-9 (default 6, zlib's default, as qemu uses). */
  compressionLevel?: number;
  /** Grains deflated at once on the libuv thread pool (default 4). */
  concurrency?: number;
  /** Destroys the stream with a VimAbortError (code `VMKIT_VIM_ABORTED`) when aborted. */
  signal?: AbortSignal;
}

const deflateAsync = (data: InputType, options: ZlibOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    deflate(data, options, (err, out) => (err === null ? resolve(out) : reject(err)));
  });

function metadataMarker(numSectors: number, type: number): Buffer {
  const b = Buffer.alloc(SECTOR_SIZE);
  b.writeBigUInt64LE(BigInt(numSectors), 0);
  b.writeUInt32LE(0, 8);
  b.writeUInt32LE(type, 12);
  return b;
}

function checkOptions(options: StreamOptimizedEncoderOptions): void {
  const { capacity } = options;
  if (!Number.isSafeInteger(capacity) || capacity < 0 || capacity % SECTOR_SIZE !== 0) {
    throw new RangeError(`capacity ${capacity} is not a non-negative multiple of ${SECTOR_SIZE} bytes`);
  }
  if (capacity / SECTOR_SIZE > 0xffffffff * STREAM_OPTIMIZED_GRAIN_SECTORS) {
    throw new RangeError(`capacity ${capacity} is too large for a sparse VMDK`);
  }
  const level = options.compressionLevel;
  if (level !== undefined && (!Number.isInteger(level) || level < 0 || level > 9)) {
    throw new RangeError(`compression level ${level} is not an integer from 0 to 9`);
  }
}

/**
 * The encoding itself, as an async generator from raw bytes to VMDK bytes. The public entry point is
 * {@link createStreamOptimizedEncoder}.
 */
export async function* encodeStreamOptimized(
  source: AsyncIterable<Uint8Array>,
  options: StreamOptimizedEncoderOptions,
): AsyncGenerator<Buffer, void, undefined> {
  checkOptions(options);
  const reader = new ByteReader(source);
  try {
    const capacityBytes = options.capacity;
    const capacity = capacityBytes / SECTOR_SIZE;
    const grainSectors = STREAM_OPTIMIZED_GRAIN_SECTORS;
    const grainBytes = grainSectors * SECTOR_SIZE;
    const totalGrains = Math.ceil(capacity / grainSectors);
    const numGTs = Math.ceil(totalGrains / GTES_PER_GT);
    const gtSectors = (GTES_PER_GT * 4) / SECTOR_SIZE;
    const gdSectors = Math.ceil((numGTs * 4) / SECTOR_SIZE);
    const level = options.compressionLevel ?? zlibConstants.Z_DEFAULT_COMPRESSION;
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));

    const headerInit: SparseExtentHeaderInit = {
      version: 3,
      flags: FLAG_VALID_NEWLINE_TEST | FLAG_COMPRESSED | FLAG_MARKERS,
      capacity,
      grainSize: grainSectors,
      descriptorOffset: 1,
      descriptorSize: DESCRIPTOR_SECTORS,
      numGTEsPerGT: GTES_PER_GT,
      rgdOffset: 0,
      gdOffset: null,
      overhead: OVERHEAD_SECTORS,
      compressAlgorithm: COMPRESSION_DEFLATE,
    };
    const text = Buffer.from(
      formatVmdkDescriptor({
        ...options.descriptor,
        createType: 'streamOptimized',
        extents: [{ access: 'RW', size: capacity, type: 'SPARSE', fileName: options.fileName ?? 'disk.vmdk' }],
      }),
      'utf8',
    );
    if (text.length > DESCRIPTOR_SECTORS * SECTOR_SIZE) {
      throw new VmdkFormatError('descriptor-too-large', `the descriptor needs ${text.length} bytes, more than its ${DESCRIPTOR_SECTORS} sectors`);
    }
    const prologue = Buffer.alloc(OVERHEAD_SECTORS * SECTOR_SIZE);
    encodeSparseExtentHeader(headerInit).copy(prologue, 0);
    text.copy(prologue, SECTOR_SIZE);
    yield prologue;
    let sector = OVERHEAD_SECTORS; // the next output sector

    const gd = Buffer.alloc(gdSectors * SECTOR_SIZE);
    let gt: Buffer | undefined; // the table being filled, with the marker sector in front
    let gtIndex = -1;
    function* flushTable(): Generator<Buffer> {
      if (gt === undefined) return;
      gd.writeUInt32LE(sector + 1, gtIndex * 4); // the table follows its marker
      yield gt;
      sector += 1 + gtSectors;
      gt = undefined;
    }

    type Pending = { grain: number; compressed: Promise<Buffer> };
    const queue: Pending[] = [];
    function* emitGrain(grain: number, compressed: Buffer): Generator<Buffer> {
      const table = Math.floor(grain / GTES_PER_GT);
      if (table !== gtIndex) {
        yield* flushTable();
        gtIndex = table;
      }
      if (gt === undefined) {
        gt = Buffer.alloc((1 + gtSectors) * SECTOR_SIZE);
        metadataMarker(gtSectors, MARKER_GT).copy(gt, 0);
      }
      gt.writeUInt32LE(sector, SECTOR_SIZE + (grain % GTES_PER_GT) * 4);
      const len = 12 + compressed.length;
      const padded = Math.ceil(len / SECTOR_SIZE) * SECTOR_SIZE;
      const out = Buffer.allocUnsafe(padded);
      out.writeBigUInt64LE(BigInt(grain * grainSectors), 0);
      out.writeUInt32LE(compressed.length, 8);
      compressed.copy(out, 12);
      out.fill(0, len);
      sector += padded / SECTOR_SIZE;
      yield out;
    }
    async function* drain(limit: number): AsyncGenerator<Buffer> {
      while (queue.length > limit) {
        const next = queue.shift();
        if (next === undefined) break;
        yield* emitGrain(next.grain, await next.compressed);
      }
    }

    let read = 0;
    for (let grain = 0; grain < totalGrains; grain++) {
      const want = Math.min(grainBytes, capacityBytes - read);
      const at = read;
      const data = await reader.read(want, (got) => new TransferSizeMismatchError(capacityBytes, at + got, `raw input ended after ${at + got} of ${capacityBytes} bytes`));
      read += want;
      if (isAllZero(data)) continue;
      // A partial last grain is padded to a whole grain: every reader accepts that.
      const whole = want === grainBytes ? data : Buffer.concat([data, Buffer.alloc(grainBytes - want)]);
      const compressed = deflateAsync(whole, { level });
      compressed.catch(() => undefined); // awaited in order below
      queue.push({ grain, compressed });
      yield* drain(concurrency - 1);
    }
    if (!(await reader.atEnd())) {
      throw new TransferSizeMismatchError(capacityBytes, capacityBytes + reader.buffered, `raw input is longer than the capacity of ${capacityBytes} bytes`);
    }
    yield* drain(0);
    yield* flushTable();

    const gdSector = sector + 1;
    const gdOut = Buffer.concat([metadataMarker(gdSectors, MARKER_GD), gd]);
    sector += 1 + gdSectors;
    yield gdOut;
    const footer = encodeSparseExtentHeader({ ...headerInit, gdOffset: gdSector });
    yield Buffer.concat([metadataMarker(1, MARKER_FOOTER), footer, metadataMarker(0, MARKER_EOS)]);
  } finally {
    await reader.close();
  }
}

/**
 * A Duplex that takes a raw disk image of `capacity` bytes and gives out a stream-optimized VMDK
 * (createType streamOptimized, 64 KiB grains, all-zero grains left out), ready for ImportVApp/NFC
 * upload or an image service. The output is produced in one pass and never revisited.
 *
 * Errors (the stream is destroyed with them): TransferSizeMismatchError when the input is shorter or
 * longer than `capacity`; RangeError for a capacity that is not a multiple of 512 or a bad option.
 *
 * @example
 * ```ts
 * const { size } = await stat('disk.raw');
 * await pipeline(createReadStream('disk.raw'), createStreamOptimizedEncoder({ capacity: size }), upload);
 * ```
 */
export function createStreamOptimizedEncoder(options: StreamOptimizedEncoderOptions): Duplex {
  checkOptions(options);
  const { signal } = options;
  const duplex = generatorDuplex((source) => encodeStreamOptimized(source, options));
  destroyOnAbort(signal, duplex, 'stream-optimized encode');
  return duplex;
}
