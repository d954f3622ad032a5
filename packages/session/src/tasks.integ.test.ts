import { recordSoapCalls } from '@vmkit/testkit';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { VimAbortError, VimTimeoutError, type ManagedObjectReference } from '@vmkit/vim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iterateObjects, retrieveProperties } from './properties.js';
import { VimSession } from './session.js';
import { waitForTask } from './tasks.js';

// Tasks run asynchronously, with progress, when the simulator's control endpoint sets a task delay.
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ control: true });
}, 300_000);
afterAll(() => sim?.stop());

const connect = () => VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });

describe('waitForTask on asynchronous tasks', () => {
  async function someVm(s: VimSession): Promise<ManagedObjectReference> {
    for await (const o of iterateObjects(s, 'VirtualMachine', ['runtime.powerState'])) {
      if (o.props['runtime.powerState'] === 'poweredOn') return o.obj;
    }
    throw new Error('no powered-on VM');
  }

  it('times out with a typed error and cancels the task', async () => {
    await using s = await connect();
    const vm = await someVm(s);
    await sim.control.setTaskDelay(3000);
    try {
      const task = await s.invoke('PowerOffVM_Task', vm);
      const [err, calls] = await recordSoapCalls(() => waitForTask(s, task, { timeoutMs: 200 }).then(() => undefined, (e: unknown) => e));
      expect(err).toBeInstanceOf(VimTimeoutError);
      expect(calls).toContain('CancelTask');
      // Whether the server honours it is the task's business (PowerOff is not cancelable on vCenter either).
    } finally {
      await sim.control.setTaskDelay(0);
    }
  }, 60_000);

  it('reports progress while a task runs, then its result', async () => {
    await using s = await connect();
    const vm = await someVm(s);
    await sim.control.setTaskDelay(600);
    try {
      const progress: (number | undefined)[] = [];
      await waitForTask(s, await s.invoke('PowerOffVM_Task', vm), { onProgress: (p) => progress.push(p) });
      expect(progress.length).toBeGreaterThan(1);
      expect((await retrieveProperties(s, vm, ['runtime.powerState']))['runtime.powerState']).toBe('poweredOff');
    } finally {
      await sim.control.setTaskDelay(0);
    }
  }, 60_000);

  it('without a progress listener, progress changes cost no round trips, and the result still arrives', async () => {
    await using s = await connect();
    const vm = await someVm(s);
    const parent = (await retrieveProperties(s, vm, ['parent'])).parent as ManagedObjectReference;
    await sim.control.setTaskDelay(800);
    try {
      const clone = async (onProgress?: () => void) => {
        const task = await s.invoke('CloneVM_Task', vm, { folder: parent, name: `clone-${Date.now()}`, spec: { location: {}, powerOn: false, template: false } });
        return recordSoapCalls(() => waitForTask(s, task, onProgress === undefined ? {} : { onProgress }));
      };
      const [result, quiet] = await clone();
      expect((result as ManagedObjectReference).type).toBe('VirtualMachine');
      const [, listening] = await clone(() => undefined);
      const waits = (calls: string[]) => calls.filter((c) => c === 'WaitForUpdatesEx').length;
      // Only state changes (queued, running, success) wake a wait nobody listens to; progress steps do too
      // when someone listens.
      expect(waits(quiet)).toBeLessThanOrEqual(3);
      expect(waits(listening)).toBeGreaterThan(waits(quiet));
    } finally {
      await sim.control.setTaskDelay(0);
    }
  }, 60_000);

  it('stops waiting on abort and asks vCenter to cancel the task', async () => {
    await using s = await connect();
    const vm = await someVm(s);
    await sim.control.setTaskDelay(3000);
    try {
      const task = await s.invoke('PowerOffVM_Task', vm);
      const [err, calls] = await recordSoapCalls(() => waitForTask(s, task, { signal: AbortSignal.timeout(200) }).then(() => undefined, (e: unknown) => e));
      expect(err).toBeInstanceOf(VimAbortError);
      expect(calls).toContain('CancelTask');
    } finally {
      await sim.control.setTaskDelay(0);
    }
  }, 60_000);
});
