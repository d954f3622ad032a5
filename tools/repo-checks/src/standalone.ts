import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The outcome of one child process: never throws, so a test can show what went wrong. */
export interface RunResult {
  ok: boolean;
  output: string;
}

/**
 * The environment for a nested npm: without the `npm_*` variables of the npm that runs the tests
 * (workspace selection, package fields), which would leak into the temporary project.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.toLowerCase().startsWith('npm_') || /^npm_config_(cache|registry|userconfig)$/i.test(k)) env[k] = v;
  }
  return env;
}

async function capture(file: string, args: string[], cwd: string, timeoutMs: number): Promise<RunResult> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, env: childEnv(), timeout: timeoutMs, maxBuffer: 16 << 20 });
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/**
 * Packs packages with `npm pack` into `dest` (no lifecycle scripts: the packages are built already)
 * and returns each package name's tarball path. `targets` are workspace folders of `cwd`, or package
 * folders anywhere when `asWorkspaces` is false.
 */
export async function pack(targets: readonly string[], dest: string, cwd: string, asWorkspaces = true): Promise<Map<string, string>> {
  const args = ['pack', '--json', '--ignore-scripts', '--pack-destination', dest];
  for (const t of targets) args.push(...(asWorkspaces ? ['-w', t] : [t]));
  const { stdout } = await run('npm', args, { cwd, env: childEnv(), maxBuffer: 64 << 20 });
  const packed = JSON.parse(stdout) as { name: string; filename: string }[];
  return new Map(packed.map((p) => [p.name, join(dest, p.filename)]));
}

/**
 * Installs one package alone into a new project at `projectDir`, as a consumer would from the registry:
 * the package from its tarball, the other vmkit packages it depends on from theirs (through `overrides`,
 * so only those it declares are pulled in), external ones from the npm cache (the registry only when the
 * cache lacks them). `--install-strategy=nested` puts every dependency under its dependent, so an import
 * of a package that is not declared fails instead of finding a hoisted copy.
 */
export async function installAlone(name: string, tarballs: ReadonlyMap<string, string>, projectDir: string): Promise<RunResult> {
  await mkdir(projectDir, { recursive: true });
  const overrides = Object.fromEntries([...tarballs].filter(([n]) => n !== name).map(([n, file]) => [n, `file:${file}`]));
  const tarball = tarballs.get(name);
  if (tarball === undefined) throw new Error(`no tarball for ${name}`);
  const manifest = { name: 'standalone-probe', private: true, type: 'module', dependencies: { [name]: `file:${tarball}` }, overrides };
  await writeFile(join(projectDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return capture(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', '--install-strategy=nested', '--loglevel=error'],
    projectDir,
    120_000,
  );
}

/** Runs an ES module script with Node in `projectDir` (so that it resolves the installed packages). */
export function runScript(projectDir: string, script: string): Promise<RunResult> {
  return capture(process.execPath, ['--no-deprecation', '--input-type=module', '-e', script], projectDir, 60_000);
}

/** Runs Node with `args` in `projectDir`. */
export function runNode(projectDir: string, args: string[]): Promise<RunResult> {
  return capture(process.execPath, args, projectDir, 120_000);
}

/** Runs `fn` over `items` with at most `limit` at a time, keeping the order of the results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
