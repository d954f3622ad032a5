import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { iterateObjects, retrieveProperties, waitForTask, type VimSession } from '@vmkit/session';
import type { ManagedObjectReference } from '@vmkit/vim';
import type { Command } from '../command.js';
import { openConnection } from '../connect.js';
import { renderTable, writeJson } from '../output.js';

interface Step {
  step: string;
  ms: number;
  roundTrips: number;
  detail: string;
}

/** Runs the steps one after another, timing each and counting its SOAP round trips. */
class Steps {
  readonly done: Step[] = [];
  async run<T>(step: string, fn: () => Promise<T>, detail: (value: T) => string): Promise<T> {
    let roundTrips = 0;
    const count = () => void roundTrips++;
    subscribe('vmkit:soap:request', count);
    const t0 = performance.now();
    try {
      const value = await fn();
      this.done.push({ step, ms: Math.round(performance.now() - t0), roundTrips, detail: detail(value) });
      return value;
    } finally {
      unsubscribe('vmkit:soap:request', count);
    }
  }
}

async function first(session: VimSession, type: string, paths: string[]): Promise<{ obj: ManagedObjectReference; props: Record<string, unknown> }> {
  for await (const o of iterateObjects(session, type, paths)) return o;
  throw new Error(`the inventory has no ${type}`);
}

/**
 * `vmkit demo`: the main job, end to end, on the embedded simulator by default. This release walks what
 * the published packages do today (inventory, a shadow VM with a disk, tasks, power, clean-up); the
 * volume lifecycle joins it with the driver.
 */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the lifecycle end to end (on the embedded simulator unless --url is given) and print a summary',
  usage: 'vmkit demo [--url URL --user USER] [--json]',
  options: {},
  async run({ io, global, signal }) {
    const steps = new Steps();
    const conn = await steps.run('connect', () => openConnection(global, io, signal), (c) => `${c.url}${c.embedded ? ' (embedded simulator)' : ''}`);
    const s = conn.session;
    let vm: ManagedObjectReference | undefined;
    try {
      await steps.run('inventory', async () => {
        const counts: Record<string, number> = {};
        for (const type of ['Datacenter', 'HostSystem', 'Datastore', 'VirtualMachine']) {
          counts[type] = 0;
          for await (const _ of iterateObjects(s, type, ['name'])) counts[type]++;
        }
        return counts;
      }, (c) => Object.entries(c).map(([k, v]) => `${v} ${k}`).join(', '));

      const dc = await first(s, 'Datacenter', ['vmFolder', 'hostFolder']);
      const ds = await first(s, 'Datastore', ['name', 'summary.freeSpace']);
      const host = await first(s, 'HostSystem', ['parent']);
      const pool = (await retrieveProperties(s, host.props.parent as ManagedObjectReference, ['resourcePool'])).resourcePool as ManagedObjectReference;
      const name = `vmkit-demo-${process.pid}`;

      vm = await steps.run('create shadow VM with a 1 GiB thin disk', async () => {
        const task = await s.invoke('CreateVM_Task', dc.props.vmFolder as ManagedObjectReference, {
          config: {
            name,
            guestId: 'otherGuest64',
            numCPUs: 1,
            memoryMB: 128,
            files: { vmPathName: `[${ds.props.name as string}]` },
            extraConfig: [{ key: 'vmkit.demo', value: 'true' }],
            deviceChange: [
              { operation: 'add', device: { _type: 'VirtualLsiLogicController', key: 1000, busNumber: 0, sharedBus: 'noSharing' } },
              {
                operation: 'add',
                fileOperation: 'create',
                device: {
                  _type: 'VirtualDisk',
                  key: -1,
                  controllerKey: 1000,
                  unitNumber: 0,
                  capacityInKB: 1024 * 1024,
                  backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '', diskMode: 'persistent', thinProvisioned: true },
                },
              },
            ],
          },
          pool,
        }, { signal });
        return (await waitForTask(s, task, { signal })) as ManagedObjectReference;
      }, (ref) => `${ref.value} on [${ds.props.name as string}]`);

      await steps.run('read back the disk', async () => {
        const devices = (await retrieveProperties(s, vm!, ['config.hardware.device'])) ['config.hardware.device'] as { _type: string; capacityInKB?: number; backing?: { fileName?: string } }[];
        return devices.find((d) => d._type === 'VirtualDisk');
      }, (d) => `${d?.backing?.fileName ?? '?'} ${Math.round((d?.capacityInKB ?? 0) / 1024)} MiB`);

      await steps.run('power on and off', async () => {
        await waitForTask(s, await s.invoke('PowerOnVM_Task', vm!, {}, { signal }), { signal });
        await waitForTask(s, await s.invoke('PowerOffVM_Task', vm!, {}, { signal }), { signal });
        return (await retrieveProperties(s, vm!, ['runtime.powerState']))['runtime.powerState'];
      }, (state) => String(state));
    } finally {
      if (vm !== undefined) {
        const ref = vm;
        await steps.run('delete the VM and its disk', async () => {
          await waitForTask(s, await s.invoke('Destroy_Task', ref));
        }, () => 'done').catch(() => undefined);
      }
      await steps.run('log out', () => conn.close(), () => (conn.embedded ? 'simulator stopped' : 'logged out'));
    }
    if (global.json) writeJson(io, { steps: steps.done });
    else {
      io.stdout.write(renderTable(steps.done, [
        { header: 'step', get: (r) => r.step },
        { header: 'ms', get: (r) => r.ms, right: true },
        { header: 'round trips', get: (r) => r.roundTrips, right: true },
        { header: 'result', get: (r) => r.detail },
      ]));
    }
    return 0;
  },
};
