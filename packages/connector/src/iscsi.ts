import { access, open } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VimAbortError } from '@vmkit/vim';
import type { Connector, ConnectorCallOptions, DisconnectOptions } from './connector.js';
import { CommandFailedError, ConnectorError, DeviceNotFoundError, OperationNotSupportedError } from './errors.js';
import { createCommandExecutor, type CommandExecutor, type CommandResult } from './executor.js';

/** `connection_info.data` of an iSCSI volume (os-brick's keys, one portal). */
export interface IscsiConnectionData {
  /** `address:port` (`[v6]:port` for IPv6); the port defaults to 3260. */
  target_portal: string;
  /** The target's IQN. */
  target_iqn: string;
  /** The LUN. */
  target_lun: number;
  /** The target was discovered already (skip the sendtargets discovery). Default false. */
  target_discovered?: boolean;
  /** `CHAP` to log in with CHAP. */
  auth_method?: string;
  /** The CHAP user name (with `auth_method`). */
  auth_username?: string;
  /** The CHAP secret (with `auth_method`); never in an error message. */
  auth_password?: string;
}

/** The `connection_info` of an iSCSI volume. */
export interface IscsiConnectionInfo {
  /** `iscsi`. */
  driver_volume_type: 'iscsi';
  data: IscsiConnectionData;
}

/** What an iSCSI attach resolves with: the block device's `/dev/disk/by-path` link. */
export interface IscsiDeviceInfo {
  /** Always `block`, as in os-brick. */
  type: 'block';
  /** The by-path link of the device. */
  path: string;
}

/** Options of {@link IscsiConnector}. */
export interface IscsiConnectorOptions {
  /** Runs `iscsiadm` and `blockdev`. Default: {@link createCommandExecutor} without a root helper. */
  executor?: CommandExecutor;
  /** The folder `/dev/disk/by-path` is looked for under (for tests). Default `/`. */
  root?: string;
  /** How long to wait for the device to appear after login, in ms (default 30 000). */
  deviceWaitMs?: number;
  /** How often to look for it, in ms (default 250). */
  devicePollMs?: number;
}

const DEFAULT_PORT = 3260;

/** `host:port` with the default port added, and the form udev puts in by-path names (no brackets). */
function portalOf(portal: string): { portal: string; udev: string } {
  const p = portal.trim();
  const withPort = /^\[[^\]]+\]:\d+$/.test(p) || /^[^:[\]]+:\d+$/.test(p) ? p : p.startsWith('[') ? `${p}:${DEFAULT_PORT}` : p.includes(':') ? `[${p}]:${DEFAULT_PORT}` : `${p}:${DEFAULT_PORT}`;
  return { portal: withPort, udev: withPort.replace('[', '').replace(']', '') };
}

function checkInfo(info: IscsiConnectionInfo): IscsiConnectionData {
  const d = (info as { data?: Partial<IscsiConnectionData> } | undefined)?.data;
  const bad = (what: string) => new ConnectorError(`invalid iSCSI connection_info: ${what}`, 'VMKIT_CONNECTOR_INVALID_CONNECTION_INFO');
  if (d === undefined || typeof d !== 'object') throw bad('data must be an object');
  if (typeof d.target_portal !== 'string' || !/^(?:\[[0-9a-f:.]+\]|[^\s:[\]/]+|[0-9a-f:]+)(?::\d+)?$/i.test(d.target_portal)) throw bad('data.target_portal must be address[:port]');
  if (typeof d.target_iqn !== 'string' || !/^(?:iqn|eui|naa)\.\S+$/.test(d.target_iqn)) throw bad('data.target_iqn must be an iqn., eui. or naa. name');
  if (!Number.isSafeInteger(d.target_lun) || d.target_lun! < 0) throw bad('data.target_lun must be a whole number >= 0');
  if (d.auth_method !== undefined && (typeof d.auth_username !== 'string' || typeof d.auth_password !== 'string')) throw bad('auth_method needs auth_username and auth_password');
  return d as IscsiConnectionData;
}

/** Parses `iscsiadm -m discovery` output lines (`10.0.0.1:3260,1 iqn.x`) into portal and IQN pairs. */
export function parseSendTargets(stdout: string): { portal: string; iqn: string }[] {
  const out: { portal: string; iqn: string }[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+?),\S*\s+(\S+)\s*$/.exec(line.trim());
    if (m !== null) out.push({ portal: m[1]!, iqn: m[2]! });
  }
  return out;
}

/** Parses `iscsiadm -m session` output lines (`tcp: [3] 10.0.0.1:3260,1 iqn.x (non-flash)`). */
function parseSessions(stdout: string): { portal: string; iqn: string }[] {
  const out: { portal: string; iqn: string }[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\S+:\s+\[\d+\]\s+(\S+?),\S*\s+(\S+)/.exec(line.trim());
    if (m !== null) out.push({ portal: m[1]!, iqn: m[2]! });
  }
  return out;
}

/**
 * Attaches iSCSI volumes to this host with open-iscsi's `iscsiadm`, as os-brick's `ISCSIConnector` does
 * for a single path. Every command goes through the injectable executor; the exact commands are listed
 * in the package README. CHAP secrets never appear in an error.
 */
export class IscsiConnector implements Connector<IscsiConnectionInfo, IscsiDeviceInfo> {
  readonly protocol = 'ISCSI';
  private readonly exec: CommandExecutor;
  private readonly root: string;
  private readonly waitMs: number;
  private readonly pollMs: number;

  constructor(options: IscsiConnectorOptions = {}) {
    this.exec = options.executor ?? createCommandExecutor();
    this.root = options.root ?? '/';
    this.waitMs = options.deviceWaitMs ?? 30_000;
    this.pollMs = options.devicePollMs ?? 250;
  }

  /** The `/dev/disk/by-path` link udev makes for this volume (under `root`). */
  devicePath(info: IscsiConnectionInfo): string {
    const d = checkInfo(info);
    return join(this.root, 'dev/disk/by-path', `ip-${portalOf(d.target_portal).udev}-iscsi-${d.target_iqn}-lun-${d.target_lun}`);
  }

  /**
   * Discovers the target (unless `target_discovered`), creates its node record, sets CHAP, logs in
   * (unless a session exists already), sets `node.startup automatic`, and waits for the by-path link.
   * If the device does not appear, the login is undone and {@link DeviceNotFoundError} thrown.
   */
  async connectVolume(info: IscsiConnectionInfo, options: ConnectorCallOptions = {}): Promise<IscsiDeviceInfo> {
    const d = checkInfo(info);
    const { portal } = portalOf(d.target_portal);
    // Every command of the attach hides the CHAP secret, in its arguments and in what it printed.
    const o = { signal: options.signal, secrets: d.auth_password === undefined || d.auth_password === '' ? [] : [d.auth_password] };
    const { signal } = o;
    if (d.target_discovered !== true) {
      const found = await this.discover(portal, { signal });
      if (!found.some((t) => t.iqn === d.target_iqn)) {
        throw new ConnectorError(`the portal ${portal} does not offer the target ${d.target_iqn} (sendtargets found ${found.length})`, 'VMKIT_CONNECTOR_TARGET_NOT_FOUND');
      }
    }
    const node = ['-m', 'node', '-T', d.target_iqn, '-p', portal];
    const show = await this.run(node, { ...o, ok: [0, 21, 255] });
    // 21: no record (open-iscsi >= 2.0-871), 255: older versions; then create it.
    if (show.exitCode !== 0) await this.run([...node, '--interface', 'default', '--op', 'new'], o);
    if (d.auth_method !== undefined) {
      await this.run([...node, '--op', 'update', '-n', 'node.session.auth.authmethod', '-v', d.auth_method], o);
      await this.run([...node, '--op', 'update', '-n', 'node.session.auth.username', '-v', d.auth_username!], o);
      await this.run([...node, '--op', 'update', '-n', 'node.session.auth.password', '-v', d.auth_password!], o);
    }
    const sessions = await this.run(['-m', 'session'], { ...o, ok: [0, 21] });
    const loggedIn = parseSessions(sessions.stdout).some((s) => s.iqn === d.target_iqn && s.portal.toLowerCase() === portal.toLowerCase());
    if (!loggedIn) await this.run([...node, '--login'], { ...o, ok: [0, 15] }); // 15: the session exists already
    await this.run([...node, '--op', 'update', '-n', 'node.startup', '-v', 'automatic'], o);
    const path = this.devicePath(info);
    try {
      await this.waitFor(path, signal);
    } catch (err) {
      await this.logout(node, { force: true }, o.secrets).catch(() => undefined);
      throw err;
    }
    return { type: 'block', path };
  }

  /**
   * Flushes the device's buffers (`blockdev --flushbufs`), sets `node.startup manual`, logs out and
   * deletes the node record. With `force`, every step runs even when one fails; the first failure is
   * thrown at the end.
   */
  async disconnectVolume(info: IscsiConnectionInfo, device: IscsiDeviceInfo | undefined, options: DisconnectOptions = {}): Promise<void> {
    const d = checkInfo(info);
    const { portal } = portalOf(d.target_portal);
    const path = device?.path ?? this.devicePath(info);
    let first: unknown;
    const step = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        if (options.force !== true) throw err;
        first ??= err;
      }
    };
    if (await exists(path)) await step(() => this.run(['--flushbufs', path], { program: 'blockdev', signal: options.signal }));
    const secrets = d.auth_password === undefined || d.auth_password === '' ? [] : [d.auth_password];
    await step(() => this.logout(['-m', 'node', '-T', d.target_iqn, '-p', portal], options, secrets));
    if (first !== undefined) throw first as Error;
  }

  /** Not done by this connector: a typed {@link OperationNotSupportedError}. */
  extendVolume(): Promise<number> {
    return Promise.reject(new OperationNotSupportedError('extendVolume', 'the iSCSI connector does not rescan a resized LUN; detach and attach again'));
  }

  /** The by-path link when it exists, else nothing. */
  async getVolumePaths(info: IscsiConnectionInfo): Promise<string[]> {
    const path = this.devicePath(info);
    return (await exists(path)) ? [path] : [];
  }

  /** Whether the device can be opened and its first byte read (os-brick reads one block with `dd`). */
  async checkValidDevice(path: string): Promise<boolean> {
    try {
      const fh = await open(path, 'r');
      try {
        await fh.read(Buffer.alloc(1), 0, 1, 0);
        return true;
      } finally {
        await fh.close();
      }
    } catch {
      return false;
    }
  }

  /** `iscsiadm -m discovery -t sendtargets -I default -p PORTAL`: the portals and targets offered. */
  async discover(portal: string, options: ConnectorCallOptions = {}): Promise<{ portal: string; iqn: string }[]> {
    const res = await this.run(['-m', 'discovery', '-t', 'sendtargets', '-I', 'default', '-p', portalOf(portal).portal], { signal: options.signal });
    return parseSendTargets(res.stdout);
  }

  private async logout(node: string[], options: DisconnectOptions, secrets: readonly string[] = []): Promise<void> {
    const ok = [0, 21, 255]; // no record / no session: nothing to undo
    let first: unknown;
    for (const args of [
      [...node, '--op', 'update', '-n', 'node.startup', '-v', 'manual'],
      [...node, '--logout'],
      [...node, '--op', 'delete'],
    ]) {
      try {
        await this.run(args, { ok, signal: options.signal, secrets });
      } catch (err) {
        if (options.force !== true) throw err;
        first ??= err;
      }
    }
    if (first !== undefined) throw first as Error;
  }

  private async waitFor(path: string, signal: AbortSignal | undefined): Promise<void> {
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      if (await exists(path)) return;
      if (Date.now() >= deadline) throw new DeviceNotFoundError([path]);
      await sleep(this.pollMs, undefined, signal === undefined ? {} : { signal }).catch((cause: unknown) => {
        throw new VimAbortError('waiting for the iSCSI device was aborted', { cause });
      });
    }
  }

  private async run(args: string[], o: { ok?: number[]; signal?: AbortSignal | undefined; secrets?: readonly string[]; program?: string }): Promise<CommandResult> {
    const program = o.program ?? 'iscsiadm';
    const secrets = o.secrets ?? [];
    const hide = (text: string) => secrets.reduce((t, x) => t.split(x).join('***'), text);
    const shown = [program, ...args.map(hide)];
    let res: CommandResult;
    try {
      res = await this.exec(program, args, o.signal === undefined ? {} : { signal: o.signal });
    } catch (err) {
      if (err instanceof CommandFailedError) throw new CommandFailedError(shown, undefined, hide(err.stderr), secrets.length === 0 ? { cause: err.cause } : {});
      throw err;
    }
    if (!(o.ok ?? [0]).includes(res.exitCode)) {
      throw new CommandFailedError(shown, res.exitCode, hide(res.stderr));
    }
    return res;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
