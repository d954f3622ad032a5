import { readFile, readdir } from 'node:fs/promises';
import { arch, hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { CommandFailedError, ConnectorError } from './errors.js';
import { createCommandExecutor, type CommandExecutor } from './executor.js';

/** Options of {@link getConnectorProperties}, after os-brick's `get_connector_properties`. */
export interface ConnectorPropertiesOptions {
  /** The host's IP address (os-brick's `my_ip`). Default: the first non-internal IPv4 address, if any. */
  myIp?: string;
  /** The host name. Default: the OS's host name. */
  host?: string;
  /**
   * Whether the host wants multipath attachments. Default false. As in os-brick, `multipath` in the
   * result is true only when multipathd answers `multipathd show status`.
   */
  multipath?: boolean;
  /**
   * Refuse to go on without multipath: only valid together with `multipath: true`, and then a typed
   * error when multipathd is not running. Default false.
   */
  enforceMultipath?: boolean;
  /** Runs `multipathd show status` when `multipath` is asked for. Default: {@link createCommandExecutor}. */
  executor?: CommandExecutor;
  /** Whether volumes are to be attached locally even where the protocol does not need it (os-brick's RBD `do_local_attach`). Default false. */
  doLocalAttach?: boolean;
  /** The folder the `/etc` and `/sys` files are read under (for tests: a fake tree). Default `/`. */
  root?: string;
}

/**
 * The host's connector properties, with os-brick's keys (what Cinder's `initialize_connection` receives
 * as `connector`). A key whose source is missing or malformed is left out.
 */
export interface ConnectorProperties {
  /** The machine architecture as Python's `platform.machine()` names it (`x86_64`, `aarch64`, ...). */
  platform: string;
  /** The OS as Python's `sys.platform` names it (`linux`, `darwin`, `win32`). */
  os_type: string;
  /** The host's IP address. */
  ip?: string;
  /** The host name. */
  host: string;
  /** Whether multipath is wanted and multipathd is running. */
  multipath: boolean;
  /** Whether multipath is enforced. */
  enforce_multipath: boolean;
  /** The iSCSI initiator name (IQN or EUI), from `/etc/iscsi/initiatorname.iscsi`. */
  initiator?: string;
  /** The WWPNs of the online Fibre Channel ports (lower-case hex, no `0x`), from `/sys/class/fc_host/*`. */
  wwpns?: string[];
  /** The WWNNs of the online Fibre Channel ports, in the same order as `wwpns`. */
  wwnns?: string[];
  /** The NVMe host NQN, from `/etc/nvme/hostnqn`. */
  nqn?: string;
  /** The NVMe host id, from `/etc/nvme/hostid`. */
  nvme_hostid?: string;
  /** The system (DMI) UUID, from `/sys/class/dmi/id/product_uuid` (os-brick's key has a space). */
  'system uuid'?: string;
  /** Whether volumes are attached locally even where the protocol does not need it. */
  do_local_attach: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WWN = /^(?:0x)?([0-9a-f]{16})$/i;
// RFC 3720 names: iqn.yyyy-mm.reversed.domain[:anything], eui. + 16 hex digits, naa. + 16 or 32 hex digits.
const INITIATOR = /^(?:iqn\.\d{4}-\d{2}\.[a-z0-9][a-z0-9.-]*(?::\S+)?|eui\.[0-9a-f]{16}|naa\.(?:[0-9a-f]{16}|[0-9a-f]{32}))$/i;
const NQN = /^nqn\.\S{1,219}$/;

/** Python's `platform.machine()` names for Node's `os.arch()`. */
const MACHINE: Record<string, string> = { x64: 'x86_64', ia32: 'i686', arm64: 'aarch64', arm: 'armv7l', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loongarch64' };

/** A file's text, or undefined when it cannot be read (missing, a folder, no permission). */
async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function initiatorName(root: string): Promise<string | undefined> {
  const text = await readText(join(root, 'etc/iscsi/initiatorname.iscsi'));
  if (text === undefined) return undefined;
  for (const line of text.split('\n')) {
    const m = /^InitiatorName=(.*)$/.exec(line.trim());
    if (m !== null) {
      const name = m[1]!.trim();
      return INITIATOR.test(name) ? name : undefined;
    }
  }
  return undefined;
}

/** WWPNs and WWNNs of the online FC ports; a port whose files are missing or malformed is skipped. */
async function fcPorts(root: string): Promise<{ wwpns: string[]; wwnns: string[] }> {
  const dir = join(root, 'sys/class/fc_host');
  let hosts: string[];
  try {
    hosts = (await readdir(dir)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch {
    return { wwpns: [], wwnns: [] };
  }
  const wwpns: string[] = [];
  const wwnns: string[] = [];
  for (const h of hosts) {
    const [port, node, state] = await Promise.all(['port_name', 'node_name', 'port_state'].map((f) => readText(join(dir, h, f))));
    if (state?.trim() !== 'Online') continue;
    const p = WWN.exec(port?.trim() ?? '');
    const n = WWN.exec(node?.trim() ?? '');
    if (p === null || n === null) continue;
    wwpns.push(p[1]!.toLowerCase());
    wwnns.push(n[1]!.toLowerCase());
  }
  return { wwpns, wwnns };
}

async function matching(path: string, pattern: RegExp): Promise<string | undefined> {
  const text = (await readText(path))?.trim();
  return text !== undefined && pattern.test(text) ? text : undefined;
}

function firstIPv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** Whether multipathd answers; os-brick also treats an "error receiving packet" answer as not running. */
async function multipathdRunning(exec: CommandExecutor): Promise<{ running: boolean; cause?: unknown }> {
  const cmd = ['multipathd', 'show', 'status'];
  try {
    const r = await exec(cmd[0]!, cmd.slice(1), { timeoutMs: 10_000 });
    if (r.exitCode === 0 && !r.stdout.startsWith('error receiving packet')) return { running: true };
    return { running: false, cause: new CommandFailedError(cmd, r.exitCode === 0 ? 1 : r.exitCode, r.exitCode === 0 ? r.stdout : r.stderr) };
  } catch (cause) {
    return { running: false, cause };
  }
}

/**
 * The host's connector properties, as os-brick's `get_connector_properties` gathers them for Cinder:
 * platform, OS, IP, host name, multipath wishes, the iSCSI initiator name, the online FC ports' WWPNs
 * and WWNNs, the NVMe host NQN and host id, the system UUID. Files are read under `root` (default
 * `/`); a missing, unreadable or malformed source leaves its key out and never throws.
 *
 * @throws {@link ConnectorError} `VMKIT_CONNECTOR_INVALID_OPTIONS` when `enforceMultipath` is asked for
 * without `multipath`; `VMKIT_CONNECTOR_MULTIPATH_NOT_RUNNING` when it is asked for and multipathd is
 * not running.
 */
export async function getConnectorProperties(options: ConnectorPropertiesOptions = {}): Promise<ConnectorProperties> {
  const multipath = options.multipath ?? false;
  const enforce = options.enforceMultipath ?? false;
  if (enforce && !multipath) {
    throw new ConnectorError('enforceMultipath needs multipath: true (multipath cannot be enforced when it is not wanted)', 'VMKIT_CONNECTOR_INVALID_OPTIONS');
  }
  const root = options.root ?? '/';
  const mp = multipath ? await multipathdRunning(options.executor ?? createCommandExecutor()) : { running: false };
  if (enforce && !mp.running) {
    throw new ConnectorError('multipath is enforced but multipathd is not running', 'VMKIT_CONNECTOR_MULTIPATH_NOT_RUNNING', { cause: mp.cause });
  }
  const [initiator, fc, nqn, hostId, systemUuid] = await Promise.all([
    initiatorName(root),
    fcPorts(root),
    matching(join(root, 'etc/nvme/hostnqn'), NQN),
    matching(join(root, 'etc/nvme/hostid'), UUID),
    matching(join(root, 'sys/class/dmi/id/product_uuid'), UUID),
  ]);
  const ip = options.myIp ?? firstIPv4();
  const props: ConnectorProperties = {
    platform: MACHINE[arch()] ?? arch(),
    os_type: process.platform,
    ...(ip === undefined ? {} : { ip }),
    host: options.host ?? hostname(),
    multipath: multipath && mp.running,
    enforce_multipath: enforce,
    do_local_attach: options.doLocalAttach ?? false,
  };
  if (initiator !== undefined) props.initiator = initiator;
  if (fc.wwpns.length > 0) {
    props.wwpns = fc.wwpns;
    props.wwnns = fc.wwnns;
  }
  if (nqn !== undefined) props.nqn = nqn;
  if (hostId !== undefined) props.nvme_hostid = hostId;
  if (systemUuid !== undefined) props['system uuid'] = systemUuid;
  return props;
}
