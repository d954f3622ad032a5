import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ExitCode } from './exit-codes.js';
import { main } from './main.js';
import type { Io } from './output.js';
import { renderKeyValues } from './present.js';

/** Runs main in-process with captured output (only for paths that never connect). */
async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _e, done) {
        append(chunk.toString());
        done();
      },
    });
  const io: Io = { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env };
  const code = await main(argv, io, new AbortController().signal);
  return { code, stdout, stderr };
}

describe('main: finding the command', () => {
  it('lists every command group in the help', async () => {
    const r = await run([]);
    expect(r.code).toBe(ExitCode.ok);
    for (const c of ['demo', 'volume create', 'volume attach', 'volume detach', 'snapshot revert', 'image import', 'image export', 'backup', 'restore', 'stats', 'sim']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
  });

  it('shows one group on `vmkit <group>`', async () => {
    const r = await run(['snapshot']);
    expect(r.code).toBe(ExitCode.ok);
    expect(r.stdout).toMatch(/usage: vmkit snapshot <command>/);
    expect(r.stdout).not.toMatch(/volume create/);
  });

  it("a command's --help prints its usage", async () => {
    const r = await run(['volume', 'create', '--help']);
    expect(r.code).toBe(ExitCode.ok);
    expect(r.stdout).toMatch(/^usage: vmkit volume create <name> --size-gb N/);
  });

  it('skips the values of global options when it looks for the command words', async () => {
    // `--url URL` comes first: URL is not a command word; the command then wants --user.
    const r = await run(['--url', 'https://vc.example/sdk', 'volume', 'list']);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stderr).toBe('vmkit: --url needs --user [VMKIT_CLI_USAGE]\nusage: vmkit volume list [--json]\n');
  });

  it('asks for a password from a file or the environment, never a flag', async () => {
    const r = await run(['--url', 'https://vc.example/sdk', '--user', 'u', 'volume', 'list']);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stderr).toMatch(/no password: give --password-file FILE or set VMKIT_PASSWORD/);
    const f = await run(['volume', 'list', '--password=secret']);
    expect(f.code).toBe(ExitCode.usage);
    expect(f.stderr).not.toContain('secret');
  });

  it('checks arguments before it connects', async () => {
    const r = await run(['volume', 'from-snapshot', 'a', 'b']);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stderr).toMatch(/expected <id\|name> <snapshot> <new-name>, got 2 argument/);
    const t = await run(['image', 'import', 'x.vmdk', '--disk-type', 'thin']);
    expect(t.code).toBe(ExitCode.usage);
    expect(t.stderr).toMatch(/--disk-type takes only preallocated/);
  });
});

describe('renderKeyValues', () => {
  it('pads keys and prints empty values as -', () => {
    expect(renderKeyValues([['id', 'v1'], ['snapshots', ''], ['size', 3], ['x', { a: 1 }]])).toBe('id         v1\nsnapshots  -\nsize       3\nx          {"a":1}\n');
  });
});
