/**
 * Property tests: random mutations of valid inputs give either a result or one of the typed errors
 * (never a crash, a foreign error or a hang), and raw -> stream-optimized -> raw is the identity.
 */
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildMonolithicSparse } from '../../test/sparse.js';
import { testOvf } from '../../test/ovf.js';
import { parseVmdkDescriptor } from './descriptor.js';
import { OvaFormatError, TransferSizeMismatchError, VmdkFormatError, VmdkUnsupportedError } from './errors.js';
import { inspectVmdk } from './inspect.js';
import { openOvaDisk } from './ova.js';
import { parseOvf } from './ovf.js';
import { createSparseVmdkReadStream } from './sparse-reader.js';
import { parseSparseExtentHeader } from './sparse-header.js';
import { createStreamOptimizedDecoder } from './stream-optimized-decoder.js';
import { createStreamOptimizedEncoder } from './stream-optimized-encoder.js';
import { readTar } from './tar.js';

const typed = (e: unknown): boolean =>
  e instanceof VmdkFormatError || e instanceof VmdkUnsupportedError || e instanceof OvaFormatError || e instanceof TransferSizeMismatchError;

/** Runs `f`; a typed error counts as a result. Anything else thrown fails the property. */
async function resultOrTyped(f: () => Promise<unknown>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (!typed(e)) throw e;
  }
}

type Mutation = { edits: { at: number; value: number }[]; cut: number | null };

function mutation(length: number, hot = 1024): fc.Arbitrary<Mutation> {
  const position = fc.oneof(fc.nat({ max: Math.min(hot, length) - 1 }), fc.nat({ max: length - 1 }));
  return fc.record({
    edits: fc.array(fc.record({ at: position, value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }),
    cut: fc.option(fc.nat({ max: length }), { freq: 4 }),
  });
}

function mutate(input: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(input);
  for (const e of m.edits) out[e.at] = e.value;
  return m.cut === null ? out : out.subarray(0, m.cut);
}

function* chunks(b: Uint8Array, size: number): Generator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield Buffer.from(b.subarray(i, i + size));
}

/** Reads a stream to its end, or stops after `cap` bytes (a mutated capacity may be huge but valid). */
async function drain(stream: Readable, cap = 16 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > cap) {
      stream.destroy();
      break;
    }
    parts.push(c);
  }
  return Buffer.concat(parts);
}

async function encode(raw: Buffer, chunk: number): Promise<Buffer> {
  return drain(Readable.from(chunks(raw, chunk)).pipe(createStreamOptimizedEncoder({ capacity: raw.length })), Infinity);
}

function decode(vmdk: Buffer, chunk: number): Readable {
  const decoder = createStreamOptimizedDecoder();
  const src = Readable.from(chunks(vmdk, Math.max(1, chunk)));
  src.on('error', (e) => decoder.destroy(e));
  return src.pipe(decoder);
}

/** A small disk with data, zeros and a partial last grain. */
function sampleRaw(): Buffer {
  const raw = Buffer.alloc(5 * 65536 + 1024);
  for (let i = 0; i < 65536; i++) raw[65536 + i] = (i * 31 + 7) & 0xff;
  raw.fill(0x5a, 3 * 65536 + 100, 3 * 65536 + 5000);
  raw.fill(0x33, raw.length - 700);
  return raw;
}

const sampleDescriptor = `# Disk DescriptorFile\nversion=1\nencoding="UTF-8"\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\n# Extent description\nRW 2048 FLAT "d-flat.vmdk" 0\nRW 8 ZERO\n\n#DDB\nddb.adapterType = "lsilogic"\nddb.geometry.cylinders = "1"\nddb.geometry.heads = "255"\nddb.geometry.sectors = "63"\n`;

// Each property runs hundreds of cases through real decoders; on a loaded two-core CI machine that can take
// longer than vitest's default 5 s, which is a budget, not a measurement.
describe('malformed input gives a result or a typed error', { timeout: 120_000 }, () => {
  it('parseSparseExtentHeader', async () => {
    const valid = buildMonolithicSparse(sampleRaw()).subarray(0, 512);
    await fc.assert(
      fc.asyncProperty(mutation(512, 96), fc.option(fc.nat({ max: 1 << 22 })), async (m, fileSize) => {
        await resultOrTyped(() => Promise.resolve(parseSparseExtentHeader(mutate(valid, m), fileSize === null ? {} : { fileSize })));
      }),
      { numRuns: 400 },
    );
  });

  it('parseVmdkDescriptor, from mutated bytes and from arbitrary text', async () => {
    const valid = Buffer.from(sampleDescriptor);
    await fc.assert(
      fc.asyncProperty(mutation(valid.length, valid.length), async (m) => {
        await resultOrTyped(() => Promise.resolve(parseVmdkDescriptor(mutate(valid, m))));
      }),
      { numRuns: 400 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 400 }), async (s) => {
        await resultOrTyped(() => Promise.resolve(parseVmdkDescriptor(`version=1\ncreateType="vmfs"\n${s}`)));
      }),
      { numRuns: 300 },
    );
  });

  it('inspectVmdk and the random-access reader on mutated monolithicSparse files', async () => {
    const raw = sampleRaw();
    const valid = buildMonolithicSparse(raw);
    // Sanity: the unmutated file reads back.
    expect((await drain(createSparseVmdkReadStream(valid))).equals(raw)).toBe(true);
    await fc.assert(
      fc.asyncProperty(mutation(valid.length, 64 * 512), async (m) => {
        const bytes = mutate(valid, m);
        await resultOrTyped(() => inspectVmdk(bytes));
        await resultOrTyped(async () => {
          const out = await drain(createSparseVmdkReadStream(bytes));
          if (out.length <= 16 << 20) expect(out.length % 512).toBe(0);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('the stream-optimized decoder on mutated streams', async () => {
    const raw = sampleRaw();
    const valid = await encode(raw, 65536);
    expect((await drain(decode(valid, 4096))).equals(raw)).toBe(true);
    await fc.assert(
      fc.asyncProperty(mutation(valid.length, 65536 + 1024), fc.integer({ min: 1, max: 70000 }), async (m, chunk) => {
        await resultOrTyped(async () => {
          const out = await drain(decode(mutate(valid, m), chunk));
          // Whenever the decoder finishes without an error, it put out a whole disk.
          if (out.length < 16 << 20) expect(out.length % 512).toBe(0);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('readTar and openOvaDisk on mutated archives', async () => {
    const disk = Buffer.alloc(3000, 7);
    const ovf = testOvf({ href: 'd.vmdk', size: disk.length, capacity: 1 });
    const tar = buildTar([
      ['x.ovf', Buffer.from(ovf)],
      ['x.mf', Buffer.from('SHA1(d.vmdk)= 0\n')],
      ['d.vmdk', disk],
    ]);
    await fc.assert(
      fc.asyncProperty(mutation(tar.length, tar.length), fc.integer({ min: 1, max: 5000 }), async (m, chunk) => {
        const bytes = mutate(tar, m);
        await resultOrTyped(async () => {
          for await (const e of readTar(Readable.from(chunks(bytes, chunk)))) for await (const _ of e.body);
        });
        await resultOrTyped(async () => {
          const found = await openOvaDisk(Readable.from(chunks(bytes, chunk)));
          await drain(found.stream);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('parseOvf on mutated descriptors', async () => {
    const valid = Buffer.from(testOvf({ href: 'd.vmdk', size: 10, capacity: 1, compression: 'gzip' }));
    await fc.assert(
      fc.asyncProperty(mutation(valid.length, valid.length), async (m) => {
        await resultOrTyped(() => Promise.resolve(parseOvf(mutate(valid, m))));
      }),
      { numRuns: 400 },
    );
  });

  it('gunzip errors of a compressed OVA member surface on the stream', async () => {
    const ovf = testOvf({ href: 'd.vmdk', capacity: 1, compression: 'gzip' });
    const gz = gzipSync(Buffer.alloc(5000, 1));
    gz[20] = (gz[20] ?? 0) ^ 0xff;
    const found = await openOvaDisk(Readable.from([buildTar([['x.ovf', Buffer.from(ovf)], ['d.vmdk', gz]])]));
    await expect(drain(found.stream)).rejects.toThrow();
  });
});

describe('raw -> stream-optimized -> raw', { timeout: 120_000 }, () => {
  it('is the identity on random sparse content, through the streaming and the random-access reader', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1600 }),
        fc.array(fc.record({ at: fc.nat(), data: fc.uint8Array({ minLength: 1, maxLength: 5000 }) }), { maxLength: 12 }),
        fc.integer({ min: 61, max: 100000 }),
        fc.integer({ min: 61, max: 100000 }),
        async (sectors, writes, inChunk, outChunk) => {
          const raw = Buffer.alloc(sectors * 512);
          if (raw.length > 0) for (const w of writes) Buffer.from(w.data).copy(raw, w.at % raw.length);
          const vmdk = await encode(raw, inChunk);
          expect((await drain(decode(vmdk, outChunk), Infinity)).equals(raw)).toBe(true);
          expect((await drain(createSparseVmdkReadStream(vmdk), Infinity)).equals(raw)).toBe(true);
          const info = await inspectVmdk(vmdk);
          expect(info).toMatchObject({ diskType: 'streamOptimized', capacity: raw.length });
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});

/** A minimal ustar writer for property tests (the tar-based tests use the real tar). */
function buildTar(members: [string, Buffer][]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, data] of members) {
    const h = Buffer.alloc(512);
    h.write(name, 0, 'utf8');
    h.write('0000644\0', 100, 'latin1');
    h.write('0000000\0', 108, 'latin1');
    h.write('0000000\0', 116, 'latin1');
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    h.write('00000000000\0', 136, 'latin1');
    h.write('        ', 148, 'latin1');
    h.write('0', 156, 'latin1');
    h.write('ustar\0', 257, 'latin1');
    h.write('00', 263, 'latin1');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    parts.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
