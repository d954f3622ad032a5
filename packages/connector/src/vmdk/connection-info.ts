import { ConnectorError } from '../errors.js';

/**
 * How the VMDK connector reaches vCenter, carried in `connection_info.data.config`: Cinder's
 * `vmware_*` option names, without the user name and password. The connector logs in with
 * `vmware_clone_ticket` (a ticket the driver got from `SessionManager.AcquireCloneTicket`; it works
 * once and for a short time) unless the caller gives it a session of its own.
 */
export interface VmdkConnectorConfig {
  /** vCenter's host name or address, or its full SDK URL (`https://vc.example.com/sdk`). */
  vmware_host_ip: string;
  /** The port, when not 443 (and not given in `vmware_host_ip`). */
  vmware_host_port?: number;
  /** The clone ticket to log in with (`CloneSession`). A secret: never logged, never in an error. */
  vmware_clone_ticket?: string;
  /** A PEM file of the CA(s) that signed vCenter's certificate. TLS verification is on by default. */
  vmware_ca_file?: string;
  /** Turn TLS verification off; only when asked for. */
  vmware_insecure?: boolean;
  /** Attempts of a retriable call (Cinder's default 10). */
  vmware_api_retry_count?: number;
  /** Seconds a task wait may block in one call (Cinder's `vmware_task_poll_interval`, default 2 there). */
  vmware_task_poll_interval?: number;
  /** Where the local VMDK file of an attachment is written (default: the OS's temporary folder). */
  vmware_tmp_dir?: string;
  /** Upper bound of one disk transfer in seconds (Cinder's default 7200). */
  vmware_image_transfer_timeout_secs?: number;
  /**
   * Cinder's user name, for os-brick compatibility; used only when the connector was created with
   * `allowPasswordLogin: true`.
   */
  vmware_host_username?: string;
  /**
   * Cinder's password, for os-brick compatibility. A `connection_info` that carries one is refused
   * unless the connector was created with `allowPasswordLogin: true`.
   */
  vmware_host_password?: string;
}

/** `connection_info.data` of a VMDK volume, as Cinder's VMDK driver's `_get_connection_info` builds it. */
export interface VmdkConnectionData {
  /** The managed object id of the volume's backing VM (e.g. `vm-42`). */
  volume: string;
  /** The volume's id. */
  volume_id: string;
  /** The volume's name. */
  name: string;
  /** The storage (PBM) profile id of the volume, if it has one; given to the swapped-in disk. */
  profile_id?: string | null;
  /** The volume's size in bytes. */
  vmdk_size?: number;
  /** The datastore path of the backing's disk (`[ds] dir/file.vmdk`) at the time of the connection. */
  vmdk_path?: string;
  /** The managed object id of the backing's datastore. */
  datastore?: string;
  /** The managed object id of the backing's datacenter. */
  datacenter?: string;
  /** How to reach vCenter; absent when the caller gives the connector a session. */
  config?: VmdkConnectorConfig;
}

/** The `connection_info` of a VMDK volume: `{ driver_volume_type: 'vmdk', data }`. */
export interface VmdkConnectionInfo {
  driver_volume_type: 'vmdk';
  data: VmdkConnectionData;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(what: string): ConnectorError {
  return new ConnectorError(`invalid VMDK connection_info: ${what}`, 'VMKIT_CONNECTOR_INVALID_CONNECTION_INFO');
}

function optional(o: Record<string, unknown>, key: string, type: 'string' | 'number' | 'boolean', where: string): void {
  const v = o[key];
  if (v === undefined || v === null) return;
  if (typeof v !== type) throw invalid(`${where}.${key} must be a ${type}`);
  if (type === 'number' && !(Number.isFinite(v) && (v as number) >= 0)) throw invalid(`${where}.${key} must be a number >= 0`);
}

/**
 * Checks that a value is a VMDK `connection_info` (for one read from JSON, say) and returns it typed.
 * A malformed one is a {@link ConnectorError} with code `VMKIT_CONNECTOR_INVALID_CONNECTION_INFO`
 * whose message names the field and never its value.
 */
export function parseVmdkConnectionInfo(value: unknown): VmdkConnectionInfo {
  if (!isObject(value)) throw invalid('not an object');
  if (typeof value.driver_volume_type !== 'string' || value.driver_volume_type.toLowerCase() !== 'vmdk') throw invalid('driver_volume_type must be "vmdk"');
  const data = value.data;
  if (!isObject(data)) throw invalid('data must be an object');
  for (const key of ['volume', 'volume_id', 'name'] as const) {
    if (typeof data[key] !== 'string' || data[key] === '') throw invalid(`data.${key} must be a non-empty string`);
  }
  for (const key of ['profile_id', 'vmdk_path', 'datastore', 'datacenter']) optional(data, key, 'string', 'data');
  optional(data, 'vmdk_size', 'number', 'data');
  if (data.config !== undefined && data.config !== null) {
    const c = data.config;
    if (!isObject(c)) throw invalid('data.config must be an object');
    if (typeof c.vmware_host_ip !== 'string' || c.vmware_host_ip === '') throw invalid('data.config.vmware_host_ip must be a non-empty string');
    for (const key of ['vmware_clone_ticket', 'vmware_ca_file', 'vmware_tmp_dir', 'vmware_host_username', 'vmware_host_password']) optional(c, key, 'string', 'data.config');
    for (const key of ['vmware_host_port', 'vmware_api_retry_count', 'vmware_task_poll_interval', 'vmware_image_transfer_timeout_secs']) optional(c, key, 'number', 'data.config');
    optional(c, 'vmware_insecure', 'boolean', 'data.config');
  }
  return { ...value, driver_volume_type: 'vmdk', data } as unknown as VmdkConnectionInfo;
}
