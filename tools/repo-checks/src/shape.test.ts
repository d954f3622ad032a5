import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listWorkspaces, repoRoot } from './workspaces.js';

const published = listWorkspaces().filter((w) => w.manifest.private !== true);

describe.each(published.map((w) => [w.manifest.name, w] as const))('%s package shape', (_name, w) => {
  const m = w.manifest;

  it('is ESM, side-effect free, and ships only dist', () => {
    expect(m.type).toBe('module');
    expect(m.sideEffects).toBe(false);
    expect(m.files).toEqual(['dist']);
    expect(m.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('has an exports map with types first and ./package.json', () => {
    const exportsMap = m.exports ?? {};
    expect(Object.keys(exportsMap)).toContain('.');
    expect(exportsMap['./package.json']).toBe('./package.json');
    for (const [subpath, target] of Object.entries(exportsMap)) {
      if (typeof target === 'string') continue;
      expect(Object.keys(target as object)[0], `${subpath}: "types" must come first`).toBe('types');
    }
  });

  it('has a README with Install, Usage and Errors sections', () => {
    const readme = readFileSync(join(repoRoot, w.dir, 'README.md'), 'utf8');
    for (const section of ['Install', 'Usage', 'Errors']) {
      expect(readme, `README.md of ${m.name} lacks "## ${section}"`).toMatch(new RegExp(`^## ${section}\\b`, 'm'));
    }
  });

  it('has src/index.ts as its only entry', () => {
    expect(existsSync(join(repoRoot, w.dir, 'src/index.ts'))).toBe(true);
    const targets = JSON.stringify(m.exports);
    expect(targets).not.toMatch(/src\//);
  });
});

describe.each(published.map((w) => [w.manifest.name, w] as const))('%s built entry', (name, w) => {
  it('exports only error classes that derive from VimError (one hierarchy across packages)', async () => {
    const { VimError } = (await import('@vmkit/vim')) as { VimError: new (...args: never[]) => Error };
    const mod = (await import(name)) as Record<string, unknown>;
    for (const [exported, value] of Object.entries(mod)) {
      if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue;
      expect(value === VimError || Object.prototype.isPrototypeOf.call(VimError.prototype, value.prototype), `${name} ${exported}`).toBe(true);
    }
  });

  it('resolves by name from dist and its exported names match the committed snapshot', async () => {
    const mod = (await import(name)) as Record<string, unknown>;
    const names = Object.keys(mod).sort();
    const file = join(repoRoot, 'tools/repo-checks/api', `${w.dir.replace('/', '__')}.txt`);
    const text = names.map((n) => `${n}\n`).join('');
    if (process.env.VMKIT_UPDATE_API === '1') writeFileSync(file, text);
    expect(existsSync(file), `no snapshot ${file}; run VMKIT_UPDATE_API=1 npm test -w @vmkit/repo-checks`).toBe(true);
    // A removal or an addition is a visible decision: update the snapshot in the same change.
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});
