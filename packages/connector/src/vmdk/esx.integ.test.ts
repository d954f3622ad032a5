import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { iterateObjects, VimSession } from '@vmkit/session';
import { createSparseVmdkReadStream, createStreamOptimizedEncoder, importVmdk } from '@vmkit/transfer';
import { diskVmImportSpec } from '@vmkit/testkit';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import type { ManagedObjectReference } from '@vmkit/vim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmdkConnectionInfo } from './connection-info.js';
import { VmdkConnector } from './connector.js';

// A standalone ESX host: no VM folder for the import, the datacenter is found by walking up (ha-datacenter).
let sim: Simulator;
let session: VimSession;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ model: 'esx' });
  session = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
  dir = await mkdtemp(join(tmpdir(), 'vmkit-connector-esx-'));
}, 300_000);
afterAll(async () => {
  await session?.close();
  await sim?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function raw(path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of createSparseVmdkReadStream(path)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('VmdkConnector on ESX', () => {
  it('attach, write, detach, attach again', async () => {
    let pool: ManagedObjectReference | undefined;
    for await (const o of iterateObjects(session, 'ResourcePool', ['name'])) pool ??= o.obj;
    const size = 1024 * 1024;
    const vm = await importVmdk(session, {
      pool: pool!,
      importSpec: diskVmImportSpec({ name: 'esx-volume', capacityInKB: size / 1024 }),
      source: Readable.from([randomBytes(size)]),
      size,
      streamOptimized: false,
    });
    const info: VmdkConnectionInfo = { driver_volume_type: 'vmdk', data: { volume: vm.value, volume_id: 'esx', name: 'esx' } };
    await using connector = new VmdkConnector({ session, tmpDir: dir });
    const dev = await connector.connectVolume(info);
    const after = randomBytes(size);
    await pipeline(Readable.from([after]), createStreamOptimizedEncoder({ capacity: size, fileName: 'x.vmdk' }), createWriteStream(dev.path));
    expect((await connector.disconnectVolume(info, dev)).uploaded).toBe(true);
    const again = await connector.connectVolume(info);
    expect(sha(await raw(again.path))).toBe(sha(after));
    await connector.disconnectVolume(info, again);
    const names: string[] = [];
    for await (const o of iterateObjects(session, 'VirtualMachine', ['name'])) names.push(o.props.name as string);
    expect(names.filter((n) => n.startsWith('vmkit-detach-'))).toEqual([]);
  }, 60_000);
});
