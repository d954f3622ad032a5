/**
 * Test helpers: a thin wrapper around qemu-img (Debian `qemu-utils`) that tests skip without, temporary
 * directories, and (from mixed-image.mjs) deterministic raw images with mixed content.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

export { fillRandom, makeMixedImage, mixedLayout, type BlockKind, type MixedImageOptions } from './mixed-image.mjs';
