import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type LegacyPath, legacyPaths } from '@vmkit/legacy';
import type { VMwareAPISession } from '@vmkit/legacy/cinder/volume/drivers/vmware/api';
import {
  FileAlreadyExistsException,
  FileNotFoundException,
  ImageTransferException,
  NotAuthenticatedException,
  VimException,
  VimFaultException,
} from '@vmkit/legacy/cinder/volume/drivers/vmware/exceptions';
import { DatastorePath as LegacyDatastorePath } from '@vmkit/legacy/nova/virt/vmwareapi/ds_util';
import { DatastorePath, type VimSession } from '@vmkit/session';
import { TransferError } from '@vmkit/transfer';
import { type VimError, type VimFaultError, faultError } from '@vmkit/vim';
import { describe, expect, expectTypeOf, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
  dependencies: Record<string, string>;
};
const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');

const targetOf = (target: string): [pkg: string, name: string] => {
  const [pkg, name] = target.split('#');
  if (pkg === undefined || name === undefined) throw new Error(`bad target ${target}`);
  return [pkg, name];
};

describe('the table of legacy paths', () => {
  it.each(legacyPaths.map((p) => [p.path, p] as const))('%s: a stable code, known packages, each old name in one place', (_path, p: LegacyPath) => {
    expect(p.code).toBe(`VMKIT_LEGACY_${p.path.toUpperCase().replace(/[/]/g, '_')}`);
    expect(p.use.length).toBeGreaterThan(0);
    for (const pkg of p.use) expect(pkg).toMatch(/^@vmkit\/(vim|session|transfer|connector|vmdk-driver)$/);
    for (const target of Object.values(p.names)) {
      const [pkg] = targetOf(target);
      expect(p.use, `${target} must be one of the path's packages`).toContain(pkg);
      expect(manifest.dependencies[pkg], `${pkg} must be a declared dependency`).toBeDefined();
    }
    const all = [...Object.keys(p.names), ...Object.keys(p.pending), ...Object.keys(p.removed)];
    expect(new Set(all).size, 'an old name is mapped, pending or removed, never two of these').toBe(all.length);
  });

  it('codes and paths are unique', () => {
    expect(new Set(legacyPaths.map((p) => p.code)).size).toBe(legacyPaths.length);
    expect(new Set(legacyPaths.map((p) => p.path)).size).toBe(legacyPaths.length);
  });

  it('package.json exports exactly the root, every path (types first) and package.json', () => {
    const expected = ['.', ...legacyPaths.map((p) => `./${p.path}`), './package.json'];
    expect(Object.keys(manifest.exports).sort()).toEqual(expected.sort());
    for (const p of legacyPaths) {
      expect(manifest.exports[`./${p.path}`]).toEqual({ types: `./dist/${p.path}.d.ts`, default: `./dist/${p.path}.js` });
      expect(existsSync(join(pkgDir, 'dist', `${p.path}.js`)), `dist/${p.path}.js is built`).toBe(true);
    }
  });

  it('the README maps every path (import, code, packages) and names every old name', () => {
    for (const p of legacyPaths) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`@vmkit/legacy/${p.path}\``));
      expect(row, `README row for ${p.path}`).toBeDefined();
      expect(row).toContain(p.code);
      for (const pkg of p.use) expect(row).toContain(pkg);
      for (const name of [...Object.keys(p.names), ...Object.keys(p.pending), ...Object.keys(p.removed)]) {
        expect(readme, `README mentions ${name} of ${p.path}`).toContain(`\`${name}\``);
      }
    }
  });
});

describe.each(legacyPaths.map((p) => [p.path, p] as const))('@vmkit/legacy/%s', (path, p: LegacyPath) => {
  it('resolves, and exports exactly the mapped old names', async () => {
    const mod = (await import(`@vmkit/legacy/${path}`)) as Record<string, unknown>;
    expect(Object.keys(mod).sort()).toEqual(Object.keys(p.names).sort());
  });

  it('each old name is the identical object of the new package', async () => {
    const mod = (await import(`@vmkit/legacy/${path}`)) as Record<string, unknown>;
    for (const [old, target] of Object.entries(p.names)) {
      const [pkg, name] = targetOf(target);
      const fresh = (await import(pkg)) as Record<string, unknown>;
      expect(fresh[name], `${pkg} exports ${name}`).toBeDefined();
      expect(mod[old], `${old} is ${target}`).toBe(fresh[name]);
    }
  });
});

describe('legacy exception names', () => {
  it('catch the errors that vmkit throws, by the old and the new class alike', () => {
    const chain = ['FileNotFound', 'FileFault', 'VimFault', 'MethodFault'];
    const err = faultError('File [ds] a.vmdk was not found', { _type: 'FileNotFound', file: '[ds] a.vmdk' }, chain);
    expect(err).toBeInstanceOf(FileNotFoundException);
    expect(err).toBeInstanceOf(VimFaultException);
    expect(err).toBeInstanceOf(VimException);
    expect(err).not.toBeInstanceOf(FileAlreadyExistsException);
    expect(err).not.toBeInstanceOf(NotAuthenticatedException);
    expect(err.code).toBe(new FileNotFoundException('m', { _type: 'FileNotFound' }, chain).code);
  });

  it('ImageTransferException is TransferError', () => {
    const err = new TransferError('upload failed', { status: 500 });
    expect(err).toBeInstanceOf(ImageTransferException);
    expect(err).toBeInstanceOf(VimException);
  });

  it('the datastore classes of Nova keep their names', () => {
    expect(LegacyDatastorePath.parse('[ds1] vol/a.vmdk')).toBeInstanceOf(DatastorePath);
  });

  it('old type names are the new types', () => {
    expectTypeOf<VimException>().toEqualTypeOf<VimError>();
    expectTypeOf<VimFaultException>().toEqualTypeOf<VimFaultError>();
    expectTypeOf<VMwareAPISession>().toEqualTypeOf<VimSession>();
  });
});

describe('the deprecation warning', () => {
  // A child process: warnings are per process, and this one must start with none emitted.
  const probe = `
const paths = ${JSON.stringify(legacyPaths.map((p) => p.path))};
const seen = [];
process.on('warning', (w) => seen.push({ name: w.name, code: w.code, message: w.message }));
await import('@vmkit/legacy');
const afterRoot = seen.length;
for (const p of paths) await import('@vmkit/legacy/' + p);
for (const p of paths) await import('@vmkit/legacy/' + p);
// A second instance of each module (a fresh module registry, or a second copy of the package).
for (const p of paths) await import(import.meta.resolve('@vmkit/legacy/' + p) + '?second-copy');
await new Promise((r) => setImmediate(r));
process.stdout.write(JSON.stringify({ afterRoot, seen }));
`;
  const run = async (flags: string[]) => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...flags, '--input-type=module', '-e', probe], { cwd: pkgDir });
    return { ...(JSON.parse(stdout) as { afterRoot: number; seen: { name: string; code: string; message: string }[] }), stderr };
  };

  it('fires once per path per process, with the path code, naming the new import', async () => {
    const { afterRoot, seen, stderr } = await run([]);
    expect(afterRoot, 'the root entry warns about nothing').toBe(0);
    expect(seen.map((w) => w.code).sort()).toEqual(legacyPaths.map((p) => p.code).sort());
    for (const p of legacyPaths) {
      const w = seen.find((x) => x.code === p.code);
      expect(w?.name).toBe('DeprecationWarning');
      expect(w?.message).toContain(`@vmkit/legacy/${p.path}`);
      for (const pkg of p.use) expect(w?.message).toContain(`'${pkg}'`);
    }
    expect(stderr.match(/DeprecationWarning/g)?.length).toBe(legacyPaths.length);
  }, 30_000);

  it('is silenced by --no-deprecation', async () => {
    const { seen, stderr } = await run(['--no-deprecation']);
    expect(seen).toEqual([]);
    expect(stderr).not.toMatch(/DeprecationWarning/);
  }, 30_000);
});
