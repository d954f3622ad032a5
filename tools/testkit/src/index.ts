/**
 * Test utilities shared by vmkit's packages.
 *
 * @packageDocumentation
 */
export { startFaultProxy } from './fault-proxy.js';
export type { FaultKind, FaultProxy, FaultProxyOptions, FaultRates, FaultRecord } from './fault-proxy.js';
export { diskVmConfigSpec, diskVmImportSpec } from './vm-spec.js';
export type { DiskVmConfigSpec, DiskVmDevice, DiskVmDeviceChange, DiskVmImportSpec, DiskVmOptions } from './vm-spec.js';
export { recordSoapCalls } from './soap-calls.js';
