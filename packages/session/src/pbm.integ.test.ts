import { startSimulator, type Simulator } from '@vmkit/vcsim';
import type { ManagedObjectReference } from '@vmkit/vim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listStorageProfiles, matchingDatastores, profileIdByName } from './pbm.js';
import { iterateObjects } from './properties.js';
import { VimSession } from './session.js';

let sim: Simulator;
let s: VimSession;
beforeAll(async () => {
  sim = await startSimulator({ datastores: 3, control: true });
  s = await VimSession.connect({ host: sim.url, username: sim.username, password: sim.password });
}, 300_000);
afterAll(async () => {
  await s?.close();
  await sim?.stop();
});

describe('PBM helpers', () => {
  it('finds exactly the datastores tagged as compliant with a profile', async () => {
    const datastores: { obj: ManagedObjectReference; name: string }[] = [];
    for await (const o of iterateObjects(s, 'Datastore', ['name'])) datastores.push({ obj: o.obj, name: o.props.name as string });
    expect(datastores.length).toBeGreaterThanOrEqual(3);
    const profile = (await listStorageProfiles(s))[0]!;
    const id = (await profileIdByName(s, profile.name))!;
    const all = datastores.map((d) => d.obj);

    expect(await matchingDatastores(s, id, all)).toEqual([]);
    await sim.control.tagDatastore(datastores[1]!.name, profile.name);
    const matched = await matchingDatastores(s, id, all);
    expect(matched).toEqual([datastores[1]!.obj]);
    // Only among the hubs asked about.
    expect(await matchingDatastores(s, id, [datastores[0]!.obj])).toEqual([]);
  });
});
