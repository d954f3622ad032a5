import { Agent, request } from 'undici';

/** What {@link SimulatorControl.queueFault} makes the next calls of a method do instead of running. */
export interface QueuedFault {
  /** How many of the next calls fail this way (default 1). */
  count?: number;
  /**
   * The VIM or PBM fault's wire name, e.g. `FileLocked`, `NotAuthenticated`, `TaskInProgress`,
   * `PbmFault` (default `SystemError`). The fault is answered as vCenter does: HTTP 500 with a SOAP
   * fault whose detail carries the typed fault.
   */
  fault?: string;
  /** The fault's message (`faultstring`); default: the fault's name. */
  message?: string;
  /** Drop the connection without any answer instead of answering with a fault. */
  drop?: true;
}

/** Overrides of a datastore's state for {@link SimulatorControl.setDatastore}; omitted fields keep their value. */
export interface DatastoreState {
  /** `summary.freeSpace` and `info.freeSpace`, in bytes. */
  freeSpace?: number;
  /** `summary.capacity`, in bytes. */
  capacity?: number;
  /** `summary.maintenanceMode`. */
  maintenanceMode?: 'normal' | 'inMaintenance';
  /**
   * `summary.accessible` (and the host mounts' `accessible`). An inaccessible datastore refuses file work:
   * calls naming a `[name] ...` path answer InaccessibleDatastore, `/folder` answers 404.
   */
  accessible?: boolean;
  /** `summary.type`: `VMFS`, `NFS`, `NFS41`, `vsan`, `VVOL`, `OTHER`. */
  type?: string;
}

/**
 * The simulator's control endpoint (`/vmkit-control/...` on the simulator's own loopback address), for
 * failure-injection tests. Present only when the simulator was started with `control: true`; every
 * method of a simulator started without it rejects with a {@link SimulatorControlError}.
 */
export interface SimulatorControl {
  /**
   * Makes the next `count` calls of a SOAP method (its wire name, e.g. `CreateVM_Task`,
   * `RetrievePropertiesEx`, `PbmQueryMatchingHub`) fail with a fault, or drop their connection. Queued
   * entries of one method are used up in order.
   */
  queueFault(method: string, fault?: QueuedFault): Promise<void>;
  /** Delays every call of a method (or of every method: `'*'`) by `ms` milliseconds; 0 removes it. */
  setLatency(method: string, ms: number): Promise<void>;
  /** Ends every session as if vCenter had expired them; resolves with how many were ended. */
  terminateSessions(): Promise<number>;
  /** Changes a datastore's reported state (by its name). */
  setDatastore(name: string, state: DatastoreState): Promise<void>;
  /** Marks a datastore as compliant with a storage (PBM) profile, by the profile's name. */
  tagDatastore(name: string, profileName: string): Promise<void>;
  /**
   * Makes tasks run asynchronously: each task is returned queued, then runs with progress and
   * completes after about `ms` milliseconds. 0 (the default) restores the simulator's instant tasks.
   */
  setTaskDelay(ms: number): Promise<void>;
  /**
   * Makes HTTP NFC leases expire (state `error`, fault `Timedout`) when no progress or completion
   * arrives for `ms` milliseconds. 0 (the default) means leases never expire.
   */
  setLeaseTimeout(ms: number): Promise<void>;
  /** How many SOAP calls of `method` arrived (faulted and dropped ones included). */
  calls(method: string): Promise<number>;
  /** Every method called so far, with its count. */
  calls(): Promise<Record<string, number>>;
  /**
   * Undoes every change made through the control endpoint: queued faults, latencies, call counts, task
   * delay, lease timeout, datastore states and profile tags.
   */
  reset(): Promise<void>;
}

/** A control request that the simulator refused, or a control endpoint that is not turned on. */
export class SimulatorControlError extends Error {
  /** The HTTP status of the refusal, if there was an answer. */
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SimulatorControlError';
    this.status = status;
  }
}

const checkMs = (what: string, ms: number): void => {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`${what} must be a whole number of milliseconds >= 0, not ${ms}`);
};
const checkName = (what: string, v: string): void => {
  if (typeof v !== 'string' || v === '') throw new TypeError(`${what} must be a non-empty string`);
};

/**
 * A client of the control endpoint of a simulator serving at `sdkUrl`. `certificate` is the
 * simulator's certificate (PEM) when it serves TLS. With `enabled` false every method rejects.
 */
export function createSimulatorControl(
  sdkUrl: string,
  options: { certificate?: string | undefined; enabled: boolean },
): SimulatorControl & { close: () => Promise<void> } {
  const base = new URL('/vmkit-control/', sdkUrl);
  let agent: Agent | undefined;
  const dispatcher = (): Agent =>
    (agent ??= new Agent({
      connections: 4,
      ...(options.certificate === undefined ? {} : { connect: { ca: options.certificate, rejectUnauthorized: true } }),
    }));

  async function call<T>(path: string, body?: unknown): Promise<T> {
    if (!options.enabled) {
      throw new SimulatorControlError('the simulator was started without its control endpoint: pass { control: true } to startSimulator');
    }
    const url = new URL(path, base);
    let res;
    try {
      res = await request(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        dispatcher: dispatcher(),
      });
    } catch (err) {
      throw new SimulatorControlError(`control request ${url.pathname} failed: ${(err as Error).message}`, undefined, { cause: err });
    }
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new SimulatorControlError(`control request ${url.pathname}: not JSON (HTTP ${res.statusCode}): ${text.slice(0, 200)}`, res.statusCode);
    }
    if (res.statusCode !== 200) {
      const reason = (json as { error?: unknown }).error;
      throw new SimulatorControlError(
        `control request ${url.pathname} refused (HTTP ${res.statusCode}): ${typeof reason === 'string' ? reason : text.slice(0, 200)}`,
        res.statusCode,
      );
    }
    return json as T;
  }

  async function calls(method: string): Promise<number>;
  async function calls(): Promise<Record<string, number>>;
  async function calls(method?: string): Promise<number | Record<string, number>> {
    const { calls: all } = await call<{ calls: Record<string, number> }>('calls');
    return method === undefined ? all : (all[method] ?? 0);
  }

  return {
    async queueFault(method, fault = {}) {
      checkName('method', method);
      const count = fault.count ?? 1;
      if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`count must be a whole number >= 1, not ${count}`);
      if (fault.fault !== undefined) checkName('fault', fault.fault);
      if (fault.drop === true && fault.fault !== undefined) throw new TypeError('a queued entry either drops the connection or answers a fault, not both');
      await call('fault', { method, count, fault: fault.fault ?? '', message: fault.message ?? '', drop: fault.drop === true });
    },
    async setLatency(method, ms) {
      checkName('method', method);
      checkMs('latency', ms);
      await call('latency', { method, ms });
    },
    async terminateSessions() {
      return (await call<{ terminated: number }>('terminate-sessions', {})).terminated;
    },
    async setDatastore(name, state) {
      checkName('datastore name', name);
      for (const k of ['freeSpace', 'capacity'] as const) {
        const v = state[k];
        if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new RangeError(`${k} must be a whole number of bytes >= 0, not ${v}`);
      }
      if (state.maintenanceMode !== undefined && state.maintenanceMode !== 'normal' && state.maintenanceMode !== 'inMaintenance') {
        throw new TypeError(`maintenanceMode must be 'normal' or 'inMaintenance', not ${String(state.maintenanceMode)}`);
      }
      await call('datastore', { name, ...state });
    },
    async tagDatastore(name, profileName) {
      checkName('datastore name', name);
      checkName('profile name', profileName);
      await call('tag', { datastore: name, profile: profileName });
    },
    async setTaskDelay(ms) {
      checkMs('task delay', ms);
      await call('task-delay', { ms });
    },
    async setLeaseTimeout(ms) {
      checkMs('lease timeout', ms);
      await call('lease-timeout', { ms });
    },
    calls,
    async reset() {
      await call('reset', {});
    },
    async close() {
      await agent?.close();
    },
  };
}
