/**
 * @livemig/testkit — arbitraries and invariant suites for copy strategies.
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
