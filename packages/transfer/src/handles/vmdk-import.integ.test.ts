import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { findInDatacenter, iterateObjects, VimSession } from '@vmkit/session';
import { diskVmImportSpec, recordSoapCalls } from '@vmkit/testkit';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { VimAbortError, type ManagedObjectReference } from '@vmkit/vim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaseState } from '../../test/lease.js';
import { TransferSizeMismatchError } from '../formats/errors.js';
import { TransferError } from './errors.js';
import { deviceUrlFor, importVmdk } from './vmdk-import.js';

let sim: Simulator;
let session: VimSession;
beforeAll(async () => {
  sim = await startSimulator();
  session = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
}, 300_000);
afterAll(async () => {
  await session?.close();
  await sim?.stop();
});

const spec = (name: string, capacityInKB: number) => diskVmImportSpec({ name, capacityInKB });

const vmNames = async () => {
  const names: string[] = [];
  for await (const o of iterateObjects(session, 'VirtualMachine', ['name'])) names.push(o.props.name as string);
  return names;
};

async function target() {
  return {
    pool: (await findInDatacenter(session, 'DC0', 'ResourcePool', 'DC0_C0/Resources'))!,
    folder: (await findInDatacenter(session, 'DC0', 'Folder', ''))!,
  };
}

describe('importVmdk', () => {
  it('substitutes the session host for * in device URLs', () => {
    const origin = new URL(sim.url).origin;
    expect(deviceUrlFor(session, 'https://*/nfc/lease-1/disk-0.vmdk')).toBe(`${origin}/nfc/lease-1/disk-0.vmdk`);
    expect(deviceUrlFor(session, 'https://*:443/nfc/x')).toBe(`${origin}/nfc/x`);
    expect(deviceUrlFor(session, 'https://esx1/nfc/x')).toBe('https://esx1/nfc/x');
  });

  it('imports the bytes into a new VM, reporting progress', async () => {
    const size = 1024 * 1024;
    const progress: number[] = [];
    const vm = await importVmdk(session, {
      ...(await target()),
      importSpec: spec('import-ok', 1024),
      source: Readable.from([randomBytes(size)]),
      size,
      streamOptimized: false,
      onProgress: (n) => progress.push(n),
    });
    expect(vm.type).toBe('VirtualMachine');
    expect(progress.at(-1)).toBe(size);
    expect(await vmNames()).toContain('import-ok');
  });

  it('aborts the lease and leaves no VM when the source is short', async () => {
    await expect(
      importVmdk(session, { ...(await target()), importSpec: spec('import-short', 1024), source: Readable.from([randomBytes(1000)]), size: 4096, streamOptimized: false }),
    ).rejects.toBeInstanceOf(TransferSizeMismatchError);
    expect(await vmNames()).not.toContain('import-short');
  });

  it('aborts the lease and leaves no VM when aborted', async () => {
    const controller = new AbortController();
    let lease: ManagedObjectReference | undefined;
    async function* slow() {
      yield randomBytes(65536);
      controller.abort();
      await new Promise((r) => setTimeout(r, 50));
      yield randomBytes(65536);
    }
    const where = await target();
    const [, sent] = await recordSoapCalls(() =>
      expect(
        importVmdk(session, { ...where, importSpec: spec('import-aborted', 1024), source: slow(), size: 131072, streamOptimized: false, signal: controller.signal, onLease: (l) => (lease = l) }),
      ).rejects.toBeInstanceOf(VimAbortError),
    );
    expect(sent).toContain('HttpNfcLeaseAbort');
    expect(sent).not.toContain('HttpNfcLeaseComplete');
    expect(await vmNames()).not.toContain('import-aborted');
    expect(lease?.type).toBe('HttpNfcLease');
    // vCenter keeps an aborted lease in state "error"; the simulator drops it. Either way not "done".
    expect(['error', 'gone']).toContain(await leaseState(session, lease!));
  });

  it('fails typed with the server status and detail, and leaves no VM, when the bytes are not a stream-optimized VMDK', async () => {
    const err: unknown = await importVmdk(session, {
      ...(await target()),
      importSpec: spec('import-not-vmdk', 1024),
      source: Readable.from([randomBytes(8192)]),
      size: 8192,
      streamOptimized: true,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as TransferError).code).toBe('VMKIT_TRANSFER_HTTP_STATUS');
    expect((err as TransferError).status).toBeGreaterThanOrEqual(400);
    expect(await vmNames()).not.toContain('import-not-vmdk');
  });
});
