import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { inventory, startFixture } from '../test/fixture.js';
import type { Volume } from './index.js';

const fx = await startFixture();
afterAll(async () => {
  await fx.close();
});

it('creates, attaches and deletes 20 volumes concurrently on one session, with one folder per path', async () => {
  // Two drivers on the one session, so that folder creation really races (one driver alone shares one creation).
  const drivers = [await fx.driver(), await fx.driver()];
  const volumes: Volume[] = Array.from({ length: 20 }, () => ({ id: randomUUID(), size: 1, projectId: 'race', status: 'available' }));
  await Promise.all(volumes.map((v, i) => drivers[i % 2]!.createVolume(v)));
  const infos = await Promise.all(volumes.map((v, i) => drivers[i % 2]!.initializeConnection(v, { platform: 'x86_64', os_type: 'linux' })));
  expect(new Set(infos.map((i) => i.data.volume)).size).toBe(20);
  expect(new Set(infos.map((i) => i.data.config?.vmware_clone_ticket)).size).toBe(20);

  const inv = await inventory(fx.session);
  const backings = inv.vms.filter((vm) => volumes.some((v) => v.id === vm.instanceUuid));
  expect(backings).toHaveLength(20);
  expect(backings.every((b) => b.folder === 'OpenStack/Project (race)/Volumes')).toBe(true);
  const paths = inv.folders.filter((f) => f.startsWith('OpenStack'));
  expect(paths.filter((p) => p === 'OpenStack/Project (race)/Volumes')).toHaveLength(1);
  expect(paths.filter((p) => p === 'OpenStack')).toHaveLength(1);

  await Promise.all(volumes.map((v, i) => drivers[i % 2]!.deleteVolume(v)));
  const after = await inventory(fx.session);
  expect(after.vms.filter((vm) => volumes.some((v) => v.id === vm.instanceUuid))).toHaveLength(0);
}, 60_000);
