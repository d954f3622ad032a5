import { mkdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { VmdkConnector, getConnectorProperties } from '@vmkit/connector';
import type { ConnectorProperties } from '@vmkit/vmdk-driver';
import { withBackend, type Backend } from '../backend.js';
import type { Command } from '../command.js';
import { ConflictError } from '../errors.js';
import { writeJson } from '../output.js';
import { printDone } from '../present.js';
import { attachmentPath, toDriverVolume, type VolumeRecord } from '../volumes.js';
import { positionals } from './volume.js';

/**
 * The modification time an attach gives its file (2000-01-01T00:00:00Z). Nothing else is recorded: a
 * file whose mtime is still this one is unchanged, any write moves it, and then detach writes it back.
 */
export const ATTACH_MTIME_S = 946_684_800;

/** This host's connector properties (os-brick's keys, from `@vmkit/connector`). */
async function hostConnector(): Promise<ConnectorProperties> {
  return { ...(await getConnectorProperties()) };
}

function connectorFor(b: Backend): VmdkConnector {
  // The connector works through the CLI's own session: no second login, no ticket to spend.
  return new VmdkConnector({ session: b.conn.session, tmpDir: b.attachDir });
}

const attach: Command = {
  name: 'volume attach',
  summary: "attach a volume to this host through the VMDK connector: its disk as a local stream-optimized VMDK",
  usage: 'vmkit volume attach <id|name> [--json]',
  options: {},
  async run(ctx) {
    const [ref] = positionals(ctx, ['id|name']);
    const r = await withBackend(ctx, async (b) => {
      const v = await b.find(ref!);
      if (v.attachedPath !== undefined) throw new ConflictError(`volume ${v.name} is attached to this host already, at ${v.attachedPath}`);
      await mkdir(b.attachDir, { recursive: true, mode: 0o700 });
      const info = await b.driver.initializeConnection(toDriverVolume(v), await hostConnector());
      const connector = connectorFor(b);
      try {
        const device = await connector.connectVolume(info, { signal: ctx.signal });
        const path = attachmentPath(b.attachDir, v.id);
        try {
          await rename(device.path, path);
          await utimes(path, ATTACH_MTIME_S, ATTACH_MTIME_S);
        } catch (err) {
          await rm(device.path, { force: true });
          await rm(path, { force: true });
          throw err;
        }
        return { id: v.id, name: v.name, path };
      } finally {
        await connector.close();
      }
    });
    if (ctx.global.json) writeJson(ctx.io, { id: r.id, path: r.path });
    else ctx.io.stdout.write(`${r.path}\n`);
    return 0;
  },
};

/** Detaches `v`: writes the local file back when it changed, then removes it. */
async function detachVolume(b: Backend, v: VolumeRecord, signal: AbortSignal): Promise<{ uploaded: boolean; vmdkPath?: string }> {
  const path = v.attachedPath;
  if (path === undefined) throw new ConflictError(`volume ${v.name} is not attached to this host`);
  const st = await stat(path);
  const unchanged = st.mtimeMs === ATTACH_MTIME_S * 1000;
  const device = { path, size: st.size, mtime: unchanged ? st.mtimeMs : ATTACH_MTIME_S * 1000 };
  const volume = toDriverVolume(v, { status: 'available' });
  const connector = connectorFor(b);
  try {
    const info = await b.driver.initializeConnection(volume, await hostConnector());
    const result = await connector.disconnectVolume(info, device, { signal });
    await b.driver.terminateConnection(volume, await hostConnector());
    return result;
  } finally {
    await connector.close();
  }
}

const detach: Command = {
  name: 'volume detach',
  summary: 'detach a volume from this host: a changed local file is written back into the volume, then removed',
  usage: 'vmkit volume detach <id|name> [--json]',
  options: {},
  async run(ctx) {
    const [ref] = positionals(ctx, ['id|name']);
    const r = await withBackend(ctx, async (b) => {
      const v = await b.find(ref!);
      return { v, ...(await detachVolume(b, v, ctx.signal)) };
    });
    printDone(ctx.io, ctx.global, { id: r.v.id, uploaded: r.uploaded, ...(r.vmdkPath === undefined ? {} : { vmdkPath: r.vmdkPath }) },
      r.uploaded ? `detached volume ${r.v.name}; the changed disk was written back to ${r.vmdkPath ?? 'the volume'}` : `detached volume ${r.v.name}; unchanged`);
    return 0;
  },
};

/** `volume attach` and `volume detach`. */
export const attachCommands: readonly Command[] = [attach, detach];
