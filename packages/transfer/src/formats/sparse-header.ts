/**
 * Binary headers of VMDK sparse extents, after VMware's "Virtual Disk Format 1.1": the hosted sparse
 * header (`KDMV`, used by monolithicSparse, twoGbMaxExtentSparse extents and streamOptimized), the
 * ESX vmfsSparse header (`COWD`) and the seSparse constant header, plus the stream-optimized markers.
 * All integers are little-endian; offsets and sizes are in 512-byte sectors.
 */
import { VmdkFormatError, VmdkUnsupportedError } from './errors.js';

/** Bytes per sector: the unit of every VMDK offset and size. */
export const SECTOR_SIZE = 512;

/** The `KDMV` magic as a little-endian uint32. */
export const SPARSE_MAGIC = 0x564d444b;
/** The `COWD` magic (bytes 'C','O','W','D') as a little-endian uint32. */
export const COWD_MAGIC = 0x44574f43;
/** The seSparse constant-header magic (low half of a uint64 whose high half is 0). */
export const SESPARSE_MAGIC = 0xcafebabe;

/** Header flag: the newline-detection bytes are valid and must be checked. */
export const FLAG_VALID_NEWLINE_TEST = 1 << 0;
/** Header flag: a redundant grain directory and tables exist (at `rgdOffset`). */
export const FLAG_REDUNDANT_GRAIN_TABLE = 1 << 1;
/** Header flag: grain table entry 1 means "zeroed grain" rather than sector 1. */
export const FLAG_ZEROED_GRAIN_GTE = 1 << 2;
/** Header flag: grains are compressed. */
export const FLAG_COMPRESSED = 1 << 16;
/** Header flag: the extent contains markers (stream-optimized). */
export const FLAG_MARKERS = 1 << 17;

/** `compressAlgorithm` value: no compression. */
export const COMPRESSION_NONE = 0;
/** `compressAlgorithm` value: RFC 1950/1951 deflate (zlib framing). */
export const COMPRESSION_DEFLATE = 1;

/** Stream-optimized metadata marker types. */
export const MARKER_EOS = 0;
/** Grain table marker. */
export const MARKER_GT = 1;
/** Grain directory marker. */
export const MARKER_GD = 2;
/** Footer marker. */
export const MARKER_FOOTER = 3;

/** The four bytes a valid newline test expects at offset 73: `\n`, ` `, `\r`, `\n`. */
const NEWLINE_BYTES = [0x0a, 0x20, 0x0d, 0x0a] as const;

/** The largest grain this code accepts, in sectors (32 MiB); VMware and qemu write 128 (64 KiB). */
export const MAX_GRAIN_SECTORS = 1 << 16;
/** The largest descriptor, in sectors, embedded or standalone (1 MiB, qemu's limit too). */
export const MAX_DESCRIPTOR_SECTORS = 2048;
/** The most grain tables a directory may list (qemu's limit). */
const MAX_GD_ENTRIES = 32 * 1024 * 1024;

/**
 * The header of a hosted sparse extent (`KDMV`). Offsets and sizes are in sectors, as in the file.
 */
export interface SparseExtentHeader {
  /** Format version: 1, 2 (zeroed-grain entries) or 3 (persistent changed-block tracking; stream-optimized). */
  readonly version: number;
  /** The raw flags word. */
  readonly flags: number;
  /** Flag bit 0: the newline-detection bytes are set (and were checked). */
  readonly validNewlineTest: boolean;
  /** Flag bit 1: a redundant grain directory exists at {@link SparseExtentHeader.rgdOffset}. */
  readonly redundantGrainTable: boolean;
  /** Flag bit 2: a grain table entry of 1 means a zeroed grain. */
  readonly zeroedGrainEntries: boolean;
  /** Flag bit 16 (or compression algorithm 1): grains are deflate-compressed. */
  readonly compressed: boolean;
  /** Flag bit 17: the extent carries markers (stream-optimized). */
  readonly markers: boolean;
  /** The extent's capacity in sectors. Need not be a multiple of the grain size (the last grain is partial). */
  readonly capacity: number;
  /** Sectors per grain: a power of two, at least 8. */
  readonly grainSize: number;
  /** Sector of the embedded descriptor, 0 when there is none. */
  readonly descriptorOffset: number;
  /** Sectors reserved for the embedded descriptor, 0 when there is none. */
  readonly descriptorSize: number;
  /** Entries per grain table (512 in every file VMware or qemu writes). */
  readonly numGTEsPerGT: number;
  /** Sector of the redundant grain directory, 0 when there is none. */
  readonly rgdOffset: number;
  /** Sector of the grain directory, or null when it is at the end of a stream (see the footer). */
  readonly gdOffset: number | null;
  /** Sectors of metadata before the first grain (the "overhead", qemu's grain_offset). */
  readonly overhead: number;
  /** The unclean-shutdown byte is set. */
  readonly uncleanShutdown: boolean;
  /** The four newline-detection bytes as found (expected `\n \r\n`). */
  readonly newlineBytes: readonly [number, number, number, number];
  /** 0 (none) or 1 (deflate). */
  readonly compressAlgorithm: number;
  /** Grain tables in the directory: ceil(ceil(capacity / grainSize) / numGTEsPerGT). */
  readonly numGTs: number;
  /** Sectors per grain table: ceil(numGTEsPerGT * 4 / 512). */
  readonly gtSectors: number;
  /** Sectors the grain directory occupies: ceil(numGTs * 4 / 512). */
  readonly gdSectors: number;
}

/** The header of an ESX vmfsSparse (`COWD`) extent, the format of `-delta.vmdk` files. */
export interface CowdHeader {
  /** Format version (1). */
  readonly version: number;
  /** The raw flags word. */
  readonly flags: number;
  /** Capacity in sectors. */
  readonly capacity: number;
  /** Sectors per grain. */
  readonly grainSize: number;
  /** Sector of the grain directory. */
  readonly gdOffset: number;
  /** Grain directory entries. */
  readonly numGDEntries: number;
  /** The next free sector. */
  readonly freeSector: number;
}

/** The constant header of an ESXi seSparse extent (`-sesparse.vmdk`). */
export interface SeSparseHeader {
  /** The format version word (0x0000000200000001 for the known format). */
  readonly version: bigint;
  /** Capacity in sectors. */
  readonly capacity: number;
  /** Sectors per grain (8 in the known format). */
  readonly grainSize: number;
}

function u64(buf: Uint8Array, offset: number, what: string): number {
  const v = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).readBigUInt64LE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new VmdkFormatError('bad-header', `${what} ${v} is out of range`, { offset });
  }
  return Number(v);
}

function bad(message: string, offset?: number): VmdkFormatError {
  return new VmdkFormatError('bad-header', message, offset === undefined ? undefined : { offset });
}

const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** Options of {@link parseSparseExtentHeader}. */
export interface ParseSparseHeaderOptions {
  /** The size of the file in bytes, when known: offsets are then checked to lie inside it. */
  fileSize?: number;
  /** Where this header sits in the file (for error offsets; the footer copy sits near the end). */
  position?: number;
}

/** Reads the little-endian uint32 magic at the start of `bytes` (0 when there are fewer than 4 bytes). */
export function magicOf(bytes: Uint8Array): number {
  if (bytes.length < 4) return 0;
  return ((bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8) | ((bytes[2] ?? 0) << 16) | ((bytes[3] ?? 0) << 24)) >>> 0;
}

/**
 * Parses and validates a hosted sparse extent header (`KDMV`), from the first sector of the file or
 * from a stream-optimized footer.
 *
 * Checks: the magic; a version of 1 to 3; the newline-detection bytes when flag bit 0 says they are
 * valid; a known compression algorithm consistent with the compressed flag; a grain size that is a
 * power of two of at least 8 sectors; 1 to 512 entries per grain table; a descriptor, grain directories
 * and overhead that do not overlap the header and, when the file size is known, lie inside the file.
 * The capacity need not be a multiple of the grain size (qemu writes such files; the last grain is
 * partial).
 *
 * @throws VmdkFormatError (`bad-magic`, `truncated`, `bad-header`, `newline-corruption`)
 * @throws VmdkUnsupportedError for version 4 and later, an unknown compression, a grain above 32 MiB.
 */
export function parseSparseExtentHeader(bytes: Uint8Array, options: ParseSparseHeaderOptions = {}): SparseExtentHeader {
  const at = options.position ?? 0;
  if (bytes.length < 4 && Buffer.from('KDMV', 'latin1').subarray(0, bytes.length).equals(bytes)) {
    throw new VmdkFormatError('truncated', `input ends after ${bytes.length} bytes, inside the magic number`, { offset: at + bytes.length });
  }
  if (bytes.length < 4 || magicOf(bytes) !== SPARSE_MAGIC) {
    throw new VmdkFormatError('bad-magic', 'not a hosted sparse VMDK extent (no KDMV magic)', { offset: at });
  }
  if (bytes.length < SECTOR_SIZE) {
    throw new VmdkFormatError('truncated', `sparse extent header is ${bytes.length} bytes, expected ${SECTOR_SIZE}`, {
      offset: at + bytes.length,
    });
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = b.readUInt32LE(4);
  const flags = b.readUInt32LE(8);
  const capacity = u64(b, 12, 'capacity');
  const grainSize = u64(b, 20, 'grain size');
  const descriptorOffset = u64(b, 28, 'descriptor offset');
  const descriptorSize = u64(b, 36, 'descriptor size');
  const numGTEsPerGT = b.readUInt32LE(44);
  const rgdOffset = u64(b, 48, 'redundant grain directory offset');
  const gdRaw = b.readBigUInt64LE(56);
  const overhead = u64(b, 64, 'overhead');
  const uncleanShutdown = b[72] !== 0;
  const newlineBytes = [b[73] ?? 0, b[74] ?? 0, b[75] ?? 0, b[76] ?? 0] as const;
  const compressAlgorithm = b.readUInt16LE(77);

  if (version === 0) throw bad('sparse header version 0 is invalid', at + 4);
  if (version > 3) {
    throw new VmdkUnsupportedError('version', `sparse VMDK version ${version} is not supported (1 to 3 are)`, { offset: at + 4 });
  }
  const validNewlineTest = (flags & FLAG_VALID_NEWLINE_TEST) !== 0;
  if (validNewlineTest && NEWLINE_BYTES.some((c, i) => newlineBytes[i] !== c)) {
    throw new VmdkFormatError(
      'newline-corruption',
      'the header newline-detection bytes are altered: the file was probably transferred in text mode',
      { offset: at + 73 },
    );
  }
  if (compressAlgorithm !== COMPRESSION_NONE && compressAlgorithm !== COMPRESSION_DEFLATE) {
    throw new VmdkUnsupportedError('compression', `compression algorithm ${compressAlgorithm} is not supported (only deflate is)`, {
      offset: at + 77,
    });
  }
  const compressedFlag = (flags & FLAG_COMPRESSED) !== 0;
  if (compressedFlag && compressAlgorithm === COMPRESSION_NONE) {
    throw bad('the compressed flag is set but no compression algorithm is named', at + 77);
  }
  const compressed = compressedFlag || compressAlgorithm === COMPRESSION_DEFLATE;
  const markers = (flags & FLAG_MARKERS) !== 0;

  // A header with capacity 0 only carries a descriptor (VMware's descriptor-in-sparse-header files): its
  // grain fields are not used and may be zero.
  const hasGrains = capacity > 0 || grainSize !== 0 || numGTEsPerGT !== 0;
  if (hasGrains) {
    if (!isPowerOfTwo(grainSize) || grainSize < 8) {
      throw bad(`grain size ${grainSize} sectors is not a power of two of at least 8`, at + 20);
    }
    if (grainSize > MAX_GRAIN_SECTORS) {
      throw new VmdkUnsupportedError('grain-size', `grain size ${grainSize} sectors is larger than ${MAX_GRAIN_SECTORS}`, { offset: at + 20 });
    }
    if (numGTEsPerGT === 0 || numGTEsPerGT > 512) {
      throw bad(`${numGTEsPerGT} entries per grain table is outside 1..512`, at + 44);
    }
  }
  if (capacity * SECTOR_SIZE > Number.MAX_SAFE_INTEGER) throw bad(`capacity ${capacity} sectors is out of range`, at + 12);
  const grains = capacity === 0 ? 0 : Math.ceil(capacity / grainSize);
  const numGTs = grains === 0 ? 0 : Math.ceil(grains / numGTEsPerGT);
  if (numGTs > MAX_GD_ENTRIES) throw bad(`capacity ${capacity} sectors needs ${numGTs} grain tables, too many`, at + 12);
  const gtSectors = Math.ceil((numGTEsPerGT * 4) / SECTOR_SIZE);
  const gdSectors = Math.ceil((numGTs * 4) / SECTOR_SIZE);

  const fileSectors = options.fileSize === undefined ? undefined : Math.floor(options.fileSize / SECTOR_SIZE);
  const inside = (start: number, sectors: number): boolean => fileSectors === undefined || start + sectors <= fileSectors;

  if ((descriptorOffset === 0) !== (descriptorSize === 0)) {
    throw bad(`descriptor offset ${descriptorOffset} and size ${descriptorSize} must both be zero or both be set`, at + 28);
  }
  if (descriptorOffset !== 0) {
    if (descriptorSize > MAX_DESCRIPTOR_SECTORS) {
      throw new VmdkFormatError('descriptor-too-large', `embedded descriptor of ${descriptorSize} sectors exceeds ${MAX_DESCRIPTOR_SECTORS}`, {
        offset: at + 36,
      });
    }
    if (!inside(descriptorOffset, descriptorSize)) {
      throw new VmdkFormatError('truncated', `embedded descriptor (sectors ${descriptorOffset}+${descriptorSize}) lies beyond the end of the file`, {
        offset: at + 28,
      });
    }
    if (capacity > 0 && descriptorOffset + descriptorSize > overhead) {
      throw bad(`embedded descriptor (sectors ${descriptorOffset}+${descriptorSize}) overlaps the grains at sector ${overhead}`, at + 28);
    }
  }
  let gdOffset: number | null;
  if (gdRaw === 0xffffffffffffffffn) {
    gdOffset = null;
  } else {
    if (gdRaw > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`grain directory offset ${gdRaw} is out of range`, at + 56);
    gdOffset = Number(gdRaw);
    if (capacity > 0) {
      if (gdOffset === 0) throw bad('grain directory offset 0 points at the header', at + 56);
      if (!inside(gdOffset, gdSectors)) {
        throw new VmdkFormatError('truncated', `grain directory (sectors ${gdOffset}+${gdSectors}) lies beyond the end of the file`, {
          offset: at + 56,
        });
      }
    }
  }
  const redundantGrainTable = (flags & FLAG_REDUNDANT_GRAIN_TABLE) !== 0;
  if (redundantGrainTable && capacity > 0) {
    if (rgdOffset === 0) throw bad('redundant grain directory flag set but its offset is 0', at + 48);
    if (!inside(rgdOffset, gdSectors)) {
      throw new VmdkFormatError('truncated', `redundant grain directory (sectors ${rgdOffset}+${gdSectors}) lies beyond the end of the file`, {
        offset: at + 48,
      });
    }
  }
  if (capacity > 0) {
    if (overhead < 1) throw bad('overhead 0 leaves no room for the header', at + 64);
    if (!inside(overhead, 0)) {
      throw new VmdkFormatError('truncated', `file truncated: the grains start at sector ${overhead}, past its end`, { offset: at + 64 });
    }
  }
  return {
    version,
    flags,
    validNewlineTest,
    redundantGrainTable,
    zeroedGrainEntries: (flags & FLAG_ZEROED_GRAIN_GTE) !== 0,
    compressed,
    markers,
    capacity,
    grainSize,
    descriptorOffset,
    descriptorSize,
    numGTEsPerGT,
    rgdOffset,
    gdOffset,
    overhead,
    uncleanShutdown,
    newlineBytes,
    compressAlgorithm,
    numGTs,
    gtSectors,
    gdSectors,
  };
}

/** The fields {@link encodeSparseExtentHeader} writes. */
export interface SparseExtentHeaderInit {
  version: number;
  flags: number;
  capacity: number;
  grainSize: number;
  descriptorOffset: number;
  descriptorSize: number;
  numGTEsPerGT: number;
  rgdOffset: number;
  gdOffset: number | null;
  overhead: number;
  compressAlgorithm: number;
}

/** Encodes a hosted sparse header into one 512-byte sector, with valid newline-detection bytes. */
export function encodeSparseExtentHeader(h: SparseExtentHeaderInit): Buffer {
  const b = Buffer.alloc(SECTOR_SIZE);
  b.writeUInt32LE(SPARSE_MAGIC, 0);
  b.writeUInt32LE(h.version, 4);
  b.writeUInt32LE(h.flags >>> 0, 8);
  b.writeBigUInt64LE(BigInt(h.capacity), 12);
  b.writeBigUInt64LE(BigInt(h.grainSize), 20);
  b.writeBigUInt64LE(BigInt(h.descriptorOffset), 28);
  b.writeBigUInt64LE(BigInt(h.descriptorSize), 36);
  b.writeUInt32LE(h.numGTEsPerGT, 44);
  b.writeBigUInt64LE(BigInt(h.rgdOffset), 48);
  b.writeBigUInt64LE(h.gdOffset === null ? 0xffffffffffffffffn : BigInt(h.gdOffset), 56);
  b.writeBigUInt64LE(BigInt(h.overhead), 64);
  b[72] = 0;
  NEWLINE_BYTES.forEach((c, i) => (b[73 + i] = c));
  b.writeUInt16LE(h.compressAlgorithm, 77);
  return b;
}

/**
 * Parses an ESX vmfsSparse (`COWD`) header: enough to report the type and capacity.
 * @throws VmdkFormatError (`bad-magic`, `truncated`, `bad-header`)
 */
export function parseCowdHeader(bytes: Uint8Array): CowdHeader {
  if (magicOf(bytes) !== COWD_MAGIC) throw new VmdkFormatError('bad-magic', 'not a vmfsSparse extent (no COWD magic)', { offset: 0 });
  if (bytes.length < 32) throw new VmdkFormatError('truncated', `COWD header is ${bytes.length} bytes, expected at least 32`, { offset: bytes.length });
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h: CowdHeader = {
    version: b.readUInt32LE(4),
    flags: b.readUInt32LE(8),
    capacity: b.readUInt32LE(12),
    grainSize: b.readUInt32LE(16),
    gdOffset: b.readUInt32LE(20),
    numGDEntries: b.readUInt32LE(24),
    freeSector: b.readUInt32LE(28),
  };
  if (h.grainSize === 0 || !isPowerOfTwo(h.grainSize)) throw bad(`COWD grain size ${h.grainSize} is not a power of two`, 16);
  if (h.gdOffset === 0) throw bad('COWD grain directory offset 0 points at the header', 20);
  return h;
}

/** True when `bytes` start with the seSparse constant-header magic. */
export function isSeSparse(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && magicOf(bytes) === SESPARSE_MAGIC && magicOf(bytes.subarray(4)) === 0;
}

/**
 * Parses the constant header of an seSparse extent: enough to report the type and capacity.
 * @throws VmdkFormatError (`bad-magic`, `truncated`, `bad-header`)
 */
export function parseSeSparseHeader(bytes: Uint8Array): SeSparseHeader {
  if (!isSeSparse(bytes)) throw new VmdkFormatError('bad-magic', 'not an seSparse extent', { offset: 0 });
  if (bytes.length < 32) throw new VmdkFormatError('truncated', `seSparse header is ${bytes.length} bytes, expected at least 32`, { offset: bytes.length });
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const capacity = u64(b, 16, 'capacity');
  const grainSize = u64(b, 24, 'grain size');
  if (capacity * SECTOR_SIZE > Number.MAX_SAFE_INTEGER) throw bad(`capacity ${capacity} sectors is out of range`, 16);
  if (!isPowerOfTwo(grainSize)) throw bad(`seSparse grain size ${grainSize} is not a power of two`, 24);
  return { version: b.readBigUInt64LE(8), capacity, grainSize };
}
