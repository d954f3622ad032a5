import { createReadStream, createWriteStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMixedImage, qemu, qemuImg, qemuSkipReason, qemuStatus, tempDir } from '../../test/images.js';
import { TransferSizeMismatchError, VmdkFormatError, VmdkUnsupportedError } from './errors.js';
import { inspectVmdk } from './inspect.js';
import { createStreamOptimizedDecoder, type SparseHeaderInfo } from './stream-optimized-decoder.js';
import { createStreamOptimizedEncoder } from './stream-optimized-encoder.js';

async function decodeToBuffer(input: Uint8Array | string, chunk = 65536): Promise<Buffer> {
  const src = typeof input === 'string' ? createReadStream(input) : Readable.from(chunks(input, chunk));
  const parts: Buffer[] = [];
  await pipeline(src, createStreamOptimizedDecoder(), async (out: AsyncIterable<Buffer>) => {
    for await (const c of out) parts.push(c);
  });
  return Buffer.concat(parts);
}

async function encodeToBuffer(raw: Buffer, capacity = raw.length, chunk = 65536): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(Readable.from(chunks(raw, chunk)), createStreamOptimizedEncoder({ capacity }), async (out: AsyncIterable<Buffer>) => {
    for await (const c of out) parts.push(c);
  });
  return Buffer.concat(parts);
}

function* chunks(b: Uint8Array, size: number): Generator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield Buffer.from(b.subarray(i, i + size));
}

describe.skipIf(qemuImg === undefined)(`stream-optimized against qemu-img${qemuImg === undefined ? ` (skipped: ${qemuSkipReason})` : ''}`, () => {
  let dir = '';
  let cleanup = (): void => undefined;
  const size = 6 * 1024 * 1024 + 64 * 1024 + 4096; // not a multiple of the grain: the last grain is partial
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    await makeMixedImage(join(dir, 'disk.raw'), { size, seed: 7, block: 192 * 1024 });
    qemu('convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', join(dir, 'disk.raw'), join(dir, 'so.vmdk'));
    qemu('convert', '-f', 'vmdk', '-O', 'raw', join(dir, 'so.vmdk'), join(dir, 'so.qemu.raw'));
  });
  afterAll(() => cleanup());

  it('decodes qemu-img output to the same bytes as qemu-img convert -O raw', async () => {
    const ours = await decodeToBuffer(join(dir, 'so.vmdk'));
    const theirs = readFileSync(join(dir, 'so.qemu.raw'));
    expect(ours.length).toBe(theirs.length);
    expect(ours.equals(theirs)).toBe(true);
    expect(ours.equals(readFileSync(join(dir, 'disk.raw')))).toBe(true);
  });

  it('decodes from tiny input chunks', async () => {
    const vmdk = readFileSync(join(dir, 'so.vmdk'));
    const raw = readFileSync(join(dir, 'disk.raw'));
    expect((await decodeToBuffer(vmdk, 333)).equals(raw)).toBe(true);
  });

  it('reports the header and descriptor before the data', async () => {
    let info: SparseHeaderInfo | undefined;
    await pipeline(createReadStream(join(dir, 'so.vmdk')), createStreamOptimizedDecoder({ onHeader: (i) => (info = i) }), async (out: AsyncIterable<Buffer>) => {
      for await (const _ of out) expect(info).toBeDefined();
    });
    expect(info?.capacity).toBe(size);
    expect(info?.descriptor?.createType).toBe('streamOptimized');
  });

  it('fails with a typed error when qemu-img output is cut short', async () => {
    const vmdk = readFileSync(join(dir, 'so.vmdk'));
    // qemu-img writes no end-of-stream marker (its file may end in zero sectors, which read as one):
    // the grain tables ahead of the grains catch the loss.
    for (const cut of [70000, Math.floor(vmdk.length / 2), vmdk.length - 70000]) {
      const err: unknown = await decodeToBuffer(vmdk.subarray(0, cut)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VmdkFormatError);
      expect((err as VmdkFormatError).reason).toBe('truncated');
    }
  });

  it('encodes raw to a stream-optimized VMDK that qemu-img checks, compares equal and reads as streamOptimized', async () => {
    const out = join(dir, 'ours.vmdk');
    const capacity = statSync(join(dir, 'disk.raw')).size;
    await pipeline(createReadStream(join(dir, 'disk.raw')), createStreamOptimizedEncoder({ capacity, fileName: 'ours.vmdk' }), createWriteStream(out));
    expect(qemuStatus('check', '-f', 'vmdk', out).status).toBe(0);
    const cmp = qemuStatus('compare', '-f', 'vmdk', '-F', 'raw', out, join(dir, 'disk.raw'));
    expect(cmp.stdout + cmp.stderr).toContain('Images are identical');
    expect(cmp.status).toBe(0);
    const info = JSON.parse(qemu('info', '--output=json', out)) as { 'virtual-size': number; 'format-specific': { data: { 'create-type': string } } };
    expect(info['virtual-size']).toBe(capacity);
    expect(info['format-specific'].data['create-type']).toBe('streamOptimized');
    // And our own reader agrees.
    const ours = await inspectVmdk(out);
    expect(ours.diskType).toBe('streamOptimized');
    expect(ours.capacity).toBe(capacity);
    expect((await decodeToBuffer(out)).equals(readFileSync(join(dir, 'disk.raw')))).toBe(true);
  });

  it('encodes an all-zero disk to a few metadata sectors', async () => {
    const raw = Buffer.alloc(40 * 1024 * 1024);
    const vmdk = await encodeToBuffer(raw, raw.length, 1 << 20);
    expect(vmdk.length).toBeLessThan(80 * 1024);
    const path = join(dir, 'zero.vmdk');
    writeFileSync(path, vmdk);
    expect(qemuStatus('check', path).status).toBe(0);
    expect(qemuStatus('compare', '-f', 'vmdk', '-F', 'raw', path, join(dir, 'disk.raw')).status).toBe(1);
    expect((await decodeToBuffer(vmdk)).equals(raw)).toBe(true);
  });
});

describe('stream-optimized encoder and decoder', () => {
  it('round-trips a small disk with a partial last grain', async () => {
    const raw = Buffer.alloc(200 * 1024 + 512);
    raw.fill(0xab, 70000, 90000);
    raw.fill(0x11, raw.length - 100);
    const back = await decodeToBuffer(await encodeToBuffer(raw));
    expect(back.equals(raw)).toBe(true);
  });

  it('refuses input shorter or longer than the capacity', async () => {
    await expect(encodeToBuffer(Buffer.alloc(4096), 8192)).rejects.toBeInstanceOf(TransferSizeMismatchError);
    await expect(encodeToBuffer(Buffer.alloc(8192 + 512), 8192)).rejects.toBeInstanceOf(TransferSizeMismatchError);
    expect(() => createStreamOptimizedEncoder({ capacity: 1000 })).toThrow(RangeError);
  });

  it('refuses a VMDK that is not stream-optimized', async () => {
    const vmdk = await encodeToBuffer(Buffer.alloc(65536, 1));
    vmdk.writeUInt32LE(1, 8); // clear the compressed and marker flags
    vmdk.writeUInt16LE(0, 77);
    await expect(decodeToBuffer(vmdk)).rejects.toBeInstanceOf(VmdkUnsupportedError);
  });
});

/** Walks the markers of a stream-optimized file from its first grain; returns each marker's offset. */
function markers(vmdk: Buffer): { at: number; kind: 'grain' | 'eos' | 'gt' | 'gd' | 'footer' }[] {
  const out: { at: number; kind: 'grain' | 'eos' | 'gt' | 'gd' | 'footer' }[] = [];
  let at = 128 * 512;
  while (at < vmdk.length) {
    const n = Number(vmdk.readBigUInt64LE(at));
    const size = vmdk.readUInt32LE(at + 8);
    if (size > 0) {
      out.push({ at, kind: 'grain' });
      at += Math.ceil((12 + size) / 512) * 512;
      continue;
    }
    const kind = (['eos', 'gt', 'gd', 'footer'] as const)[vmdk.readUInt32LE(at + 12)] ?? 'eos';
    out.push({ at, kind });
    if (kind === 'eos') break;
    at += 512 + n * 512;
  }
  return out;
}

describe('malformed stream-optimized input', () => {
  // Grains 0 and 2 hold data (grain 0 incompressible), grain 1 is zero: three grains, one table.
  const raw = Buffer.alloc(3 * 65536);
  for (let i = 0; i < 65536; i++) raw[i] = (i * 2654435761) >>> 24;
  raw.fill(0x77, 2 * 65536);
  let vmdk: Buffer = Buffer.alloc(0);
  let marks: ReturnType<typeof markers> = [];
  const grains = (): number[] => marks.filter((m) => m.kind === 'grain').map((m) => m.at);
  const at = (kind: string): number => marks.find((m) => m.kind === kind)?.at ?? -1;

  async function failure(patch: (b: Buffer) => Buffer | void): Promise<{ reason?: string; feature?: string; name: string }> {
    const b = Buffer.from(vmdk);
    const patched = patch(b) ?? b;
    const err: unknown = await decodeToBuffer(patched).then(
      () => new Error('decoded without an error'),
      (e: unknown) => e,
    );
    expect(err instanceof VmdkFormatError || err instanceof VmdkUnsupportedError, String(err)).toBe(true);
    return err as { reason?: string; feature?: string; name: string };
  }

  beforeAll(async () => {
    vmdk = await encodeToBuffer(raw);
    marks = markers(vmdk);
  });

  it('has a layout these tests understand', async () => {
    expect(marks.map((m) => m.kind)).toEqual(['grain', 'grain', 'gt', 'gd', 'footer', 'eos']);
    expect((await decodeToBuffer(vmdk)).equals(raw)).toBe(true);
  });

  it('a grain beyond the capacity, or not on a grain boundary', async () => {
    expect(await failure((b) => void b.writeBigUInt64LE(3n * 128n, grains()[1] ?? 0))).toMatchObject({ reason: 'grain-out-of-range' });
    expect(await failure((b) => void b.writeBigUInt64LE(1n, grains()[0] ?? 0))).toMatchObject({ reason: 'grain-out-of-range' });
  });

  it('a grain out of order', async () => {
    expect(await failure((b) => void b.writeBigUInt64LE(0n, grains()[1] ?? 0))).toMatchObject({ feature: 'grain-order' });
  });

  it('a compressed size that lies', async () => {
    // Smaller than the data: the deflate stream is cut.
    expect(await failure((b) => void b.writeUInt32LE(100, (grains()[0] ?? 0) + 8))).toMatchObject({ reason: 'bad-grain' });
    // Larger than twice a grain.
    expect(await failure((b) => void b.writeUInt32LE(3 * 65536, (grains()[0] ?? 0) + 8))).toMatchObject({ reason: 'bad-marker' });
    // Larger than what is left of the file.
    expect(await failure((b) => void b.writeUInt32LE(120000, (grains()[1] ?? 0) + 8))).toMatchObject({ reason: 'truncated' });
    // Larger by a few sectors: the next marker is read from the middle of something else.
    const err = await failure((b) => void b.writeUInt32LE(b.readUInt32LE((grains()[0] ?? 0) + 8) + 1024, (grains()[0] ?? 0) + 8));
    expect(['bad-marker', 'grain-out-of-range', 'truncated', 'bad-grain', 'bad-footer']).toContain(err.reason);
    // Larger by exactly the next grain: the grain table that follows lists a grain the stream skipped.
    const g0 = grains()[0] ?? 0;
    expect(await failure((b) => void b.writeUInt32LE(at('gt') - g0 - 12, g0 + 8))).toMatchObject({ reason: 'bad-table' });
  });

  it('a compressed grain that inflates to the wrong length', async () => {
    const g = grains()[1] ?? 0;
    const small = deflateSync(Buffer.alloc(4096, 0x77));
    expect(
      await failure((b) => {
        b.writeUInt32LE(small.length, g + 8);
        small.copy(b, g + 12);
      }),
    ).toMatchObject({ reason: 'bad-grain' });
  });

  it('an unknown marker, a table marker of the wrong size, a broken footer, a cut stream', async () => {
    expect(await failure((b) => void b.writeUInt32LE(9, at('gt') + 12))).toMatchObject({ reason: 'bad-marker' });
    expect(await failure((b) => void b.writeBigUInt64LE(7n, at('gt')))).toMatchObject({ reason: 'bad-marker' });
    expect(await failure((b) => void b.writeUInt32LE(0, at('footer') + 512))).toMatchObject({ reason: 'bad-footer' });
    expect(await failure((b) => void b.writeBigUInt64LE(9n, at('footer') + 512 + 12))).toMatchObject({ reason: 'bad-footer' });
    expect(await failure((b) => void b.writeBigUInt64LE(2n, at('eos')))).toMatchObject({ reason: 'bad-marker' });
    expect(await failure((b) => b.subarray(0, at('eos')))).toMatchObject({ reason: 'truncated' });
    expect(await failure((b) => b.subarray(0, (grains()[1] ?? 0) + 100))).toMatchObject({ reason: 'truncated' });
    expect(await failure((b) => b.subarray(0, 300))).toMatchObject({ reason: 'truncated' });
  });

  it('a header that is not a VMDK, or whose descriptor disagrees with it', async () => {
    expect(await failure((b) => void b.write('XXXX', 0, 'latin1'))).toMatchObject({ reason: 'bad-magic' });
    expect(
      await failure((b) => {
        const text = b.subarray(512, 512 * 21).toString('latin1').replace('RW 384 SPARSE', 'RW 999 SPARSE');
        b.write(text, 512, 'latin1');
      }),
    ).toMatchObject({ reason: 'inconsistent' });
  });
});
