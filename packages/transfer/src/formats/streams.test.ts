/**
 * Backpressure, bounded memory and AbortSignal of the stream converters.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VimAbortError } from '@vmkit/vim';
import { describe, expect, it } from 'vitest';
import { inspectVmdk } from './inspect.js';
import { openOvaDisk } from './ova.js';
import { createSparseVmdkReadStream } from './sparse-reader.js';
import { createStreamOptimizedDecoder } from './stream-optimized-decoder.js';
import { createStreamOptimizedEncoder } from './stream-optimized-encoder.js';

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

/** A stream-optimized VMDK of a 1 TiB disk with one grain of data at its start. */
async function hugeSparseVmdk(): Promise<Buffer> {
  const capacity = 2 ** 40;
  const grain = Buffer.alloc(65536, 0x42);
  // Encoding a terabyte of zeros would take a while: encode a one-table disk and widen its capacity,
  // directory and footer instead (the grains and their table stay as they are).
  const small = await collect(Readable.from([grain, Buffer.alloc(65536 * 511)]).pipe(createStreamOptimizedEncoder({ capacity: 65536 * 512 })));
  return patchCapacity(small, capacity / 512);
}

/** Rewrites capacity, descriptor extent and footer of one of our encoder's outputs to `sectors`. */
function patchCapacity(vmdk: Buffer, sectors: number): Buffer {
  const grainTables = Math.ceil(sectors / 128 / 512);
  const gdSectors = Math.ceil((grainTables * 4) / 512);
  // Layout of a one-table file: ...grain, GT marker + GT, GD marker + GD (1 sector), footer marker,
  // footer, EOS. Rebuild the tail with a directory large enough for the new capacity.
  const headerEnd = 128 * 512;
  const tailStart = vmdk.length - 4 * 512; // GD marker, GD, footer marker, footer, EOS = 5 sectors
  const gdMarkerAt = tailStart - 512;
  const body = vmdk.subarray(headerEnd, gdMarkerAt);
  const gtSector = vmdk.readUInt32LE(gdMarkerAt + 512);
  const header = Buffer.from(vmdk.subarray(0, headerEnd));
  header.writeBigUInt64LE(BigInt(sectors), 12);
  const desc = header.subarray(512, 512 * 21).toString('utf8').replace(/RW \d+ SPARSE/, `RW ${sectors} SPARSE`);
  header.fill(0, 512, 512 * 21);
  header.write(desc.replace(/\0+$/, ''), 512, 'utf8');
  const gdAt = gdMarkerAt / 512 + 1;
  const gdMarker = Buffer.alloc(512);
  gdMarker.writeBigUInt64LE(BigInt(gdSectors), 0);
  gdMarker.writeUInt32LE(2, 12);
  const gd = Buffer.alloc(gdSectors * 512);
  gd.writeUInt32LE(gtSector, 0);
  const footerMarker = Buffer.alloc(512);
  footerMarker.writeBigUInt64LE(1n, 0);
  footerMarker.writeUInt32LE(3, 12);
  const footer = Buffer.from(header.subarray(0, 512));
  footer.writeBigUInt64LE(BigInt(gdAt), 56);
  return Buffer.concat([header, body, gdMarker, gd, footerMarker, footer, Buffer.alloc(512)]);
}

describe('stream converters under backpressure', () => {
  it('decode a 1 TiB sparse disk lazily: a consumer that stops after 8 MiB stops the work', async () => {
    const vmdk = await hugeSparseVmdk();
    const decoder = createStreamOptimizedDecoder();
    Readable.from([vmdk]).pipe(decoder);
    let seen = 0;
    let first: Buffer | undefined;
    for await (const c of decoder as AsyncIterable<Buffer>) {
      first ??= c;
      seen += c.length;
      if (seen >= 8 << 20) break;
    }
    expect(first?.subarray(0, 4).toString('hex')).toBe('42424242');
    expect(decoder.destroyed).toBe(true);
    // The random-access reader of the same file is just as lazy.
    const reader = createSparseVmdkReadStream(vmdk);
    let n = 0;
    for await (const c of reader as AsyncIterable<Buffer>) {
      n += c.length;
      if (n >= 8 << 20) break;
    }
    expect(reader.destroyed).toBe(true);
  });

  it('hold little in memory while a slow consumer drains a large decode', async () => {
    const vmdk = await hugeSparseVmdk();
    const decoder = createStreamOptimizedDecoder();
    Readable.from([vmdk]).pipe(decoder);
    // Read slowly; the decoder must not run ahead by more than its buffers.
    let read = 0;
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 5));
      const c = decoder.read() as Buffer | null;
      if (c !== null) read += c.length;
    }
    expect(decoder.readableLength).toBeLessThanOrEqual(32 << 20);
    expect(read).toBeGreaterThan(0);
    decoder.destroy();
  });

  it('an AbortSignal stops decoding, encoding and random-access reading with a VimAbortError', async () => {
    const vmdk = await hugeSparseVmdk();
    const ac = new AbortController();
    const decoder = createStreamOptimizedDecoder({ signal: ac.signal });
    let n = 0;
    const run = pipeline(Readable.from([vmdk]), decoder, async (out: AsyncIterable<Buffer>) => {
      for await (const c of out) {
        n += c.length;
        if (n > 4 << 20) ac.abort();
      }
    });
    await expect(run).rejects.toBeInstanceOf(VimAbortError);
    await expect(run).rejects.toMatchObject({ code: 'VMKIT_VIM_ABORTED', cause: { name: 'AbortError' } });

    const ac2 = new AbortController();
    const encoder = createStreamOptimizedEncoder({ capacity: 1 << 30, signal: ac2.signal });
    const zeros = new Readable({ read() { this.push(Buffer.alloc(1 << 20, 1)); } });
    setTimeout(() => ac2.abort(), 20);
    await expect(pipeline(zeros, encoder, async (out: AsyncIterable<Buffer>) => {
      for await (const _ of out);
    })).rejects.toMatchObject({ code: 'VMKIT_VIM_ABORTED' });

    const ac3 = new AbortController();
    const reader = createSparseVmdkReadStream(vmdk, { signal: ac3.signal });
    let m = 0;
    await expect(
      pipeline(reader, async (out: AsyncIterable<Buffer>) => {
        for await (const c of out) {
          m += c.length;
          if (m > 4 << 20) ac3.abort();
        }
      }),
    ).rejects.toBeInstanceOf(VimAbortError);

    const ac4 = new AbortController();
    ac4.abort();
    await expect(inspectVmdk(vmdk, { signal: ac4.signal })).rejects.toBeInstanceOf(VimAbortError);
    await expect(openOvaDisk(Readable.from([vmdk]), { signal: ac4.signal })).rejects.toBeInstanceOf(VimAbortError);
  });

  it('an encoder that nobody reads stops pulling its input', async () => {
    const encoder = createStreamOptimizedEncoder({ capacity: 1 << 30 });
    let produced = 0;
    const src = new Readable({
      read() {
        produced += 1 << 20;
        this.push(Buffer.alloc(1 << 20, 7));
      },
    });
    src.pipe(encoder);
    await new Promise((r) => setTimeout(r, 200));
    expect(produced).toBeLessThan(64 << 20);
    encoder.destroy();
    src.destroy();
  });
});
