/**
 * Stream-optimized VMDK -> raw disk bytes, as a stream: reads the header, the embedded descriptor and
 * then the markers in file order, inflating grains and filling the gaps with zeros, so that exactly
 * `capacity` bytes come out. Nothing is buffered beyond a few grains in flight.
 */
import type { Duplex } from 'node:stream';
import { inflateSync } from 'node:zlib';
import { destroyOnAbort } from './abort.js';
import { ByteReader } from './byte-reader.js';
import { generatorDuplex } from './duplex.js';
import { parseVmdkDescriptor, type VmdkDescriptor } from './descriptor.js';
import { carriesOnlyDescriptor, detectDiskType } from './disk-type.js';
import { VmdkFormatError, VmdkUnsupportedError } from './errors.js';
import {
  MARKER_EOS,
  MARKER_FOOTER,
  MARKER_GD,
  MARKER_GT,
  SECTOR_SIZE,
  parseSparseExtentHeader,
  type SparseExtentHeader,
} from './sparse-header.js';
import { zeros } from './zero.js';

/** What a reader learnt from a sparse VMDK's header and descriptor, before any disk byte comes out. */
export interface SparseHeaderInfo {
  /** The sparse header (for the random-access reader of a VMware stream-optimized file: the footer's copy). */
  readonly header: SparseExtentHeader;
  /** The embedded descriptor, when the file has one. */
  readonly descriptor: VmdkDescriptor | undefined;
  /** The disk's virtual size in bytes: exactly this many bytes come out. */
  readonly capacity: number;
}

/** Options of {@link createStreamOptimizedDecoder}. */
export interface StreamOptimizedDecoderOptions {
  /** Called once the header and descriptor are read, before the first output byte. */
  onHeader?: (info: SparseHeaderInfo) => void;
  /** Destroys the stream with a VimAbortError (code `VMKIT_VIM_ABORTED`) when aborted. */
  signal?: AbortSignal;
}

function u64At(b: Buffer, offset: number): number {
  return b.readUInt32LE(offset) + b.readUInt32LE(offset + 4) * 0x1_0000_0000;
}

const truncatedAt = (what: string) => (at: number) => (got: number) =>
  new VmdkFormatError('truncated', `stream ends inside the ${what}`, { offset: at + got });

/**
 * The decoding itself: an async generator from the VMDK's bytes to the raw disk's bytes. The public
 * entry point is {@link createStreamOptimizedDecoder}.
 */
export async function* decodeStreamOptimized(
  source: AsyncIterable<Uint8Array> | ByteReader,
  options: Omit<StreamOptimizedDecoderOptions, 'signal'> = {},
): AsyncGenerator<Buffer, void, undefined> {
  // The decoder is done with every view a read returns before its next call on the reader, so that
  // it can read through a reader that recycles its chunks (see ByteReaderOptions.recycle).
  const reader = source instanceof ByteReader ? source : new ByteReader(source);
  try {
    // A short first sector is reported as bad magic when it is not a VMDK at all, else as truncated.
    const whole = await reader.ensure(SECTOR_SIZE);
    const head = await reader.read(whole ? SECTOR_SIZE : reader.buffered, truncatedAt('sparse header')(0));
    const header = parseSparseExtentHeader(head);
    if (!header.compressed || !header.markers) {
      throw new VmdkUnsupportedError(
        'disk-type',
        'not a stream-optimized VMDK (grains are not compressed with markers): read it with createSparseVmdkReadStream',
      );
    }

    const skipTo = async (byte: number, what: string): Promise<void> => {
      const gap = byte - reader.position;
      if (gap < 0) throw new VmdkFormatError('bad-header', `the ${what} at byte ${byte} overlaps earlier metadata`, { offset: byte });
      const skipped = await reader.skip(gap);
      if (skipped < gap) throw new VmdkFormatError('truncated', `stream ends before the ${what}`, { offset: reader.position });
    };

    let descriptor: VmdkDescriptor | undefined;
    if (header.descriptorOffset !== 0) {
      const at = header.descriptorOffset * SECTOR_SIZE;
      await skipTo(at, 'embedded descriptor');
      const text = await reader.read(header.descriptorSize * SECTOR_SIZE, truncatedAt('embedded descriptor')(at));
      if (text.some((c) => c !== 0)) descriptor = parseVmdkDescriptor(text, { position: at });
    }
    if (carriesOnlyDescriptor(header, descriptor)) {
      throw new VmdkUnsupportedError('disk-type', `this sparse header only carries a ${descriptor?.createType ?? ''} descriptor; it has no data to stream`);
    }
    const { capacity } = detectDiskType({ header, descriptor });
    options.onHeader?.({ header, descriptor, capacity });

    const grainBytes = header.grainSize * SECTOR_SIZE;
    const overheadBytes = header.overhead * SECTOR_SIZE;
    const totalGrains = capacity === 0 ? 0 : Math.ceil(header.capacity / header.grainSize);

    // qemu-img writes its grain directory and tables before the grains and no end-of-stream marker.
    // When the tables lie ahead in the stream, count the grains they list: a stream that ends early is
    // then caught even without an end-of-stream marker.
    let expectedGrains: number | undefined;
    if (header.gdOffset !== null && header.gdOffset * SECTOR_SIZE >= reader.position && header.gdOffset + header.gdSectors <= header.overhead) {
      expectedGrains = await countGrainsAhead(reader, header, totalGrains, skipTo);
    }
    await skipTo(overheadBytes, 'first grain');

    let out = 0; // bytes of the disk emitted
    let grainsSeen = 0;
    let ended = false;
    // VMware's layout writes a grain table after each table's worth of grains: check that it lists
    // exactly the grains that came since the previous one, where they came. A grain skipped over (by
    // a compressed size that lies, say) is then caught. Bounded: tracking stops if tables do not come.
    let pending: Map<number, number> | undefined = header.gdOffset === null ? new Map() : undefined;
    const zeroMark = header.zeroedGrainEntries ? 1 : 0;
    while (!ended) {
      const at = reader.position;
      if (await reader.atEnd()) {
        if (expectedGrains === undefined) {
          throw new VmdkFormatError('truncated', 'stream ends without an end-of-stream marker', { offset: at });
        }
        if (grainsSeen < expectedGrains) {
          throw new VmdkFormatError('truncated', `stream ends after ${grainsSeen} of the ${expectedGrains} grains its grain tables list`, {
            offset: at,
          });
        }
        break;
      }
      const marker = await reader.read(12, truncatedAt('marker')(at));
      const lba = u64At(marker, 0);
      const size = marker.readUInt32LE(8);
      if (size !== 0) {
        // A grain marker: lba, compressed size, compressed bytes, padding to the next sector.
        if (lba % header.grainSize !== 0 || lba >= header.capacity) {
          throw new VmdkFormatError('grain-out-of-range', `grain at sector ${lba} is not grain-aligned inside the capacity of ${header.capacity} sectors`, {
            offset: at,
          });
        }
        const start = lba * SECTOR_SIZE;
        if (start < out) {
          throw new VmdkUnsupportedError(
            'grain-order',
            `grain at sector ${lba} comes after a later one: a stream with grains out of order cannot be decoded as a stream (use createSparseVmdkReadStream on the file)`,
            { offset: at },
          );
        }
        if (size > 2 * grainBytes) {
          throw new VmdkFormatError('bad-marker', `compressed grain of ${size} bytes is larger than twice the grain size`, { offset: at });
        }
        if (expectedGrains !== undefined && grainsSeen >= expectedGrains) {
          throw new VmdkFormatError('bad-table', `more grains than the ${expectedGrains} the grain tables list`, { offset: at });
        }
        const data = await reader.read(size, truncatedAt('compressed grain')(at + 12));
        const want = Math.min(grainBytes, capacity - start);
        // Inflated synchronously: a 64 KiB grain takes some tens of microseconds, about a tenth of a
        // round trip through the thread pool (measured), and the output length is capped at a grain.
        let raw: Buffer;
        try {
          raw = inflateSync(data, { maxOutputLength: grainBytes, chunkSize: grainBytes + 1024 });
        } catch (err) {
          throw new VmdkFormatError('bad-grain', `grain at sector ${lba} does not inflate: ${(err as Error).message}`, { offset: at, cause: err });
        }
        if (raw.length !== want && raw.length !== grainBytes) {
          throw new VmdkFormatError('bad-grain', `grain at sector ${lba} inflates to ${raw.length} bytes, expected ${want}`, { offset: at });
        }
        // Only now, with `data` inflated: a reader that recycles its chunks may reuse them from the next call on.
        const pad = (SECTOR_SIZE - ((12 + size) % SECTOR_SIZE)) % SECTOR_SIZE;
        // The padding of the very last grain may be missing; anywhere else a short skip means the end.
        await reader.skip(pad);
        if (start > out) yield* zeros(start - out);
        yield raw.length === want ? raw : raw.subarray(0, want);
        out = start + want;
        grainsSeen++;
        if (pending !== undefined) {
          pending.set(lba / header.grainSize, at / SECTOR_SIZE);
          if (pending.size > 2 * header.numGTEsPerGT) pending = undefined;
        }
        continue;
      }
      // A metadata marker: numSectors, 0, type, padding to a full sector, then numSectors of metadata.
      const rest = await reader.read(SECTOR_SIZE - 12, truncatedAt('marker')(at + 12));
      const type = rest.readUInt32LE(0);
      const numSectors = lba;
      switch (type) {
        case MARKER_EOS:
          if (numSectors !== 0) throw new VmdkFormatError('bad-marker', `end-of-stream marker with ${numSectors} sectors`, { offset: at });
          if (expectedGrains !== undefined && grainsSeen < expectedGrains) {
            throw new VmdkFormatError('truncated', `end of stream after ${grainsSeen} of the ${expectedGrains} grains the grain tables list`, {
              offset: at,
            });
          }
          ended = true;
          break;
        case MARKER_GT:
          if (numSectors !== header.gtSectors) {
            throw new VmdkFormatError('bad-marker', `grain table marker of ${numSectors} sectors, expected ${header.gtSectors}`, { offset: at });
          }
          if (pending === undefined) {
            await skipTo(reader.position + numSectors * SECTOR_SIZE, 'grain table');
          } else {
            const gtAt = reader.position;
            const gt = await reader.read(numSectors * SECTOR_SIZE, truncatedAt('grain table')(gtAt));
            checkGrainTable(gt, gtAt, pending, header, zeroMark);
            pending.clear();
          }
          break;
        case MARKER_GD:
          if (numSectors !== header.gdSectors) {
            throw new VmdkFormatError('bad-marker', `grain directory marker of ${numSectors} sectors, expected ${header.gdSectors}`, { offset: at });
          }
          await skipTo(reader.position + numSectors * SECTOR_SIZE, 'grain directory');
          break;
        case MARKER_FOOTER: {
          if (numSectors !== 1) throw new VmdkFormatError('bad-marker', `footer marker of ${numSectors} sectors, expected 1`, { offset: at });
          const footerAt = reader.position;
          const footerBytes = await reader.read(SECTOR_SIZE, truncatedAt('footer')(footerAt));
          let footer: SparseExtentHeader;
          try {
            footer = parseSparseExtentHeader(footerBytes, { position: footerAt });
          } catch (err) {
            throw new VmdkFormatError('bad-footer', `the footer is not a valid sparse header: ${(err as Error).message}`, { offset: footerAt, cause: err });
          }
          if (footer.capacity !== header.capacity || footer.grainSize !== header.grainSize || footer.numGTEsPerGT !== header.numGTEsPerGT) {
            throw new VmdkFormatError('bad-footer', 'the footer disagrees with the header on capacity, grain size or grain table size', {
              offset: footerAt,
            });
          }
          break;
        }
        default:
          throw new VmdkFormatError('bad-marker', `unknown marker type ${type}`, { offset: at });
      }
    }
    if (capacity > out) yield* zeros(capacity - out);
    // Whatever follows the end-of-stream marker (padding) is read and dropped, so a writer never blocks.
    await reader.drain();
  } finally {
    await reader.close();
  }
}

/**
 * Checks a streamed grain table against the grains seen since the previous one (`pending`: grain
 * index -> sector of its marker): the same grains, at the same sectors.
 */
function checkGrainTable(gt: Buffer, gtAt: number, pending: Map<number, number>, header: SparseExtentHeader, zeroMark: number): void {
  const n = header.numGTEsPerGT;
  const first = pending.keys().next();
  if (first.done === true) return; // a table with no new grains: nothing to compare with
  const base = Math.floor(first.value / n) * n;
  let listed = 0;
  for (let j = 0; j < n; j++) {
    const entry = gt.readUInt32LE(j * 4);
    if (entry === 0 || entry === zeroMark) continue;
    listed++;
    const seen = pending.get(base + j);
    if (seen !== entry) {
      throw new VmdkFormatError(
        'bad-table',
        seen === undefined
          ? `the grain table lists grain ${base + j} at sector ${entry}, which the stream did not carry`
          : `the grain table puts grain ${base + j} at sector ${entry}, the stream had it at ${seen}`,
        { offset: gtAt + j * 4 },
      );
    }
  }
  if (listed !== pending.size) {
    throw new VmdkFormatError('bad-table', `the grain table lists ${listed} grains, the stream carried ${pending.size} since the previous table`, {
      offset: gtAt,
    });
  }
}

/**
 * Reads the grain directory and the tables it lists from the metadata area ahead of the grains and
 * returns how many grains they allocate. Memory: the directory only; tables are read one at a time.
 */
async function countGrainsAhead(
  reader: ByteReader,
  header: SparseExtentHeader,
  totalGrains: number,
  skipTo: (byte: number, what: string) => Promise<void>,
): Promise<number | undefined> {
  const gdOffset = header.gdOffset ?? 0;
  await skipTo(gdOffset * SECTOR_SIZE, 'grain directory');
  // A copy: the reads below may recycle the chunk a view would point into.
  const gd = Buffer.from(await reader.read(header.gdSectors * SECTOR_SIZE, truncatedAt('grain directory')(gdOffset * SECTOR_SIZE)));
  const tables = new Map<number, number>(); // sector -> table index
  for (let i = 0; i < header.numGTs; i++) {
    const sector = gd.readUInt32LE(i * 4);
    if (sector === 0) continue;
    if (sector * SECTOR_SIZE < reader.position || sector + header.gtSectors > header.overhead || tables.has(sector)) {
      // Tables behind the directory, past the overhead, or shared: do not count; rely on markers.
      return undefined;
    }
    tables.set(sector, i);
  }
  let count = 0;
  const zeroMark = header.zeroedGrainEntries ? 1 : 0;
  for (const sector of [...tables.keys()].sort((a, b) => a - b)) {
    const index = tables.get(sector) ?? 0;
    await skipTo(sector * SECTOR_SIZE, 'grain table');
    const gt = await reader.read(header.gtSectors * SECTOR_SIZE, truncatedAt('grain table')(sector * SECTOR_SIZE));
    for (let j = 0; j < header.numGTEsPerGT; j++) {
      const entry = gt.readUInt32LE(j * 4);
      if (entry === 0 || entry === zeroMark) continue;
      const grain = index * header.numGTEsPerGT + j;
      if (grain >= totalGrains) {
        throw new VmdkFormatError('bad-table', `grain table ${index} lists grain ${grain}, beyond the capacity`, { offset: sector * SECTOR_SIZE + j * 4 });
      }
      if (entry < header.overhead) {
        throw new VmdkFormatError('bad-table', `grain table ${index} points grain ${grain} into the metadata at sector ${entry}`, {
          offset: sector * SECTOR_SIZE + j * 4,
        });
      }
      count++;
    }
  }
  return count;
}

/**
 * A Duplex that takes a stream-optimized VMDK (the bytes of the file, in order: from a file, an HTTP
 * download, an OVA member) and gives out the raw disk: exactly `capacity` bytes, zeros where the VMDK
 * has no grain. Backpressure holds in both directions; memory stays at a few grains. Zero runs come
 * out as views of one shared zero buffer: read the chunks, do not write into them.
 *
 * Accepts VMware's layout (grain directory at the end, footer, end-of-stream marker) and qemu-img's
 * (tables ahead of the grains, no end-of-stream marker; the grains the tables list must all arrive).
 *
 * Errors (the stream is destroyed with them): VmdkFormatError on malformed or truncated input,
 * VmdkUnsupportedError on a sparse VMDK that is not stream-optimized or whose grains are out of order.
 *
 * @example
 * ```ts
 * await pipeline(createReadStream('disk.vmdk'), createStreamOptimizedDecoder(), createWriteStream('disk.raw'));
 * ```
 */
export function createStreamOptimizedDecoder(options: StreamOptimizedDecoderOptions = {}): Duplex {
  const { signal, ...rest } = options;
  const duplex = generatorDuplex((source) => decodeStreamOptimized(source, rest));
  destroyOnAbort(signal, duplex, 'stream-optimized decode');
  return duplex;
}
