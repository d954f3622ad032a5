/**
 * VMware's vCenter simulator (govmomi's, from Debian's packages) wrapped for vmkit's tests, benchmarks
 * and command line: {@link startSimulator} builds it when needed, starts it on loopback and resolves
 * with its URL and credentials.
 *
 * @packageDocumentation
 */
export { ensureSimulatorBinary, requiredDebianPackages } from './build.js';
export { startSimulator } from './simulator.js';
export type { Simulator, SimulatorInfo, SimulatorOptions } from './simulator.js';
export { createSimulatorControl, SimulatorControlError } from './control.js';
export type { DatastoreState, QueuedFault, SimulatorControl } from './control.js';
