// A small hand-written slice of the VIM schema for the codec's unit tests (the generated tables are
// used by the tests that import the package's default schema).
import type { SchemaTables } from '../src/codec/schema.js';

const A = 1;
const O = 2;

export const fixtureTables: SchemaTables = {
  dataTypes: {
    DynamicData: { props: [] },
    MethodFault: { base: 'DynamicData', props: [['faultCause', 'LocalizedMethodFault', O], ['faultMessage', 'LocalizableMessage', A | O]] },
    LocalizedMethodFault: { base: 'DynamicData', props: [['fault', 'MethodFault', 0], ['localizedMessage', 'string', O]] },
    LocalizableMessage: { base: 'DynamicData', props: [['key', 'string', 0], ['message', 'string', O]] },
    RuntimeFault: { base: 'MethodFault', props: [] },
    VimFault: { base: 'MethodFault', props: [] },
    InvalidLogin: { base: 'VimFault', props: [] },
    FileFault: { base: 'VimFault', props: [['file', 'string', 0]] },
    FileNotFound: { base: 'FileFault', props: [] },
    CannotAccessFile: { base: 'FileFault', props: [] },
    ManagedObjectNotFound: { base: 'RuntimeFault', props: [['obj', 'ManagedObjectReference', 0]] },
    AboutInfo: {
      base: 'DynamicData',
      props: [['name', 'string', 0], ['version', 'string', 0], ['apiType', 'string', 0], ['licenseProductVersion', 'string', O]],
    },
    Description: { base: 'DynamicData', props: [['label', 'string', 0], ['summary', 'string', 0]] },
    VirtualDevice: {
      base: 'DynamicData',
      props: [['key', 'int', 0], ['deviceInfo', 'Description', O], ['backing', 'VirtualDeviceBackingInfo', O], ['controllerKey', 'int', O], ['unitNumber', 'int', O]],
    },
    VirtualDeviceBackingInfo: { base: 'DynamicData', props: [] },
    VirtualDeviceFileBackingInfo: { base: 'VirtualDeviceBackingInfo', props: [['fileName', 'string', 0], ['datastore', 'ManagedObjectReference', O, 'Datastore']] },
    VirtualDiskFlatVer2BackingInfo: {
      base: 'VirtualDeviceFileBackingInfo',
      props: [['diskMode', 'string', 0], ['thinProvisioned', 'boolean', O], ['eagerlyScrub', 'boolean', O], ['uuid', 'string', O]],
    },
    VirtualDisk: { base: 'VirtualDevice', props: [['capacityInKB', 'long', 0], ['capacityInBytes', 'long', O]] },
    VirtualController: { base: 'VirtualDevice', props: [['busNumber', 'int', 0], ['device', 'int', A | O]] },
    VirtualSCSIController: { base: 'VirtualController', props: [['sharedBus', 'VirtualSCSISharing', 0]] },
    VirtualLsiLogicController: { base: 'VirtualSCSIController', props: [] },
    VirtualDeviceConfigSpec: {
      base: 'DynamicData',
      props: [['operation', 'VirtualDeviceConfigSpecOperation', O], ['fileOperation', 'VirtualDeviceConfigSpecFileOperation', O], ['device', 'VirtualDevice', 0]],
    },
    OptionValue: { base: 'DynamicData', props: [['key', 'string', 0], ['value', 'anyType', O]] },
    VirtualMachineConfigSpec: {
      base: 'DynamicData',
      props: [['name', 'string', O], ['memoryMB', 'long', O], ['deviceChange', 'VirtualDeviceConfigSpec', A | O], ['extraConfig', 'OptionValue', A | O], ['createDate', 'dateTime', O], ['nvram', 'base64Binary', O]],
    },
    DynamicProperty: { props: [['name', 'string', 0], ['val', 'anyType', 0]] },
    ObjectContent: { base: 'DynamicData', props: [['obj', 'ManagedObjectReference', 0], ['propSet', 'DynamicProperty', A | O], ['missingSet', 'MissingProperty', A | O]] },
    MissingProperty: { base: 'DynamicData', props: [['path', 'string', 0], ['fault', 'LocalizedMethodFault', 0]] },
    RetrieveResult: { base: 'DynamicData', props: [['token', 'string', O], ['objects', 'ObjectContent', A]] },
    ServiceContent: { base: 'DynamicData', props: [['rootFolder', 'ManagedObjectReference', 0, 'Folder'], ['about', 'AboutInfo', 0]] },
    UserSession: { base: 'DynamicData', props: [['key', 'string', 0], ['userName', 'string', 0], ['loginTime', 'dateTime', 0]] },
  },
  enumTypes: {
    VirtualDeviceConfigSpecOperation: { values: ['add', 'remove', 'edit'] },
    VirtualDeviceConfigSpecFileOperation: { values: ['create', 'destroy', 'replace'] },
    VirtualSCSISharing: { values: ['noSharing', 'virtualSharing', 'physicalSharing'] },
  },
  methods: {
    RetrieveServiceContent: { params: [], returns: ['ServiceContent', 0], faults: [] },
    Login: { params: [['userName', 'string', 0], ['password', 'string', 0], ['locale', 'string', O]], returns: ['UserSession', 0], faults: ['InvalidLogin'] },
    Logout: { params: [], faults: [] },
    ReconfigVM_Task: { params: [['spec', 'VirtualMachineConfigSpec', 0]], returns: ['ManagedObjectReference', 0], faults: [] },
    RetrievePropertiesEx: { params: [], returns: ['RetrieveResult', O], faults: [] },
    QueryList: { params: [['keys', 'string', A | O]], returns: ['string', A | O], faults: [] },
  },
  managedTypes: {},
};
