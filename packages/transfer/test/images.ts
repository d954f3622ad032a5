/**
 * Test and benchmark helpers: deterministic raw disk images with mixed zero / random / compressible
 * content, and a thin wrapper around qemu-img (Debian `qemu-utils`) that tests skip without.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The qemu-img binary, or undefined when it is not installed. */
export const qemuImg: string | undefined = (() => {
  const r = spawnSync('qemu-img', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'qemu-img' : undefined;
})();

/** Why qemu-backed tests skip, for `describe.skipIf(...)` titles. */
export const qemuSkipReason = 'qemu-img is not installed (Debian qemu-utils; `node scripts/system-deps.mjs` installs it)';

/** Runs qemu-img and returns its stdout; throws with its stderr on failure. */
export function qemu(...args: string[]): string {
  if (qemuImg === undefined) throw new Error(qemuSkipReason);
  return execFileSync(qemuImg, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Like {@link qemu} but returns the exit status and output instead of throwing. */
export function qemuStatus(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (qemuImg === undefined) throw new Error(qemuSkipReason);
  const r = spawnSync(qemuImg, args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A temporary directory and its removal. */
export function tempDir(prefix = 'vmkit-transfer-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** xorshift32: fast, seeded, good enough to make incompressible test bytes. */
export function fillRandom(buf: Buffer, seed: number): number {
  let x = seed >>> 0 || 0x9e3779b9;
  const words = Math.floor(buf.length / 4);
  for (let i = 0; i < words; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf.writeUInt32LE(x, i * 4);
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

/** What a block of a mixed image holds. */
export type BlockKind = 'zero' | 'random' | 'text';

/** Options of {@link makeMixedImage}. */
export interface MixedImageOptions {
  /** Image size in bytes. */
  size: number;
  /** Seed of the content. */
  seed?: number;
  /** Block size in bytes (default 1 MiB); each block is wholly one kind. */
  block?: number;
  /** Shares of zero / random / compressible-text blocks (default 0.5 / 0.35 / 0.15). */
  mix?: { zero: number; random: number; text: number };
}

/**
 * The kind of each block of a mixed image, from the seed: deterministic, so the same options always
 * make the same bytes.
 */
export function mixedLayout(options: MixedImageOptions): BlockKind[] {
  const block = options.block ?? 1 << 20;
  const mix = options.mix ?? { zero: 0.5, random: 0.35, text: 0.15 };
  const n = Math.ceil(options.size / block);
  let x = (options.seed ?? 1) * 2654435761;
  const kinds: BlockKind[] = [];
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x6d2b79f5) >>> 0;
    const r = x / 0x1_0000_0000;
    kinds.push(r < mix.zero ? 'zero' : r < mix.zero + mix.random ? 'random' : 'text');
  }
  return kinds;
}

/** Writes a raw image with mixed content to `path` (a sparse file: zero blocks are holes). */
export async function makeMixedImage(path: string, options: MixedImageOptions): Promise<void> {
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
