import { spawn } from 'node:child_process';
import { ensureSimulatorBinary } from './build.js';
import { createSimulatorControl } from './control.js';
import type { SimulatorControl } from './control.js';

/** Options of {@link startSimulator}. */
export interface SimulatorOptions {
  /** `vpx` (vCenter, the default) or `esx` (a standalone host; no PBM). */
  model?: 'vpx' | 'esx';
  /** Datacenters (vpx). Default 1. */
  datacenters?: number;
  /** Clusters per datacenter (vpx). Default 1. */
  clusters?: number;
  /** Hosts per cluster (vpx). Default 3. */
  clusterHosts?: number;
  /** Standalone hosts per datacenter (vpx). Default 1. */
  hosts?: number;
  /** VMs per host or cluster resource pool (govmomi's counting). Default 2. */
  vms?: number;
  /** Local datastores per datacenter. Default 1. */
  datastores?: number;
  /** Serve https with a self-signed certificate, returned as `certificate` (PEM). */
  tls?: boolean;
  /** Expire sessions idle for longer than this many milliseconds. Default: never. */
  idleTimeoutMs?: number;
  /**
   * Turn on the control endpoint (`/vmkit-control/...`) for failure-injection tests, reached through
   * {@link Simulator.control}. Off by default.
   */
  control?: boolean;
  /**
   * Datastore types, assigned to the datastores in turn (`['vmfs', 'nfs', 'vsan']`: the first is VMFS,
   * the second NFS, the third vSAN, the fourth VMFS again, ...). Default: every datastore VMFS.
   */
  datastoreTypes?: readonly ('vmfs' | 'nfs' | 'vsan')[];
  /** Listen address; loopback only. Default `127.0.0.1:0`. */
  listen?: string;
  /** Further flags for the binary (see tools/vcsim/README.md). */
  extraArgs?: readonly string[];
  /** Log the simulator's messages on this process's stderr. */
  verbose?: boolean;
  /** Environment of the simulator process. */
  env?: NodeJS.ProcessEnv;
  /** Aborts start-up; a simulator already started is stopped. */
  signal?: AbortSignal;
  /** How long to wait for the ready line, in milliseconds (default 60 000; the build is not counted). */
  startTimeoutMs?: number;
}

/** What the simulator prints when ready. */
export interface SimulatorInfo {
  /** The SDK endpoint, `http(s)://127.0.0.1:PORT/sdk`. */
  url: string;
  /** The PBM endpoint, `.../pbm` (vpx only). */
  pbmUrl: string;
  username: string;
  password: string;
  /** The server certificate (PEM) when started with `tls`; trust it as the CA. */
  certificate?: string;
  model: 'vpx' | 'esx';
  pid: number;
}

/** A running simulator. */
export interface Simulator extends SimulatorInfo {
  /** The control endpoint; its methods reject unless started with `control: true`. */
  control: SimulatorControl;
  /** Stops it (SIGTERM, then SIGKILL after a grace period) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function flagsOf(o: SimulatorOptions): string[] {
  const args: string[] = [];
  const num = (flag: string, v: number | undefined) => {
    if (v === undefined) return;
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${flag} must be a whole number >= 0, not ${v}`);
    args.push(`-${flag}`, String(v));
  };
  if (o.model !== undefined) args.push('-model', o.model);
  num('dc', o.datacenters);
  num('cluster', o.clusters);
  num('cluster-host', o.clusterHosts);
  num('host', o.hosts);
  num('vm', o.vms);
  num('ds', o.datastores);
  if (o.tls === true) args.push('-tls');
  if (o.idleTimeoutMs !== undefined) args.push('-idle-timeout', `${o.idleTimeoutMs}ms`);
  if (o.control === true) args.push('-control');
  if (o.datastoreTypes !== undefined && o.datastoreTypes.length > 0) args.push('-ds-types', o.datastoreTypes.join(','));
  if (o.listen !== undefined) args.push('-listen', o.listen);
  if (o.verbose === true) args.push('-verbose');
  return [...args, ...(o.extraArgs ?? [])];
}

/**
 * Starts VMware's vCenter simulator (building it first if needed) and resolves once it serves. The
 * child's standard input is a pipe held by this process, so the simulator exits by itself when this
 * process dies, however it dies.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const args = flagsOf(options);
  const binary = await ensureSimulatorBinary();
  options.signal?.throwIfAborted();
  const child = spawn(binary, args, {
    stdio: ['pipe', 'pipe', options.verbose === true ? 'inherit' : 'pipe'],
    env: options.env ?? process.env,
  });
  let stderrTail = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderrTail = (stderrTail + d).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      child.stdin?.destroy();
    })();
    return stopping;
  };

  const info = await new Promise<SimulatorInfo>((resolve, reject) => {
    let out = '';
    const fail = (message: string) => {
      cleanup();
      void stop();
      reject(new Error(`${message}${stderrTail === '' ? '' : `\n${stderrTail.trim()}`}`));
    };
    const onData = (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      cleanup();
      try {
        resolve(JSON.parse(out.slice(0, nl)) as SimulatorInfo);
      } catch {
        void stop();
        reject(new Error(`the simulator printed something other than its JSON line: ${out.slice(0, 200)}`));
      }
    };
    const onExit = (code: number | null, sig: string | null) => fail(`the simulator exited before it was ready (code ${code}, signal ${sig})`);
    const onAbort = () => fail('start-up aborted');
    const timer = setTimeout(() => fail('the simulator did not become ready in time'), options.startTimeoutMs ?? 60_000);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.once('exit', onExit);
    child.once('error', (err) => fail(`the simulator could not be started: ${err.message}`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  // Nothing more is printed on stdout; keep draining so that the pipe never fills.
  child.stdout?.resume();
  const control = createSimulatorControl(info.url, { certificate: info.certificate, enabled: options.control === true });
  const stopAll = async (): Promise<void> => {
    await control.close();
    await stop();
  };
  const { close: _close, ...controlApi } = control;
  return { ...info, control: controlApi, stop: stopAll, [Symbol.asyncDispose]: stopAll };
}
