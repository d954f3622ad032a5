// The dump script, run with Debian's interpreter where Debian's python3-pyvmomi is installed, reproduces
// the committed schema JSON byte for byte. Skipped, with the reason in its name, where pyVmomi is absent.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { dumpScript, schemaPath } from './paths.js';

const PYTHON = '/usr/bin/python3';
const PYVMOMI = '/usr/lib/python3/dist-packages/pyVmomi';
const present = existsSync(PYTHON) && existsSync(PYVMOMI);
const title = present
  ? 'dump_pyvmomi.py with Debian python3-pyvmomi'
  : `dump_pyvmomi.py: skipped, ${existsSync(PYTHON) ? PYVMOMI : PYTHON} is absent (install Debian's python3-pyvmomi)`;

describe.skipIf(!present)(title, () => {
  it('reproduces packages/vim/schema/vmodl.json byte for byte', async () => {
    const { stdout } = await promisify(execFile)(PYTHON, [dumpScript, '-'], { maxBuffer: 64 * 1024 * 1024 });
    const committed = readFileSync(schemaPath, 'utf8');
    expect(stdout.length, 'length').toBe(committed.length);
    expect(stdout === committed, 'content').toBe(true);
  }, 60_000);
});
