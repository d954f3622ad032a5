import { randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VmdkConnector, type VmdkConnectionInfo } from '@vmkit/connector';
import { findInDatacenter, VimSession, waitForTask } from '@vmkit/session';
import { diskVmImportSpec } from '@vmkit/testkit';
import { exportVmdk, importVmdk } from '@vmkit/transfer';
import { startSimulator } from '@vmkit/vcsim';
import type { ManagedObjectReference } from '@vmkit/vim';
import { figure, median } from '../figure.js';
import type { Suite } from '../suite.js';

const MiB = 1024 * 1024;
/** The volume's size: large enough that the transfer, not the round trips, dominates. */
const SIZE = 256 * MiB;
/** Runs per measured figure; the median is kept. */
const RUNS = 5;

/** 1 MiB blocks whose first 64 KiB are random and the rest zero (what a mostly empty volume looks like). */
function* blocks(size: number): Generator<Buffer> {
  for (let at = 0; at < size; at += MiB) {
    const block = Buffer.alloc(Math.min(MiB, size - at));
    randomFillSync(block, 0, Math.min(64 * 1024, block.length));
    yield block;
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/**
 * The VMDK connector's attach and detach of a 256 MiB volume, each next to its floor: the bare
 * transfer it is built on (`exportVmdk` to a local file for attach, `importVmdk` of the same file into
 * a new VM for detach), in the same run against the same simulator. The difference is the connector's
 * own work: checks, the staging and the swap, the clean-up.
 */
export const connectorSuite: Suite = {
  name: 'connector',
  description: 'VMDK connector attach and detach of a 256 MiB volume, each next to the bare NFC transfer it is built on (floor)',
  async run(ctx) {
    const dir = await mkdtemp(join(tmpdir(), 'vmkit-bench-connector-'));
    try {
      await using sim = await startSimulator();
      await using session = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
      const target = {
        pool: (await findInDatacenter(session, 'DC0', 'ResourcePool', 'DC0_C0/Resources'))!,
        folder: (await findInDatacenter(session, 'DC0', 'Folder', ''))!,
      };
      ctx.log('connector: creating a 256 MiB volume');
      const volume = await importVmdk(session, { ...target, importSpec: diskVmImportSpec({ name: 'bench-volume', capacityInKB: SIZE / 1024 }), source: Readable.from(blocks(SIZE)), size: SIZE, streamOptimized: false });
      const info: VmdkConnectionInfo = { driver_volume_type: 'vmdk', data: { volume: volume.value, volume_id: 'bench', name: 'bench' } };
      const connector = new VmdkConnector({ session, tmpDir: dir });
      const destroy = async (vm: ManagedObjectReference) => waitForTask(session, await session.invoke('Destroy_Task', vm));

      const attach: number[] = [];
      const attachFloor: number[] = [];
      const detach: number[] = [];
      const detachFloor: number[] = [];
      const unchanged: number[] = [];
      for (let run = 0; run < RUNS && !ctx.signal.aborted; run++) {
        ctx.log(`connector: run ${run + 1} of ${RUNS}`);
        const floorFile = join(dir, `floor-${run}.vmdk`);
        attachFloor.push(
          await timed(async () => {
            const exported = await exportVmdk(session, volume);
            await pipeline(exported.stream, createWriteStream(floorFile));
          }),
        );
        let device = await connector.connectVolume(info);
        await connector.disconnectVolume(info, device);
        attach.push(
          await timed(async () => {
            device = await connector.connectVolume(info);
          }),
        );
        unchanged.push(await timed(() => connector.disconnectVolume(info, device)));

        const { size } = await stat(floorFile);
        let floorVm: ManagedObjectReference | undefined;
        detachFloor.push(
          await timed(async () => {
            floorVm = await importVmdk(session, { ...target, importSpec: diskVmImportSpec({ name: `bench-floor-${run}`, capacityInKB: SIZE / 1024 }), source: createReadStream(floorFile), size, streamOptimized: true });
          }),
        );
        await destroy(floorVm!);
        await rm(floorFile);

        device = await connector.connectVolume(info);
        const later = new Date(Date.now() + 1000);
        await utimes(device.path, later, later); // the same bytes, written back as a changed file
        const d = device;
        detach.push(await timed(() => connector.disconnectVolume(info, d)));
      }
      const mb = SIZE / 1e6;
      if (attach.length > 0) {
        ctx.emit(figure('connector.attach', 'vmkit', 'throughput', mb / median(attach)));
        ctx.emit(figure('connector.attach', 'floor', 'throughput', mb / median(attachFloor)));
        ctx.emit(figure('connector.detach', 'vmkit', 'throughput', mb / median(detach)));
        ctx.emit(figure('connector.detach', 'floor', 'throughput', mb / median(detachFloor)));
        ctx.emit(figure('connector.detach-unchanged', 'vmkit', 'latency', median(unchanged) * 1000));
      }
      await destroy(volume);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
