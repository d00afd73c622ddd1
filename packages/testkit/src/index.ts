/**
 * @livemig/testkit — arbitraries and invariant suites for plugin authors: strategyConformance,
 * stopConditionConformance and workloadConformance register a vitest suite in one line.
 * @example
 * ```ts
 * import { strategyConformance } from '@livemig/testkit';
 * import myStrategy from './index.js';
 * strategyConformance(myStrategy, { fullCopy: true });
 * ```
 * @packageDocumentation
 */
export * from './scenario.js';
export * from './arbitraries.js';
export * from './invariants.js';
export * from './stop-condition.js';
export * from './scheduler.js';
export * from './workload.js';
