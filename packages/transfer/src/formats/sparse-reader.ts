/**
 * Hosted sparse VMDK (monolithicSparse, or a stream-optimized file on disk) -> raw bytes, by random
 * access: the grain directory and its tables are followed in disk order, so the file needs a
 * positional reader (a path, a FileHandle, bytes, or a range reader), not a stream.
 */
import { Readable } from 'node:stream';
import { inflateSync } from 'node:zlib';
import { destroyOnAbort } from './abort.js';
import { parseVmdkDescriptor, type VmdkDescriptor } from './descriptor.js';
import { carriesOnlyDescriptor, detectDiskType } from './disk-type.js';
import { VmdkFormatError, VmdkUnsupportedError } from './errors.js';
import {
  MARKER_EOS,
  MARKER_FOOTER,
  SECTOR_SIZE,
  SPARSE_MAGIC,
  magicOf,
  parseSparseExtentHeader,
  type SparseExtentHeader,
} from './sparse-header.js';
import { openSource, type OpenedSource, type VmdkSource } from './source.js';
import type { SparseHeaderInfo } from './stream-optimized-decoder.js';
import { zeros } from './zero.js';

/** Options of {@link createSparseVmdkReadStream}. */
export interface SparseVmdkReadStreamOptions {
  /** Destroys the stream with a VimAbortError (code `VMKIT_VIM_ABORTED`) when aborted. */
  signal?: AbortSignal;
  /**
   * Read a delta disk (a descriptor with a parentCID) as if it had no parent: unallocated grains come
   * out as zeros instead of the parent's data. Off by default, when such a disk is refused.
   */
  ignoreParent?: boolean;
  /** Called once the header (the footer's copy, for stream-optimized files) and descriptor are read. */
  onHeader?: (info: SparseHeaderInfo) => void;
}

/** The most bytes read from the file at once when grains lie next to each other. */
const MAX_RUN = 1 << 20;

async function readExactly(src: OpenedSource, position: number, length: number, what: string): Promise<Buffer> {
  const b = await src.read(position, length);
  if (b.length < length) throw new VmdkFormatError('truncated', `file ends inside the ${what}`, { offset: position + b.length });
  return b;
}

/** For a stream-optimized file whose header says "grain directory at end": the footer's header. */
async function readFooter(src: OpenedSource): Promise<SparseExtentHeader> {
  const size = src.size;
  if (size === undefined) {
    throw new VmdkUnsupportedError('unknown-size', 'the grain directory is in the footer, which needs the file size to be found');
  }
  if (size < 4 * SECTOR_SIZE) throw new VmdkFormatError('bad-footer', 'file too small to hold a footer', { offset: 0 });
  const at = Math.floor(size / SECTOR_SIZE) * SECTOR_SIZE - 3 * SECTOR_SIZE;
  const tail = await readExactly(src, at, 3 * SECTOR_SIZE, 'footer');
  const marker = tail.subarray(0, SECTOR_SIZE);
  const eos = tail.subarray(2 * SECTOR_SIZE);
  const ok =
    marker.readUInt32LE(8) === 0 &&
    marker.readUInt32LE(12) === MARKER_FOOTER &&
    eos.readBigUInt64LE(0) === 0n &&
    eos.readUInt32LE(8) === 0 &&
    eos.readUInt32LE(12) === MARKER_EOS &&
    magicOf(tail.subarray(SECTOR_SIZE)) === SPARSE_MAGIC;
  if (!ok) throw new VmdkFormatError('bad-footer', 'no footer and end-of-stream marker at the end of the file', { offset: at });
  const footer = parseSparseExtentHeader(tail.subarray(SECTOR_SIZE, 2 * SECTOR_SIZE), { fileSize: size, position: at + SECTOR_SIZE });
  if (footer.gdOffset === null) throw new VmdkFormatError('bad-footer', 'the footer does not locate the grain directory', { offset: at + SECTOR_SIZE });
  return footer;
}

async function* readSparse(src: OpenedSource, options: SparseVmdkReadStreamOptions): AsyncGenerator<Buffer, void, undefined> {
  const fileSize = src.size;
  const sizeOpt = fileSize === undefined ? {} : { fileSize };
  const first = await src.read(0, SECTOR_SIZE);
  let header = parseSparseExtentHeader(first, sizeOpt);
  let descriptor: VmdkDescriptor | undefined;
  if (header.descriptorOffset !== 0) {
    const at = header.descriptorOffset * SECTOR_SIZE;
    const text = await readExactly(src, at, header.descriptorSize * SECTOR_SIZE, 'embedded descriptor');
    if (text.some((c) => c !== 0)) descriptor = parseVmdkDescriptor(text, { position: at });
  }
  const { capacity } = detectDiskType({ header, descriptor });
  if (carriesOnlyDescriptor(header, descriptor)) {
    throw new VmdkUnsupportedError('disk-type', `this sparse header only carries a ${descriptor?.createType ?? ''} descriptor; read its extents instead`);
  }
  if (descriptor?.parentCid !== undefined && descriptor.parentCid !== 0xffffffff && options.ignoreParent !== true) {
    throw new VmdkUnsupportedError('parent', 'this sparse extent is a delta of a parent disk; its unallocated grains live in the parent');
  }
  if (header.gdOffset === null) {
    const footer = await readFooter(src);
    if (footer.capacity !== header.capacity || footer.grainSize !== header.grainSize || footer.numGTEsPerGT !== header.numGTEsPerGT) {
      throw new VmdkFormatError('bad-footer', 'the footer disagrees with the header on capacity, grain size or grain table size');
    }
    header = footer;
  }
  options.onHeader?.({ header, descriptor, capacity });

  const gdOffset = header.gdOffset ?? 0;
  const grainBytes = header.grainSize * SECTOR_SIZE;
  const totalGrains = capacity === 0 ? 0 : Math.ceil(header.capacity / header.grainSize);
  const gd = await readExactly(src, gdOffset * SECTOR_SIZE, header.gdSectors * SECTOR_SIZE, 'grain directory');
  const zeroMark = header.zeroedGrainEntries ? 1 : 0;

  let zeroRun = 0;
  let run: { sector: number; length: number } | undefined; // adjacent uncompressed grains, read as one
  async function* flushRun(): AsyncGenerator<Buffer> {
    if (run === undefined) return;
    const { sector, length } = run;
    run = undefined;
    yield await readExactly(src, sector * SECTOR_SIZE, length, 'grain');
  }
  function* flushZeros(): Generator<Buffer> {
    if (zeroRun > 0) yield* zeros(zeroRun);
    zeroRun = 0;
  }

  for (let t = 0; t < header.numGTs; t++) {
    const gtSector = gd.readUInt32LE(t * 4);
    const firstGrain = t * header.numGTEsPerGT;
    const grainsHere = Math.min(header.numGTEsPerGT, totalGrains - firstGrain);
    if (gtSector === 0) {
      yield* flushRun();
      zeroRun += Math.min(grainsHere * grainBytes, capacity - firstGrain * grainBytes);
      continue;
    }
    if (gtSector < 1 || (fileSize !== undefined && (gtSector + header.gtSectors) * SECTOR_SIZE > fileSize)) {
      throw new VmdkFormatError('bad-table', `grain directory entry ${t} points to sector ${gtSector}, outside the file`, { offset: gdOffset * SECTOR_SIZE + t * 4 });
    }
    const gt = await readExactly(src, gtSector * SECTOR_SIZE, header.gtSectors * SECTOR_SIZE, 'grain table');
    for (let j = 0; j < grainsHere; j++) {
      const grain = firstGrain + j;
      const want = Math.min(grainBytes, capacity - grain * grainBytes);
      const entry = gt.readUInt32LE(j * 4);
      const entryAt = gtSector * SECTOR_SIZE + j * 4;
      if (entry === 0 || entry === zeroMark) {
        yield* flushRun();
        zeroRun += want;
        continue;
      }
      if (entry < header.overhead) {
        throw new VmdkFormatError('bad-table', `grain ${grain} points into the metadata at sector ${entry}`, { offset: entryAt });
      }
      if (fileSize !== undefined && entry * SECTOR_SIZE >= fileSize) {
        throw new VmdkFormatError('truncated', `grain ${grain} at sector ${entry} lies beyond the end of the file`, { offset: entryAt });
      }
      yield* flushZeros();
      if (!header.compressed) {
        if (run !== undefined && run.sector * SECTOR_SIZE + run.length === entry * SECTOR_SIZE && run.length + want <= MAX_RUN) {
          run.length += want;
        } else {
          yield* flushRun();
          run = { sector: entry, length: want };
        }
        continue;
      }
      const at = entry * SECTOR_SIZE;
      let data: Buffer;
      if (header.markers) {
        const marker = await readExactly(src, at, 12, 'grain marker');
        const lba = marker.readUInt32LE(0) + marker.readUInt32LE(4) * 0x1_0000_0000;
        const size = marker.readUInt32LE(8);
        if (lba !== grain * header.grainSize) {
          throw new VmdkFormatError('bad-table', `grain table entry for sector ${grain * header.grainSize} points to a grain marked ${lba}`, { offset: at });
        }
        if (size === 0 || size > 2 * grainBytes) {
          throw new VmdkFormatError('bad-marker', `grain marker with an impossible compressed size of ${size} bytes`, { offset: at });
        }
        data = await readExactly(src, at + 12, size, 'compressed grain');
      } else {
        data = await src.read(at, 2 * grainBytes);
      }
      let raw: Buffer;
      try {
        raw = inflateSync(data, { maxOutputLength: grainBytes, chunkSize: grainBytes + 1024 });
      } catch (err) {
        throw new VmdkFormatError('bad-grain', `grain ${grain} does not inflate: ${(err as Error).message}`, { offset: at, cause: err });
      }
      if (raw.length !== want && raw.length !== grainBytes) {
        throw new VmdkFormatError('bad-grain', `grain ${grain} inflates to ${raw.length} bytes, expected ${want}`, { offset: at });
      }
      yield raw.length === want ? raw : raw.subarray(0, want);
    }
  }
  yield* flushRun();
  yield* flushZeros();
}

/**
 * A Readable of the raw disk inside a hosted sparse VMDK: a monolithicSparse file (or a
 * twoGbMaxExtentSparse extent), or a stream-optimized file that sits on disk. Exactly `capacity` bytes
 * come out, zeros where no grain is allocated (views of one shared zero buffer: do not write into
 * the chunks). Follows the grain directory, so it takes a positional
 * source: a path (opened and closed here), a FileHandle (left open), bytes, or `{ read, size }`.
 *
 * Errors (the stream is destroyed with them): VmdkFormatError on a malformed or truncated file,
 * VmdkUnsupportedError for a delta disk (unless `ignoreParent`) or a header this code does not read.
 */
export function createSparseVmdkReadStream(source: VmdkSource, options: SparseVmdkReadStreamOptions = {}): Readable {
  const { signal } = options;
  async function* run(): AsyncGenerator<Buffer, void, undefined> {
    const src = await openSource(source, signal);
    try {
      yield* readSparse(src, options);
    } finally {
      await src.close();
    }
  }
  const stream = Readable.from(run(), { objectMode: false, highWaterMark: 1 << 20 });
  destroyOnAbort(signal, stream, 'sparse VMDK read');
  return stream;
}
