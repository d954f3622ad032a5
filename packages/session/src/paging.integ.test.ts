import { recordSoapCalls } from '@vmkit/testkit';
import { startSimulator, type Simulator } from '@vmkit/vcsim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iterateObjects } from './properties.js';
import { VimSession } from './session.js';

// 500 VMs in each of the two resource pools (the cluster's and the standalone host's): 1,000 VMs.
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ vms: 500 });
}, 300_000);
afterAll(() => sim?.stop());

const connect = () => VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });

describe('paging with RetrievePropertiesEx / ContinueRetrievePropertiesEx', () => {
  it('retrieves 1,000 VMs in pages of 100, each exactly once, equal to one big page', async () => {
    await using s = await connect();
    const [paged, calls] = await recordSoapCalls(async () => {
      const out: string[] = [];
      for await (const o of iterateObjects(s, 'VirtualMachine', ['name'], { pageSize: 100 })) out.push(o.obj.value);
      return out;
    });
    expect(paged.length).toBeGreaterThanOrEqual(1000);
    expect(new Set(paged).size).toBe(paged.length);
    // The pages really were pages: one RetrievePropertiesEx, then a Continue per further page of 100.
    expect(calls.filter((c) => c === 'RetrievePropertiesEx')).toHaveLength(1);
    expect(calls.filter((c) => c === 'ContinueRetrievePropertiesEx').length).toBe(Math.ceil(paged.length / 100) - 1);

    const single: string[] = [];
    for await (const o of iterateObjects(s, 'VirtualMachine', ['name'], { pageSize: 5000 })) single.push(o.obj.value);
    expect(paged.sort()).toEqual(single.sort());
  }, 120_000);

  it('cancels the retrieval when the caller stops early', async () => {
    await using s = await connect();
    const [seen, calls] = await recordSoapCalls(async () => {
      let n = 0;
      for await (const _ of iterateObjects(s, 'VirtualMachine', ['name'], { pageSize: 100 })) if (++n === 150) break;
      return n;
    });
    expect(seen).toBe(150);
    // The container view it made for the walk is destroyed too.
    expect(calls).toEqual(['CreateContainerView', 'RetrievePropertiesEx', 'ContinueRetrievePropertiesEx', 'CancelRetrievePropertiesEx', 'DestroyView']);
  }, 60_000);
});
