/**
 * vmkit's benchmarks: suites that measure vmkit side by side with its peers and print one JSON line per
 * figure (`{"bench","impl","metric","value","unit"}`) and a table for people.
 *
 * @packageDocumentation
 */
export { figure, impls, median, metricUnits, renderTable, toJsonLine } from './figure.js';
export type { Figure, Impl, Metric } from './figure.js';
export type { Suite, SuiteContext } from './suite.js';
export { suites } from './suites/index.js';
export { runSuites } from './run.js';
