import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { taskProgressChannel } from '@vmkit/session';
import { VmdkDriver } from '@vmkit/vmdk-driver';
import type { CommandContext } from './command.js';
import { openConnection, type Connection } from './connect.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createProgress, type Progress } from './progress.js';
import { findVolume, listVolumes, type VolumeRecord } from './volumes.js';

/**
 * The driver options the command line runs with: backings made at once (the inventory is the CLI's
 * only state, so a volume exists only when its backing does), snapshots as VM snapshots (COW: they can
 * be listed on the volume and reverted to), and volume stats computed.
 */
export const CLI_DRIVER_CONFIG = {
  vmware_lazy_create: false,
  vmware_snapshot_format: 'COW',
  vmware_enable_volume_stats: true,
} as const;

/**
 * Cinder's datastore types, plus `other`: govmomi 0.24's simulator reports its local datastores as
 * OTHER, which Cinder's selector would refuse. Only for the embedded simulator.
 */
const EMBEDDED_DATASTORE_TYPES = ['vmfs', 'nfs', 'nfs41', 'vsan', 'vvol', 'other'];

/** A connection with the driver set up on its session. */
export interface Backend {
  conn: Connection;
  driver: VmdkDriver;
  /** The folder of this host's attachments. */
  attachDir: string;
  /** The volume with this id or name, read from the inventory ({@link findVolume}). */
  find(ref: string): Promise<VolumeRecord>;
  /** Every volume in the inventory ({@link listVolumes}). */
  list(): Promise<VolumeRecord[]>;
}

/**
 * Where `volume attach` puts the local files: `VMKIT_ATTACH_DIR`, else `$XDG_STATE_HOME/vmkit/attached`,
 * else `~/.local/state/vmkit/attached`.
 */
export function attachDirOf(env: NodeJS.ProcessEnv): string {
  if (env.VMKIT_ATTACH_DIR !== undefined && env.VMKIT_ATTACH_DIR !== '') return env.VMKIT_ATTACH_DIR;
  const state = env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== '' ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(state, 'vmkit', 'attached');
}

/**
 * Connects (or starts the embedded simulator), sets up the driver on that session, runs `work`, and
 * always closes both, also when `work` fails or is interrupted. While `work` runs, vCenter tasks show
 * a progress line on a terminal (not under `--json`).
 */
export async function withBackend<T>(ctx: CommandContext, work: (b: Backend) => Promise<T>, extraConfig: Readonly<Record<string, unknown>> = {}): Promise<T> {
  const { io, global, signal } = ctx;
  const conn = await openConnection(global, io, signal);
  const driver = new VmdkDriver(
    { ...conn.driverConfig, ...CLI_DRIVER_CONFIG, ...extraConfig },
    { session: conn.session, signal, ...(conn.embedded ? { datastoreTypes: EMBEDDED_DATASTORE_TYPES } : {}) },
  );
  const stopProgress = showTaskProgress(ctx);
  try {
    await driver.doSetup();
    const attachDir = attachDirOf(io.env);
    const lookup = { signal, attachDir };
    return await work({
      conn,
      driver,
      attachDir,
      find: (ref) => findVolume(conn.session, driver.volumeops, ref, lookup),
      list: () => listVolumes(conn.session, lookup),
    });
  } finally {
    stopProgress();
    await driver.close().catch(() => undefined);
    await conn.close().catch(() => undefined);
  }
}

/** Shows the progress of the vCenter task being waited for; returns the function that stops it. */
function showTaskProgress(ctx: CommandContext): () => void {
  if (ctx.global.json || ctx.io.stderr.isTTY !== true) return () => undefined;
  const bars = new Map<string, Progress>();
  const onMessage = (message: unknown) => {
    const m = message as { task: { value: string }; progress: number | undefined; state: string };
    let bar = bars.get(m.task.value);
    if (bar === undefined) {
      bar = createProgress(ctx.io, true, { label: `vCenter task ${m.task.value}`, total: 100, unit: 'percent' });
      bars.set(m.task.value, bar);
    }
    if (m.state === 'success' || m.state === 'error') {
      bar.end();
      bars.delete(m.task.value);
    } else bar.update(m.progress ?? 0);
  };
  subscribe(taskProgressChannel.name, onMessage);
  return () => {
    unsubscribe(taskProgressChannel.name, onMessage);
    for (const b of bars.values()) b.end();
  };
}
