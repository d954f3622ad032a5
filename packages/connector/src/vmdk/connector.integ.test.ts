import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { findDatacenter, findInDatacenter, iterateObjects, retrieveProperties, VimSession, waitForTask } from '@vmkit/session';
import { createSparseVmdkReadStream, createStreamOptimizedEncoder, importVmdk } from '@vmkit/transfer';
import { diskVmImportSpec } from '@vmkit/testkit';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { VimError, type ManagedObjectReference, type vim } from '@vmkit/vim';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BackingHasSnapshotsError, CleanupIncompleteError, ConnectorError, OperationNotSupportedError, TicketRefusedError } from '../errors.js';
import type { VmdkConnectionInfo } from './connection-info.js';
import { VmdkConnector, type VmdkDeviceInfo } from './connector.js';

const SIZE = 1024 * 1024; // 1 MiB volumes keep every transfer quick

let sim: Simulator;
let admin: VimSession;
let localDir: string;
let dsRoot: string;
let target: { pool: ManagedObjectReference; folder: ManagedObjectReference };
let seq = 0;

beforeAll(async () => {
  sim = await startSimulator({ control: true });
  admin = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
  target = {
    pool: (await findInDatacenter(admin, 'DC0', 'ResourcePool', 'DC0_C0/Resources'))!,
    folder: (await findInDatacenter(admin, 'DC0', 'Folder', ''))!,
  };
  const ds = (await findInDatacenter(admin, 'DC0', 'Datastore', 'LocalDS_0'))!;
  dsRoot = (await retrieveProperties(admin, ds, ['info.url']))['info.url'] as string;
}, 300_000);
afterAll(async () => {
  await admin?.close();
  await sim?.stop();
});
beforeEach(async () => {
  localDir = await mkdtemp(join(tmpdir(), 'vmkit-connector-'));
  await sim.control.reset();
});
afterEach(async () => {
  await rm(localDir, { recursive: true, force: true });
});

/** A volume: a backing VM whose one thin disk holds `bytes`. */
async function makeVolume(bytes: Buffer): Promise<ManagedObjectReference> {
  const name = `volume-${++seq}-${randomBytes(3).toString('hex')}`;
  return importVmdk(admin, {
    ...target,
    importSpec: diskVmImportSpec({ name, capacityInKB: bytes.length / 1024 }),
    source: Readable.from([bytes]),
    size: bytes.length,
    streamOptimized: false,
  });
}

async function connectionInfo(vm: ManagedObjectReference, extra: Partial<NonNullable<VmdkConnectionInfo['data']['config']>> = {}): Promise<VmdkConnectionInfo> {
  const ticket = await admin.invoke('AcquireCloneTicket', admin.serviceContent.sessionManager!);
  return {
    driver_volume_type: 'vmdk',
    data: { volume: vm.value, volume_id: `vol-${vm.value}`, name: `volume of ${vm.value}`, profile_id: null, config: { vmware_host_ip: sim.url, vmware_clone_ticket: ticket, vmware_tmp_dir: localDir, ...extra } },
  };
}

/** The backing's disk file. */
async function diskPath(vm: ManagedObjectReference): Promise<string> {
  const devices = (await retrieveProperties(admin, vm, ['config.hardware.device']))['config.hardware.device'] as vim.VirtualDevice[];
  const disks = devices.filter((d) => d._type === 'VirtualDisk') as vim.VirtualDisk[];
  expect(disks).toHaveLength(1);
  return (disks[0]!.backing as vim.VirtualDiskFlatVer2BackingInfo).fileName;
}

/** The raw bytes of a local stream-optimized file. */
async function rawOf(path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of createSparseVmdkReadStream(path)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The volume's contents as vCenter has them, read through a fresh attachment with the admin session. */
async function contents(vm: ManagedObjectReference): Promise<Buffer> {
  const c = new VmdkConnector({ session: admin, tmpDir: localDir });
  const info: VmdkConnectionInfo = { driver_volume_type: 'vmdk', data: { volume: vm.value, volume_id: `check-${vm.value}-${++seq}`, name: 'check' } };
  const dev = await c.connectVolume(info);
  const raw = await rawOf(dev.path);
  await c.disconnectVolume(info, dev);
  return raw;
}

/** Overwrites the attached file with a stream-optimized VMDK of `bytes`, as a backup restore would. */
async function writeLocal(dev: VmdkDeviceInfo, bytes: Buffer): Promise<void> {
  await pipeline(Readable.from([bytes]), createStreamOptimizedEncoder({ capacity: bytes.length, fileName: 'restored.vmdk' }), createWriteStream(dev.path));
}

const vmNames = async (): Promise<string[]> => {
  const names: string[] = [];
  for await (const o of iterateObjects(admin, 'VirtualMachine', ['name'])) names.push(o.props.name as string);
  return names;
};

/** Every file on the datastore, relative to its root. */
async function dsFiles(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dsRoot, p));
    }
  };
  await walk(dsRoot);
  return out.sort();
}

/** The two files of a disk on the simulator's datastore (descriptor and flat extent), relative to its root. */
const diskFiles = (path: string): string[] => {
  const rel = path.replace(/^\[[^\]]+\] /, '');
  return [rel, rel.replace(/\.vmdk$/, '-flat.vmdk')];
};

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('VmdkConnector against the simulator', () => {
  it('attach, write new bytes, detach, attach again: the volume has the new bytes, and nothing temporary is left', async () => {
    const before = randomBytes(SIZE);
    const vm = await makeVolume(before);
    const oldPath = await diskPath(vm);
    const filesBefore = await dsFiles();
    const vmsBefore = await vmNames();

    const connector = new VmdkConnector();
    const info = await connectionInfo(vm);
    const dev = await connector.connectVolume(info);
    expect(dev.path.startsWith(localDir)).toBe(true);
    expect((await stat(dev.path)).mode & 0o777).toBe(0o600);
    expect(sha(await rawOf(dev.path))).toBe(sha(before));
    expect(await connector.checkValidDevice(dev.path)).toBe(true);
    expect(await connector.getVolumePaths(info)).toEqual([dev.path]);

    const after = randomBytes(SIZE);
    after.fill(0, 0, 300 * 1024); // a zero run, skipped by the stream-optimized encoder
    await writeLocal(dev, after);
    const result = await connector.disconnectVolume(info, dev);
    expect(result.uploaded).toBe(true);
    expect(existsSync(dev.path)).toBe(false);
    expect(await connector.getVolumePaths(info)).toEqual([]);

    const newPath = await diskPath(vm);
    expect(newPath).toBe(result.vmdkPath);
    expect(newPath).not.toBe(oldPath);
    expect(sha(await contents(vm))).toBe(sha(after));
    // Same VMs; on the datastore the old disk's two files were replaced by the new disk's two.
    expect((await vmNames()).sort()).toEqual(vmsBefore.sort());
    const expected = filesBefore.filter((f) => !diskFiles(oldPath).includes(f)).concat(diskFiles(newPath));
    expect(await dsFiles()).toEqual(expected.sort());
  }, 60_000);

  it('an unchanged file is not uploaded, and the local file is removed', async () => {
    const vm = await makeVolume(randomBytes(SIZE));
    const oldPath = await diskPath(vm);
    const connector = new VmdkConnector();
    const info = await connectionInfo(vm);
    const dev = await connector.connectVolume(info);
    const imports = await sim.control.calls('ImportVApp');
    expect(await connector.disconnectVolume(info, dev)).toEqual({ uploaded: false });
    expect(await sim.control.calls('ImportVApp')).toBe(imports);
    expect(await diskPath(vm)).toBe(oldPath);
    expect(existsSync(dev.path)).toBe(false);
  }, 60_000);

  it('with discard, gives a changed file up without writing it back', async () => {
    const before = randomBytes(SIZE);
    const vm = await makeVolume(before);
    const oldPath = await diskPath(vm);
    const connector = new VmdkConnector();
    const info = await connectionInfo(vm);
    const dev = await connector.connectVolume(info);
    await writeLocal(dev, randomBytes(SIZE));
    const imports = await sim.control.calls('ImportVApp');
    expect(await connector.disconnectVolume(info, dev, { discard: true })).toEqual({ uploaded: false });
    expect(await sim.control.calls('ImportVApp')).toBe(imports);
    expect(existsSync(dev.path)).toBe(false);
    expect(await diskPath(vm)).toBe(oldPath);
    expect(sha(await contents(vm))).toBe(sha(before));
  }, 60_000);

  it('refuses a second attach of the same volume, at the same time or later', async () => {
    const vm = await makeVolume(randomBytes(SIZE));
    await using connector = new VmdkConnector({ session: admin, tmpDir: localDir });
    const info: VmdkConnectionInfo = { driver_volume_type: 'vmdk', data: { volume: vm.value, volume_id: 'twice', name: 'twice' } };
    const [a, b] = await Promise.allSettled([connector.connectVolume(info), connector.connectVolume(info)]);
    expect(a.status).toBe('fulfilled');
    expect(b.status === 'rejected' && (b.reason as ConnectorError).code).toBe('VMKIT_CONNECTOR_BUSY');
    await expect(connector.connectVolume(info)).rejects.toMatchObject({ code: 'VMKIT_CONNECTOR_ALREADY_ATTACHED' });
    expect(await readdir(localDir)).toHaveLength(1);
    await connector.disconnectVolume(info, (a as PromiseFulfilledResult<VmdkDeviceInfo>).value);
  }, 60_000);

  it('refuses a backing with a snapshot before anything moves, and keeps the local file', async () => {
    const before = randomBytes(SIZE);
    const vm = await makeVolume(before);
    await waitForTask(admin, await admin.invoke('CreateSnapshot_Task', vm, { name: 'snap', memory: false, quiesce: false }));
    const oldPath = await diskPath(vm);
    const vmsBefore = await vmNames();
    await using connector = new VmdkConnector();
    const info = await connectionInfo(vm);
    const dev = await connector.connectVolume(info);
    await writeLocal(dev, randomBytes(SIZE));
    const imports = await sim.control.calls('ImportVApp');
    const err = await connector.disconnectVolume(info, dev).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackingHasSnapshotsError);
    expect((err as BackingHasSnapshotsError).code).toBe('VMKIT_CONNECTOR_BACKING_HAS_SNAPSHOTS');
    expect(await sim.control.calls('ImportVApp')).toBe(imports);
    expect(await diskPath(vm)).toBe(oldPath);
    expect(existsSync(dev.path)).toBe(true);
    expect((await vmNames()).sort()).toEqual(vmsBefore.sort());
  }, 60_000);

  it('refuses a file whose disk is larger than the volume, before anything moves', async () => {
    const before = randomBytes(SIZE);
    const vm = await makeVolume(before);
    const oldPath = await diskPath(vm);
    await using connector = new VmdkConnector();
    const info = await connectionInfo(vm);
    const dev = await connector.connectVolume(info);
    await writeLocal(dev, randomBytes(2 * SIZE));
    const imports = await sim.control.calls('ImportVApp');
    await expect(connector.disconnectVolume(info, dev)).rejects.toMatchObject({ code: 'VMKIT_CONNECTOR_CAPACITY_MISMATCH' });
    expect(await sim.control.calls('ImportVApp')).toBe(imports);
    expect(await diskPath(vm)).toBe(oldPath);
    expect(existsSync(dev.path)).toBe(true);
  }, 60_000);

  it('writes a smaller disk (a backup of a smaller volume) into the start of the volume, which keeps its size', async () => {
    const vm = await makeVolume(randomBytes(SIZE));
    await using connector = new VmdkConnector();
    const info = await connectionInfo(vm);
    const dev = await connector.connectVolume(info);
    const small = randomBytes(SIZE / 4);
    await writeLocal(dev, small);
    expect((await connector.disconnectVolume(info, dev)).uploaded).toBe(true);
    const now = await contents(vm);
    expect(now.length).toBe(SIZE);
    expect(sha(now.subarray(0, small.length))).toBe(sha(small));
    expect(now.subarray(small.length).every((b) => b === 0)).toBe(true);
  }, 60_000);

  // Each step of the write-back, failing once: the volume keeps its disk and bytes, nothing temporary
  // remains, and the local file stays for another try.
  const steps: [string, string][] = [
    ['import: ImportVApp', 'ImportVApp'],
    ['import: HttpNfcLeaseComplete', 'HttpNfcLeaseComplete'],
    ['staging: UnregisterVM', 'UnregisterVM'],
    ['staging: MoveVirtualDisk_Task', 'MoveVirtualDisk_Task'],
    ['staging: DeleteDatastoreFile_Task', 'DeleteDatastoreFile_Task'],
    ['swap: ReconfigVM_Task', 'ReconfigVM_Task'],
  ];
  for (const [label, method] of steps) {
    it(`a failure at ${label} leaves the original disk intact and nothing temporary behind`, async () => {
      const before = randomBytes(SIZE);
      const vm = await makeVolume(before);
      const oldPath = await diskPath(vm);
      const filesBefore = await dsFiles();
      const vmsBefore = await vmNames();
      const connector = new VmdkConnector();
      const info = await connectionInfo(vm);
      const dev = await connector.connectVolume(info);
      await writeLocal(dev, randomBytes(SIZE));

      await sim.control.queueFault(method, { count: 1, fault: 'FileLocked' });
      const err = await connector.disconnectVolume(info, dev).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VimError);
      expect(err).not.toBeInstanceOf(CleanupIncompleteError);
      expect(await sim.control.calls(method)).toBeGreaterThan(0);
      expect(existsSync(dev.path)).toBe(true);
      await connector.close();

      expect(await diskPath(vm)).toBe(oldPath);
      expect(sha(await contents(vm))).toBe(sha(before));
      expect((await vmNames()).sort()).toEqual(vmsBefore.sort());
      expect(await dsFiles()).toEqual(filesBefore);
    }, 60_000);
  }

  it('a detach that failed can be tried again with the same device info, and then succeeds', async () => {
    const vm = await makeVolume(randomBytes(SIZE));
    await using connector = new VmdkConnector();
    const info = await connectionInfo(vm);
    const dev = await connector.connectVolume(info);
    const after = randomBytes(SIZE);
    await writeLocal(dev, after);
    await sim.control.queueFault('ReconfigVM_Task', { count: 1, fault: 'FileLocked' });
    await expect(connector.disconnectVolume(info, dev)).rejects.toBeInstanceOf(VimError);
    // The clone ticket is spent, but the connector kept the session of the attachment for this.
    expect((await connector.disconnectVolume(info, dev)).uploaded).toBe(true);
    expect(sha(await contents(vm))).toBe(sha(after));
  }, 60_000);

  it('a failed swap whose undo cannot delete the new disk says so: the volume unchanged, the leftover named', async () => {
    const before = randomBytes(SIZE);
    const vm = await makeVolume(before);
    const oldPath = await diskPath(vm);
    const connector = new VmdkConnector();
    const info = await connectionInfo(vm);
    const dev = await connector.connectVolume(info);
    await writeLocal(dev, randomBytes(SIZE));
    await sim.control.queueFault('ReconfigVM_Task', { count: 1, fault: 'FileLocked' });
    await sim.control.queueFault('DeleteVirtualDisk_Task', { count: 10, fault: 'FileLocked' });
    const err = await connector.disconnectVolume(info, dev).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CleanupIncompleteError);
    const e = err as CleanupIncompleteError;
    expect(e.committed).toBe(false);
    expect(e.leftovers).toHaveLength(1);
    expect(e.leftovers[0]).toMatch(/-vmkit[0-9a-f]{8}\.vmdk$/);
    expect((e.cause as VimError).code).toBe('VMKIT_VIM_FAULT_FILE_LOCKED');
    await sim.control.reset();
    await connector.close();
    expect(await diskPath(vm)).toBe(oldPath);
    expect(sha(await contents(vm))).toBe(sha(before));
    expect(await dsFiles()).toEqual(expect.arrayContaining(diskFiles(e.leftovers[0]!)));
    const datacenter = (await findDatacenter(admin, 'DC0'))!;
    await waitForTask(admin, await admin.invoke('DeleteVirtualDisk_Task', admin.serviceContent.virtualDiskManager!, { name: e.leftovers[0]!, datacenter }));
  }, 60_000);

  it('a failure of the last clean-up once is retried: new data in, old disk gone', async () => {
    const vm = await makeVolume(randomBytes(SIZE));
    const oldPath = await diskPath(vm);
    const connector = new VmdkConnector();
    const info = await connectionInfo(vm);
    const dev = await connector.connectVolume(info);
    const after = randomBytes(SIZE);
    await writeLocal(dev, after);
    await sim.control.queueFault('DeleteVirtualDisk_Task', { count: 1, fault: 'FileLocked' });
    const result = await connector.disconnectVolume(info, dev);
    expect(result.uploaded).toBe(true);
    expect(sha(await contents(vm))).toBe(sha(after));
    const files = await dsFiles();
    expect(files.filter((f) => diskFiles(oldPath).includes(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(diskFiles(result.vmdkPath!)));
  }, 60_000);

  it('an old disk that cannot be deleted is named in a typed error; the volume holds the new data', async () => {
    const vm = await makeVolume(randomBytes(SIZE));
    const oldPath = await diskPath(vm);
    const connector = new VmdkConnector();
    const info = await connectionInfo(vm);
    const dev = await connector.connectVolume(info);
    const after = randomBytes(SIZE);
    await writeLocal(dev, after);
    await sim.control.queueFault('DeleteVirtualDisk_Task', { count: 10, fault: 'FileLocked' });
    const err = await connector.disconnectVolume(info, dev).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CleanupIncompleteError);
    expect((err as CleanupIncompleteError).committed).toBe(true);
    expect((err as CleanupIncompleteError).leftovers).toEqual([oldPath]);
    await sim.control.reset();
    await connector.close();
    expect(await diskPath(vm)).not.toBe(oldPath);
    expect(sha(await contents(vm))).toBe(sha(after));
  }, 60_000);

  it('works through a session given by the caller, without any config in connection_info', async () => {
    const before = randomBytes(SIZE);
    const vm = await makeVolume(before);
    const connector = new VmdkConnector({ session: admin, tmpDir: localDir });
    const info: VmdkConnectionInfo = { driver_volume_type: 'vmdk', data: { volume: vm.value, volume_id: 'explicit', name: 'explicit' } };
    const dev = await connector.connectVolume(info);
    const after = randomBytes(SIZE);
    await writeLocal(dev, after);
    expect((await connector.disconnectVolume(info, dev)).uploaded).toBe(true);
    expect(sha(await contents(vm))).toBe(sha(after));
    expect(admin.currentSession).toBeDefined(); // the caller's session stays open
  }, 60_000);
});

describe('VmdkConnector credentials', () => {
  it('a used clone ticket is a typed error that never names the ticket, and leaves no file', async () => {
    const vm = await makeVolume(randomBytes(SIZE));
    const info = await connectionInfo(vm);
    const ticket = info.data.config!.vmware_clone_ticket!;
    const spender = await VimSession.connect({ host: sim.url, cloneTicket: ticket });
    await spender.close();
    const err = await new VmdkConnector().connectVolume(info).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TicketRefusedError);
    expect((err as TicketRefusedError).code).toBe('VMKIT_CONNECTOR_TICKET_REFUSED');
    expect(JSON.stringify({ m: (err as Error).message, c: String((err as Error).cause) })).not.toContain(ticket);
    expect(await readdir(localDir)).toEqual([]);
  }, 60_000);

  it('an expired clone ticket is a typed error', async () => {
    const vm = await makeVolume(randomBytes(SIZE));
    const info = await connectionInfo(vm);
    // vCenter forgets unused tickets with the sessions they belong to: end every session (the admin
    // session logs in again by itself).
    await sim.control.terminateSessions();
    await expect(new VmdkConnector().connectVolume(info)).rejects.toBeInstanceOf(TicketRefusedError);
    expect(await readdir(localDir)).toEqual([]);
  }, 60_000);

  it('refuses a connection_info that carries a password unless asked to use it', async () => {
    const vm = await makeVolume(randomBytes(SIZE));
    const secret = 'Sekr1t-Passw0rd-42';
    const refused = await connectionInfo(vm, { vmware_host_username: sim.username, vmware_host_password: secret, vmware_clone_ticket: undefined });
    const err = await new VmdkConnector().connectVolume(refused).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe('VMKIT_CONNECTOR_PASSWORD_REFUSED');
    expect((err as Error).message).not.toContain(secret);
    const info = await connectionInfo(vm, { vmware_host_username: sim.username, vmware_host_password: sim.password, vmware_clone_ticket: undefined });
    // The password path, only when asked for.
    await using connector = new VmdkConnector({ allowPasswordLogin: true });
    const dev = await connector.connectVolume(info);
    expect(await connector.disconnectVolume(info, dev)).toEqual({ uploaded: false });
  }, 60_000);

  it('extendVolume is a typed not-supported error', async () => {
    await expect(new VmdkConnector().extendVolume()).rejects.toBeInstanceOf(OperationNotSupportedError);
  });
});
