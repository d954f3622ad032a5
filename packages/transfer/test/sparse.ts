/**
 * Builds small monolithicSparse files in memory for tests that must not depend on qemu-img
 * (property tests): the layout qemu-img uses, with redundant tables, uncompressed grains.
 */
import { formatVmdkDescriptor } from '../src/formats/descriptor.js';
import { encodeSparseExtentHeader } from '../src/formats/sparse-header.js';

export function buildMonolithicSparse(raw: Buffer, grainSize = 128): Buffer {
  const sectors = Math.ceil(raw.length / 512);
  const grainBytes = grainSize * 512;
  const grains = Math.ceil(sectors / grainSize);
  const numGTs = Math.ceil(grains / 512);
  const gdSectors = Math.ceil((numGTs * 4) / 512);
  const rgd = 21;
  const gd = rgd + gdSectors + numGTs * 4;
  const overhead = Math.ceil((gd + gdSectors + numGTs * 4) / grainSize) * grainSize;
  const allocated: number[] = [];
  for (let g = 0; g < grains; g++) {
    const slice = raw.subarray(g * grainBytes, (g + 1) * grainBytes);
    if (slice.some((b) => b !== 0)) allocated.push(g);
  }
  const file = Buffer.alloc((overhead + allocated.length * grainSize) * 512);
  encodeSparseExtentHeader({
    version: 1,
    flags: 3,
    capacity: sectors,
    grainSize,
    descriptorOffset: 1,
    descriptorSize: 20,
    numGTEsPerGT: 512,
    rgdOffset: rgd,
    gdOffset: gd,
    overhead,
    compressAlgorithm: 0,
  }).copy(file);
  Buffer.from(
    formatVmdkDescriptor({ createType: 'monolithicSparse', extents: [{ access: 'RW', size: sectors, type: 'SPARSE', fileName: 'test.vmdk' }] }),
  ).copy(file, 512);
  for (const dir of [rgd, gd]) {
    for (let t = 0; t < numGTs; t++) file.writeUInt32LE(dir + gdSectors + t * 4, dir * 512 + t * 4);
  }
  allocated.forEach((g, k) => {
    const sector = overhead + k * grainSize;
    for (const dir of [rgd, gd]) file.writeUInt32LE(sector, (dir + gdSectors) * 512 + g * 4);
    raw.copy(file, sector * 512, g * grainBytes, Math.min(raw.length, (g + 1) * grainBytes));
  });
  return file;
}
