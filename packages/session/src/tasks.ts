import { channel } from 'node:diagnostics_channel';
import {
  VimAbortError,
  VimResponseError,
  VimTimeoutError,
  faultError,
  type FaultObject,
  type ManagedObjectReference,
  type TaskInfo,
} from '@vmkit/vim';
import type { VimSession } from './session.js';

/** Published on each progress change of a waited task: `{ task, progress, state }`. */
export const taskProgressChannel = channel('vmkit:session:task-progress');

/** Options of {@link waitForTask}. */
export interface WaitForTaskOptions {
  signal?: AbortSignal;
  /** Give up after this many milliseconds (default: no limit). */
  timeoutMs?: number;
  /** Called when the task's progress (percent) or state changes. */
  onProgress?: (progress: number | undefined, info: TaskInfo) => void;
  /** On abort or timeout, ask vCenter to cancel the task (default true; best effort). */
  cancel?: boolean;
}

const terminal = (info: TaskInfo | undefined): boolean => info?.state === 'success' || info?.state === 'error';

/**
 * Waits for a task and resolves to its result, driven by `WaitForUpdatesEx` on a property filter
 * rather than fixed-interval polling: one read first (a task that is already done costs one round
 * trip), then a private property collector is told to report `info` changes as they happen (only
 * `info.state`, `info.result` and `info.error` when nobody asked for progress). A failed
 * task raises the typed fault of `info.error`; abort or timeout cancel the task (unless `cancel` is
 * false) and raise VimAbortError or VimTimeoutError.
 */
export async function waitForTask(session: VimSession, task: ManagedObjectReference, options: WaitForTaskOptions = {}): Promise<unknown> {
  const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
  const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  const call = signal === undefined ? {} : { signal };
  let last: { progress?: number; state?: string } = {};
  const report = (info: TaskInfo): void => {
    if (info.progress === last.progress && info.state === last.state) return;
    last = { progress: info.progress, state: info.state };
    if (taskProgressChannel.hasSubscribers) taskProgressChannel.publish({ task, progress: info.progress, state: info.state });
    options.onProgress?.(info.progress, info);
  };
  const finish = (info: TaskInfo): unknown => {
    if (info.state === 'success') return info.result;
    const err = info.error;
    const fault = (err?.fault ?? { _type: 'MethodFault' }) as FaultObject;
    throw faultError(err?.localizedMessage ?? `task ${task.value} failed`, fault, session.client.schema.chain(fault._type));
  };

  try {
    const first = await readInfo(session, task, call);
    report(first);
    if (terminal(first)) return finish(first);

    // Nobody listening for progress: watch only what ends the wait, so progress changes (every few
    // percent on vCenter) do not each cost a WaitForUpdatesEx round trip.
    const wantsProgress = options.onProgress !== undefined || taskProgressChannel.hasSubscribers;
    const pathSet = wantsProgress ? ['info'] : ['info.state', 'info.result', 'info.error'];
    const pc = await session.invoke('CreatePropertyCollector', session.serviceContent.propertyCollector, {}, call);
    try {
      await session.invoke(
        'CreateFilter',
        pc,
        { spec: { propSet: [{ type: 'Task', pathSet }], objectSet: [{ obj: task }] }, partialUpdates: false },
        call,
      );
      // The watched properties as last reported (with `pathSet` narrowed, `info` is rebuilt from them).
      const seen: TaskInfo = { ...first };
      let version = '';
      for (;;) {
        const updates = await session.invoke(
          'WaitForUpdatesEx',
          pc,
          { version, options: { maxWaitSeconds: 60 } },
          call,
        );
        if (updates === undefined) continue;
        version = updates.version;
        let changed: TaskInfo | undefined;
        for (const fs of updates.filterSet ?? []) {
          for (const os of fs.objectSet ?? []) {
            for (const change of os.changeSet ?? []) {
              const value = change.op === 'remove' ? undefined : change.val;
              if (change.name === 'info') {
                if (value === undefined) continue;
                changed = value as TaskInfo;
              } else if (change.name === 'info.state' || change.name === 'info.result' || change.name === 'info.error') {
                const key = change.name.slice('info.'.length) as 'state' | 'result' | 'error';
                (seen as unknown as Record<string, unknown>)[key] = value;
                changed = seen;
              }
            }
          }
        }
        if (changed === undefined) continue;
        report(changed);
        if (terminal(changed)) return finish(changed);
      }
    } finally {
      await session.invoke('DestroyPropertyCollector', pc).catch(() => undefined);
    }
  } catch (err) {
    if (signal?.aborted === true) {
      if (options.cancel !== false) await session.invoke('CancelTask', task).catch(() => undefined);
      if (timeout?.aborted === true) throw new VimTimeoutError(`task ${task.value} did not finish within ${options.timeoutMs} ms`, { cause: err });
      throw err instanceof VimAbortError ? err : new VimAbortError(`waiting for task ${task.value} was aborted`, { cause: err });
    }
    throw err;
  }
}

async function readInfo(session: VimSession, task: ManagedObjectReference, call: { signal?: AbortSignal }): Promise<TaskInfo> {
  const r = await session.invoke(
    'RetrievePropertiesEx',
    session.serviceContent.propertyCollector,
    { specSet: [{ propSet: [{ type: 'Task', pathSet: ['info'] }], objectSet: [{ obj: task }] }], options: {} },
    call,
  );
  const info = r?.objects[0]?.propSet?.find((p) => p.name === 'info')?.val as TaskInfo | undefined;
  if (info === undefined) throw new VimResponseError(`the server returned no info for task ${task.value}`);
  return info;
}
