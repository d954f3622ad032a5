import { describe, expect, it } from 'vitest';
import { VmdkFormatError, VmdkUnsupportedError } from './errors.js';
import { encodeSparseExtentHeader, parseSparseExtentHeader, type SparseExtentHeaderInit } from './sparse-header.js';

// The header qemu-img writes for a 3 MiB monolithicSparse disk.
const qemuSparse: SparseExtentHeaderInit = {
  version: 1,
  flags: 3,
  capacity: 6144,
  grainSize: 128,
  descriptorOffset: 1,
  descriptorSize: 20,
  numGTEsPerGT: 512,
  rgdOffset: 21,
  gdOffset: 26,
  overhead: 128,
  compressAlgorithm: 0,
};

const header = (patch: Partial<SparseExtentHeaderInit> = {}): Buffer => encodeSparseExtentHeader({ ...qemuSparse, ...patch });

function reasonOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof VmdkFormatError) return e.reason;
    if (e instanceof VmdkUnsupportedError) return `unsupported:${e.feature}`;
    throw e;
  }
  return undefined;
}

describe('parseSparseExtentHeader', () => {
  it('reads every field and derives the table sizes', () => {
    const h = parseSparseExtentHeader(header(), { fileSize: 1310720 });
    expect(h).toMatchObject({
      version: 1,
      validNewlineTest: true,
      redundantGrainTable: true,
      zeroedGrainEntries: false,
      compressed: false,
      markers: false,
      capacity: 6144,
      grainSize: 128,
      numGTs: 1,
      gtSectors: 4,
      gdSectors: 1,
      gdOffset: 26,
      uncleanShutdown: false,
      newlineBytes: [0x0a, 0x20, 0x0d, 0x0a],
    });
    const so = parseSparseExtentHeader(header({ version: 3, flags: 0x30001, gdOffset: null, rgdOffset: 0, compressAlgorithm: 1 }));
    expect(so).toMatchObject({ compressed: true, markers: true, gdOffset: null, redundantGrainTable: false });
  });

  it('accepts a capacity that is not a multiple of the grain, as qemu-img writes', () => {
    expect(parseSparseExtentHeader(header({ capacity: 6153 })).capacity).toBe(6153);
  });

  it.each<[string, () => Buffer, ({ fileSize?: number } | undefined)?, string?]>([
    ['bad magic', () => Buffer.alloc(512)],
    ['a short header', () => header().subarray(0, 100), undefined, 'truncated'],
    ['version 0', () => header({ version: 0 }), undefined, 'bad-header'],
    ['version 4', () => header({ version: 4 }), undefined, 'unsupported:version'],
    ['a grain of 12 sectors', () => header({ grainSize: 12 }), undefined, 'bad-header'],
    ['a grain of 4 sectors', () => header({ grainSize: 4 }), undefined, 'bad-header'],
    ['a grain of 1 GiB', () => header({ grainSize: 1 << 21 }), undefined, 'unsupported:grain-size'],
    ['0 entries per grain table', () => header({ numGTEsPerGT: 0 }), undefined, 'bad-header'],
    ['1024 entries per grain table', () => header({ numGTEsPerGT: 1024 }), undefined, 'bad-header'],
    ['compression algorithm 2', () => header({ compressAlgorithm: 2 }), undefined, 'unsupported:compression'],
    ['the compressed flag without an algorithm', () => header({ flags: 0x10003 }), undefined, 'bad-header'],
    ['a descriptor offset without a size', () => header({ descriptorSize: 0 }), undefined, 'bad-header'],
    ['a descriptor over the grains', () => header({ descriptorSize: 200 }), undefined, 'bad-header'],
    ['a descriptor of 4 MiB', () => header({ descriptorSize: 8192, overhead: 9000 }), undefined, 'descriptor-too-large'],
    ['a grain directory at sector 0', () => header({ gdOffset: 0 }), undefined, 'bad-header'],
    ['a grain directory beyond the file', () => header({ gdOffset: 5000 }), { fileSize: 1310720 }, 'truncated'],
    ['grains starting beyond the file', () => header(), { fileSize: 100 * 512 }, 'truncated'],
    ['a redundant directory flag without offset', () => header({ rgdOffset: 0 }), undefined, 'bad-header'],
  ])('refuses %s', (_what, make, options, reason = 'bad-magic') => {
    expect(reasonOf(() => parseSparseExtentHeader(make(), options))).toBe(reason);
  });

  it('detects a text-mode transfer through the newline bytes', () => {
    const b = header();
    b[75] = 0x0a; // "\r\n" became "\n\n"
    expect(reasonOf(() => parseSparseExtentHeader(b))).toBe('newline-corruption');
    b.writeUInt32LE(2, 8); // without the flag the bytes are not checked
    expect(() => parseSparseExtentHeader(b)).not.toThrow();
  });

  it('refuses 64-bit fields beyond 2^53', () => {
    const b = header();
    b.writeBigUInt64LE(2n ** 60n, 12);
    expect(reasonOf(() => parseSparseExtentHeader(b))).toBe('bad-header');
  });
});
