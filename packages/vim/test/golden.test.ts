// Golden request XML: each representative call is encoded with the generated schema and compared byte for
// byte with its fixture in test/golden/<name>.xml, so that any change in what goes on the wire (member
// order, xsi:type, escaping, namespaces) is a visible diff. `VMKIT_UPDATE_GOLDEN=1 npx vitest run
// test/golden.test.ts` rewrites the fixtures. Every fixture is also checked against VMware's own 7.0 XSDs
// (python3-oslo.vmware's copies; skipped where they are not installed) with the strict rules a real
// vCenter applies: sequence order with inherited members first, required members, namespaces, xsi:type
// on every polymorphic and anyType value, enum values, reference types. VIM's request messages are not in
// those XSDs, so a VIM call's top-level parameters come from our method table; everything under them is
// judged by VMware's types. PBM's request messages are in the XSDs and are judged whole.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSoapRequest, loadVmwareXsd, type StrictMember } from '@vmkit/vmodl-gen';
import { describe, expect, it } from 'vitest';
import { RequestEncoder, typed } from '../src/codec/encode.js';
import { defaultSchema } from '../src/default-schema.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const update = process.env.VMKIT_UPDATE_GOLDEN === '1';
const encoder = new RequestEncoder(defaultSchema);

const mo = (type: string, value: string) => ({ type, value });
const vm = mo('VirtualMachine', 'vm-42');
const ds = mo('Datastore', 'datastore-11');
const dc = mo('Datacenter', 'datacenter-2');
const pool = mo('ResourcePool', 'resgroup-8');
const host = mo('HostSystem', 'host-21');
const folder = mo('Folder', 'group-v3');
const pc = mo('PropertyCollector', 'propertyCollector');
const vdm = mo('VirtualDiskManager', 'virtualDiskManager');
const fm = mo('FileManager', 'FileManager');
const sm = mo('SessionManager', 'SessionManager');
const lease = mo('HttpNfcLease', 'session[52a1]lease-7');
const snapshot = mo('VirtualMachineSnapshot', 'snapshot-77');
const pbmProfileManager = mo('PbmProfileProfileManager', 'ProfileManager');
const pbmPlacementSolver = mo('PbmPlacementSolver', 'SolverManager');
const profile = { _type: 'VirtualMachineDefinedProfileSpec', profileId: 'aa6d5a82-1c88-45da-85d3-3d74b91a5bad' };

const scsi = {
  operation: 'add',
  device: { _type: 'ParaVirtualSCSIController', key: -100, busNumber: 0, sharedBus: 'noSharing' },
};
const flatDisk = (key: number, unit: number, fileName: string) => ({
  _type: 'VirtualDisk',
  key,
  controllerKey: -100,
  unitNumber: unit,
  capacityInKB: 1048576,
  backing: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName, datastore: ds, diskMode: 'persistent', thinProvisioned: true, eagerlyScrub: false },
});
const vmConfig = {
  name: 'volume-1f0e & <test>',
  guestId: 'otherGuest',
  numCPUs: 1,
  memoryMB: 128,
  files: { vmPathName: '[datastore1]' },
  deviceChange: [scsi, { operation: 'add', fileOperation: 'create', device: flatDisk(-101, 0, ''), profile: [profile] }],
  extraConfig: [
    { key: 'cinder.volume.id', value: '1f0e6c2a-9f0b-4c48-8d43-7a3a4c1b2d3e' },
    { key: 'vmkit.int', value: typed('int', 7) },
    { key: 'vmkit.list', value: ['a', 'b'] },
  ],
  managedBy: { extensionKey: 'org.openstack.storage', type: 'volume' },
  vmProfile: [profile],
};
const traversal = {
  propSet: [{ type: 'VirtualMachine', pathSet: ['name', 'runtime.powerState', 'config.hardware.device'] }],
  objectSet: [
    {
      obj: mo('Folder', 'group-d1'),
      skip: true,
      selectSet: [
        { _type: 'TraversalSpec', name: 'folderTraversal', type: 'Folder', path: 'childEntity', skip: false, selectSet: [{ name: 'folderTraversal' }, { name: 'dcToVm' }] },
        { _type: 'TraversalSpec', name: 'dcToVm', type: 'Datacenter', path: 'vmFolder', skip: false, selectSet: [{ name: 'folderTraversal' }] },
      ],
    },
  ],
};

/** One call: the fixture's name, the method, `_this`, the parameters and optionally a SOAP header. */
type Call = [name: string, method: string, thisRef: { type: string; value: string }, params: Record<string, unknown>, header?: string];

const calls: Call[] = [
  ['CreateVM_Task', 'CreateVM_Task', folder, { config: vmConfig, pool, host }],
  [
    'ReconfigVM_Task',
    'ReconfigVM_Task',
    vm,
    {
      spec: {
        deviceChange: [
          {
            operation: 'add',
            fileOperation: 'create',
            device: {
              _type: 'VirtualDisk',
              key: -102,
              controllerKey: 1000,
              unitNumber: 1,
              capacityInKB: 2097152,
              backing: { _type: 'VirtualDiskSparseVer2BackingInfo', fileName: '[datastore1] vol/vol_1.vmdk', diskMode: 'independent_persistent' },
            },
          },
          { operation: 'edit', device: { _type: 'VirtualDisk', key: 2000, capacityInKB: 4194304 } },
          { operation: 'remove', fileOperation: 'destroy', device: { _type: 'VirtualDisk', key: 2001, capacityInKB: 1024 } },
        ],
        extraConfig: [{ key: 'snapshot.redoNotWithParent', value: true }],
      },
    },
  ],
  [
    'CloneVM_Task',
    'CloneVM_Task',
    vm,
    {
      folder,
      name: 'volume-clone',
      spec: {
        location: {
          datastore: ds,
          pool,
          host,
          diskMoveType: 'createNewChildDiskBacking',
          disk: [
            {
              diskId: 2000,
              datastore: ds,
              diskMoveType: 'moveAllDiskBackingsAndDisallowSharing',
              diskBackingInfo: { _type: 'VirtualDiskFlatVer2BackingInfo', fileName: '', diskMode: 'persistent', thinProvisioned: false, eagerlyScrub: true },
              profile: [profile],
            },
          ],
        },
        template: false,
        powerOn: false,
        snapshot,
        config: { vmProfile: [{ _type: 'VirtualMachineEmptyProfileSpec' }] },
      },
    },
  ],
  ['RelocateVM_Task', 'RelocateVM_Task', vm, { spec: { datastore: ds, pool, host, disk: [{ diskId: 2000, datastore: ds }] }, priority: 'defaultPriority' }],
  ['RetrievePropertiesEx', 'RetrievePropertiesEx', pc, { specSet: [traversal], options: { maxObjects: 100 } }],
  ['ContinueRetrievePropertiesEx', 'ContinueRetrievePropertiesEx', pc, { token: '1' }],
  ['CancelRetrievePropertiesEx', 'CancelRetrievePropertiesEx', pc, { token: '1' }],
  ['WaitForUpdatesEx', 'WaitForUpdatesEx', pc, { version: '3', options: { maxWaitSeconds: 60, maxObjectUpdates: 100 } }],
  [
    'CreateFilter',
    'CreateFilter',
    pc,
    { spec: { propSet: [{ type: 'Task', pathSet: ['info.state', 'info.progress', 'info.error'] }], objectSet: [{ obj: mo('Task', 'task-101') }] }, partialUpdates: true },
  ],
  [
    'ImportVApp',
    'ImportVApp',
    pool,
    {
      spec: {
        _type: 'VirtualMachineImportSpec',
        configSpec: {
          name: 'image-upload',
          guestId: 'otherGuest',
          numCPUs: 1,
          memoryMB: 128,
          files: { vmPathName: '[datastore1]' },
          deviceChange: [scsi, { operation: 'add', fileOperation: 'create', device: flatDisk(-101, 0, '') }],
        },
      },
      folder,
      host,
    },
  ],
  ['HttpNfcLeaseProgress', 'HttpNfcLeaseProgress', lease, { percent: 42 }],
  ['HttpNfcLeaseComplete', 'HttpNfcLeaseComplete', lease, {}],
  [
    'HttpNfcLeaseAbort',
    'HttpNfcLeaseAbort',
    lease,
    { fault: { fault: { _type: 'SystemError', reason: 'upload failed', faultMessage: [{ key: 'vmkit.upload', message: 'checksum mismatch' }] }, localizedMessage: 'upload failed' } },
  ],
  ['ExportVm', 'ExportVm', vm, {}],
  ['CreateSnapshot_Task', 'CreateSnapshot_Task', vm, { name: 'snapshot-1', description: 'before "extend" & <backup>', memory: false, quiesce: true }],
  ['RemoveSnapshot_Task', 'RemoveSnapshot_Task', snapshot, { removeChildren: false, consolidate: true }],
  ['RevertToSnapshot_Task', 'RevertToSnapshot_Task', snapshot, { host, suppressPowerOn: true }],
  [
    'CopyVirtualDisk_Task',
    'CopyVirtualDisk_Task',
    vdm,
    { sourceName: '[datastore1] a/a.vmdk', sourceDatacenter: dc, destName: '[datastore1] b/b.vmdk', destDatacenter: dc, destSpec: { _type: 'FileBackedVirtualDiskSpec', diskType: 'thin', adapterType: 'lsiLogic', capacityKb: 1048576 }, force: false },
  ],
  ['MoveVirtualDisk_Task', 'MoveVirtualDisk_Task', vdm, { sourceName: '[datastore1] a/a.vmdk', sourceDatacenter: dc, destName: '[datastore2] a/a.vmdk', force: true, profile: [profile] }],
  ['DeleteVirtualDisk_Task', 'DeleteVirtualDisk_Task', vdm, { name: '[datastore1] a/a.vmdk', datacenter: dc }],
  ['ExtendVirtualDisk_Task', 'ExtendVirtualDisk_Task', vdm, { name: '[datastore1] a/a.vmdk', datacenter: dc, newCapacityKb: 2 ** 40, eagerZero: false }],
  [
    'CreateVirtualDisk_Task',
    'CreateVirtualDisk_Task',
    vdm,
    { name: '[datastore1] vol/vol.vmdk', datacenter: dc, spec: { _type: 'FileBackedVirtualDiskSpec', diskType: 'eagerZeroedThick', adapterType: 'lsiLogic', capacityKb: 1048576, profile: [profile] } },
  ],
  ['MakeDirectory', 'MakeDirectory', fm, { name: '[datastore1] vmkit/images', datacenter: dc, createParentDirectories: true }],
  ['DeleteDatastoreFile_Task', 'DeleteDatastoreFile_Task', fm, { name: '[datastore1] vmkit/tmp-1.vmdk', datacenter: dc }],
  [
    'SearchDatastore_Task',
    'SearchDatastore_Task',
    mo('HostDatastoreBrowser', 'datastoreBrowser-datastore-11'),
    {
      datastorePath: '[datastore1] vol',
      searchSpec: {
        query: [{ _type: 'VmDiskFileQuery', filter: { diskType: ['VirtualDiskFlatVer2BackingInfo'], thin: true }, details: { diskType: true, capacityKb: true, hardwareVersion: false, thin: true } }, { _type: 'FolderFileQuery' }],
        details: { fileType: true, fileSize: true, modification: true, fileOwner: false },
        searchCaseInsensitive: false,
        matchPattern: ['*.vmdk', 'vol-?'],
        sortFoldersFirst: true,
      },
    },
  ],
  ['Login', 'Login', sm, { userName: 'administrator@vsphere.local', password: 'fixture-password-not-a-secret', locale: 'en' }, '<operationID>vmkit-golden-1</operationID>'],
  ['Logout', 'Logout', sm, {}],
  ['AcquireCloneTicket', 'AcquireCloneTicket', sm, {}],
  ['CloneSession', 'CloneSession', sm, { cloneTicket: 'cst-VCT-52c4-fixture' }],
  ['AcquireGenericServiceTicket', 'AcquireGenericServiceTicket', sm, { spec: { _type: 'SessionManagerHttpServiceRequestSpec', method: 'httpPut', url: 'https://esx-1.example.com/nfc/52a1/disk-0.vmdk' } }],
  ['FindAllByUuid', 'FindAllByUuid', mo('SearchIndex', 'SearchIndex'), { datacenter: dc, uuid: '5003a1c2-0f3e-4c5e-9d6a-1b2c3d4e5f60', vmSearch: true, instanceUuid: true }],
  ['CreateContainerView', 'CreateContainerView', mo('ViewManager', 'ViewManager'), { container: mo('Folder', 'group-d1'), type: ['VirtualMachine', 'Datastore'], recursive: true }],
  ['DestroyView', 'DestroyView', mo('ContainerView', 'session[52a1]52b8'), {}],
  ['PowerOnVM_Task', 'PowerOnVM_Task', vm, { host }],
  ['PbmRetrieveServiceContent', 'PbmRetrieveServiceContent', mo('PbmServiceInstance', 'ServiceInstance'), {}, '<operationID>vmkit-golden-2</operationID><vcSessionCookie>52a1-fixture-cookie</vcSessionCookie>'],
  ['PbmQueryProfile', 'PbmQueryProfile', pbmProfileManager, { resourceType: { resourceType: 'STORAGE' }, profileCategory: 'REQUIREMENT' }],
  ['PbmRetrieveContent', 'PbmRetrieveContent', pbmProfileManager, { profileIds: [{ uniqueId: 'aa6d5a82-1c88-45da-85d3-3d74b91a5bad' }, { uniqueId: 'f4e5bade-15a2-4805-bf8e-52318c4ce443' }] }],
  [
    'PbmQueryMatchingHub',
    'PbmQueryMatchingHub',
    pbmPlacementSolver,
    { hubsToSearch: [{ hubType: 'Datastore', hubId: 'datastore-11' }, { hubType: 'Datastore', hubId: 'datastore-12' }], profile: { uniqueId: 'aa6d5a82-1c88-45da-85d3-3d74b91a5bad' } },
  ],
  [
    'PbmQueryAssociatedProfiles',
    'PbmQueryAssociatedProfiles',
    pbmProfileManager,
    { entities: [{ objectType: 'virtualMachine', key: 'vm-42', serverUuid: 'b1a7c1b0-6a10-4a1b-9f2a-1c2d3e4f5a6b' }, { objectType: 'virtualDiskId', key: 'vm-42:2000' }] },
  ],
  ['PbmQueryAssociatedEntity', 'PbmQueryAssociatedEntity', pbmProfileManager, { profile: { uniqueId: 'aa6d5a82-1c88-45da-85d3-3d74b91a5bad' }, entityType: 'virtualDiskId' }],
];

const xsd = loadVmwareXsd('7.0');
/** A VIM call's top-level parameters (the XSDs lack VIM's request messages): `_this`, then ours. */
function requestMembers(operation: string): StrictMember[] | undefined {
  const m = defaultSchema.method(operation);
  if (m === undefined) return undefined;
  const ns = m.ns === 'pbm' ? 'urn:pbm' : 'urn:vim25';
  return [
    { name: '_this', type: 'ManagedObjectReference', optional: false, array: false, ns },
    ...m.params.map(([name, type, flags]) => ({ name, type, array: (flags & 1) !== 0, optional: (flags & 2) !== 0, ns })),
  ];
}

describe('golden request XML', () => {
  it('covers at least 30 calls, each fixture once', () => {
    expect(calls.length).toBeGreaterThanOrEqual(30);
    expect(new Set(calls.map((c) => c[0])).size).toBe(calls.length);
  });

  it.each(calls)('%s', (name, method, thisRef, params, header) => {
    const xml = `${encoder.envelope(method, thisRef, params, header)}\n`;
    const file = join(GOLDEN, `${name}.xml`);
    if (update || !existsSync(file)) {
      if (!update) throw new Error(`no fixture ${file}; run with VMKIT_UPDATE_GOLDEN=1 to write it`);
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(file, xml);
    }
    expect(xml).toBe(readFileSync(file, 'utf8'));
  });

  it.skipIf(xsd === undefined).each(calls)('%s passes the strict element-order and xsi:type check against VMware 7.0 XSDs', (name) => {
    const xml = readFileSync(join(GOLDEN, `${name}.xml`), 'utf8');
    expect(checkSoapRequest(xml, xsd!, { requestMembers })).toEqual([]);
  });

  it.skipIf(xsd === undefined)('the strict check does catch a reordered or untyped request', () => {
    const xml = readFileSync(join(GOLDEN, 'CreateVM_Task.xml'), 'utf8');
    const swapped = xml.replace('<name>volume-1f0e &amp; &lt;test&gt;</name><guestId>otherGuest</guestId>', '<guestId>otherGuest</guestId><name>volume-1f0e</name>');
    expect(swapped).not.toBe(xml);
    expect(checkSoapRequest(swapped, xsd!, { requestMembers }).join('\n')).toMatch(/out of order/);
    const untyped = xml.replace('<device xsi:type="vim25:VirtualDisk">', '<device>');
    expect(untyped).not.toBe(xml);
    expect(checkSoapRequest(untyped, xsd!, { requestMembers }).join('\n')).toMatch(/not a member of VirtualDevice/);
  });
});
