import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { listWorkspaces, repoRoot } from './workspaces.js';

const run = promisify(execFile);
const published = new Set(listWorkspaces().filter((w) => w.manifest.private !== true).map((w) => w.manifest.name));

/**
 * `changeset status` refuses to run today: the published CLI (`vmkit`) depends on the private
 * `@vmkit/vcsim`, which changesets never versions (the same defect the standalone install check
 * records). The check still runs; when the dependency is gone this test says so, and the entry goes.
 */
const knownStatusDefect: RegExp | undefined = /The package "vmkit" depends on the skipped package "@vmkit\/vcsim"/;

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
    if (knownStatusDefect === undefined) {
      expect(ok, output).toBe(true);
      return;
    }
    expect(ok, '`changeset status` passes now: set knownStatusDefect to undefined').toBe(false);
    // Nothing but the known message: any other error fails. (Stack lines and the header are not messages.)
    const messages = stripVTControlCharacters(output)
      .split('\n')
      .map((l) => l.replace(/^🦋\s+error\s?/u, ''))
      .filter((l) => l.trim() !== '' && !/^\s+at |^\s*_error: Error$|^\s*}$|^ValidationError: Some errors occurred when validating the changesets config:$/.test(l));
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.filter((l) => !knownStatusDefect.test(l))).toEqual([]);
  }, 60_000);

  // While `changeset status` cannot read them, the entries get the checks it would make.
  const dir = join(repoRoot, '.changeset');
  const entries = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');

  it.each(entries)('%s names published packages with a valid bump and says something', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
    expect(m, 'front matter between --- lines').not.toBeNull();
    const releases = (m?.[1] ?? '').split('\n').filter((l) => l.trim() !== '');
    expect(releases.length).toBeGreaterThan(0);
    for (const line of releases) {
      const r = /^"([^"]+)": (major|minor|patch)$/.exec(line.trim());
      expect(r, `"${line}" is "<package>": major|minor|patch`).not.toBeNull();
      expect(published.has(r?.[1] ?? ''), `${r?.[1]} is a published workspace`).toBe(true);
    }
    expect((m?.[2] ?? '').trim().length, 'a summary').toBeGreaterThan(20);
  });
});
