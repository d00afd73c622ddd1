/**
 * The worker thread: gets the plan's plugin refs and configurations once (workerData), imports
 * the plugins by URL, and runs batches of runs, returning their metric cells.
 */
import { workerData } from 'node:worker_threads';
import type { AnyPlugin } from '@livemig/core';
import type { WorkerConfig } from './plan.js';
import type { PluginRef } from './plugins.js';
import { compileConfig, loadPlugins, metricCells, runOnce } from './simulate.js';

/** What every worker receives when it starts. */
export interface WorkerInit {
  readonly refs: readonly PluginRef[];
  readonly configs: readonly WorkerConfig[];
}

/** One batch: [plan index, configuration index, replication, seed] per run. */
export interface WorkerTask {
  readonly runs: ReadonlyArray<readonly [number, number, number, number]>;
}

// tinypool passes [its own data, ours].
const init = (workerData as [unknown, WorkerInit])[1];
let plugins: Promise<AnyPlugin[]> | undefined;
const factories = new Map<number, ReturnType<typeof compileConfig>>();

/** Run a batch; a failing run rejects with its plan index in the message. */
export default async function runBatch(task: WorkerTask): Promise<string[][]> {
  const loaded = await (plugins ??= loadPlugins(init.refs));
  const rows: string[][] = [];
  for (const [index, configIndex, replication, seed] of task.runs) {
    const config = init.configs[configIndex]!;
    let f = factories.get(configIndex);
    if (!f) {
      f = compileConfig(config, loaded);
      factories.set(configIndex, f);
    }
    try {
      rows.push(metricCells(runOnce(config, f, seed, replication)));
    } catch (e) {
      throw new Error(`run #${index} failed: ${(e as Error).message}`);
    }
  }
  return rows;
}
