import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { listWorkspaces, repoRoot } from './workspaces.js';

const run = promisify(execFile);
const published = new Set(listWorkspaces().filter((w) => w.manifest.private !== true).map((w) => w.manifest.name));

/** `changeset status` against the base branch, or against HEAD on a clone without a local `main`. */
async function changesetStatus(): Promise<{ ok: boolean; output: string }> {
  const args = [join(repoRoot, 'node_modules/@changesets/cli/bin.js'), 'status'];
  const hasMain = await run('git', ['rev-parse', '--verify', '--quiet', 'refs/heads/main'], { cwd: repoRoot }).then(
    () => true,
    () => false,
  );
  if (!hasMain) args.push('--since=HEAD');
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: repoRoot, env: { ...process.env, FORCE_COLOR: '0' } });
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('changesets', () => {
  it('`changeset status` passes (config valid, every changed package has a changeset)', async () => {
    const { ok, output } = await changesetStatus();
    expect(ok, output).toBe(true);
  }, 60_000);

  // Each entry, read the way `changeset status` reads it, with a clear message per file.
  const dir = join(repoRoot, '.changeset');
  const entries = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');

  it.each(entries)('%s names published packages with a valid bump and says something', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
    expect(m, 'front matter between --- lines').not.toBeNull();
    const releases = (m?.[1] ?? '').split('\n').filter((l) => l.trim() !== '');
    expect(releases.length).toBeGreaterThan(0);
    for (const line of releases) {
      // YAML front matter: the package name quoted either way, as changesets itself accepts.
      const r = /^(["'])([^"']+)\1: (major|minor|patch)$/.exec(line.trim());
      expect(r, `"${line}" is "<package>": major|minor|patch`).not.toBeNull();
      expect(published.has(r?.[2] ?? ''), `${r?.[2]} is a published workspace`).toBe(true);
    }
    expect((m?.[2] ?? '').trim().length, 'a summary').toBeGreaterThan(20);
  });
});
