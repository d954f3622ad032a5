/**
 * vmkit: the command line. The binary is `vmkit`; this entry exposes the same program for embedding
 * and tests.
 *
 * @packageDocumentation
 */
export { main, exitCodeOf } from './main.js';
export { ExitCode } from './exit-codes.js';
export type { ExitCodeValue } from './exit-codes.js';
export type { Io } from './output.js';
