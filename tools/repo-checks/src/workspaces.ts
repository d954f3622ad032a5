import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two levels above this package). */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** A workspace's manifest fields that the checks read. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  type?: string;
  sideEffects?: boolean;
  files?: string[];
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** One npm workspace: its folder relative to the root and its manifest. */
export interface Workspace {
  dir: string;
  manifest: Manifest;
}

/** Every workspace under the globs of the root manifest (`packages/*`, `apps/*`, `tools/*`). */
export function listWorkspaces(root = repoRoot): Workspace[] {
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const out: Workspace[] = [];
  for (const glob of rootManifest.workspaces) {
    if (!glob.endsWith('/*')) throw new Error(`unsupported workspace glob ${glob}`);
    const parent = glob.slice(0, -2);
    for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
      const file = join(root, parent, entry.name, 'package.json');
      if (entry.isDirectory() && existsSync(file)) {
        out.push({ dir: `${parent}/${entry.name}`, manifest: JSON.parse(readFileSync(file, 'utf8')) as Manifest });
      }
    }
  }
  return out.sort((a, b) => a.dir.localeCompare(b.dir));
}

const dependencyFields = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

/** A dependency on another workspace that is not an exact pin of that workspace's current version. */
export interface PinProblem {
  workspace: string;
  field: (typeof dependencyFields)[number];
  dependency: string;
  range: string;
  expected: string;
}

/**
 * Internal dependencies must be exact versions equal to the dependency's own version: a driver moves to
 * a new library version only by a bump that a changeset records.
 */
export function findPinProblems(workspaces: Workspace[]): PinProblem[] {
  const versions = new Map(workspaces.map((w) => [w.manifest.name, w.manifest.version]));
  const problems: PinProblem[] = [];
  for (const w of workspaces) {
    for (const field of dependencyFields) {
      for (const [dependency, range] of Object.entries(w.manifest[field] ?? {})) {
        const expected = versions.get(dependency);
        if (expected !== undefined && range !== expected) {
          problems.push({ workspace: w.manifest.name, field, dependency, range, expected });
        }
      }
    }
  }
  return problems;
}
