/**
 * VMDK export (ExportVm + lease) and "a VM's disk to a stream-optimized image" through the simulator.
 * govmomi 0.24's simulator has no ExportVm and discards NFC uploads; tools/vcsim adds both. Until that
 * lands, the round trips skip, and say so: `hasExportVm` asks the simulator itself (ExportVm faulting
 * with MethodNotFound means the method is missing).
 */
import { createHash } from 'node:crypto';
import { readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { findInDatacenter, iterateObjects, VimSession } from '@vmkit/session';
import { diskVmImportSpec, recordSoapCalls } from '@vmkit/testkit';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { findFault, InvalidPowerStateError, VimAbortError, type ManagedObjectReference } from '@vmkit/vim';
import { afterAll, describe, expect, it } from 'vitest';
import { fillRandom } from '../../test/images.js';
import { leaseState } from '../../test/lease.js';
import { createStreamOptimizedDecoder } from '../formats/stream-optimized-decoder.js';
import { createStreamOptimizedEncoder } from '../formats/stream-optimized-encoder.js';
import { TransferError } from './errors.js';
import { copyVmDiskToImage, LocalImageStore } from './image.js';
import { exportVmdk } from './vmdk-export.js';
import { importVmdk } from './vmdk-import.js';

// Started at load time, not in beforeAll: `it.skipIf` is decided when the tests are collected.
const sim: Simulator = await startSimulator();
const session: VimSession = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
const hasExportVm = await probeExportVm();
const dir = await mkdtemp(join(tmpdir(), 'vmkit-export-'));

/** Calls ExportVm on an existing VM: MethodNotFound means the simulator lacks it. */
async function probeExportVm(): Promise<boolean> {
  let vm: ManagedObjectReference | undefined;
  for await (const o of iterateObjects(session, 'VirtualMachine', ['name'])) vm ??= o.obj;
  try {
    const lease = await session.invoke('ExportVm', vm!);
    await session.invoke('HttpNfcLeaseAbort', lease, {}).catch(() => undefined);
    return true;
  } catch (err) {
    return findFault(err, 'MethodNotFound') === undefined;
  }
}

afterAll(async () => {
  await session.close();
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

const CAPACITY = 8 * 1024 * 1024;

/** A disk with random, compressible and zero grains (every 64 KiB grain one kind). */
function rawDisk(seed: number): Buffer {
  const raw = Buffer.alloc(CAPACITY);
  for (let g = 0; g < CAPACITY / 65536; g++) {
    const grain = raw.subarray(g * 65536, (g + 1) * 65536);
    if (g % 3 === 0) fillRandom(grain, seed * 1000 + g + 1);
    else if (g % 3 === 1) grain.fill(`grain ${g} of disk ${seed}\n`);
  }
  return raw;
}

async function encode(raw: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(Readable.from([raw]), createStreamOptimizedEncoder({ capacity: raw.length, descriptor: { adapterType: 'lsilogic' } }), async (out: AsyncIterable<Buffer>) => {
    for await (const c of out) parts.push(c);
  });
  return Buffer.concat(parts);
}

async function decode(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(stream, createStreamOptimizedDecoder(), async (out: AsyncIterable<Buffer>) => {
    for await (const c of out) parts.push(c);
  });
  return Buffer.concat(parts);
}

const importSpec = (name: string) => diskVmImportSpec({ name, capacityInKB: CAPACITY / 1024 });

/** Imports `raw` as a stream-optimized disk of a new VM. */
async function importDisk(name: string, raw: Buffer): Promise<ManagedObjectReference> {
  const vmdk = await encode(raw);
  return importVmdk(session, {
    pool: (await findInDatacenter(session, 'DC0', 'ResourcePool', 'DC0_C0/Resources'))!,
    folder: (await findInDatacenter(session, 'DC0', 'Folder', ''))!,
    importSpec: importSpec(name),
    source: Readable.from([vmdk]),
    size: vmdk.length,
    streamOptimized: true,
  });
}

const why = () => (hasExportVm ? '' : ' (skipped: the simulator lacks ExportVm)');

describe('exportVmdk', () => {
  it.skipIf(!hasExportVm)(`exports an imported stream-optimized disk with equal contents, completing the lease${why()}`, async () => {
    const raw = rawDisk(1);
    const vm = await importDisk('export-roundtrip', raw);
    const progress: number[] = [];
    let back: Buffer = Buffer.alloc(0);
    let lease: ManagedObjectReference | undefined;
    const [, sent] = await recordSoapCalls(async () => {
      const exported = await exportVmdk(session, vm, { onProgress: (n) => progress.push(n) });
      expect(exported.device.url).not.toContain('*');
      lease = exported.lease;
      back = await decode(exported.stream);
    });
    expect(sent).toContain('HttpNfcLeaseComplete');
    expect(sent).not.toContain('HttpNfcLeaseAbort');
    expect(back.length).toBe(raw.length);
    expect(back.equals(raw)).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    expect(await leaseState(session, lease!)).toBe('done');
  }, 60_000);

  it.skipIf(!hasExportVm)(`aborts the lease when the reader stops early or the signal fires${why()}`, async () => {
    const vm = await importDisk('export-aborted', rawDisk(2));
    let earlyLease: ManagedObjectReference | undefined;
    const [, sent] = await recordSoapCalls(async () => {
      const early = await exportVmdk(session, vm);
      earlyLease = early.lease;
      early.stream.destroy();
      await new Promise((r) => early.stream.once('close', r));
    });
    expect(sent).toContain('HttpNfcLeaseAbort');
    expect(sent).not.toContain('HttpNfcLeaseComplete');
    expect(await leaseState(session, earlyLease!)).toBe('error');

    const controller = new AbortController();
    const aborted = await exportVmdk(session, vm, { signal: controller.signal });
    controller.abort();
    await expect(decode(aborted.stream)).rejects.toBeInstanceOf(VimAbortError);
    expect(await leaseState(session, aborted.lease)).toBe('error');
  }, 60_000);

  it.skipIf(!hasExportVm)(`keeps the lease alive with HttpNfcLeaseProgress while a slow reader drains it${why()}`, async () => {
    const vm = await importDisk('export-slow', rawDisk(6));
    const [, sent] = await recordSoapCalls(async () => {
      const exported = await exportVmdk(session, vm, { leaseProgressIntervalMs: 20 });
      for await (const _chunk of exported.stream) await new Promise((r) => setTimeout(r, 10));
    });
    // Progress while bytes flowed (not only the final 100 %), then Complete.
    expect(sent.filter((m) => m === 'HttpNfcLeaseProgress').length).toBeGreaterThanOrEqual(2);
    expect(sent.at(-1)).toBe('HttpNfcLeaseComplete');
  }, 60_000);

  it.skipIf(!hasExportVm)(`refuses a powered-on VM with the server's InvalidPowerState${why()}`, async () => {
    let on: ManagedObjectReference | undefined;
    for await (const o of iterateObjects(session, 'VirtualMachine', ['runtime.powerState'])) if (o.props['runtime.powerState'] === 'poweredOn') on ??= o.obj;
    await expect(exportVmdk(session, on!)).rejects.toBeInstanceOf(InvalidPowerStateError);
  });

  it.skipIf(!hasExportVm)(`refuses a disk the VM does not have, aborting the lease${why()}`, async () => {
    const vm = await importDisk('export-no-disk', rawDisk(3));
    const err: unknown = await exportVmdk(session, vm, { disk: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as TransferError).code).toBe('VMKIT_TRANSFER_NO_DEVICE_URL');
  }, 60_000);
});

describe('copyVmDiskToImage', () => {
  it.skipIf(!hasExportVm)(`stores the disk as a stream-optimized image with its sha256, which decodes to the disk${why()}`, async () => {
    const raw = rawDisk(4);
    const vm = await importDisk('to-image', raw);
    const store = new LocalImageStore(dir);
    const info = await copyVmDiskToImage(session, vm, store.sink('vm-image'), { timeoutMs: 60_000, properties: { owner_id: 'p1' } });
    const bytes = await readFile(join(dir, 'vm-image'));
    expect(info.size).toBe(bytes.length);
    expect(info.checksum).toEqual({ algorithm: 'sha256', value: createHash('sha256').update(bytes).digest('hex') });
    expect(info.properties).toMatchObject({ disk_format: 'vmdk', vmware_disktype: 'streamOptimized', virtual_size: String(CAPACITY), owner_id: 'p1' });
    expect((await decode(Readable.from([bytes]))).equals(raw)).toBe(true);
  }, 60_000);

  it.skipIf(!hasExportVm)(`refuses an export above maxSize and leaves no image behind${why()}`, async () => {
    const vm = await importDisk('to-image-too-big', rawDisk(5));
    const store = new LocalImageStore(dir);
    await expect(copyVmDiskToImage(session, vm, store.sink('too-big'), { maxSize: 4096 })).rejects.toMatchObject({ code: 'VMKIT_TRANSFER_SIZE_MISMATCH' });
    await expect(readFile(join(dir, 'too-big'))).rejects.toMatchObject({ code: 'ENOENT' });
  }, 60_000);
});
