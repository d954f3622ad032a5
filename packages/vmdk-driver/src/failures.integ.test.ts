/**
 * Failures injected at each step of the multi-step methods through the simulator's control endpoint:
 * afterwards the inventory, read through the property collector, equals the inventory before (apart
 * from the intended result when the method succeeds).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { backingOf, digest, inventory, startFixture } from '../test/fixture.js';
import { CleanupFailedError, type Volume } from './index.js';

const GiB = 1024 ** 3;
const fx = await startFixture({ datastores: 2 });
afterAll(async () => {
  await fx.close();
});
afterEach(async () => {
  await fx.sim.control.reset();
});
const driver = await fx.driver({ vmware_lazy_create: false });
const vol = (over: Partial<Volume> = {}): Volume => ({ id: randomUUID(), size: 1, projectId: 'pf', status: 'available', ...over });

/** Runs `fn` with `method` failing once (or `count` times) and checks that the inventory did not change. */
async function failsCleanly(method: string, fn: () => Promise<unknown>, fault = 'FileLocked', count = 1): Promise<void> {
  const before = digest(await inventory(fx.session));
  await fx.sim.control.queueFault(method, { count, fault });
  await expect(fn()).rejects.toMatchObject({ faultName: fault });
  await fx.sim.control.reset();
  expect(digest(await inventory(fx.session))).toEqual(before);
}

// Folders are shared by every volume of a project: create them once so that "before" already has them.
const seed = vol();
await driver.createVolume(seed);
await driver.createSnapshot({ id: randomUUID(), volume: seed });

describe('create', () => {
  it('CreateVM_Task fails: no backing', async () => {
    await failsCleanly('CreateVM_Task', () => driver.createVolume(vol()));
  });
});

describe('clone', () => {
  it.each(['CloneVM_Task', 'ReconfigVM_Task'])('a full clone that must grow, failing at %s, leaves nothing', async (method) => {
    await failsCleanly(method, () => driver.createClonedVolume(vol({ size: 2 }), seed));
  });

  it.each(['CreateSnapshot_Task', 'CloneVM_Task'])('a linked clone failing at %s leaves no clone and no temporary snapshot', async (method) => {
    await failsCleanly(method, () => driver.createClonedVolume(vol({ extraSpecs: { 'vmware:clone_type': 'linked' } }), seed));
  });

  it.each(['CloneVM_Task', 'MarkAsTemplate'])('a template snapshot failing at %s leaves no template', async (method) => {
    await failsCleanly(method, () => driver.createSnapshot({ id: randomUUID(), volume: seed }));
  });
});

describe('extend with relocation', () => {
  it('relocates to a datastore with room when the current one has none, then extends', async () => {
    const v = vol();
    await driver.createVolume(v);
    const before = (await backingOf(fx.session, v.id))!;
    await fx.sim.control.queueFault('ReconfigVM_Task', { count: 1, fault: 'NoDiskSpace' });
    await driver.extendVolume(v, 2);
    const after = (await backingOf(fx.session, v.id))!;
    expect(after.disks[0]!.capacity).toBe(2 * GiB);
    expect(after.disks[0]!.path).not.toBe(before.disks[0]!.path);
    await driver.deleteVolume(v);
  });

  it.each(['RelocateVM_Task', 'ReconfigVM_Task'])('failing at %s after the relocation leaves the volume where and as it was', async (method) => {
    const v = vol();
    await driver.createVolume(v);
    const before = digest(await inventory(fx.session));
    // The first ReconfigVM_Task (in place) says NoDiskSpace; then the step under test fails.
    await fx.sim.control.queueFault('ReconfigVM_Task', { count: 1, fault: 'NoDiskSpace' });
    if (method === 'ReconfigVM_Task') await fx.sim.control.queueFault('ReconfigVM_Task', { count: 1, fault: 'FileLocked' });
    else await fx.sim.control.queueFault(method, { count: 1, fault: 'FileLocked' });
    await expect(driver.extendVolume(v, 2)).rejects.toMatchObject({ faultName: 'FileLocked' });
    await fx.sim.control.reset();
    expect(digest(await inventory(fx.session))).toEqual(before);
    await driver.deleteVolume(v);
  });
});

describe('retype', () => {
  it.each(['CloneVM_Task', 'Destroy_Task'])('a disk type conversion in place failing at %s leaves the volume as it was', async (method) => {
    // One datastore only, so that the conversion is a clone and swap rather than a relocation.
    const one = await fx.driver({ vmware_lazy_create: false, vmware_datastore_regex: '^LocalDS_0$' });
    const v = vol();
    await one.createVolume(v);
    await failsCleanly(method, () => one.retype(v, { 'vmware:vmdk_type': 'thick' }));
    expect((await backingOf(fx.session, v.id))!.disks[0]!.thin).toBe(true);
    await one.deleteVolume(v);
  });

  it('a disk type conversion by relocation failing at RelocateVM_Task leaves the volume as it was', async () => {
    const v = vol();
    await driver.createVolume(v);
    await driver.createSnapshot({ id: randomUUID(), volume: { ...v } }); // template format: no VM snapshot on the volume
    const cowDriver = await fx.driver({ vmware_lazy_create: false, vmware_snapshot_format: 'COW' });
    await cowDriver.createSnapshot({ id: randomUUID(), volume: v }); // a VM snapshot forces a relocation elsewhere
    await failsCleanly('RelocateVM_Task', () => driver.retype(v, { 'vmware:vmdk_type': 'thick' }));
  });

  it('an adapter change failing at ReconfigVM_Task leaves the disk on its controller', async () => {
    const v = vol();
    await driver.createVolume(v);
    await failsCleanly('ReconfigVM_Task', () => driver.retype(v, { 'vmware:adapter_type': 'busLogic' }));
    expect((await backingOf(fx.session, v.id))!.disks[0]!.controller).toBe('VirtualLsiLogicController');
    await driver.deleteVolume(v);
  });
});

describe('manage existing', () => {
  it.each(['CreateVM_Task', 'ReconfigVM_Task', 'MoveVirtualDisk_Task'])('failing at %s gives the disk back to its VM and leaves no backing', async (method) => {
    const v = vol();
    await driver.createVolume(v);
    const before = (await backingOf(fx.session, v.id))!;
    await driver.unmanage(v);
    const ref = { 'source-name': `${before.disks[0]!.path}@DC0/vm/OpenStack/Project (pf)/Volumes/${before.name}` };
    await failsCleanly(method, () => driver.manageExisting(vol(), ref));
    await driver.volumeops.deleteBacking(before.ref);
  });
});

describe('when the undo fails too', () => {
  it('the error is a CleanupFailedError that names what is left, with the original failure as its cause', async () => {
    const before = digest(await inventory(fx.session));
    await fx.sim.control.queueFault('ReconfigVM_Task', { count: 1, fault: 'FileLocked' }); // the extend after the clone
    await fx.sim.control.queueFault('Destroy_Task', { count: 1, fault: 'TaskInProgress' }); // the undo
    const v = vol({ size: 2 });
    const err = await driver.createClonedVolume(v, seed).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CleanupFailedError);
    expect(err).toMatchObject({ code: 'VMKIT_DRIVER_CLEANUP_FAILED', leftovers: ['delete the clone'], cause: { faultName: 'FileLocked' } });
    await fx.sim.control.reset();
    await driver.deleteVolume(v); // what was left is the clone, findable as the volume's backing
    expect(digest(await inventory(fx.session))).toEqual(before);
  });
});
