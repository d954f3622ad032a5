/**
 * Test utilities shared by vmkit's packages.
 *
 * @packageDocumentation
 */
export { startFaultProxy } from './fault-proxy.js';
export type { FaultKind, FaultProxy, FaultProxyOptions, FaultRates, FaultRecord } from './fault-proxy.js';
