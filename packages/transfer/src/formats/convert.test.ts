import { randomFillSync } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VimAbortError, VimError } from '@vmkit/vim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMixedImage, qemu, qemuImg, qemuSkipReason, tempDir } from '../../test/images.js';
import { ByteReader } from './byte-reader.js';
import { convertStreamOptimizedToRaw } from './convert.js';
import { VmdkFormatError } from './errors.js';
import { decodeStreamOptimized } from './stream-optimized-decoder.js';
import { createStreamOptimizedEncoder } from './stream-optimized-encoder.js';

/**
 * A source that hands out views of a few reused buffers, as the file reader of the converter does,
 * and poisons each buffer the moment the reader hands it back: a decoder that kept using a view past
 * the next reader call would then read 0xEE bytes and decode wrong data (or fail), not pass by luck.
 * Chunks end at the given offsets (`cuts`) and after every `sizes` bytes in turn, so that reads
 * straddle chunks in every way and views end exactly where a chunk does.
 */
function poisoningSource(bytes: Buffer, sizes: readonly number[], cuts: readonly number[] = []): { reader: ByteReader; stats: { reused: number } } {
  const free: Buffer[] = [];
  const stats = { reused: 0 };
  const capacity = Math.max(...sizes);
  const ends = new Set(cuts);
  function* chunks(): Generator<Buffer> {
    let at = 0;
    for (let i = 0; at < bytes.length; i++) {
      let n = Math.min(sizes[i % sizes.length]!, bytes.length - at);
      for (let k = 1; k < n; k++) {
        if (ends.has(at + k)) {
          n = k;
          break;
        }
      }
      let buffer = free.pop();
      if (buffer === undefined) buffer = Buffer.alloc(capacity);
      else stats.reused++;
      bytes.copy(buffer, 0, at, at + n);
      at += n;
      yield buffer.subarray(0, n);
    }
  }
  const it = chunks();
  const source: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve(it.next()) }) };
  const reader = new ByteReader(source, {
    recycle: (chunk) => {
      const whole = Buffer.from(chunk.buffer, chunk.byteOffset, capacity);
      whole.fill(0xee);
      free.push(whole);
    },
  });
  return { reader, stats };
}

/** Where each grain's compressed bytes end in a stream-optimized VMDK (walking its markers). */
function grainEnds(vmdk: Buffer): number[] {
  const ends: number[] = [];
  let at = Number(vmdk.readBigUInt64LE(64)) * 512; // the header's overhead: the first marker
  while (at + 12 <= vmdk.length) {
    const size = vmdk.readUInt32LE(at + 8);
    if (size > 0) {
      ends.push(at + 12 + size);
      at = Math.ceil((at + 12 + size) / 512) * 512;
    } else {
      const sectors = Number(vmdk.readBigUInt64LE(at));
      if (vmdk.readUInt32LE(at + 12) === 0) break; // end of stream
      at += 512 + sectors * 512;
    }
  }
  return ends;
}

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of gen) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

describe.skipIf(qemuImg === undefined)(`convertStreamOptimizedToRaw${qemuImg === undefined ? ` (skipped: ${qemuSkipReason})` : ''}`, () => {
  let dir = '';
  let cleanup = (): void => undefined;
  const size = 5 * 1024 * 1024 + 3 * 65536 + 4096; // a partial last grain
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('vmkit-convert-'));
    await makeMixedImage(join(dir, 'disk.raw'), { size, seed: 11, block: 128 * 1024 });
    qemu('convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', join(dir, 'disk.raw'), join(dir, 'so.vmdk'));
    qemu('convert', '-f', 'vmdk', '-O', 'raw', join(dir, 'so.vmdk'), join(dir, 'qemu.raw'));
  });
  afterAll(() => cleanup());

  const leftovers = () => readdirSync(dir).filter((name) => name.includes('.vmkit-convert'));

  it('makes the same raw file as qemu-img convert, with the zero runs left as holes', async () => {
    const target = join(dir, 'ours.raw');
    const result = await convertStreamOptimizedToRaw(join(dir, 'so.vmdk'), target);
    expect(result.capacity).toBe(size);
    expect(readFileSync(target).equals(readFileSync(join(dir, 'qemu.raw')))).toBe(true);
    expect(readFileSync(target).equals(readFileSync(join(dir, 'disk.raw')))).toBe(true);
    // Half the blocks are zero: a sparse target allocates well under its length.
    expect(statSync(target).blocks * 512).toBeLessThan(size * 0.75);
    expect(leftovers()).toEqual([]);
  });

  it('replaces an existing target only when the conversion succeeds', async () => {
    const target = join(dir, 'kept.raw');
    writeFileSync(target, 'the old image');
    const vmdk = readFileSync(join(dir, 'so.vmdk'));
    const cut = join(dir, 'cut.vmdk');
    writeFileSync(cut, vmdk.subarray(0, Math.floor(vmdk.length / 2)));
    const err: unknown = await convertStreamOptimizedToRaw(cut, target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VmdkFormatError);
    expect((err as VmdkFormatError).reason).toBe('truncated');
    expect(readFileSync(target, 'utf8')).toBe('the old image');
    expect(leftovers()).toEqual([]);

    await convertStreamOptimizedToRaw(join(dir, 'so.vmdk'), target);
    expect(readFileSync(target).equals(readFileSync(join(dir, 'disk.raw')))).toBe(true);
  });

  it('refuses a source that is not a VMDK, and a missing one, with typed errors', async () => {
    const target = join(dir, 'never.raw');
    const err: unknown = await convertStreamOptimizedToRaw(join(dir, 'disk.raw'), target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VmdkFormatError);
    const missing: unknown = await convertStreamOptimizedToRaw(join(dir, 'no-such.vmdk'), target).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(VimError);
    expect((missing as VimError).code).toBe('VMKIT_TRANSFER_FILE');
    expect((missing as VimError).cause).toBeDefined();
    expect(() => statSync(target)).toThrow();
    expect(leftovers()).toEqual([]);
  });

  it('stops on abort with a VimAbortError and leaves no file behind', async () => {
    const target = join(dir, 'aborted.raw');
    const already = await convertStreamOptimizedToRaw(join(dir, 'so.vmdk'), target, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(already).toBeInstanceOf(VimAbortError);
    expect(() => statSync(target)).toThrow();
    expect(leftovers()).toEqual([]);
  });

  it('decodes right through a reader whose chunks are poisoned as soon as they are handed back (qemu-img layout)', async () => {
    const vmdk = readFileSync(join(dir, 'so.vmdk'));
    const raw = readFileSync(join(dir, 'disk.raw'));
    const ends = grainEnds(vmdk);
    expect(ends.length).toBeGreaterThan(20);
    for (const [sizes, cuts] of [[[1024 * 1024], ends], [[65536 + 7], []], [[513, 70001, 12, 4096, 200_000], []], [[3], []]] as const) {
      const { reader, stats } = poisoningSource(vmdk, sizes, cuts);
      const out = await collect(decodeStreamOptimized(reader));
      expect(out.equals(raw)).toBe(true);
      expect(stats.reused).toBeGreaterThan(0);
    }
  });
});

describe('the stream-optimized decoder through a recycling reader (VMware layout)', () => {
  it('decodes right although every chunk is poisoned as soon as it is handed back', async () => {
    // The package's own encoder writes VMware's layout: grain tables after their grains, the grain
    // directory, the footer and the end-of-stream marker at the end; the decoder checks each table.
    const raw = Buffer.alloc(3 * 1024 * 1024 + 65536);
    for (let i = 0; i < raw.length; i += 65536 * 3) raw.fill(`block ${i} `, i, Math.min(raw.length, i + 65536));
    randomFillSync(raw, 65536, 2 * 65536); // a grain deflate cannot shrink
    const parts: Buffer[] = [];
    await pipeline(Readable.from([raw]), createStreamOptimizedEncoder({ capacity: raw.length }), async (out: AsyncIterable<Buffer>) => {
      for await (const c of out) parts.push(c);
    });
    const vmdk = Buffer.concat(parts);
    const ends = grainEnds(vmdk);
    for (const [sizes, cuts] of [[[4096], []], [[511, 65536, 1], []], [[30_000], ends]] as const) {
      const { reader, stats } = poisoningSource(vmdk, sizes, cuts);
      expect((await collect(decodeStreamOptimized(reader))).equals(raw)).toBe(true);
      expect(stats.reused).toBeGreaterThan(0);
    }
  });
});
