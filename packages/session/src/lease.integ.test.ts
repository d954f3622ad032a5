import { diskVmImportSpec } from '@vmkit/testkit';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { VimAbortError, type ManagedObjectReference } from '@vmkit/vim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInDatacenter } from './inventory.js';
import { waitForLeaseReady } from './lease.js';
import { retrieveProperties } from './properties.js';
import { VimSession } from './session.js';

let sim: Simulator;
let s: VimSession;
beforeAll(async () => {
  sim = await startSimulator();
  s = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
}, 300_000);
afterAll(async () => {
  await s?.close();
  await sim?.stop();
});

async function importLease(name: string): Promise<ManagedObjectReference> {
  const pool = (await findInDatacenter(s, 'DC0', 'ResourcePool', 'DC0_C0/Resources'))!;
  const folder = (await findInDatacenter(s, 'DC0', 'Folder', ''))!;
  return s.invoke('ImportVApp', pool, {
    spec: diskVmImportSpec({ name, capacityInKB: 1024 }),
    folder,
  });
}

describe('waitForLeaseReady', () => {
  it('returns the ready lease info with its device URLs', async () => {
    const lease = await importLease('lease-ready');
    const info = await waitForLeaseReady(s, lease);
    expect(info.deviceUrl?.length).toBeGreaterThan(0);
    expect(info.deviceUrl?.[0]?.url).toMatch(/^https?:\/\//);
    await s.invoke('HttpNfcLeaseAbort', lease, {});
  });

  it('aborts the lease when the wait is aborted', async () => {
    const lease = await importLease('lease-aborted');
    await expect(waitForLeaseReady(s, lease, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(VimAbortError);
    const state = (await retrieveProperties(s, lease, ['state']).catch(() => ({ state: 'gone' }))).state;
    expect(['error', 'done', 'gone']).toContain(state);
  });
});
