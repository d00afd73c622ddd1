/**
 * The cluster worker thread: the plan's plugin refs, configurations and days once (workerData),
 * then batches of runs, returning their metric cells (same task format as the migration worker).
 */
import { workerData } from 'node:worker_threads';
import type { AnyPlugin } from '@livemig/core';
import { loadPlugins } from '../simulate.js';
import type { PluginRef } from '../plugins.js';
import type { WorkerResult, WorkerTask } from '../worker.js';
import type { ClusterWorkerConfig } from './plan.js';
import { clusterCells, runClusterDay } from './simulate.js';

export interface ClusterWorkerInit {
  readonly refs: readonly PluginRef[];
  readonly configs: readonly ClusterWorkerConfig[];
  readonly days: readonly string[];
}

const init = (workerData as [unknown, ClusterWorkerInit])[1];
let plugins: Promise<AnyPlugin[]> | undefined;

/** Run a batch (replication = index of the day); a failing run rejects with its plan index. */
export default async function runBatch(task: WorkerTask): Promise<WorkerResult> {
  const loaded = await (plugins ??= loadPlugins(init.refs));
  const rows: string[][] = [];
  for (const [index, configIndex, replication, seed] of task.runs) {
    try {
      rows.push(clusterCells(runClusterDay(init.configs[configIndex]!, init.days[replication]!, seed, loaded)));
    } catch (e) {
      throw new Error(`run #${index} failed: ${(e as Error).message}`);
    }
  }
  return { rows };
}
