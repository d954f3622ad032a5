import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VimSession, iterateObjects } from '@vmkit/session';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minimalOvf } from '../test/ovf.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function vmkit(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, done, out: () => stdout, err: () => stderr };
}

/** Runs vmkit to the end; returns its exit code, stdout and stderr. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = vmkit(args, env);
  const code = await r.done;
  return { code, out: r.out(), err: r.err() };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.concurrent('vmkit (child process, no simulator needed)', () => {
  it('prints help and exits 0; an unknown command exits 2 (usage)', async () => {
    const h = await run(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/usage: vmkit <command>/);
    expect(h.out).toMatch(/volume create/);
    expect(h.out).toMatch(/fresh inventory/);
    const g = await run(['volume', '--help']);
    expect(g.code).toBe(0);
    expect(g.out).toMatch(/volume from-snapshot/);
    expect(g.out).not.toMatch(/snapshot revert/);
    const u = await run(['frobnicate']);
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/unknown command "frobnicate"/);
    const v = await run(['volume', 'frobnicate']);
    expect(v.code).toBe(2);
    expect(v.err).toMatch(/unknown command "volume frobnicate"/);
  });

  it('refuses a password given as a flag value, without echoing it', async () => {
    const r = await run(['volume', 'list', '--password', 'hunter2']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--password-file/);
    expect(r.err + r.out).not.toContain('hunter2');
  });

  it.each([
    [['sim', '--vms', 'many'], /--vms must be a positive whole number/],
    [['volume', 'create', 'v1'], /--size-gb is required/],
    [['volume', 'create', 'v1', '--size-gb', '0'], /--size-gb must be a positive whole number/],
    [['volume', 'create', 'v1', '--size-gb', '1', '--type', 'sparse'], /--type must be one of thin, thick, eagerZeroedThick/],
    [['volume', 'create', '--size-gb', '1'], /expected <name>/],
    [['volume', 'show'], /expected <id\|name>/],
    [['volume', 'clone', 'a', 'b', '--clone-type', 'deep'], /--clone-type must be one of full, linked/],
    [['volume', 'retype', 'a'], /at least one of --type, --profile, --adapter/],
    [['volume', 'list', '--frob'], /Unknown option '--frob'/],
    [['demo', '--url', 'https://127.0.0.1:9/sdk'], /--url needs --user/],
  ])('%j is a usage error (exit 2), before connecting', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/\[VMKIT_CLI_USAGE\]/);
    expect(r.err).not.toMatch(/starting the embedded/);
  });
});

describe('vmkit on the embedded simulator', () => {
  it('demo runs the volume lifecycle and reports each step with its round trips', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vmkit-cli-demo-'));
    const r = await run(['demo', '--json'], { TMPDIR: tmp });
    expect(r.err).not.toMatch(/vmkit:/);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { steps: { step: string; roundTrips: number; ms: number; detail: string }[]; roundTrips: number };
    expect(summary.steps.map((s) => s.step)).toEqual([
      'create a 1 GiB thin volume',
      'create a 1 GiB thick volume',
      'create a 1 GiB eagerZeroedThick volume',
      'import a stream-optimized image (64 MiB disk) into a 1 GiB volume',
      'snapshot the thin volume',
      'clone it (full)',
      'clone its snapshot (linked)',
      'extend the full clone to 2 GiB',
      'revert the thin volume to its snapshot',
      'retype the thick volume to thin, paraVirtual',
      'attach the imported volume (connector: export to a local file)',
      'write 1 MiB into it and detach (connector: import and swap)',
      'back up the volume to a local file',
      'restore the backup into a new volume',
      'export the restored volume as an image and check its digest',
      'connection info for this host',
      'volume stats',
      'delete the snapshot',
      'delete the 7 volumes',
    ]);
    expect(summary.steps.every((s) => s.roundTrips >= 1)).toBe(true);
    expect(summary.roundTrips).toBe(summary.steps.reduce((n, s) => n + s.roundTrips, 0));
    const detail = Object.fromEntries(summary.steps.map((s) => [s.step, s.detail]));
    expect(detail['create a 1 GiB eagerZeroedThick volume']).toMatch(/1 GiB eagerZeroedThick/);
    expect(detail['import a stream-optimized image (64 MiB disk) into a 1 GiB volume']).toMatch(/-imported: 1 GiB thin/);
    expect(detail['clone its snapshot (linked)']).toMatch(/\(linked\)/);
    expect(detail['extend the full clone to 2 GiB']).toMatch(/2 GiB thin/);
    expect(detail['retype the thick volume to thin, paraVirtual']).toMatch(/1 GiB thin .*paraVirtual/);
    expect(detail['write 1 MiB into it and detach (connector: import and swap)']).toMatch(/^written back to \[/);
    expect(detail['back up the volume to a local file']).toMatch(/matches the file/);
    expect(detail['export the restored volume as an image and check its digest']).toMatch(/matches; the MiB written through the attach is there/);
    expect(detail['delete the 7 volumes']).toBe('7 backings deleted');
    expect(readdirSync(tmp)).toEqual([]);
    rmSync(tmp, { recursive: true, force: true });
  }, 120_000);

  it('a missing volume exits 3 with its code; --json output of create and list', async () => {
    const missing = await run(['volume', 'show', '0e6ab7a4-0f3c-4c4b-9a55-5b2f2f0b6f11', '--json']);
    expect(missing.code).toBe(3);
    expect(missing.err).toMatch(/^vmkit: no volume "0e6ab7a4-0f3c-4c4b-9a55-5b2f2f0b6f11" \[VMKIT_CLI_VOLUME_NOT_FOUND\]$/m);
    expect(missing.out).toBe('');
    expect((await run(['snapshot', 'list', 'nosuch'])).code).toBe(3);

    const created = await run(['volume', 'create', 'v1', '--size-gb', '2', '--type', 'thick', '--adapter', 'paraVirtual', '--json']);
    expect(created.code).toBe(0);
    const v = JSON.parse(created.out) as Record<string, unknown>;
    expect(v).toMatchObject({ name: 'v1', sizeGb: 2, capacityBytes: 2 * 1024 ** 3, type: 'thick', adapter: 'paraVirtual', linked: false, snapshots: [] });
    expect(v.id).toMatch(UUID);
    expect(typeof v.datastore).toBe('string');
    expect(v.path).toMatch(/^\[.+\] .+\.vmdk$/);

    // Each invocation on the embedded simulator starts from a fresh inventory.
    const list = await run(['volume', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toEqual([]);
  }, 120_000);

  it('sim serves until interrupted, then stops the simulator', async () => {
    const r = vmkit(['sim', '--json']);
    for (let i = 0; i < 1200 && !r.out().includes('}'); i++) await new Promise((res) => setTimeout(res, 100));
    const info = JSON.parse(r.out()) as { url: string; pid: number };
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sdk$/);
    expect(alive(info.pid)).toBe(true);
    r.child.kill('SIGINT');
    expect(await r.done).toBe(0);
    expect(alive(info.pid)).toBe(false);
  }, 120_000);
});

describe('vmkit against one simulator given by --url (state kept between invocations)', () => {
  let sim: Simulator;
  let session: VimSession;
  const work = mkdtempSync(join(tmpdir(), 'vmkit-cli-test-'));
  const childTmp = join(work, 'tmp');
  const attachDir = join(work, 'attached');
  const file = (name: string) => join(work, name);
  const data = randomBytes(3 * 1024 * 1024);
  const env = () => ({ VMKIT_PASSWORD: sim.password, TMPDIR: childTmp, VMKIT_ATTACH_DIR: attachDir });
  const cli = (...args: string[]) => run(['--url', sim.url, '--user', sim.username, ...args], env());
  const json = async (...args: string[]) => {
    const r = await cli(...args, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.out) as Record<string, unknown> & Record<string, unknown>[];
  };
  /** The volume ids carried by the inventory's VMs, read straight from the property collector. */
  const volumeIds = async () => {
    const ids: string[] = [];
    for await (const o of iterateObjects(session, 'VirtualMachine', ['config.extraConfig'])) {
      const id = (o.props['config.extraConfig'] as { key: string; value: string }[] | undefined)?.find((e) => e.key === 'cinder.volume.id')?.value;
      if (id !== undefined && id !== '') ids.push(id);
    }
    return ids.sort();
  };

  beforeAll(async () => {
    execFileSync('mkdir', ['-p', childTmp]);
    writeFileSync(file('raw.bin'), data);
    // Real VMDKs from qemu-img: stream-optimized and monolithic sparse, 3 MiB of data on a 3 MiB disk.
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', file('raw.bin'), file('so.vmdk')]);
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vmdk', file('raw.bin'), file('sparse.vmdk')]);
    execFileSync('mkdir', ['-p', file('ova')]);
    writeFileSync(file('ova/disk.ovf'), minimalOvf('disk1.vmdk', data.length));
    execFileSync('cp', [file('so.vmdk'), file('ova/disk1.vmdk')]);
    execFileSync('tar', ['-cf', file('app.ova'), '--format=ustar', '-C', file('ova'), 'disk.ovf', 'disk1.vmdk']);
    sim = await startSimulator({ control: true });
    session = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
  }, 120_000);
  afterAll(async () => {
    await session?.close();
    await sim?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  /** The raw disk inside a VMDK file, by qemu-img: its size and its first `n` bytes. */
  const diskStart = (vmdk: string, n: number) => {
    const raw = `${vmdk}.raw`;
    execFileSync('qemu-img', ['convert', '-q', '-O', 'raw', vmdk, raw]);
    try {
      const fd = openSync(raw, 'r');
      const bytes = Buffer.alloc(n);
      readSync(fd, bytes, 0, n, 0);
      closeSync(fd);
      return { size: statSync(raw).size, bytes };
    } finally {
      rmSync(raw);
    }
  };

  it('volumes and snapshots across invocations, read back from the inventory', async () => {
    const a = await json('volume', 'create', 'alpha', '--size-gb', '1');
    expect(a).toMatchObject({ name: 'alpha', sizeGb: 1, type: 'thin', adapter: 'lsiLogic' });
    expect(await volumeIds()).toEqual([a.id]);

    const dup = await cli('volume', 'create', 'alpha', '--size-gb', '1');
    expect(dup.code).toBe(4);
    expect(dup.err).toMatch(/a volume named "alpha" exists already .*\[VMKIT_CLI_ALREADY_EXISTS\]/);

    const listed = await json('volume', 'list');
    expect(listed.map((v) => v.id)).toEqual([a.id]);
    expect((await json('volume', 'show', 'alpha')).id).toBe(a.id);
    const table = await cli('volume', 'list');
    expect(table.out).toMatch(/^ID +NAME +SIZE \(GIB\) +TYPE +ADAPTER +DATASTORE +SNAPSHOTS$/m);
    expect(table.out).toMatch(/alpha +1 +thin/);

    const s = await json('snapshot', 'create', 'alpha', 's1', '--description', 'first');
    expect(s).toMatchObject({ volumeId: a.id, name: 's1', description: 'first' });
    expect((await cli('snapshot', 'create', 'alpha', 's1')).code).toBe(4);
    expect((await json('snapshot', 'list', String(a.id))).map((x) => x.name)).toEqual(['s1']);
    expect((await cli('snapshot', 'revert', 'alpha', 'nope')).code).toBe(3);
    expect(await json('snapshot', 'revert', 'alpha', 's1')).toMatchObject({ reverted: true });

    const linked = await json('volume', 'from-snapshot', 'alpha', 's1', 'beta', '--clone-type', 'linked');
    expect(linked).toMatchObject({ name: 'beta', sizeGb: 1, linked: true });
    const full = await json('volume', 'clone', 'alpha', 'gamma', '--size-gb', '3');
    expect(full).toMatchObject({ name: 'gamma', sizeGb: 3, linked: false });

    expect(await json('volume', 'extend', 'gamma', '--size-gb', '4')).toMatchObject({ sizeGb: 4, capacityBytes: 4 * 1024 ** 3 });
    const shrink = await cli('volume', 'extend', 'gamma', '--size-gb', '2');
    expect(shrink.code).toBe(2);
    expect(shrink.err).toMatch(/never shrink/);

    expect(await json('volume', 'retype', 'gamma', '--type', 'eagerZeroedThick')).toMatchObject({ id: full.id, type: 'eagerZeroedThick', sizeGb: 4 });

    expect(await json('snapshot', 'delete', 'alpha', 's1')).toMatchObject({ deleted: true });
    expect((await json('snapshot', 'list', 'alpha'))).toEqual([]);

    const stats = await json('stats');
    expect(stats).toMatchObject({ vendor_name: 'VMware', storage_protocol: 'vmdk', volumes: 3 });
    expect(typeof stats.total_capacity_gb).toBe('number');

    expect(await volumeIds()).toEqual([a.id, linked.id, full.id].sort());
    for (const name of ['beta', 'alpha', 'gamma']) expect(await json('volume', 'delete', name)).toMatchObject({ deleted: true });
    expect(await volumeIds()).toEqual([]);
    expect((await cli('volume', 'delete', 'alpha')).code).toBe(3);
  }, 180_000);

  it('--connection-info shows what a host attach gets, without the clone ticket or a password', async () => {
    const v = await json('volume', 'create', 'delta', '--size-gb', '1');
    const info = await json('volume', 'show', String(v.id), '--connection-info');
    expect(info).toMatchObject({ driver_volume_type: 'vmdk', data: { volume_id: v.id, name: 'delta', vmdk_size: 1024 ** 3 } });
    const data = info.data as { vmdk_path: string; config: Record<string, unknown> };
    expect(data.vmdk_path).toBe(v.path);
    expect(data.config.vmware_clone_ticket).toBe('<redacted>');
    const table = await cli('volume', 'show', 'delta', '--connection-info');
    expect(table.code).toBe(0);
    for (const out of [JSON.stringify(info), table.out, table.err]) expect(out).not.toContain(sim.password);
    await json('volume', 'delete', 'delta');
  }, 60_000);

  it('an error names the fault; --debug prints the cause chain', async () => {
    await sim.control.queueFault('CreateVM_Task', { fault: 'NoDiskSpace' });
    const r = await cli('volume', 'create', 'eps', '--size-gb', '1', '--debug');
    expect(r.code).not.toBe(0);
    expect(r.err.split('\n')[0]).toMatch(/^vmkit: .*NoDiskSpace.*\[VMKIT_VIM_FAULT_NO_DISK_SPACE\]$/);
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/^ {2}error: NoDiskSpaceError \[VMKIT_VIM_FAULT_NO_DISK_SPACE\]: /m);
    expect(r.err).toMatch(/^ {4}fault: NoDiskSpace < FileFault < VimFault < MethodFault$/m);
    const plain = await cli('volume', 'create', 'eps', '--size-gb', '1', '--profile', 'no-such');
    expect(plain.code).toBe(3);
    expect(plain.err).toBe('vmkit: storage profile "no-such" does not exist [VMKIT_DRIVER_PROFILE_NOT_FOUND]\n');
    expect(await volumeIds()).toEqual([]);
  }, 60_000);

  it('image import (stream-optimized, sparse) and export round-trip the bytes; bad files are usage errors', async () => {
    const so = await json('image', 'import', file('so.vmdk'));
    expect(so).toMatchObject({ name: 'so', sizeGb: 1, type: 'thin' });
    const sp = await json('image', 'import', file('sparse.vmdk'), '--name', 'sp', '--size-gb', '2', '--type', 'thick');
    expect(sp).toMatchObject({ name: 'sp', sizeGb: 2, type: 'thick' });
    const ova = await json('image', 'import', file('app.ova'), '--adapter', 'paraVirtual');
    expect(ova).toMatchObject({ name: 'app', sizeGb: 1, adapter: 'paraVirtual' });
    await json('image', 'export', 'app', file('app-out.vmdk'));
    expect(diskStart(file('app-out.vmdk'), data.length).bytes.equals(data)).toBe(true);
    expect(await json('image', 'import', file('raw.bin'), '--disk-type', 'preallocated', '--name', 'flat')).toMatchObject({ name: 'flat', sizeGb: 1 });
    await json('image', 'export', 'flat', file('flat-out.vmdk'));
    expect(diskStart(file('flat-out.vmdk'), data.length).bytes.equals(data)).toBe(true);
    const out = await json('image', 'export', 'sp', file('sp-out.vmdk'));
    expect(out).toMatchObject({ volumeId: sp.id, file: file('sp-out.vmdk'), format: 'vmdk/streamOptimized', size: statSync(file('sp-out.vmdk')).size });
    const disk = diskStart(file('sp-out.vmdk'), data.length);
    expect(disk.size).toBe(2 * 1024 ** 3);
    expect(disk.bytes.equals(data)).toBe(true);
    const again = await cli('image', 'export', 'sp', file('sp-out.vmdk'));
    expect(again.code).toBe(4);
    expect(again.err).toMatch(/exists already.*\[VMKIT_CLI_ALREADY_EXISTS\]/);

    expect((await cli('image', 'import', file('nope.vmdk'))).code).toBe(2);
    const notVmdk = await cli('image', 'import', file('raw.bin'));
    expect(notVmdk.code).toBe(2);
    expect(notVmdk.err).toMatch(/not a VMDK or an OVA/);
    const badType = await cli('image', 'import', file('so.vmdk'), '--name', 'x', '--disk-type', 'sparse');
    expect(badType.code).toBe(2);
    for (const name of ['so', 'sp', 'app', 'flat']) await json('volume', 'delete', name);
    expect(readdirSync(childTmp)).toEqual([]);
  }, 120_000);

  it('attach gives a local file named by the volume id; detach writes a changed file back', async () => {
    const v = await json('image', 'import', file('so.vmdk'), '--name', 'att');
    const a = await json('volume', 'attach', 'att');
    expect(a).toEqual({ id: v.id, path: join(attachDir, `${String(v.id)}.vmdk`) });
    expect(diskStart(String(a.path), data.length).bytes.equals(data)).toBe(true);
    expect((await json('volume', 'show', 'att')).attachedPath).toBe(a.path);
    const twice = await cli('volume', 'attach', 'att');
    expect(twice.code).toBe(4);
    // Attached here means in use: a COW snapshot is refused (it would block the write-back), and so
    // are delete and extend (the local file would no longer match the volume).
    expect((await cli('snapshot', 'create', 'att', 's')).code).toBe(4);
    const del = await cli('volume', 'delete', 'att');
    expect(del.code).toBe(4);
    expect(del.err).toMatch(/detach it before you delete it \[VMKIT_CLI_IN_USE\]/);
    expect((await cli('volume', 'extend', 'att', '--size-gb', '2')).code).toBe(4);

    // Unchanged: detach removes the file and writes nothing back.
    expect(await json('volume', 'detach', 'att')).toEqual({ id: v.id, uploaded: false });
    expect(existsSync(String(a.path))).toBe(false);
    expect((await cli('volume', 'detach', 'att')).code).toBe(4);

    // Changed: a new stream-optimized disk in place of the file is written back into the volume.
    await json('volume', 'attach', 'att');
    const other = randomBytes(1024 * 1024);
    writeFileSync(file('other.bin'), other);
    execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', file('other.bin'), String(a.path)]);
    const d = await json('volume', 'detach', 'att');
    expect(d).toMatchObject({ id: v.id, uploaded: true });
    expect(d.vmdkPath).toMatch(/^\[.+\] .+\.vmdk$/);
    await json('image', 'export', 'att', file('att-out.vmdk'));
    expect(diskStart(file('att-out.vmdk'), other.length).bytes.equals(other)).toBe(true);
    await json('volume', 'delete', 'att');
  }, 120_000);

  it('backup to a file and restore into a new volume or over an existing one', async () => {
    await json('image', 'import', file('so.vmdk'), '--name', 'orig');
    const b = await json('backup', 'orig', file('orig.bak'));
    const manifest = JSON.parse(readFileSync(file('orig.bak.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ format: 'vmkit-backup/1', size: b.size, sha256: b.sha256, volume: { name: 'orig', sizeGb: 1 } });
    expect(statSync(file('orig.bak')).size).toBe(b.size);

    const restored = await json('restore', file('orig.bak'), '--name', 'copy');
    expect(restored).toMatchObject({ name: 'copy', sizeGb: 1, type: 'thin' });
    await json('image', 'export', 'copy', file('copy-out.vmdk'));
    expect(diskStart(file('copy-out.vmdk'), data.length).bytes.equals(data)).toBe(true);

    const blank = await json('volume', 'create', 'blank', '--size-gb', '1');
    expect(await json('restore', file('orig.bak'), '--volume', 'blank')).toMatchObject({ id: blank.id, name: 'blank' });
    await json('image', 'export', 'blank', file('blank-out.vmdk'));
    expect(diskStart(file('blank-out.vmdk'), data.length).bytes.equals(data)).toBe(true);

    // A damaged backup is refused before anything changes.
    const bytes = readFileSync(file('orig.bak'));
    const at = bytes.length - 600;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    writeFileSync(file('orig.bak'), bytes);
    const bad = await cli('restore', file('orig.bak'), '--name', 'bad');
    expect(bad.code).toBe(6);
    expect(bad.err).toMatch(/VMKIT_TRANSFER_CHECKSUM_MISMATCH/);
    for (const name of ['orig', 'copy', 'blank']) await json('volume', 'delete', name);
    expect(await volumeIds()).toEqual([]);
    expect(readdirSync(childTmp)).toEqual([]);
  }, 120_000);

  it('Ctrl-C during an import exits 130 and leaves no backing VM and no temporary file', async () => {
    const before = await sim.control.calls('HttpNfcLeaseComplete');
    await sim.control.setLatency('HttpNfcLeaseComplete', 4000);
    try {
      const r = vmkit(['--url', sim.url, '--user', sim.username, 'image', 'import', file('so.vmdk'), '--name', 'cut'], env());
      for (let i = 0; i < 600 && (await sim.control.calls('HttpNfcLeaseComplete')) === before; i++) await new Promise((res) => setTimeout(res, 50));
      r.child.kill('SIGINT');
      expect(await r.done).toBe(130);
      expect(r.out()).toBe('');
    } finally {
      await sim.control.setLatency('HttpNfcLeaseComplete', 0);
    }
    // The delayed Complete may still land after the CLI is gone: give it the time, then look.
    await new Promise((res) => setTimeout(res, 4500));
    expect(await volumeIds()).toEqual([]);
    const vms: string[] = [];
    for await (const o of iterateObjects(session, 'VirtualMachine', ['name'])) vms.push(String(o.props.name));
    expect(vms).not.toContain('cut');
    expect(readdirSync(childTmp)).toEqual([]);
  }, 120_000);

  it('Ctrl-C during the demo exits 130 and leaves no volume behind', async () => {
    await sim.control.setTaskDelay(1500);
    try {
      const before = await sim.control.calls('CreateVM_Task');
      const r = vmkit(['--url', sim.url, '--user', sim.username, 'demo'], env());
      for (let i = 0; i < 600 && (await sim.control.calls('CreateVM_Task')) === before; i++) await new Promise((res) => setTimeout(res, 50));
      r.child.kill('SIGINT');
      expect(await r.done).toBe(130);
      expect(r.out()).toBe('');
    } finally {
      await sim.control.setTaskDelay(0);
    }
    expect(await volumeIds()).toEqual([]);
  }, 120_000);
});
