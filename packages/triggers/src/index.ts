/**
 * @livemig/triggers — cluster simulation and trigger policies: hosts with SPECpower models, VMs
 * following CPU traces, overload detection (THR, IQR, MAD, LR, LRR), VM selection (MMT, MC, MU,
 * RS), placement (PABFD, first fit, NIC-aware), consolidation, evacuation and host failures, with
 * CloudSim's migration costs or real copy strategies over a shared network.
 * @packageDocumentation
 */
export * from './power.js';
export * from './view.js';
export { Plan, HISTORY_LENGTH } from './plan.js';
export * from './regression.js';
export * from './detectors.js';
export * from './selection.js';
export * from './placement.js';
export { consolidationPolicy, makePlacer, makeSelector, defaultConsolidation, type ConsolidationOptions, type PlacementName, type SelectionName } from './policy.js';
export * from './plugins.js';
export * from './simulate.js';
export * from './cloudsim.js';
