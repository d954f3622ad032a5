import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { VmdkConnector } from '@vmkit/connector';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { VolumeOps, type Snapshot, type Volume } from '@vmkit/vmdk-driver';
import { withBackend, type Backend } from '../backend.js';
import type { Command } from '../command.js';
import { renderTable, writeJson } from '../output.js';
import type { VolumeRecord } from '../volumes.js';
import { patchStreamOptimizedDisk, readDiskStart, sha256File, writeStreamOptimizedImage } from '../demo-disk.js';
import { positionals } from './volume.js';

const MiB = 1024 ** 2;

/** One step of the demo as reported. */
interface Step {
  step: string;
  ms: number;
  roundTrips: number;
  detail: string;
}

/** Runs the steps one after another, timing each and counting its SOAP round trips (`vmkit:soap:request`). */
class Steps {
  readonly done: Step[] = [];
  /**
   * Runs `act` as the step (timed, its round trips counted), then `check` (not counted: it reads the
   * outcome back from the inventory) to describe the result.
   */
  async run<T, U = T>(step: string, act: () => Promise<T>, check: (value: T) => Promise<U> | U, detail: (checked: U) => string): Promise<U> {
    let roundTrips = 0;
    const count = () => void roundTrips++;
    subscribe('vmkit:soap:request', count);
    const t0 = performance.now();
    let value: T;
    try {
      value = await act();
    } finally {
      unsubscribe('vmkit:soap:request', count);
    }
    const ms = Math.round(performance.now() - t0);
    const checked = await check(value);
    this.done.push({ step, ms, roundTrips, detail: detail(checked) });
    return checked;
  }
}

const describe = (v: VolumeRecord) => `${v.name}: ${v.sizeGb} GiB ${v.type ?? 'no disk'}${v.linked ? ' (linked)' : ''} on ${v.datastore ?? '?'}`;

/**
 * `vmkit demo`: the volume lifecycle end to end through the driver, on the embedded simulator unless
 * `--url` is given: a volume of each disk type, a snapshot, a full and a linked clone, an extend, a
 * revert, a retype, the connection info a host would get, the backend's stats, and deleting
 * everything. Each step's result is read back from the inventory, not taken from the driver's word.
 * Whatever happens (a failure, Ctrl-C), every volume the demo made is deleted before it returns.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the volume lifecycle end to end (on the embedded simulator unless --url is given) and print a summary',
  usage: 'vmkit demo [--url URL --user USER] [--json]',
  options: {},
  async run(ctx) {
    positionals(ctx, []);
    const { io, global, signal } = ctx;
    const steps = new Steps();
    const t0 = performance.now();
    let connected = 0;
    const tag = randomUUID().slice(0, 8);
    await withBackend(ctx, async (b: Backend) => {
      connected = Math.round(performance.now() - t0);
      const made: Volume[] = [];
      const work = await mkdtemp(join(tmpdir(), 'vmkit-demo-'));
      const read = (id: string) => b.find(id);
      const volume = (name: string, extraSpecs: Record<string, string>, size = 1): Volume => ({
        id: randomUUID(),
        name: `vmkit-demo-${tag}-${name}`,
        size,
        projectId: 'vmkit-demo',
        extraSpecs,
        status: 'available',
      });
      try {
        const byType: Record<string, Volume> = {};
        for (const type of ['thin', 'thick', 'eagerZeroedThick']) {
          const v = volume(type, { 'vmware:vmdk_type': type });
          made.push(v);
          byType[type] = v;
          await steps.run(`create a 1 GiB ${type} volume`, () => b.driver.createVolume(v), () => read(v.id), describe);
        }
        // An image made on the fly: 4 MiB of data at the start of a 64 MiB disk, stream-optimized by
        // transfer's encoder, imported into a new 1 GiB volume through the driver's image pipeline.
        const data = randomBytes(4 * MiB);
        const imagePath = join(work, 'demo-image.vmdk');
        await writeStreamOptimizedImage(imagePath, 64 * MiB, data, signal);
        const imported = volume('imported', { 'vmware:vmdk_type': 'thin' });
        made.push(imported);
        await steps.run('import a stream-optimized image (64 MiB disk) into a 1 GiB volume', async () => {
          const size = (await stat(imagePath)).size;
          await b.driver.copyImageToVolume(imported, 'demo-image', {
            info: () => Promise.resolve({ size, properties: { disk_format: 'vmdk', container_format: 'bare', vmware_disktype: 'streamOptimized' } }),
            open: () => Promise.resolve(createReadStream(imagePath)),
          });
          return size;
        }, async (size) => ({ size, v: await read(imported.id) }), ({ size, v }) => `${(size / MiB).toFixed(1)} MiB image -> ${describe(v)}`);

        const base = byType.thin!;
        const snap: Snapshot = { id: 'demo-snap', name: 'demo-snap', volume: base, volumeSize: base.size, description: 'made by vmkit demo' };
        await steps.run('snapshot the thin volume', () => b.driver.createSnapshot(snap), () => read(base.id), (v) => `${v.name}: snapshots ${v.snapshots.map((s) => s.name).join(', ')}`);

        const full = volume('full-clone', { 'vmware:vmdk_type': 'thin', 'vmware:clone_type': 'full' });
        made.push(full);
        await steps.run('clone it (full)', () => b.driver.createClonedVolume(full, base), () => read(full.id), describe);

        const linked = volume('linked-clone', { 'vmware:vmdk_type': 'thin', 'vmware:clone_type': 'linked' });
        made.push(linked);
        await steps.run('clone its snapshot (linked)', () => b.driver.createVolumeFromSnapshot(linked, snap), () => read(linked.id), describe);

        await steps.run('extend the full clone to 2 GiB', () => b.driver.extendVolume(full, 2), () => {
          full.size = 2;
          return read(full.id);
        }, describe);

        await steps.run('revert the thin volume to its snapshot', () => b.driver.revertToSnapshot(base, snap), () => read(base.id), (v) => `${v.name}: reverted to ${snap.name!}`);

        const thick = byType.thick!;
        const retyped = { 'vmware:vmdk_type': 'thin', 'vmware:adapter_type': 'paraVirtual' };
        await steps.run('retype the thick volume to thin, paraVirtual', () => b.driver.retype(thick, retyped), (done) => {
          if (!done) throw new Error('the driver refused the retype');
          thick.extraSpecs = retyped;
          return read(thick.id);
        }, (v) => `${describe(v)}, ${v.adapter ?? '?'}`);

        // Attach through the connector (the disk exported to a local file), check the imported data,
        // write a new first MiB into the file, and detach (the connector writes it back).
        const written = randomBytes(MiB);
        const connector = new VmdkConnector({ session: b.conn.session, tmpDir: work });
        try {
          const device = await steps.run('attach the imported volume (connector: export to a local file)', async () => {
            const info = await b.driver.initializeConnection(imported, { host: 'vmkit-demo', platform: 'x86_64', os_type: 'linux' });
            return { info, device: await connector.connectVolume(info, { signal }) };
          }, async (r) => {
            const start = await readDiskStart(r.device.path, data.length, signal);
            if (!start.equals(data)) throw new Error('the attached disk does not hold the imported image');
            return r;
          }, (r) => `${(r.device.size / MiB).toFixed(1)} MiB local file holds the image's 4 MiB`);
          await patchStreamOptimizedDisk(device.device.path, written, signal);
          await steps.run('write 1 MiB into it and detach (connector: import and swap)', () => connector.disconnectVolume(device.info, device.device, { signal }), (r) => r,
            (r) => (r.uploaded ? `written back to ${r.vmdkPath ?? '?'}` : 'not written back'));
        } finally {
          await connector.close();
        }

        const backupPath = join(work, 'backup.vmdk');
        const backup = await steps.run('back up the volume to a local file', () => b.driver.backupVolume(imported, createWriteStream(backupPath, { flags: 'wx' })),
          async (r) => ({ ...r, onDisk: await sha256File(backupPath) }), (r) => `${(r.size / MiB).toFixed(1)} MiB, sha256 ${r.sha256.slice(0, 12)}… ${r.onDisk === r.sha256 ? 'matches the file' : 'DOES NOT match the file'}`);
        if (backup.onDisk !== backup.sha256) throw new Error('the backup file does not match its digest');

        const restored = volume('restored', { 'vmware:vmdk_type': 'thin' });
        made.push(restored);
        await steps.run('restore the backup into a new volume', async () => {
          await b.driver.createVolume(restored);
          await b.driver.restoreBackup(restored, createReadStream(backupPath));
        }, () => read(restored.id), describe);

        const exportPath = join(work, 'export.vmdk');
        await steps.run('export the restored volume as an image and check its digest', () => b.driver.copyVolumeToImage(restored, {
          async write(stream, properties) {
            await pipeline(stream, createWriteStream(exportPath, { flags: 'wx' }), { signal });
            return { size: (await stat(exportPath)).size, checksum: { algorithm: 'sha256', value: await sha256File(exportPath) }, properties };
          },
        }), async (info) => {
          const start = await readDiskStart(exportPath, MiB, signal);
          return { info, same: start.equals(written), onDisk: await sha256File(exportPath) };
        }, (r) => `sha256 ${r.onDisk.slice(0, 12)}… ${r.onDisk === r.info.checksum?.value ? 'matches' : 'DOES NOT match'}; the MiB written through the attach ${r.same ? 'is there' : 'IS MISSING'}`);

        await steps.run('connection info for this host', () => b.driver.initializeConnection(full, { host: 'vmkit-demo', platform: 'x86_64', os_type: 'linux' }), (info) => info.data,
          (d) => `${d.vmdk_path ?? '?'} (${Math.round((d.vmdk_size ?? 0) / 1024 ** 3)} GiB), a one-use clone ticket, no password`);

        await steps.run('volume stats', () => b.driver.getVolumeStats(), (s) => s, (s) => `${s.free_capacity_gb} of ${s.total_capacity_gb} GiB free`);

        await steps.run('delete the snapshot', () => b.driver.deleteSnapshot(snap), () => read(base.id), (v) => `${v.name}: ${v.snapshots.length} snapshots left`);
      } finally {
        await rm(work, { recursive: true, force: true });
        // Delete every volume made, newest first (a linked clone before its parent), also after a
        // failure or an interrupt: those calls must not be aborted, so they go through their own ops.
        const cleanup = signal.aborted ? new VolumeOps(b.conn.session, {}) : b.driver.volumeops;
        await steps.run(`delete the ${made.length} volumes`, async () => {
          let deleted = 0;
          for (const v of [...made].reverse()) {
            const backing = await cleanup.getBacking(v.id).catch(() => undefined);
            if (backing === undefined) continue;
            await cleanup.deleteBacking(backing);
            deleted++;
          }
          return deleted;
        }, (n) => n, (n) => `${n} backings deleted`).catch((err: unknown) => {
          io.stderr.write(`vmkit demo: cleaning up failed: ${(err as Error).message}\n`);
        });
      }
    });
    const total = Math.round(performance.now() - t0);
    const summary = {
      steps: steps.done,
      connectMs: connected,
      totalMs: total,
      roundTrips: steps.done.reduce((n, s) => n + s.roundTrips, 0),
    };
    if (global.json) writeJson(io, summary);
    else {
      io.stdout.write(renderTable(steps.done, [
        { header: 'step', get: (r) => r.step },
        { header: 'ms', get: (r) => r.ms, right: true },
        { header: 'round trips', get: (r) => r.roundTrips, right: true },
        { header: 'result', get: (r) => r.detail },
      ]));
      io.stdout.write(`${steps.done.length} steps, ${summary.roundTrips} round trips, ${total} ms in all (${connected} ms to connect${b0(global.url)})\n`);
    }
    return 0;
  },
};

function b0(url: string | undefined): string {
  return url === undefined ? ' and start the embedded simulator' : '';
}
