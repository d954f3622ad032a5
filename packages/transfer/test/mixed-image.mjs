// Deterministic raw disk images with mixed zero / random / compressible content, for tests and for the
// stream-optimized benchmark (plain JavaScript so that `node` runs the benchmark without a build step
// of its own; types in mixed-image.d.mts).
import { Buffer } from 'node:buffer';
import { open } from 'node:fs/promises';

/** xorshift32 over `buf`, seeded; returns the generator's last state. */
export function fillRandom(buf, seed) {
  let x = seed >>> 0 || 0x9e3779b9;
  const words = Math.floor(buf.length / 4);
  const view = new Uint32Array(buf.buffer, buf.byteOffset, (buf.byteOffset & 3) === 0 ? words : 0);
  for (let i = 0; i < words; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    if (view.length === words) view[i] = x;
    else buf.writeUInt32LE(x, i * 4);
  }
  for (let i = words * 4; i < buf.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf[i] = x & 0xff;
  }
  return x;
}

/** The kind of each block of a mixed image ('zero' | 'random' | 'text'), from the seed. */
export function mixedLayout(options) {
  const block = options.block ?? 1 << 20;
  const mix = options.mix ?? { zero: 0.5, random: 0.35, text: 0.15 };
  const n = Math.ceil(options.size / block);
  let x = ((options.seed ?? 1) * 2654435761) >>> 0;
  const kinds = [];
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x6d2b79f5) >>> 0;
    const r = x / 0x1_0000_0000;
    kinds.push(r < mix.zero ? 'zero' : r < mix.zero + mix.random ? 'random' : 'text');
  }
  return kinds;
}

/** Writes a raw image with mixed content to `path`; zero blocks are left as holes. */
export async function makeMixedImage(path, options) {
  const block = options.block ?? 1 << 20;
  const kinds = mixedLayout(options);
  const fh = await open(path, 'w');
  try {
    await fh.truncate(options.size);
    const buf = Buffer.alloc(block);
    let seed = options.seed ?? 1;
    for (let i = 0; i < kinds.length; i++) {
      const len = Math.min(block, options.size - i * block);
      const kind = kinds[i];
      if (kind === 'zero') continue;
      if (kind === 'random') seed = fillRandom(buf, seed + i);
      else {
        const line = Buffer.from(`block ${i} of a test disk: the quick brown fox jumps over the lazy dog ${seed}\n`);
        for (let o = 0; o < block; o += line.length) line.copy(buf, o);
      }
      await fh.write(buf, 0, len, i * block);
    }
  } finally {
    await fh.close();
  }
}
