/**
 * The worker thread of migration sweeps. It gets the prepared sweep once (workerData: plain
 * data, plugins as module URLs) and expands its own slices of it: a `plan` task checks a range
 * of configurations and returns their ids; a `runs` task simulates runs given by plan index and
 * returns their runs.csv rows as CSV text. The main thread only writes what comes back, in order.
 *
 * The types {@link WorkerTask} and {@link WorkerResult} are the batch format of the scenario and
 * cluster workers, whose plans are small and built on the main thread.
 */
import { workerData } from 'node:worker_threads';
import type { AnyPlugin } from '@livemig/core';
import { InputError } from './errors.js';
import { createExpander, type Expander, type ExpandedConfig, type SweepSpec } from './expand.js';
import { csvText } from './output.js';
import { METRIC_COLUMNS } from './plan.js';
import { accumulate, accumulator, summaryOf, summaryRow, type Accumulator, type ConfigSummary, type SummaryColumns } from './report/summary.js';
import { stringify } from 'csv-stringify/sync';
import { loadPlugins, metricCells, runWithTimeline, timelineRows } from './simulate.js';

/** One batch of a scenario or cluster plan: [plan index, configuration index, replication, seed] per run. */
export interface WorkerTask {
  readonly runs: ReadonlyArray<readonly [number, number, number, number]>;
}

/** A batch's metric cells per run, and (when asked) each run's extra rows (timeline.csv, migrations.csv) without the run id. */
export interface WorkerResult {
  readonly rows: string[][];
  readonly timelines?: string[][][];
}

/** What a migration-sweep worker receives when it starts. */
export interface SweepWorkerInit {
  readonly spec: SweepSpec;
  /** Return each run's timeline.csv rows too (experiment `timeline: true`). */
  readonly timeline: boolean;
  /** The columns summary.csv summarises (a `runs` task with `summaries` returns each configuration's). */
  readonly summary: SummaryColumns;
}

/** Check configurations [from, to) and return their config ids and the run ids of their runs. */
export interface PlanTask {
  readonly kind: 'plan';
  readonly from: number;
  readonly to: number;
}
/** Simulate the runs of these plan indices (in this order). */
export interface RunsTask {
  readonly kind: 'runs';
  readonly runs: readonly number[];
  /** The runs are every run of whole configurations: return their summaries and summary.csv rows too. */
  readonly summaries?: boolean;
}
export type SweepTask = PlanTask | RunsTask;

/** Bad input found while expanding (the main thread exits 2 with it). */
export interface TaskInputError {
  readonly inputError: string;
  /** The configuration it is about. */
  readonly config: number;
}
export type PlanResult = { readonly configIds: string[]; readonly runIds: string } | TaskInputError;
export type RunsResult = { readonly csv: string; readonly count: number; readonly timeline?: string; readonly summaries?: ConfigSummary[]; readonly summaryCsv?: string } | TaskInputError;

const init = (workerData as [unknown, SweepWorkerInit] | undefined)?.[1];
let ready: Promise<{ plan: Expander; run: Expander }> | undefined;

const expanders = async (spec: SweepSpec): Promise<{ plan: Expander; run: Expander }> => {
  const plugins: AnyPlugin[] = await loadPlugins(spec.refs);
  // The plan phase instantiates each distinct combination once, so plugin checks fail before any run.
  return {
    plan: createExpander(spec, plugins, { probe: true }),
    run: createExpander(spec, plugins),
  };
};

/** Run one task; bad input comes back as data (exceptions lose their class crossing threads). */
export default async function runTask(task: SweepTask): Promise<PlanResult | RunsResult> {
  const { plan, run } = await (ready ??= expanders(init!.spec));
  const spec = init!.spec;
  return task.kind === 'plan' ? planSlice(plan, spec, task) : runSlice(run, spec, task, init!.timeline, init!.summary);
}

function planSlice(x: Expander, spec: SweepSpec, task: PlanTask): PlanResult {
  const configIds: string[] = [];
  const runIds: string[] = [];
  for (let c = task.from; c < task.to; c++) {
    let e: ExpandedConfig;
    try {
      e = x.expand(c);
    } catch (err) {
      if (err instanceof InputError) return { inputError: err.message, config: c };
      throw err;
    }
    configIds.push(e.configId);
    for (let r = 0; r < spec.replications; r++) runIds.push(e.run(r).runId);
  }
  return { configIds, runIds: runIds.join('\n') };
}

function runSlice(x: Expander, spec: SweepSpec, task: RunsTask, timeline: boolean, summary: SummaryColumns): RunsResult {
  const rows: string[][] = [];
  const extra: string[][] = [];
  // Summaries of whole configurations, from the same cells runs.csv gets (so they equal a summary read back from it).
  const metricAt = summary.metricColumns.map((m) => (METRIC_COLUMNS as readonly string[]).indexOf(m));
  const statusAt = (METRIC_COLUMNS as readonly string[]).indexOf('status');
  const summaries: ConfigSummary[] = [];
  let acc: Accumulator | undefined;
  let current: ExpandedConfig | undefined;
  for (const index of task.runs) {
    const c = Math.floor(index / spec.replications);
    const r = index % spec.replications;
    try {
      if (current?.index !== c) current = x.expand(c);
    } catch (err) {
      if (err instanceof InputError) return { inputError: err.message, config: c };
      throw err;
    }
    const { seed, runId } = current.run(r);
    let metrics: string[];
    try {
      const result = runWithTimeline(current.config, current.factory, seed, r, timeline);
      metrics = metricCells(result.metrics);
      if (timeline) for (const row of timelineRows(runId, result.timeline)) extra.push(row);
    } catch (e) {
      throw new Error(`run #${index} failed: ${(e as Error).message}`);
    }
    rows.push([runId, current.configId, String(r), String(seed), ...current.cells, ...metrics]);
    if (task.summaries) {
      if (acc?.configId !== current.configId) {
        if (acc) summaries.push(summaryOf(acc, summary.metricColumns));
        const cells = current.cells;
        const params = summary.paramColumns.length;
        acc = accumulator(
          current.configId,
          Object.fromEntries(summary.paramColumns.map((name, k) => [name, cells[k]!])),
          Object.fromEntries(summary.labelColumns.map((name, k) => [name, cells[params + k]!])),
          summary.metricColumns.length,
        );
      }
      accumulate(acc, metrics[statusAt] === 'completed', metricAt.map((k) => metrics[k]), summary.metricColumns, index + 2);
    }
  }
  if (acc) summaries.push(summaryOf(acc, summary.metricColumns));
  return {
    csv: csvText(rows),
    count: rows.length,
    ...(timeline ? { timeline: csvText(extra) } : {}),
    ...(task.summaries ? { summaries, summaryCsv: summaries.length ? stringify(summaries.map((s) => summaryRow(s, summary))) : '' } : {}),
  };
}
