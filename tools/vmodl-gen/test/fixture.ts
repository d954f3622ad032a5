import type { MemberDoc, VmodlDocument } from '../src/document.js';

const V1 = 'vim.version.version1';
const V5 = 'vim.version.version5';

function m(name: string, type: string, extra: Partial<MemberDoc> = {}): MemberDoc {
  return { name, type, array: false, optional: false, version: V1, ...extra };
}

/** A small schema document with one of everything the generator handles. */
export function fixture(): VmodlDocument {
  return {
    about: {
      source: 'fixture 1.0',
      generator: 'test',
      namespaces: ['vim', 'vmodl', 'pbm'],
      apiVersions: { vim25: '6.7.1', pbm: '6.7.1' },
      counts: {},
      wireCorrections: [],
      hidden: {},
      skippedMethods: [],
    },
    builtinTypes: { primitives: [], vmodlPrimitives: {}, managedObjectReference: {} },
    versions: {
      'vmodl.version.version0': { ns: 'vim25', api: '' },
      [V1]: { ns: 'vim25', api: '2.0' },
      [V5]: { ns: 'vim25', api: '4.0' },
      'pbm.version.version1': { ns: 'pbm', api: '1.0' },
    },
    dataTypes: {
      DynamicData: { name: 'vmodl.DynamicData', ns: 'vim25', version: 'vmodl.version.version0', props: [] },
      MethodFault: {
        name: 'vmodl.MethodFault',
        ns: 'vim25',
        version: 'vmodl.version.version0',
        props: [m('faultCause', 'LocalizedMethodFault', { optional: true, vmodlType: 'vmodl.MethodFault' })],
      },
      LocalizedMethodFault: {
        name: 'vmodl.LocalizedMethodFault',
        base: 'DynamicData',
        ns: 'vim25',
        version: 'vmodl.version.version0',
        props: [m('fault', 'MethodFault'), m('localizedMessage', 'string', { optional: true })],
      },
      InvalidState: { name: 'vim.fault.InvalidState', base: 'MethodFault', ns: 'vim25', version: V1, props: [] },
      VirtualDevice: {
        name: 'vim.vm.device.VirtualDevice',
        base: 'DynamicData',
        ns: 'vim25',
        version: V1,
        props: [m('key', 'int'), m('label', 'string', { optional: true, version: V5 })],
      },
      VirtualDisk: {
        name: 'vim.vm.device.VirtualDisk',
        base: 'VirtualDevice',
        ns: 'vim25',
        version: V1,
        props: [
          m('capacityInKB', 'long'),
          m('datastore', 'ManagedObjectReference', { moType: 'Datastore', optional: true }),
          m('mode', 'DiskMode'),
          m('content', 'base64Binary', { optional: true }),
          m('created', 'dateTime', { optional: true }),
          m('anything', 'anyType', { optional: true, array: true }),
          m('lun', 'string', { link: 'ScsiLun' }),
          m('password', 'string', { optional: true, secret: true }),
        ],
      },
      ConfigSpec: {
        name: 'vim.vm.ConfigSpec',
        base: 'DynamicData',
        ns: 'vim25',
        version: V1,
        props: [m('device', 'VirtualDevice', { array: true, optional: true })],
      },
      PbmThing: {
        name: 'pbm.Thing',
        base: 'DynamicData',
        ns: 'pbm',
        version: 'pbm.version.version1',
        props: [m('id', 'string', { version: 'pbm.version.version1' })],
      },
    },
    enums: {
      DiskMode: { name: 'vim.vm.device.VirtualDiskOption.DiskMode', ns: 'vim25', version: V1, values: ['persistent', "it's"] },
    },
    managedTypes: {
      ManagedObject: { name: 'vmodl.ManagedObject', ns: 'vim25', version: 'vmodl.version.version0', props: [], methods: [] },
      ManagedEntity: {
        name: 'vim.ManagedEntity',
        base: 'ManagedObject',
        ns: 'vim25',
        version: V1,
        props: [m('name', 'string', { privilege: 'System.View' })],
        methods: [
          {
            name: 'Destroy_Task',
            vmodlName: 'destroy',
            ns: 'vim25',
            version: V1,
            params: [],
            returns: { type: 'ManagedObjectReference', array: false, optional: false, moType: 'Task' },
            taskResult: null,
            faults: ['InvalidState'],
          },
        ],
      },
      VirtualMachine: {
        name: 'vim.VirtualMachine',
        base: 'ManagedEntity',
        ns: 'vim25',
        version: V1,
        props: [m('datastore', 'ManagedObjectReference', { moType: 'Datastore', array: true, optional: true })],
        methods: [
          {
            name: 'ReconfigVM_Task',
            vmodlName: 'reconfigure',
            ns: 'vim25',
            version: V1,
            params: [m('spec', 'ConfigSpec')],
            returns: { type: 'ManagedObjectReference', array: false, optional: false, moType: 'Task' },
            taskResult: { type: 'VirtualDevice', array: true },
            faults: [],
            privilege: 'VirtualMachine.Config.Settings',
          },
        ],
      },
      Datastore: { name: 'vim.Datastore', base: 'ManagedEntity', ns: 'vim25', version: V1, props: [], methods: [] },
      Task: { name: 'vim.Task', base: 'ManagedObject', ns: 'vim25', version: V1, props: [], methods: [] },
      PbmServiceInstance: {
        name: 'pbm.ServiceInstance',
        base: 'ManagedObject',
        ns: 'pbm',
        version: 'pbm.version.version1',
        props: [],
        methods: [
          {
            name: 'PbmRetrieveThings',
            vmodlName: 'retrieveThings',
            ns: 'pbm',
            version: 'pbm.version.version1',
            params: [m('ids', 'string', { array: true, optional: true, version: 'pbm.version.version1' })],
            returns: { type: 'PbmThing', array: true, optional: true },
            faults: [],
          },
        ],
      },
    },
  };
}
