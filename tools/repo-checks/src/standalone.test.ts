import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';
import { publint } from 'publint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAlone, mapLimit, pack, type RunResult, runNode, runScript } from './standalone.js';
import { listWorkspaces, repoRoot } from './workspaces.js';

// Every published package, packed as npm would publish it and installed alone into an empty project
// with only what it declares: publint, attw, then an import of its entry and a smoke call.

const workspaces = listWorkspaces();
const privateNames = new Set(workspaces.filter((w) => w.manifest.private === true).map((w) => w.manifest.name));
const published = workspaces.filter((w) => w.manifest.private !== true);

/**
 * Defects known today, each with the text its failure must show. The check still runs: if it starts
 * passing, the test says so, and the entry goes.
 */
const knownDefects: Record<string, { reason: string; shows: RegExp }> = {};

/** A call per package that needs the package's code to work, beyond loading its entry. */
const smoke: Record<string, string> = {
  '@vmkit/vim': `
    const body = '<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
      + '<CurrentTimeResponse xmlns="urn:vim25"><returnval>2024-01-02T03:04:05Z</returnval></CurrentTimeResponse></soapenv:Body></soapenv:Envelope>';
    const t = mod.decodeResponse(mod.defaultSchema, 'CurrentTime', body);
    if (!(t instanceof Date) || t.toISOString() !== '2024-01-02T03:04:05.000Z') throw new Error('decodeResponse: ' + t);
    const err = mod.faultError('gone', { _type: 'FileNotFound' }, ['FileNotFound', 'FileFault', 'VimFault', 'MethodFault']);
    if (!(err instanceof mod.FileNotFoundError) || !(err instanceof mod.VimError)) throw new Error('faultError: ' + err.name);`,
  '@vmkit/session': `
    const p = mod.DatastorePath.parse('[ds1] vols/a.vmdk');
    if (p.datastore !== 'ds1' || String(p) !== '[ds1] vols/a.vmdk') throw new Error('DatastorePath: ' + String(p));`,
  '@vmkit/transfer': `
    const g = mod.vmdkGeometry(2 * 1024 * 1024 * 1024);
    if (g.heads !== 255 || g.sectors !== 63) throw new Error('vmdkGeometry: ' + JSON.stringify(g));
    if (new mod.TransferError('x').code !== 'VMKIT_TRANSFER_FAILED') throw new Error('TransferError');`,
  '@vmkit/connector': `
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const root = mkdtempSync(process.cwd() + '/fake-root-');
    mkdirSync(root + '/etc/iscsi', { recursive: true });
    writeFileSync(root + '/etc/iscsi/initiatorname.iscsi', 'InitiatorName=iqn.1993-08.org.debian:01:smoke\\n');
    const props = await mod.getConnectorProperties({ root, host: 'smoke-host', myIp: '192.0.2.7' });
    if (props.initiator !== 'iqn.1993-08.org.debian:01:smoke' || props.host !== 'smoke-host' || props.ip !== '192.0.2.7') {
      throw new Error('getConnectorProperties: ' + JSON.stringify(props));
    }`,
  '@vmkit/vmdk-driver': `
    const specs = mod.parseVolumeTypeSpecs({ 'vmware:vmdk_type': 'eagerZeroedThick', 'vmware:clone_type': 'linked' });
    if (specs.diskType !== 'eagerZeroedThick' || specs.cloneType !== 'linked' || specs.adapterType !== 'lsiLogic') {
      throw new Error('parseVolumeTypeSpecs: ' + JSON.stringify(specs));
    }
    let refused;
    try { mod.parseVolumeTypeSpecs({ 'vmware:vmdk_type': 'sparse' }); } catch (err) { refused = err; }
    if (!(refused instanceof mod.InvalidVolumeSpecError)) throw new Error('an invalid disk type was accepted');`,
  '@vmkit/legacy': `
    for (const p of mod.legacyPaths) await import('@vmkit/legacy/' + p.path);
    const api = await import('@vmkit/legacy/cinder/volume/drivers/vmware/api');
    // The very class of the @vmkit/session that legacy itself depends on (installed under it, nested).
    const { createRequire } = await import('node:module');
    const { pathToFileURL } = await import('node:url');
    const fromLegacy = createRequire(createRequire(import.meta.url).resolve('@vmkit/legacy/package.json'));
    const session = await import(pathToFileURL(fromLegacy.resolve('@vmkit/session')).href);
    if (api.VMwareAPISession !== session.VimSession) throw new Error('VMwareAPISession is not VimSession');`,
  vmkit: `
    if (typeof mod.exitCodeOf !== 'function') throw new Error('exitCodeOf');
    // The embedded simulator's harness travels in the tarball (dist/vcsim), loadable without the repository.
    const { createRequire } = await import('node:module');
    const { dirname, join } = await import('node:path');
    const { pathToFileURL } = await import('node:url');
    const root = dirname(createRequire(import.meta.url).resolve('vmkit/package.json'));
    const harness = await import(pathToFileURL(join(root, 'dist/vcsim/dist/index.js')).href);
    if (typeof harness.startSimulator !== 'function') throw new Error('the embedded simulator harness is missing');`,
};

/**
 * The script run in the consumer project: the entry's names against those of the workspace's own build
 * (a file left out of the tarball or a wrong exports map shows here; the snapshot is shape.test's
 * business), then the smoke call.
 */
function probeScript(name: string, names: readonly string[]): string {
  return `
    const mod = await import(${JSON.stringify(name)});
    const names = Object.keys(mod).sort();
    const expected = ${JSON.stringify(names)};
    if (JSON.stringify(names) !== JSON.stringify(expected)) {
      throw new Error('the installed entry exports other names than the workspace build: ' + JSON.stringify({ names, expected }));
    }
    ${smoke[name] ?? ''}
    process.stdout.write('smoke ok');`;
}

let work = '';
let tarballs = new Map<string, string>();
const installs = new Map<string, RunResult>();
const probes = new Map<string, RunResult>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vmkit-standalone-'));
  const dest = join(work, 'tarballs');
  await mkdir(dest);
  tarballs = await pack(
    published.map((w) => w.dir),
    dest,
    repoRoot,
  );
  // Two at a time: the machine has two cores, and npm is mostly waiting on the file system.
  await mapLimit(published, 2, async (w) => {
    const name = w.manifest.name;
    const project = join(work, 'projects', name.replace('/', '__'));
    const install = await installAlone(name, tarballs, project);
    installs.set(name, install);
    if (!install.ok) return;
    const built = Object.keys((await import(name)) as Record<string, unknown>).sort();
    probes.set(name, await runScript(project, probeScript(name, built)));
  });
}, 180_000);

afterAll(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

const bytesOf = async (file: string): Promise<Uint8Array> => new Uint8Array(await readFile(file));

describe.each(published.map((w) => [w.manifest.name, w] as const))('%s, packed', (name, w) => {
  const defect = knownDefects[name];

  it('passes publint (warnings count as errors)', async () => {
    const bytes = await bytesOf(tarballs.get(name) ?? '');
    const { messages } = await publint({ pack: { tarball: bytes.slice().buffer }, level: 'warning', strict: true });
    expect(messages).toEqual([]);
  });

  it('passes @arethetypeswrong (ESM-only: node16 from ESM and bundler resolution)', async () => {
    const result = await checkPackage(createPackageFromTarballData(await bytesOf(tarballs.get(name) ?? '')));
    expect(result.types, 'ships its own types').toEqual({ kind: 'included' });
    // An ESM-only package cannot be require()d by node10 or node16-cjs resolution: attw's esm-only profile.
    const problems = 'problems' in result ? result.problems.filter((p) => !('resolutionKind' in p) || !['node10', 'node16-cjs'].includes(p.resolutionKind)) : [];
    expect(problems).toEqual([]);
  });

  if (defect !== undefined) {
    it(`is a known defect: ${defect.reason}`, () => {
      const install = installs.get(name);
      const probe = probes.get(name);
      expect(install?.ok === true && probe?.ok === true, `${name} now installs and runs alone: remove it from knownDefects`).toBe(false);
      expect(`${install?.output ?? ''}${probe?.output ?? ''}`).toMatch(defect.shows);
    });
    return;
  }

  it('depends on no private workspace', () => {
    const deps = Object.keys({ ...w.manifest.dependencies, ...w.manifest.peerDependencies, ...w.manifest.optionalDependencies });
    expect(deps.filter((d) => privateNames.has(d))).toEqual([]);
  });

  it('installs alone from its tarball with only its declared dependencies', () => {
    const install = installs.get(name);
    expect(install?.ok, install?.output).toBe(true);
  });

  it('imports by name with the names of its workspace build and passes its smoke call', () => {
    const probe = probes.get(name);
    expect(probe?.ok, probe?.output).toBe(true);
    expect(probe?.output).toContain('smoke ok');
  });
});

/** A strict TypeScript consumer in `project` that imports every specifier (skipLibCheck off: every .d.ts is checked). */
async function writeConsumer(project: string, specs: readonly string[], nodeTypes = true): Promise<void> {
  const consumer = specs.map((spec, i) => `import * as m${i} from '${spec}';\n`).join('') + `export const all = [${specs.map((_, i) => `m${i}`).join(', ')}];\n`;
  await writeFile(join(project, 'consumer.ts'), consumer);
  const tsconfig = {
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2023',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      // A consumer brings its own Node types; only those come from this repository.
      types: nodeTypes ? ['node'] : [],
      typeRoots: [join(repoRoot, 'node_modules/@types')],
    },
    files: ['consumer.ts'],
  };
  await writeFile(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
}

describe('a TypeScript consumer', () => {
  // The legacy package's project holds every library (nested under it) and its subpaths import each
  // one's entry: one strict compile with skipLibCheck off reads every shipped .d.ts, so a declaration
  // that needs an undeclared package's types (or a file left out of the tarball) fails here.
  it('compiles against the installed types of every library (strict, skipLibCheck off)', async () => {
    expect(probes.get('@vmkit/legacy')?.ok, 'the legacy project installed and loaded').toBe(true);
    const project = join(work, 'projects', '@vmkit__legacy');
    const { legacyPaths } = (await import('@vmkit/legacy')) as { legacyPaths: readonly { path: string }[] };
    const specs = ['@vmkit/legacy', ...legacyPaths.map((p) => `@vmkit/legacy/${p.path}`)];
    await writeConsumer(project, specs);
    const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
    const result = await runNode(project, [tsc, '-p', 'tsconfig.json']);
    expect(result.ok, result.output).toBe(true);
  }, 120_000);
});

describe('the standalone check catches', () => {
  // Two small packages built to fail: each must fail the same install-and-import that the real ones pass.
  const makePackage = async (dir: string, manifest: object, files: Record<string, string>): Promise<void> => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.json'), JSON.stringify({ version: '1.0.0', type: 'module', license: 'MIT', ...manifest }));
    for (const [file, text] of Object.entries(files)) {
      await mkdir(join(dir, file, '..'), { recursive: true });
      await writeFile(join(dir, file), text);
    }
  };

  it('an import of a package that is only a transitive dependency (no hoisting saves it)', async () => {
    const dir = join(work, 'bad', 'undeclared');
    // Declares @vmkit/session but imports @vmkit/vim, which session brings along.
    await makePackage(
      dir,
      { name: 'probe-undeclared', exports: { '.': { types: './index.d.ts', default: './index.js' } }, dependencies: { '@vmkit/session': '0.1.0' } },
      {
        'index.js': "export { VimError } from '@vmkit/vim';\n",
        'index.d.ts': "export { VimError } from '@vmkit/vim';\n",
      },
    );
    const own = await pack([dir], join(work, 'tarballs'), work, false);
    const all = new Map([...tarballs, ...own]);
    const project = join(work, 'projects', 'probe-undeclared');
    expect((await installAlone('probe-undeclared', all, project)).ok).toBe(true);
    const probe = await runScript(project, "await import('probe-undeclared');");
    expect(probe.ok).toBe(false);
    expect(probe.output).toMatch(/Cannot find package '@vmkit\/vim'/);
    // And its types: the compile the libraries pass fails on the undeclared package.
    await writeConsumer(project, ['probe-undeclared'], false);
    const compiled = await runNode(project, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
    expect(compiled.ok).toBe(false);
    expect(compiled.output).toMatch(/Cannot find module '@vmkit\/vim'/);
  }, 60_000);

  it('an exports map pointing at a file that is not published', async () => {
    const dir = join(work, 'bad', 'exports');
    await makePackage(dir, { name: 'probe-exports', exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } }, files: ['src'] }, {
      'src/index.js': 'export const x = 1;\n',
      'dist/index.js': 'export const x = 1;\n',
      'dist/index.d.ts': 'export declare const x: number;\n',
    });
    const own = await pack([dir], join(work, 'tarballs'), work, false);
    const tarball = own.get('probe-exports') ?? '';
    const { messages } = await publint({ pack: { tarball: (await bytesOf(tarball)).slice().buffer }, level: 'warning', strict: true });
    expect(messages.map((m) => m.code)).toContain('FILE_DOES_NOT_EXIST');
    const project = join(work, 'projects', 'probe-exports');
    expect((await installAlone('probe-exports', new Map([...tarballs, ...own]), project)).ok).toBe(true);
    const probe = await runScript(project, "await import('probe-exports');");
    expect(probe.ok).toBe(false);
    expect(probe.output).toMatch(/Cannot find module/);
  }, 60_000);
});
