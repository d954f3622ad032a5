import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { compareFiles, generateFromFile, writeFiles } from './generate.js';

const USAGE = `usage: vmodl-gen --schema <vmodl.json> --out <folder> [--check]
  Generates the TypeScript bindings of @vmkit/vim from the schema JSON that dump/dump_pyvmomi.py writes.
  --check  write nothing; exit 1 when the folder differs from what would be generated`;

/** The folder of the npm workspace root above `from` (the package.json with "workspaces"), if any. */
export function findRepoRoot(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const manifest = resolve(dir, 'package.json');
    if (existsSync(manifest)) {
      const json = JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown };
      if (json.workspaces !== undefined) return dir;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** How headers name the schema: its path from the repository root, with forward slashes. */
export function schemaLabel(schemaPath: string): string {
  const abs = resolve(schemaPath);
  const root = findRepoRoot(dirname(abs));
  return (root === undefined ? abs : relative(root, abs)).split(sep).join('/');
}

/** The command line. Returns the exit code. */
export async function main(
  argv: readonly string[],
  log: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  error: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<number> {
  let schema: string | undefined;
  let out: string | undefined;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--schema') schema = argv[++i];
    else if (arg === '--out') out = argv[++i];
    else if (arg === '--check') check = true;
    else if (arg === '--help' || arg === '-h') {
      log(USAGE);
      return 0;
    } else {
      error(`vmodl-gen: unknown argument ${arg}\n${USAGE}`);
      return 2;
    }
  }
  if (schema === undefined || out === undefined) {
    error(USAGE);
    return 2;
  }
  const started = performance.now();
  const files = await generateFromFile(schema, { schemaLabel: schemaLabel(schema) });
  if (check) {
    const problems = await compareFiles(out, files);
    for (const p of problems) error(`vmodl-gen: ${out}/${p}`);
    if (problems.length > 0) {
      error('vmodl-gen: the generated bindings are stale; run `npm run gen -w @vmkit/vim`');
      return 1;
    }
    log(`vmodl-gen: ${out} is up to date`);
    return 0;
  }
  await writeFiles(out, files);
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
  const ms = Math.round(performance.now() - started);
  log(`vmodl-gen: wrote ${files.length} files (${Math.round(bytes / 1024)} KiB) to ${out} in ${ms} ms`);
  return 0;
}
