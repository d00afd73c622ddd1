/**
 * @livemig/workloads — dirty-page models for livemig.
 * @packageDocumentation
 */
export { idle, uniform, hotCold, sequential } from './models.js';
export { writeRate, pagesPerSecond, workingSetPages, writeCounter, uniformDistinct, type WriteRate } from './common.js';
import { idle, uniform, hotCold, sequential } from './models.js';
/** Every workload of this package, by name. */
export const workloads = { idle, uniform, 'hot-cold': hotCold, sequential } as const;
