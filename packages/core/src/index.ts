/**
 * @livemig/core — the model every livemig plugin and the runner stand on.
 * @packageDocumentation
 */
export * from './units.js';
export * from './rng.js';
export * from './kernel.js';
export * from './lifecycle.js';
export * from './pageset.js';
export * from './network.js';
export * from './model.js';
export * from './workload.js';
export * from './memory.js';
export * from './stop.js';
export * from './trigger.js';
export * from './migration.js';
export * from './drive.js';
export * from './topology.js';
export * from './schedule.js';
export * from './scenario.js';
export * from './service.js';
export * from './plugin.js';
export * as schemas from './schemas.js';
export { z } from 'zod';
