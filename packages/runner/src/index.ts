/**
 * @livemig/runner — experiment files, sweeps, worker-thread runs into resumable CSVs, shard
 * merging and reports; the `livemig` CLI is built on these functions.
 * @packageDocumentation
 */
export { InputError } from './errors.js';
export { defineExperiment, experimentSchema, scenarioSchema, sweepSchema, componentSchema, stopSchema, experimentJsonSchema, readJsonFile, type Experiment, type ExperimentInput, type Scenario } from './experiment.js';
export { expandPoints, parseParams, planSize, unitSamples, scaleValue, detectQuantity, type ParamDef, type Point } from './sweep.js';
export { prepareSweep, type PreparedSweep } from './plan.js';
export { createExpander, type ExpandedConfig, type Expander, type SweepSpec } from './expand.js';
export { buildPlan, columnName, headerOf, planHash, cell, stopLabel, METRIC_COLUMNS, ID_COLUMNS, LABEL_COLUMNS, UNIT_SUFFIX, type Plan, type PlanRun, type PlanOptions, type WorkerConfig } from './plan.js';
export { PluginResolver, pickPlugin, pluginsOf, splitUse, firstPartyPlugins, type PluginRef } from './plugins.js';
export { compileConfig, runOnce, loadPlugins, metricCells } from './simulate.js';
export { runExperiment, parseShard, shardFromEnv, inShard, REPORT_METRICS, type RunOptions, type RunResult, type Shard } from './run.js';
export { mergeShards, MergeError, type MergeOptions, type MergeResult } from './merge.js';
export { canonical, shortHash } from './canonical.js';
