import { describe, expect, it } from 'vitest';
import { diskVmConfigSpec, diskVmImportSpec } from './vm-spec.js';

describe('diskVmConfigSpec', () => {
  it('adds a controller at key 1000 and a new thin disk on its unit 0, in LocalDS_0 by default', () => {
    const spec = diskVmConfigSpec({ name: 'v1', capacityInKB: 2048 });
    expect(spec.name).toBe('v1');
    expect(spec.files.vmPathName).toBe('[LocalDS_0]');
    expect(spec).not.toHaveProperty('numCPUs');
    expect(spec).not.toHaveProperty('memoryMB');
    const [controller, disk] = spec.deviceChange;
    expect(controller).toEqual({ operation: 'add', device: { _type: 'VirtualLsiLogicController', key: 1000, busNumber: 0, sharedBus: 'noSharing', scsiCtlrUnitNumber: 7 } });
    expect(disk!.fileOperation).toBe('create');
    expect(disk!.device).toMatchObject({ _type: 'VirtualDisk', controllerKey: 1000, unitNumber: 0, capacityInKB: 2048 });
    expect(disk!.device.backing).toEqual({ _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '', diskMode: 'persistent', thinProvisioned: true });
  });

  it('takes the datastore, a thick disk, CPUs and memory', () => {
    const spec = diskVmConfigSpec({ name: 'v2', capacityInKB: 1024, datastore: 'ds 2', thin: false, numCPUs: 1, memoryMB: 64 });
    expect(spec.files.vmPathName).toBe('[ds 2]');
    expect(spec.deviceChange[1]!.device.backing).not.toHaveProperty('thinProvisioned');
    expect(spec).toMatchObject({ numCPUs: 1, memoryMB: 64 });
  });

  it('builds a fresh spec each call (a test that edits one does not change the next)', () => {
    const a = diskVmConfigSpec({ name: 'a', capacityInKB: 1024 });
    a.deviceChange[1]!.device.backing!.diskMode = 'independent_persistent';
    expect(diskVmConfigSpec({ name: 'b', capacityInKB: 1024 }).deviceChange[1]!.device.backing!.diskMode).toBe('persistent');
  });
});

describe('diskVmImportSpec', () => {
  it('wraps the config spec as a VirtualMachineImportSpec', () => {
    expect(diskVmImportSpec({ name: 'v', capacityInKB: 1024 })).toEqual({ _type: 'VirtualMachineImportSpec', configSpec: diskVmConfigSpec({ name: 'v', capacityInKB: 1024 }) });
  });
});
