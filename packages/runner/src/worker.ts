/**
 * The worker thread: gets the plan's plugin refs and configurations once (workerData), imports
 * the plugins by URL, and runs batches of runs, returning their metric cells.
 */
import { workerData } from 'node:worker_threads';
import type { AnyPlugin } from '@livemig/core';
import type { WorkerConfig } from './plan.js';
import type { PluginRef } from './plugins.js';
import { compileConfig, loadPlugins, metricCells, runWithTimeline, timelineRows } from './simulate.js';

/** What every worker receives when it starts. */
export interface WorkerInit {
  readonly refs: readonly PluginRef[];
  readonly configs: readonly WorkerConfig[];
  /** Return each run's timeline too (experiment `timeline: true`). */
  readonly timeline?: boolean;
}

/** One batch: [plan index, configuration index, replication, seed] per run. */
export interface WorkerTask {
  readonly runs: ReadonlyArray<readonly [number, number, number, number]>;
}

// tinypool passes [its own data, ours].
const init = (workerData as [unknown, WorkerInit])[1];
let plugins: Promise<AnyPlugin[]> | undefined;
const factories = new Map<number, ReturnType<typeof compileConfig>>();

/** A batch's metric cells per run, and (when asked) each run's timeline.csv rows without the run id. */
export interface WorkerResult {
  readonly rows: string[][];
  readonly timelines?: string[][][];
}

/** Run a batch; a failing run rejects with its plan index in the message. */
export default async function runBatch(task: WorkerTask): Promise<WorkerResult> {
  const loaded = await (plugins ??= loadPlugins(init.refs));
  const rows: string[][] = [];
  const timelines: string[][][] = [];
  for (const [index, configIndex, replication, seed] of task.runs) {
    const config = init.configs[configIndex]!;
    let f = factories.get(configIndex);
    if (!f) {
      f = compileConfig(config, loaded);
      factories.set(configIndex, f);
    }
    try {
      const r = runWithTimeline(config, f, seed, replication, init.timeline ?? false);
      rows.push(metricCells(r.metrics));
      if (init.timeline) timelines.push(timelineRows('', r.timeline).map((row) => row.slice(1)));
    } catch (e) {
      throw new Error(`run #${index} failed: ${(e as Error).message}`);
    }
  }
  return init.timeline ? { rows, timelines } : { rows };
}
