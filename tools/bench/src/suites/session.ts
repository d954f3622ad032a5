import { performance } from 'node:perf_hooks';
import { iterateObjects, retrieveProperties, VimSession, waitForTask } from '@vmkit/session';
import { recordSoapCalls } from '@vmkit/testkit';
import { startSimulator } from '@vmkit/vcsim';
import type { ManagedObjectReference, TaskInfo } from '@vmkit/vim';
import { figure, median } from '../figure.js';
import type { Suite } from '../suite.js';

/** oslo.vmware's default `task_poll_interval` (seconds). */
const OSLO_POLL_INTERVAL_MS = 500;

/** Counts SOAP requests while `fn` runs: all of them, and those that start a task (`Rename_Task`). */
async function counted<T>(fn: () => Promise<T>): Promise<[T, number, number]> {
  const [value, calls] = await recordSoapCalls(fn);
  return [value, calls.length, calls.filter((m) => m === 'Rename_Task').length];
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
    // 13 VMs in each of the two resource pools; tasks made to take time through the control endpoint.
    await using sim = await startSimulator({ vms: 13, control: true });
    await using s = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
    const vms: ManagedObjectReference[] = [];
    for await (const o of iterateObjects(s, 'VirtualMachine', ['name'])) vms.push(o.obj);
    const vm = vms[0]!;
    const tasks = 100;
    const concurrency = Math.min(25, vms.length);
    const waiters = {
      vmkit: (task: ManagedObjectReference) => waitForTask(s, task).then(() => undefined),
      'oslo-polling': (task: ManagedObjectReference) => pollTask(s, task),
    } as const;
    // 100 short tasks (a VM rename) at three durations: instant (the simulator's own), 1 s and 5 s (disk
    // copies and clones on a real vCenter take seconds to minutes). 25 wait at a time, each on its own VM.
    // The headline figure is the 5 s one; the others show where polling's fixed cost and WaitForUpdatesEx's
    // set-up cost cross.
    for (const [suffix, delayMs] of [['-instant', 0], ['-1s', 1000], ['', 5000]] as const) {
      await sim.control.setTaskDelay(delayMs);
      for (const [impl, wait] of Object.entries(waiters) as [keyof typeof waiters, (t: ManagedObjectReference) => Promise<void>][]) {
        const latencies: number[] = [];
        let next = 0;
        const worker = async (target: ManagedObjectReference) => {
          for (let i = next++; i < tasks; i = next++) {
            if (ctx.signal.aborted) return;
            const task = await s.invoke('Rename_Task', target, { newName: `bench-${impl}${suffix}-${i}` });
            const t0 = performance.now();
            await wait(task);
            latencies.push(performance.now() - t0);
          }
        };
        // Every request of the phase but the renames themselves is a round trip spent waiting.
        const [, all, renames] = await counted(() => Promise.all(vms.slice(0, concurrency).map((target) => worker(target))));
        const trips = all - renames;
        if (ctx.signal.aborted) return;
        ctx.emit(figure(`session.wait-task${suffix}`, impl, 'roundtrips', trips / tasks));
        ctx.emit(figure(`session.wait-task${suffix}`, impl, 'latency', median(latencies)));
      }
    }
    await sim.control.setTaskDelay(0);

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
