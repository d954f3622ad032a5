import { Readable } from 'node:stream';
import { VimError } from '@vmkit/vim';
import { describe, expect, it } from 'vitest';
import { createStreamOptimizedDecoder } from './stream-optimized-decoder.js';
import { createStreamOptimizedEncoder } from './stream-optimized-encoder.js';
import { ZERO_CHUNK, isAllZero, zeros } from './zero.js';

async function encode(raw: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of Readable.from([raw]).pipe(createStreamOptimizedEncoder({ capacity: raw.length }))) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Decodes `vmdk`; `after` gets the last chunk (not a copy) once the stream has ended. */
async function decode(vmdk: Buffer, after: (last: Buffer) => void = () => undefined): Promise<Buffer> {
  const parts: Buffer[] = [];
  let last: Buffer = Buffer.alloc(0);
  for await (const c of Readable.from([vmdk]).pipe(createStreamOptimizedDecoder())) {
    last = c as Buffer;
    parts.push(Buffer.from(last));
  }
  after(last);
  return Buffer.concat(parts);
}

// Each test file runs in its own module instance, so spoiling the shared zero buffer here touches no other file.
describe('the shared zero buffer', () => {
  it('zeros() gives `length` zero bytes in chunks of at most 1 MiB', () => {
    const chunks = [...zeros(2 * ZERO_CHUNK + 5)];
    expect(chunks.map((c) => c.length)).toEqual([ZERO_CHUNK, ZERO_CHUNK, 5]);
    expect(chunks.every((c) => isAllZero(c))).toBe(true);
    expect([...zeros(0)]).toEqual([]);
  });

  it('a consumer that writes into a zero chunk makes the next zero run fail typed, not give wrong bytes; later runs are zeros again', () => {
    const [first] = zeros(4096);
    first!.fill(0xab, 100, 200); // breaks the contract
    const next = zeros(4096);
    let err: unknown;
    try {
      next.next();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VimError);
    expect((err as VimError).code).toBe('VMKIT_TRANSFER_ZERO_BUFFER_WRITTEN');
    const after = [...zeros(ZERO_CHUNK)];
    expect(after.every((c) => isAllZero(c))).toBe(true);
  });

  it('through the stream-optimized decoder: a decode after the misuse fails instead of corrupting its disk, and the one after is right', async () => {
    const raw = Buffer.alloc(4 << 20);
    raw.fill(0x5a, 1 << 20, (1 << 20) + 70_000); // data in grains 16 and 17; zeros around it
    const vmdk = await encode(raw);
    expect((await decode(vmdk)).equals(raw)).toBe(true);
    // A careless consumer: once the decode has ended, it pads the last chunk in place (a zero run's view).
    await decode(vmdk, (last) => last.fill(0xee, 0, 16));
    await expect(decode(vmdk)).rejects.toMatchObject({ code: 'VMKIT_TRANSFER_ZERO_BUFFER_WRITTEN' });
    expect((await decode(vmdk)).equals(raw)).toBe(true);
    // Scribbling during a decode fails that very decode.
    const scribbled = Readable.from([vmdk]).pipe(createStreamOptimizedDecoder());
    await expect(
      (async () => {
        for await (const c of scribbled) (c as Buffer).fill(0xee, 0, 16);
      })(),
    ).rejects.toMatchObject({ code: 'VMKIT_TRANSFER_ZERO_BUFFER_WRITTEN' });
    expect((await decode(vmdk)).equals(raw)).toBe(true);
  });
});
