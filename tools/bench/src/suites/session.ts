import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { iterateObjects, retrieveProperties, VimSession, waitForTask } from '@vmkit/session';
import { startSimulator } from '@vmkit/vcsim';
import type { ManagedObjectReference, TaskInfo } from '@vmkit/vim';
import { figure, median } from '../figure.js';
import type { Suite } from '../suite.js';

/** oslo.vmware's default `task_poll_interval` (seconds). */
const OSLO_POLL_INTERVAL_MS = 500;

/** Counts SOAP requests while `fn` runs. */
async function counted<T>(fn: () => Promise<T>): Promise<[T, number]> {
  let n = 0;
  const onRequest = () => void n++;
  subscribe('vmkit:soap:request', onRequest);
  try {
    return [await fn(), n];
  } finally {
    unsubscribe('vmkit:soap:request', onRequest);
  }
}

/** oslo.vmware's way: read `info` at a fixed interval until the task is done (first read at once). */
async function pollTask(s: VimSession, task: ManagedObjectReference): Promise<void> {
  for (;;) {
    const info = (await retrieveProperties(s, task, ['info'])).info as TaskInfo;
    if (info.state === 'success' || info.state === 'error') return;
    await new Promise((r) => setTimeout(r, OSLO_POLL_INTERVAL_MS));
  }
}

/**
 * Waiting for 100 short tasks with `waitForTask` next to fixed-interval polling at oslo.vmware's
 * default interval, and the calls per second one session sustains with 1, 8 and 32 callers.
 */
export const sessionSuite: Suite = {
  name: 'session',
  description: 'task waits (WaitForUpdatesEx vs oslo.vmware polling) and calls per second per session',
  async run(ctx) {
    await using sim = await startSimulator({ vms: 2 });
    await using s = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
    const vms: ManagedObjectReference[] = [];
    for await (const o of iterateObjects(s, 'VirtualMachine', ['name'])) vms.push(o.obj);
    const vm = vms[0]!;
    const tasks = 100;
    const waiters = {
      vmkit: (task: ManagedObjectReference) => waitForTask(s, task).then(() => undefined),
      'oslo-polling': (task: ManagedObjectReference) => pollTask(s, task),
    } as const;
    for (const [impl, wait] of Object.entries(waiters) as [keyof typeof waiters, (t: ManagedObjectReference) => Promise<void>][]) {
      const latencies: number[] = [];
      let trips = 0;
      for (let i = 0; i < tasks; i++) {
        if (ctx.signal.aborted) return;
        // A short task: rename the VM (and back on the next round).
        const task = await s.invoke('Rename_Task', vm, { newName: `bench-${impl}-${i}` });
        const t0 = performance.now();
        const [, n] = await counted(() => wait(task));
        latencies.push(performance.now() - t0);
        trips += n;
      }
      ctx.emit(figure('session.wait-task', impl, 'roundtrips', trips / tasks));
      ctx.emit(figure('session.wait-task', impl, 'latency', median(latencies)));
    }

    for (const callers of [1, 8, 32] as const) {
      const perCaller = Math.max(50, Math.round(1600 / callers));
      const read = () => retrieveProperties(s, vm, ['name', 'runtime.powerState']);
      await Promise.all(Array.from({ length: callers }, () => read())); // warm the pool
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: callers }, async () => {
          for (let i = 0; i < perCaller; i++) await read();
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      ctx.emit(figure(`session.calls-${callers}`, 'vmkit', 'rate', (callers * perCaller) / seconds));
    }
  },
};
