import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VimAbortError } from '@vmkit/vim';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/images.js';
import { createSparseFileWriteStream } from './sparse-file.js';
import { createStreamOptimizedDecoder } from './stream-optimized-decoder.js';
import { createStreamOptimizedEncoder } from './stream-optimized-encoder.js';
import { isSharedZeros, zeros } from './zero.js';

const { dir, cleanup } = tempDir();
afterAll(() => cleanup());

/** 4 MiB + 1000 bytes: data, a long zero run, scattered small data, and a zero tail. */
function image(): Buffer {
  const b = Buffer.alloc(4 * 1024 * 1024 + 1000);
  randomBytes(300_000).copy(b, 0);
  randomBytes(10).copy(b, 2 * 1024 * 1024 + 4095); // straddles a 4 KiB boundary
  randomBytes(1).copy(b, 3 * 1024 * 1024 + 7);
  return b;
}

/** Cuts `b` into pieces of pseudo-random sizes, none aligned on purpose. */
function* pieces(b: Buffer, seed: number): Generator<Buffer> {
  let s = seed;
  for (let i = 0; i < b.length; ) {
    s = (s * 1103515245 + 12345) >>> 0;
    const n = 1 + (s % 70_000);
    yield Buffer.from(b.subarray(i, i + n));
    i += n;
  }
}

describe('createSparseFileWriteStream', () => {
  it.each([1, 2, 3])('stores exactly the bytes written, from unaligned chunks (seed %i), with the zero runs as holes', async (seed) => {
    const data = image();
    const path = join(dir, `sparse-${seed}.raw`);
    await pipeline(Readable.from(pieces(data, seed)), createSparseFileWriteStream(path));
    const back = readFileSync(path);
    expect(back.length).toBe(data.length);
    expect(back.equals(data)).toBe(true);
    // About 320 KiB hold data; the file system allocates far less than the 4 MiB length.
    expect(statSync(path).blocks * 512).toBeLessThan(data.length / 4);
  });

  it('stores the shared zero chunks of the converters as holes, between data at unaligned offsets', async () => {
    const head = randomBytes(5000);
    const tail = randomBytes(3000);
    const gap = [...zeros(1_500_000)]; // two views of the shared zero buffer, taken without comparing
    expect(gap.every(isSharedZeros)).toBe(true);
    expect(isSharedZeros(Buffer.alloc(16))).toBe(false);
    const path = join(dir, 'shared-zeros.raw');
    await pipeline(Readable.from([head, ...gap, tail]), createSparseFileWriteStream(path));
    const back = readFileSync(path);
    expect(back.length).toBe(5000 + 1_500_000 + 3000);
    expect(back.subarray(0, 5000).equals(head)).toBe(true);
    expect(back.subarray(5000, 1_505_000).every((c) => c === 0)).toBe(true);
    expect(back.subarray(1_505_000).equals(tail)).toBe(true);
    expect(statSync(path).blocks * 512).toBeLessThan(1_500_000 / 2);
  });

  it('turns a stream-optimized VMDK into a raw file equal to the original disk', async () => {
    // A VMDK's capacity is whole sectors.
    const exact = image().subarray(0, 4 * 1024 * 1024 + 512);
    const parts: Buffer[] = [];
    await pipeline(Readable.from([exact]), createStreamOptimizedEncoder({ capacity: exact.length }), async (out: AsyncIterable<Buffer>) => {
      for await (const c of out) parts.push(c);
    });
    const path = join(dir, 'decoded.raw');
    await pipeline(Readable.from([Buffer.concat(parts)]), createStreamOptimizedDecoder(), createSparseFileWriteStream(path));
    expect(readFileSync(path).equals(exact)).toBe(true);
  });

  it('refuses a hole size that is not a power of two of at least 512', () => {
    expect(() => createSparseFileWriteStream(join(dir, 'x.raw'), { holeSize: 1000 })).toThrow(RangeError);
    expect(() => createSparseFileWriteStream(join(dir, 'x.raw'), { holeSize: 256 })).toThrow(RangeError);
  });

  it('stops with a VimAbortError when aborted, and fails typed on a path it cannot open', async () => {
    const controller = new AbortController();
    async function* slow() {
      yield randomBytes(1000);
      controller.abort();
      await new Promise((r) => setTimeout(r, 20));
      yield randomBytes(1000);
    }
    await expect(pipeline(slow(), createSparseFileWriteStream(join(dir, 'aborted.raw'), { signal: controller.signal }))).rejects.toBeInstanceOf(VimAbortError);
    await expect(pipeline(Readable.from([Buffer.alloc(10)]), createSparseFileWriteStream(join(dir, 'no-such-dir', 'x.raw')))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
