import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The harness package's folder (one level above src/ or dist/). */
export const harnessDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const goDir = join(harnessDir, 'go');
/**
 * Where built binaries are kept: `$VMKIT_VCSIM_CACHE`, else `$XDG_CACHE_HOME/vmkit/vcsim` (or
 * `~/.cache/vmkit/vcsim`). One cache per user, keyed by the hash of the sources, so the repository's
 * harness and the copy embedded in the `vmkit` command line share one build.
 */
const cacheDir = process.env.VMKIT_VCSIM_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'vmkit', 'vcsim');
/** Builds of other sources older than this are removed after a build (another checkout may still use a newer one). */
const staleBuildMs = 7 * 24 * 3600_000;

/** Debian's GOPATH, where golang-github-vmware-govmomi-dev puts govmomi's sources. */
export const debianGopath = '/usr/share/gocode';
const govmomiDir = join(debianGopath, 'src/github.com/vmware/govmomi/simulator');

/** The Debian packages the simulator is built from. */
export const requiredDebianPackages = ['golang-go', 'golang-github-vmware-govmomi-dev'] as const;

/** Go in GOPATH mode against Debian's sources: nothing is downloaded. */
export function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GO111MODULE: 'off', GOPATH: debianGopath, GOFLAGS: '', GOTOOLCHAIN: 'local' };
}

async function haveGo(): Promise<boolean> {
  try {
    await run('go', ['version'], { env: goEnv() });
    return existsSync(govmomiDir);
  } catch {
    return false;
  }
}

/** Installs the Debian packages when running as root, or explains what to install. */
async function installToolchain(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      `the vCenter simulator needs the Debian packages ${requiredDebianPackages.join(' ')}; ` +
        `install them as root: apt-get install -y ${requiredDebianPackages.join(' ')}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run('apt-get', ['install', '-y', '-qq', ...requiredDebianPackages], { env, maxBuffer: 64 << 20 });
  try {
    await install();
  } catch {
    await run('apt-get', ['update', '-qq'], { env, maxBuffer: 64 << 20 });
    await install();
  }
}

/** A hash of the harness's Go sources and the Go toolchain's version: the binary's cache key. */
async function sourceHash(): Promise<string> {
  const h = createHash('sha256');
  h.update((await run('go', ['version'], { env: goEnv() })).stdout);
  for (const name of (await readdir(goDir)).filter((n) => n.endsWith('.go') && !n.endsWith('_test.go')).sort()) {
    h.update(name).update('\0').update(await readFile(join(goDir, name))).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** Takes a lock folder, waiting while another process holds it; a lock older than `staleMs` is broken. */
async function withLock<T>(lock: string, fn: () => Promise<T>, staleMs = 10 * 60_000): Promise<T> {
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > staleMs) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/**
 * Returns the path of the simulator binary, building it first when it is missing or its sources
 * changed (cached per user under `<cache>/<hash>/vcsim`, see `VMKIT_VCSIM_CACHE`). Concurrent callers, in this process or
 * others, build once. Installs the Debian packages when missing (as root; otherwise throws an error
 * naming them).
 */
export async function ensureSimulatorBinary(): Promise<string> {
  if (!(await haveGo())) await installToolchain();
  const hash = await sourceHash();
  const binary = join(cacheDir, hash, 'vcsim');
  if (existsSync(binary)) return binary;
  await mkdir(cacheDir, { recursive: true });
  return withLock(join(cacheDir, 'build.lock'), async () => {
    if (existsSync(binary)) return binary;
    await mkdir(join(cacheDir, hash), { recursive: true });
    const tmp = `${binary}.tmp-${process.pid}`;
    try {
      await run('go', ['build', '-o', tmp, '.'], { cwd: goDir, env: goEnv(), maxBuffer: 64 << 20 });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? '';
      throw new Error(`building the simulator failed:\n${stderr.slice(-4000)}`, { cause: err });
    }
    await rename(tmp, binary);
    // Builds of other sources that nobody has made for a week are of no use any more.
    for (const entry of await readdir(cacheDir)) {
      if (entry === hash || entry === 'build.lock') continue;
      const age = await stat(join(cacheDir, entry)).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > staleBuildMs) await rm(join(cacheDir, entry), { recursive: true, force: true });
    }
    return binary;
  });
}
