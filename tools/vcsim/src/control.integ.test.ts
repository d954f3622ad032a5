import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSimulatorBinary } from './build.js';
import { RawSoap, faultOf, objectRefs, tokenOf } from './control-soap.test-helper.js';
import { SimulatorControlError } from './control.js';
import { startSimulator } from './simulator.js';
import type { Simulator } from './simulator.js';

const serviceContent = '<RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>';
const currentTime = '<CurrentTime xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></CurrentTime>';

let sim: Simulator;
let soap: RawSoap;

// The first use may compile the simulator.
beforeAll(async () => {
  await ensureSimulatorBinary();
  sim = await startSimulator({ control: true, datastores: 2, datastoreTypes: ['vmfs', 'nfs'] });
  soap = new RawSoap(sim);
  await soap.login();
}, 300_000);
afterAll(async () => {
  await soap?.close();
  await sim?.stop();
});

describe('the control endpoint', () => {
  it('makes a queued fault fire exactly N times, then the method works again', async () => {
    await sim.control.reset();
    await sim.control.queueFault('CurrentTime', { count: 3, fault: 'FileLocked', message: 'locked by test' });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await soap.call(currentTime));
    expect(answers.map(faultOf)).toEqual(['FileLocked', 'FileLocked', 'FileLocked', undefined, undefined]);
    expect(answers[0]!.body).toContain('<faultstring>locked by test</faultstring>');
    expect(answers[3]!.status).toBe(200);
    expect(await sim.control.calls('CurrentTime')).toBe(5);
    expect((await sim.control.calls())['CurrentTime']).toBe(5);
  });

  it('uses queued entries of one method in order and counts every call', async () => {
    await sim.control.reset();
    await sim.control.queueFault('CurrentTime', { fault: 'NotAuthenticated' });
    await sim.control.queueFault('CurrentTime', { fault: 'TaskInProgress', count: 2 });
    const faults = [];
    for (let i = 0; i < 4; i++) faults.push(faultOf(await soap.call(currentTime)));
    expect(faults).toEqual(['NotAuthenticated', 'TaskInProgress', 'TaskInProgress', undefined]);
    // Faults of other methods are untouched.
    expect(faultOf(await soap.call(serviceContent))).toBeUndefined();
  });

  it('drops the connection instead of answering, once', async () => {
    await sim.control.reset();
    await sim.control.queueFault('CurrentTime', { drop: true });
    await expect(soap.call(currentTime)).rejects.toThrow();
    expect((await soap.call(currentTime)).status).toBe(200);
    expect(await sim.control.calls('CurrentTime')).toBe(2);
  });

  it('answers PBM faults on /pbm', async () => {
    await sim.control.reset();
    await sim.control.queueFault('PbmRetrieveServiceContent', { fault: 'PbmFault' });
    const a = await soap.call('<PbmRetrieveServiceContent xmlns="urn:pbm"><_this type="PbmServiceInstance">ServiceInstance</_this></PbmRetrieveServiceContent>', { pbm: true });
    expect(faultOf(a)).toBe('PbmFault');
  });

  it('refuses bad requests with a typed error', async () => {
    await expect(sim.control.queueFault('CurrentTime', { fault: 'NoSuchFault' })).rejects.toThrow(SimulatorControlError);
    await expect(sim.control.queueFault('CurrentTime', { fault: 'NoSuchFault' })).rejects.toThrow(/unknown fault/);
    await expect(sim.control.queueFault('CurrentTime', { count: 0 })).rejects.toThrow(RangeError);
    await expect(sim.control.setLatency('*', -1)).rejects.toThrow(RangeError);
    await expect(sim.control.setDatastore('NoSuchDS', { freeSpace: 1 })).rejects.toThrow(/no datastore/);
    await expect(sim.control.tagDatastore('LocalDS_0', 'no such profile')).rejects.toThrow(/no storage profile/);
  });

  it('delays a method without changing its answer (a later, undelayed call overtakes it)', async () => {
    await sim.control.reset();
    await sim.control.setLatency('CurrentTime', 1000);
    const order: string[] = [];
    const slow = soap.call(currentTime).then((a) => order.push(`slow ${a.status}`));
    await new Promise((r) => setTimeout(r, 50));
    const fast = soap.call(serviceContent).then((a) => order.push(`fast ${a.status}`));
    await Promise.all([slow, fast]);
    expect(order).toEqual(['fast 200', 'slow 200']);
    await sim.control.setLatency('CurrentTime', 0);
  });

  it('terminates every session', async () => {
    await sim.control.reset();
    const other = new RawSoap(sim);
    await other.login();
    const before = await other.call(currentTime);
    expect(before.status).toBe(200);
    expect(await sim.control.terminateSessions()).toBeGreaterThanOrEqual(2);
    const sessionManager = '<SessionIsActive xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this><sessionID>x</sessionID><userName>user</userName></SessionIsActive>';
    expect(faultOf(await other.call(sessionManager))).toBe('NotAuthenticated');
    await other.close();
    await soap.login();
  });

  it('sets and resets a datastore state, and datastores have their types and every host', async () => {
    await sim.control.reset();
    const read = async () => (await soap.retrieveAll('Datastore', ['name', 'summary.type', 'summary.maintenanceMode', 'summary.accessible', 'summary.freeSpace', 'host'])).body;
    let body = await read();
    expect(body).toContain('type="xsd:string">VMFS</val>');
    expect(body).toContain('type="xsd:string">NFS</val>');
    // 3 cluster hosts and a standalone host mount each datastore.
    expect(body.match(/<DatastoreHostMount>/g)?.length).toBe(8);
    await sim.control.setDatastore('LocalDS_1', { maintenanceMode: 'inMaintenance', accessible: false, freeSpace: 4096 });
    body = await read();
    expect(body).toContain('inMaintenance');
    expect(body).toContain('type="xsd:long">4096</val>');
    await sim.control.reset();
    body = await read();
    expect(body).not.toContain('inMaintenance');
    expect(body).not.toContain('type="xsd:long">4096</val>');
  });

  it('tags a datastore for a storage profile, which PbmQueryMatchingHub then returns (authenticated by vcSessionCookie)', async () => {
    await sim.control.reset();
    const profiles = await soap.call(
      '<PbmRetrieveContent xmlns="urn:pbm"><_this type="PbmProfileProfileManager">ProfileManager</_this><profileIds><uniqueId>aa6d5a82-1c88-45da-85d3-3d74b91a5bad</uniqueId></profileIds></PbmRetrieveContent>',
      { pbm: true, cookie: null, header: `<vcSessionCookie>${soap.cookie}</vcSessionCookie>` },
    );
    expect(profiles.status).toBe(200);
    const name = /<name>([^<]+)<\/name>/.exec(profiles.body)![1]!;
    await sim.control.tagDatastore('LocalDS_0', name);
    const matching = await soap.call(
      '<PbmQueryMatchingHub xmlns="urn:pbm"><_this type="PbmPlacementSolver">placementSolver</_this><profile><uniqueId>aa6d5a82-1c88-45da-85d3-3d74b91a5bad</uniqueId></profile></PbmQueryMatchingHub>',
      { pbm: true, cookie: null, header: `<vcSessionCookie>${soap.cookie}</vcSessionCookie>` },
    );
    expect(matching.status).toBe(200);
    expect(matching.body.match(/<hubId>/g)?.length).toBe(1);
  });

  it('makes tasks asynchronous with progress, and reset makes them instant again', async () => {
    await sim.control.reset();
    const vm = objectRefs((await soap.retrieveAll('VirtualMachine', ['name'])).body)[0]!;
    const reconfig = `<ReconfigVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vm}</_this><spec><annotation>x</annotation></spec></ReconfigVM_Task>`;
    const state = async (task: string) =>
      /type="TaskInfoState">([^<]+)</.exec(
        (
          await soap.call(
            `<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector</_this><specSet><propSet><type>Task</type><pathSet>info.state</pathSet></propSet>` +
              `<objectSet><obj type="Task">${task}</obj></objectSet></specSet><options/></RetrievePropertiesEx>`,
          )
        ).body,
      )?.[1];
    await sim.control.setTaskDelay(1500);
    const task = /<returnval type="Task">([^<]+)</.exec((await soap.call(reconfig)).body)![1]!;
    expect(['queued', 'running']).toContain(await state(task));
    let s = await state(task);
    for (let i = 0; i < 1000 && s !== 'success'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      s = await state(task);
    }
    expect(s).toBe('success');
    await sim.control.reset();
    const task2 = /<returnval type="Task">([^<]+)</.exec((await soap.call(reconfig)).body)![1]!;
    expect(await state(task2)).toBe('success');
  });

  it('works over TLS, trusting the printed certificate', async () => {
    await using secure = await startSimulator({ vms: 0, tls: true, control: true });
    expect(secure.url).toMatch(/^https:/);
    await secure.control.queueFault('CurrentTime', { fault: 'FileLocked' });
    expect(await secure.control.calls()).toEqual({});
  });

  it('rejects every control call of a simulator started without control', async () => {
    await using plain = await startSimulator({ vms: 0 });
    await expect(plain.control.calls()).rejects.toThrow(SimulatorControlError);
    await expect(plain.control.reset()).rejects.toThrow(/control: true/);
    // The endpoint itself is not served.
    const res = await fetch(new URL('/vmkit-control/calls', plain.url));
    expect(res.status).toBe(404);
  });
});

describe('property collector paging', () => {
  it('returns each of 1,000 VMs exactly once over pages of 100, and cancels a token', async () => {
    // 500 VMs in the cluster's pool and 500 on the standalone host.
    await using big = await startSimulator({ vms: 500, control: true });
    const s = new RawSoap(big);
    await s.login();
    try {
      const first = await s.retrieveAll('VirtualMachine', ['name'], 100);
      expect(first.status).toBe(200);
      const seen = new Map<string, number>();
      let body = first.body;
      let pages = 0;
      for (;;) {
        pages++;
        const refs = objectRefs(body);
        expect(refs.length).toBeLessThanOrEqual(100);
        for (const r of refs) seen.set(r, (seen.get(r) ?? 0) + 1);
        const token = tokenOf(body);
        if (token === undefined) break;
        const next = await s.call(
          `<ContinueRetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector</_this><token>${token}</token></ContinueRetrievePropertiesEx>`,
        );
        expect(next.status).toBe(200);
        body = next.body;
      }
      expect(pages).toBe(10);
      expect(seen.size).toBe(1000);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);

      const again = await s.retrieveAll('VirtualMachine', ['name'], 100);
      const token = tokenOf(again.body)!;
      const cancel = `<CancelRetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector</_this><token>${token}</token></CancelRetrievePropertiesEx>`;
      expect((await s.call(cancel)).status).toBe(200);
      const after = await s.call(
        `<ContinueRetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector</_this><token>${token}</token></ContinueRetrievePropertiesEx>`,
      );
      expect(faultOf(after)).toBe('InvalidArgument');
    } finally {
      await s.close();
    }
  }, 120_000);
});
