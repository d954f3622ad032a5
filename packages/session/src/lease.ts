import { VimAbortError, VimError, VimTimeoutError, faultError, type FaultObject, type ManagedObjectReference, type vim } from '@vmkit/vim';
import { retrieveProperties } from './properties.js';
import type { VimSession } from './session.js';

/** Options of {@link waitForLeaseReady}. */
export interface WaitForLeaseOptions {
  signal?: AbortSignal;
  /** Give up after this many milliseconds (default: no limit); the lease is then aborted. */
  timeoutMs?: number;
}

/** The lease was done or aborted before it became ready. */
export class LeaseNotReadyError extends VimError {
  readonly state: string;
  constructor(lease: ManagedObjectReference, state: string) {
    super(`lease ${lease.value} ended in state ${state} before it was ready`, 'VMKIT_SESSION_LEASE_NOT_READY');
    this.state = state;
  }
}

/**
 * Waits until an HttpNfcLease is ready and returns its info (device URLs). A lease that fails raises
 * the typed fault of its `error`; one that ends otherwise raises {@link LeaseNotReadyError}. On abort or
 * timeout the lease is aborted, so that vCenter does not keep the VM locked.
 */
export async function waitForLeaseReady(session: VimSession, lease: ManagedObjectReference, options: WaitForLeaseOptions = {}): Promise<vim.HttpNfcLeaseInfo> {
  const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
  const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
  const call = signal === undefined ? {} : { signal };
  const decide = (props: Record<string, unknown>): vim.HttpNfcLeaseInfo | undefined => {
    const state = props.state as string | undefined;
    if (state === 'ready') return props.info as vim.HttpNfcLeaseInfo;
    if (state === 'error') {
      const err = props.error as { fault?: FaultObject; localizedMessage?: string } | undefined;
      const fault = err?.fault ?? { _type: 'MethodFault' };
      throw faultError(err?.localizedMessage ?? `lease ${lease.value} failed`, fault, session.client.schema.chain(fault._type));
    }
    if (state === 'done') throw new LeaseNotReadyError(lease, state);
    return undefined;
  };
  try {
    const first = decide(await retrieveProperties(session, lease, ['state', 'info', 'error'], call));
    if (first !== undefined) return first;
    const pc = await session.invoke('CreatePropertyCollector', session.serviceContent.propertyCollector, {}, call);
    try {
      await session.invoke('CreateFilter', pc, { spec: { propSet: [{ type: 'HttpNfcLease', pathSet: ['state'] }], objectSet: [{ obj: lease }] }, partialUpdates: false }, call);
      let version = '';
      for (;;) {
        const updates = await session.invoke('WaitForUpdatesEx', pc, { version, options: { maxWaitSeconds: 60 } }, call);
        if (updates === undefined) continue;
        version = updates.version;
        // Read state, info and error together once the state moved, so that they agree.
        const done = decide(await retrieveProperties(session, lease, ['state', 'info', 'error'], call));
        if (done !== undefined) return done;
      }
    } finally {
      await session.invoke('DestroyPropertyCollector', pc).catch(() => undefined);
    }
  } catch (err) {
    if (signal?.aborted === true) {
      await session.invoke('HttpNfcLeaseAbort', lease, {}).catch(() => undefined);
      if (timeout?.aborted === true) throw new VimTimeoutError(`lease ${lease.value} was not ready within ${options.timeoutMs} ms`, { cause: err });
      throw err instanceof VimAbortError ? err : new VimAbortError(`waiting for lease ${lease.value} was aborted`, { cause: err });
    }
    throw err;
  }
}
