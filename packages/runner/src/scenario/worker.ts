/**
 * The scenario worker thread: the plan's plugin refs and configurations once (workerData), then
 * batches of runs, returning their runs.csv cells and migrations.csv rows.
 */
import { workerData } from 'node:worker_threads';
import type { AnyPlugin } from '@livemig/core';
import { loadPlugins } from '../simulate.js';
import type { PluginRef } from '../plugins.js';
import type { WorkerResult, WorkerTask } from '../worker.js';
import type { ScenarioWorkerConfig } from './plan.js';
import { migrationRows, runScenario, scenarioCells } from './simulate.js';

export interface ScenarioWorkerInit {
  readonly refs: readonly PluginRef[];
  readonly configs: readonly ScenarioWorkerConfig[];
}

const init = (workerData as [unknown, ScenarioWorkerInit])[1];
let plugins: Promise<AnyPlugin[]> | undefined;

/** Run a batch; `timelines` carries each run's migrations.csv rows. A failing run rejects with its plan index. */
export default async function runBatch(task: WorkerTask): Promise<WorkerResult> {
  const loaded = await (plugins ??= loadPlugins(init.refs));
  const rows: string[][] = [];
  const timelines: string[][][] = [];
  for (const [index, configIndex, replication, seed] of task.runs) {
    try {
      const config = init.configs[configIndex]!;
      const r = runScenario(config, loaded, seed, replication);
      rows.push(scenarioCells(r));
      timelines.push(migrationRows(r, config));
    } catch (e) {
      throw new Error(`run #${index} failed: ${(e as Error).message}`);
    }
  }
  return { rows, timelines };
}
