import { DriverConfigError } from './errors.js';

/** Virtual disk adapter types (Cinder's `VirtualDiskAdapterType`). */
export const adapterTypes = ['lsiLogic', 'busLogic', 'lsiLogicsas', 'paraVirtual', 'ide'] as const;
/** One adapter type. */
export type AdapterType = (typeof adapterTypes)[number];

/**
 * The driver's options, with Cinder's `vmware_*` names and defaults, so that an operator's cinder.conf
 * section carries over as it is.
 */
export interface VmdkDriverConfig {
  /** vCenter (or ESX) address, or a full SDK URL (`https://host/sdk`). Required. */
  vmware_host_ip: string;
  /** Default 443. */
  vmware_host_port: number;
  /** Required. */
  vmware_host_username: string;
  /** Required; never logged. */
  vmware_host_password: string;
  /** Attempts of a retriable API call. Default 10. */
  vmware_api_retry_count: number;
  /** Seconds between task polls in Cinder; here the longest single WaitForUpdatesEx. Default 2.0. */
  vmware_task_poll_interval: number;
  /** Inventory folder of the volumes (a path, `/` separated). Default `Volumes`. */
  vmware_volume_folder: string;
  /** Timeout of an image transfer, seconds. Default 7200. */
  vmware_image_transfer_timeout_secs: number;
  /** Objects per property collector page. Default 100. */
  vmware_max_objects_retrieval: number;
  /** The vCenter version, when it should not be read from the server. */
  vmware_host_version: string | undefined;
  /** Where disks are staged during image transfers. Default `/tmp`. */
  vmware_tmp_dir: string;
  /** CA bundle to verify vCenter's certificate with. */
  vmware_ca_file: string | undefined;
  /** Skip certificate verification (ignored when a CA file is given, as in Cinder). Default false. */
  vmware_insecure: boolean;
  /** Compute clusters where volumes may be created (all when empty). */
  vmware_cluster_name: string[];
  /** Storage profiles whose statistics are reported. */
  vmware_storage_profile: string[];
  /** HTTP connections per session. Default 10. */
  vmware_connection_pool_size: number;
  /** Adapter type when neither the volume type nor the image says. Default `lsiLogic`. */
  vmware_adapter_type: AdapterType;
  /** `template` (a template VM per snapshot) or `COW` (a VM snapshot). Default `template`. */
  vmware_snapshot_format: 'template' | 'COW';
  /** Create the backing on first use rather than at volume creation. Default true. */
  vmware_lazy_create: boolean;
  /** Only datastores whose names match this regular expression. */
  vmware_datastore_regex: RegExp | undefined;
  /** Report volume statistics. Default false. */
  vmware_enable_volume_stats: boolean;
}

type Kind = 'string' | 'port' | 'int' | 'float' | 'bool' | 'list' | 'optional-string';
const spec: Record<keyof VmdkDriverConfig, { kind: Kind; default?: unknown; min?: number; allowed?: readonly string[] }> = {
  vmware_host_ip: { kind: 'string' },
  vmware_host_port: { kind: 'port', default: 443 },
  vmware_host_username: { kind: 'string' },
  vmware_host_password: { kind: 'string' },
  vmware_api_retry_count: { kind: 'int', default: 10, min: 1 },
  vmware_task_poll_interval: { kind: 'float', default: 2.0, min: 0 },
  vmware_volume_folder: { kind: 'string', default: 'Volumes' },
  vmware_image_transfer_timeout_secs: { kind: 'int', default: 7200, min: 1 },
  vmware_max_objects_retrieval: { kind: 'int', default: 100, min: 1 },
  vmware_host_version: { kind: 'optional-string' },
  vmware_tmp_dir: { kind: 'string', default: '/tmp' },
  vmware_ca_file: { kind: 'optional-string' },
  vmware_insecure: { kind: 'bool', default: false },
  vmware_cluster_name: { kind: 'list', default: [] },
  vmware_storage_profile: { kind: 'list', default: [] },
  vmware_connection_pool_size: { kind: 'int', default: 10, min: 1 },
  vmware_adapter_type: { kind: 'string', default: 'lsiLogic', allowed: adapterTypes },
  vmware_snapshot_format: { kind: 'string', default: 'template', allowed: ['template', 'COW'] },
  vmware_lazy_create: { kind: 'bool', default: true },
  vmware_datastore_regex: { kind: 'optional-string' },
  vmware_enable_volume_stats: { kind: 'bool', default: false },
};

function convert(name: string, kind: Kind, raw: unknown, min: number | undefined): unknown {
  const bad = (what: string): never => {
    // The password's value is never echoed.
    const shown = name.includes('password') ? 'the given value' : JSON.stringify(raw);
    throw new DriverConfigError(name, `${shown} is not ${what}`);
  };
  switch (kind) {
    case 'string':
    case 'optional-string':
      if (typeof raw !== 'string' || raw === '') bad('a non-empty string');
      return raw;
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(true|false|yes|no|1|0|on|off)$/i.test(raw)) return /^(true|yes|1|on)$/i.test(raw);
      return bad('a boolean');
    case 'port':
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) bad('a whole number');
      if (kind === 'port' && (n < 1 || n > 65535)) bad('a port number (1-65535)');
      if (min !== undefined && n < min) bad(`at least ${min}`);
      return n;
    }
    case 'float': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) bad('a number');
      if (min !== undefined && n < min) bad(`at least ${min}`);
      return n;
    }
    case 'list': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : bad('a list');
      if (!items.every((x): x is string => typeof x === 'string' && x !== '')) bad('a list of non-empty strings');
      return items;
    }
  }
}

/**
 * Validates a driver configuration (Cinder option names; values as they come from a config file:
 * strings, or already typed) and fills in Cinder's defaults. Unknown options, missing required ones and
 * bad values are {@link DriverConfigError}s naming the option.
 */
export function parseDriverConfig(input: Readonly<Record<string, unknown>>): VmdkDriverConfig {
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(spec, key)) throw new DriverConfigError(key, 'unknown option');
  }
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(spec)) {
    const raw = input[name];
    if (raw === undefined || raw === null) {
      if (s.kind === 'optional-string') out[name] = undefined;
      else if (s.default === undefined) throw new DriverConfigError(name, 'is required');
      else out[name] = Array.isArray(s.default) ? [...(s.default as unknown[])] : s.default;
      continue;
    }
    const value = convert(name, s.kind, raw, s.min);
    if (s.allowed !== undefined && !s.allowed.includes(value as string)) {
      throw new DriverConfigError(name, `${JSON.stringify(value)} is not one of ${s.allowed.join(', ')}`);
    }
    out[name] = value;
  }
  if (typeof out.vmware_datastore_regex === 'string') {
    try {
      out.vmware_datastore_regex = new RegExp(out.vmware_datastore_regex);
    } catch (cause) {
      throw new DriverConfigError('vmware_datastore_regex', 'is not a valid regular expression', { cause });
    }
  }
  return out as unknown as VmdkDriverConfig;
}
