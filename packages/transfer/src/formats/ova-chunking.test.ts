/**
 * Property test: a real OVA (a qemu-img stream-optimized disk and an OVF, packed by tar) read through
 * openOvaDisk gives the disk member's exact bytes and, decoded, the raw disk, however the archive is
 * cut into chunks (1 byte to 200 KiB, varying chunk by chunk) and however fast source and consumer go.
 * Chunks are kept and joined only at the end, so a chunk overwritten after it was handed out (a reused
 * buffer, a write into the shared zero buffer) fails the comparison.
 */
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMixedImage, qemu, qemuImg, qemuSkipReason, tempDir } from '../../test/images.js';
import { testOvf } from '../../test/ovf.js';
import { openOvaDisk } from './ova.js';
import { createStreamOptimizedDecoder } from './stream-optimized-decoder.js';

const hasTar = spawnSync('tar', ['--version']).status === 0;

/** Yields `bytes` in chunks whose sizes cycle through `sizes`, pausing a tick before the chunks `pauses` marks. */
async function* chunked(bytes: Buffer, sizes: number[], pauses: boolean[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (let k = 0; at < bytes.length; k++) {
    const n = sizes[k % sizes.length] ?? 1;
    if (pauses[k % pauses.length] === true) await tick();
    // A copy per chunk, as a socket or a file stream hands out fresh buffers.
    yield Buffer.from(bytes.subarray(at, at + n));
    at += n;
  }
}

/** Keeps every chunk (no copy) and joins them at the end; pauses a tick after the chunks `pauses` marks. */
async function collect(stream: AsyncIterable<Buffer>, pauses: boolean[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  let k = 0;
  for await (const c of stream) {
    parts.push(c);
    if (pauses[k++ % pauses.length] === true) await tick();
  }
  return Buffer.concat(parts);
}

describe.skipIf(qemuImg === undefined || !hasTar)(`openOvaDisk on a qemu-img OVA cut into random chunks${qemuImg === undefined ? ` (skipped: ${qemuSkipReason})` : ''}`, () => {
  let dir = '';
  let cleanup = (): void => undefined;
  let ova = Buffer.alloc(0);
  let disk = Buffer.alloc(0);
  let raw = Buffer.alloc(0);
  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    const size = 1536 * 1024; // data, zero runs and patterns: the decoder emits both grains and shared zeros
    await makeMixedImage(join(dir, 'disk.raw'), { size, seed: 7, block: 64 * 1024 });
    raw = readFileSync(join(dir, 'disk.raw'));
    const members = join(dir, 'members');
    mkdirSync(members);
    qemu('convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', join(dir, 'disk.raw'), join(members, 'disk1.vmdk'));
    disk = readFileSync(join(members, 'disk1.vmdk'));
    writeFileSync(join(members, 'vm.ovf'), testOvf({ href: 'disk1.vmdk', size: disk.length, capacity: size }));
    execFileSync('tar', ['-cf', join(dir, 'vm.ova'), '-C', members, 'vm.ovf', 'disk1.vmdk']);
    ova = readFileSync(join(dir, 'vm.ova'));
  });
  afterAll(() => cleanup());

  const sizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 200 * 1024 })), { minLength: 1, maxLength: 40 });
  const pauses = fc.array(fc.boolean(), { minLength: 1, maxLength: 16 });

  it('gives the disk member byte for byte', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(sizes, pauses, pauses, async (s, sourcePauses, consumerPauses) => {
        const found = await openOvaDisk(chunked(ova, s, sourcePauses));
        expect(found.memberSize).toBe(disk.length);
        const got = await collect(found.stream, consumerPauses);
        expect(got.length).toBe(disk.length);
        expect(got.equals(disk)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('decodes to the raw disk, zero runs included, one decode after another in the same process', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(sizes, pauses, pauses, async (s, sourcePauses, consumerPauses) => {
        const found = await openOvaDisk(chunked(ova, s, sourcePauses));
        const got = await collect(found.stream.pipe(createStreamOptimizedDecoder()), consumerPauses);
        expect(got.length).toBe(raw.length);
        expect(got.equals(raw)).toBe(true);
      }),
      { numRuns: 10 },
    );
  });
});
