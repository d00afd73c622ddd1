/**
 * `livemig run`: execute a plan (or one shard of it) in a worker-thread pool and stream the
 * rows to runs.csv in plan order, so that the file is byte-identical for any worker count.
 *
 * Resumability: rows are appended as soon as every earlier run of the plan (or shard) is done
 * and the file is fsynced about once a second; a killed run leaves complete rows and at most
 * one truncated line. `--resume` keeps the complete rows whose run_id is in the plan, runs the
 * rest and rewrites runs.csv in plan order atomically (temp file + rename).
 */
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tinypool } from 'tinypool';
import { writeReports } from './report/index.js';
import { InputError } from './errors.js';
import { buildPlan, headerOf, METRIC_COLUMNS, planHash, type Plan, type PlanRun } from './plan.js';
import { csvText, readRunsCsv, runnerVersion, writeAtomic } from './output.js';
import type { WorkerInit, WorkerResult, WorkerTask } from './worker.js';
import type { ClusterWorkerInit } from './cluster/worker.js';
import { TIMELINE_COLUMNS } from './simulate.js';
import { createProgress, type Progress } from './progress.js';
import { CLUSTER_METRIC_COLUMNS, CLUSTER_REPORT_METRICS, clusterPlanOf, type ClusterPlan } from './cluster/plan.js';
import { writeClusterReports } from './cluster/report.js';
import { SCENARIO_METRIC_COLUMNS, SCENARIO_MIGRATION_COLUMNS, scenarioPlanOf, type ScenarioPlan } from './scenario/plan.js';
import { writeScenarioReports } from './scenario/report.js';
import type { ScenarioWorkerInit } from './scenario/worker.js';
import { lockOutDir, OutputError, outputError, removedForGood, removeEarlierReports, type OutDirLock } from './outdir.js';

/** A slice of the plan: runs whose plan index % count === index − 1. */
export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export interface RunOptions {
  /** Output directory; default `results/<name>` (a shard: `results/<name>/shards/<i>-of-<n>`). */
  out?: string;
  /** Worker threads; default `os.availableParallelism()`, and at most that unless `forceWorkers`. */
  workers?: number;
  /** Use `workers` threads even when there are fewer cores. */
  forceWorkers?: boolean;
  shard?: Shard;
  resume?: boolean;
  /** With `resume`: keep rows even if they were made by other plugin or livemig versions. */
  allowPluginDrift?: boolean;
  /** Override the experiment's seed. */
  seed?: number;
  /** Refuse a plan of more runs than this (bad input, nothing written); default {@link DEFAULT_MAX_RUNS}. */
  maxRuns?: number;
  /** Progress display: a bar on a TTY, plain lines otherwise, or nothing. */
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  /** Stop cleanly when aborted (SIGINT): rows done are kept, the run can be resumed. */
  signal?: AbortSignal;
  /** Write summary.csv, pareto.csv and plots at the end (default: unless sharded). */
  reports?: boolean;
  log?: (line: string) => void;
}

export interface RunResult {
  readonly outDir: string;
  readonly plan: Plan | ClusterPlan | ScenarioPlan;
  /** Runs of this plan (or shard). */
  readonly selected: number;
  /** Runs simulated now. */
  readonly ran: number;
  /** Rows kept from an earlier, interrupted run. */
  readonly reused: number;
  readonly interrupted: boolean;
}

/**
 * Replications that all gave the same row: said on the console and in the manifest rather than
 * left as a zero-width "95 % CI". The fluid engine computes expected values, so a seed changes
 * nothing unless a plugin draws random numbers in it; adding noise to it would model nothing.
 */
export function replicationsWarning(replications: number, fidelity: string): string {
  return (
    `every configuration's ${replications} replications gave the same row (the ${fidelity} engine${fidelity === 'fluid' ? ' computes expected values, so the seed changes nothing here' : ' drew the same outcome'}): ` +
    `the 95 % confidence intervals in summary.csv have zero width and the replications add no information. Use "replications": 1${fidelity === 'fluid' ? ', or "fidelity": "page-exact" for run-to-run variation' : ''}`
  );
}

/** Runs a plan may have unless `maxRuns` (`--max-runs`) says more: the plan is held in memory, about 1 KB a run. */
export const DEFAULT_MAX_RUNS = 1_000_000;

/** Parse "i/n" (1 ≤ i ≤ n). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && index >= 1 && index <= count)) throw new InputError(`--shard: expected i/n with 1 <= i <= n (e.g. 2/8), found '${text}'`);
  return { index, count };
}

/** The shard of a Slurm job array task (SLURM_ARRAY_TASK_ID, relative to SLURM_ARRAY_TASK_MIN, default 1). */
export function shardFromEnv(env: NodeJS.ProcessEnv = process.env): Shard | undefined {
  if (env.SLURM_ARRAY_TASK_ID === undefined || env.SLURM_ARRAY_TASK_COUNT === undefined) return undefined;
  const min = Number(env.SLURM_ARRAY_TASK_MIN ?? 1);
  return parseShard(`${Number(env.SLURM_ARRAY_TASK_ID) - min + 1}/${Number(env.SLURM_ARRAY_TASK_COUNT)}`);
}

/** Metrics summarised in the reports (numbers and booleans; status and stop_reason are text). */
export const REPORT_METRICS: string[] = METRIC_COLUMNS.filter((m) => m !== 'status' && m !== 'stop_reason');

export const inShard = (run: PlanRun, shard?: Shard): boolean => !shard || run.index % shard.count === shard.index - 1;

/** The worker module: dist/worker.js (cluster experiments: dist/cluster-worker.js). */
function workerFile(name = 'worker'): string {
  const here = fileURLToPath(import.meta.url);
  // Under vitest (sources) the pool still runs the built worker: build first (npm run build).
  return here.endsWith('.ts') ? join(here, '..', '..', 'dist', `${name}.js`) : join(here, '..', `${name}.js`);
}

/**
 * Run an experiment file; bad input throws {@link InputError} before anything is written, a
 * failed write (disk full, read-only folder) an {@link OutputError}. The output folder is
 * locked while the run writes into it.
 */
export async function runExperiment(file: string, opts: RunOptions = {}): Promise<RunResult> {
  const held: { lock?: OutDirLock } = {};
  try {
    return await runLocked(file, opts, held);
  } finally {
    held.lock?.release();
  }
}

async function runLocked(file: string, opts: RunOptions, held: { lock?: OutDirLock }): Promise<RunResult> {
  const started = new Date();
  const seedOpt = opts.seed === undefined ? {} : { seed: opts.seed };
  // A cluster experiment ("kind": "cluster") has its own plan, columns, worker and reports.
  const cluster: ClusterPlan | null = await clusterPlanOf(file, seedOpt);
  // So has a scenario experiment ("kind": "scenario"), which also writes migrations.csv.
  const scenario: ScenarioPlan | null = cluster ? null : await scenarioPlanOf(file, seedOpt);
  const plan: Plan | ClusterPlan | ScenarioPlan = cluster ?? scenario ?? (await buildPlan(file, { ...seedOpt, maxRuns: opts.maxRuns ?? DEFAULT_MAX_RUNS }));
  const metricColumns: readonly string[] = cluster ? CLUSTER_METRIC_COLUMNS : scenario ? SCENARIO_METRIC_COLUMNS : METRIC_COLUMNS;
  const shard = opts.shard;
  const outDir = resolve(opts.out ?? (shard ? join('results', plan.experiment.name, 'shards', `${shard.index}-of-${shard.count}`) : join('results', plan.experiment.name)));
  const header = cluster || scenario ? ['run_id', 'config_id', 'replication', 'seed', ...plan.paramColumns, ...plan.labelColumns, ...metricColumns] : headerOf(plan);
  const selected = plan.runs.filter((r) => inShard(r, shard));
  const runsPath = join(outDir, 'runs.csv');
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const cores = availableParallelism();
  const workers = Math.max(1, opts.workers !== undefined && (opts.forceWorkers || opts.workers <= cores) ? opts.workers : Math.min(opts.workers ?? cores, cores));
  // More threads than cores only share them, and each holds its own copy of the configurations.
  if (opts.workers !== undefined && opts.workers > workers)
    log(`livemig: warning: --workers ${opts.workers} is more than the ${cores} cores here: using ${workers} (--force-workers uses ${opts.workers})`);

  // Rows kept from an interrupted run.
  const kept = new Map<string, string[]>();
  let existing = opts.resume ? readRunsCsv(runsPath) : null;
  if (existing && !opts.allowPluginDrift) {
    // Rows made by other code are not the same experiment: the run ids hash the configuration, not the code that ran it.
    const drift = versionDrift(join(outDir, 'manifest.json'), plan.refs);
    if (drift.length)
      throw new InputError(
        `its rows were made by other versions (${drift.join('; ')}): resuming would mix results of different code. Run into another --out, or pass --allow-plugin-drift to keep them anyway`,
        runsPath,
      );
  }
  if (existing) {
    if (existing.header.join(',') !== header.join(','))
      throw new InputError(`its columns (${existing.header.join(', ')}) are not this experiment's (${header.join(', ')}): it comes from another experiment; use another --out`, runsPath);
    const wanted = new Set(selected.map((r) => r.runId));
    for (const row of existing.rows) if (wanted.has(row[0]!) && !kept.has(row[0]!)) kept.set(row[0]!, row);
  }
  const todo = selected.filter((r) => !kept.has(r.runId));

  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw outputError(e, outDir);
  }
  // One run at a time in a folder (two shards into one --out interleaved their rows).
  held.lock = lockOutDir(outDir);
  // Reports and plots of an earlier run here describe rows this run replaces.
  const removedReports = removeEarlierReports(outDir);
  // What differs from one run of the same experiment to the next (times, Node, workers) goes to
  // timing.json, so that a committed manifest.json stays as it is when the experiment is re-run.
  const writeManifest = (status: string, finished?: Date, rows?: number, extra: { reason?: string; warnings?: string[] } = {}): void => {
    writeAtomic(join(outDir, 'manifest.json'), JSON.stringify({ ...manifest(status, rows), ...extra }, null, 2) + '\n');
    const timing = { started: started.toISOString(), ...(finished ? { finished: finished.toISOString(), elapsed_s: (finished.getTime() - started.getTime()) / 1000 } : {}), node: process.version, workers };
    writeAtomic(join(outDir, 'timing.json'), JSON.stringify(timing, null, 2) + '\n');
  };
  const manifest = (status: string, rows?: number) => ({
    livemig: runnerVersion(),
    status,
    kind: cluster ? 'cluster' : scenario ? 'scenario' : 'migration',
    experiment: { name: plan.experiment.name, file: plan.file, sha256: plan.fileSha256 },
    seed: plan.seed,
    fidelity: plan.experiment.fidelity,
    plan: { runs: plan.runs.length, sha256: planHash(plan), ids: 'plan.txt' },
    shard: shard ?? null,
    rows: rows ?? kept.size,
    columns: { ids: ['run_id', 'config_id', 'replication', 'seed'], params: plan.paramColumns, labels: plan.labelColumns, metrics: [...metricColumns] },
    ...(cluster ? { days: cluster.days } : {}),
    plugins: plan.refs.map((r) => ({ kind: r.kind, use: r.use, package: r.package, version: r.version, ...(r.member ? { member: r.member } : {}) })),
    csv: 'numbers are JavaScript String(x): the shortest decimal that round-trips the double; empty = not applicable',
  });
  /** A failed write as an OutputError, after marking the manifest failed with the reason (when it can still be written). */
  const failedWrite = (e: unknown, path: string, rows: number): unknown => {
    const err = outputError(e, path);
    const reason = err instanceof Error ? err.message : String(err);
    try {
      writeManifest('failed', new Date(), rows, { reason });
    } catch (e2) {
      const again = outputError(e2, join(outDir, 'manifest.json'));
      return err instanceof OutputError ? new OutputError(`${err.message}; manifest.json could not be marked failed either (${(again as Error).message})`, err.path) : err;
    }
    return err;
  };

  // Open runs.csv: continue after the last complete line, or start afresh.
  let fd: number;
  try {
    writeAtomic(join(outDir, 'plan.txt'), plan.runs.map((r) => r.runId).join('\n') + '\n');
    writeManifest('running');
    if (existing) {
      fd = openSync(runsPath, 'r+');
      ftruncateSync(fd, existing.completeBytes);
      fd = (closeSync(fd), openSync(runsPath, 'a'));
    } else {
      fd = openSync(runsPath, 'w');
      writeSync(fd, csvText([header]));
    }
  } catch (e) {
    throw failedWrite(e, runsPath, kept.size);
  }
  existing = null;

  const rowOf = (run: PlanRun, metrics: string[]): string[] => {
    const meta = plan.configMeta[run.configIndex]!;
    return [run.runId, meta.configId, String(run.replication), String(run.seed), ...meta.cells, ...metrics];
  };

  // Rows complete in any order; they are written in plan order.
  const done = new Map<number, string[]>();
  // Timelines (experiment `timeline: true`): written to timeline.csv in plan order at the end.
  const timelineOf = new Map<string, string[][]>();
  let next = 0;
  let lastSync = Date.now();
  const flush = (force: boolean): void => {
    const rows: string[][] = [];
    while (done.has(next)) {
      rows.push(done.get(next)!);
      done.delete(next);
      next++;
    }
    if (rows.length) writeSync(fd, csvText(rows));
    if (force || Date.now() - lastSync > 1000) {
      fsyncSync(fd);
      lastSync = Date.now();
    }
  };

  const progress: Progress = createProgress(opts.progress ?? 'auto', todo.length, log);
  const batch = Math.max(1, Math.min(256, Math.floor(todo.length / (workers * 16))));
  const pool = new Tinypool({
    filename: workerFile(cluster ? 'cluster-worker' : scenario ? 'scenario-worker' : 'worker'),
    minThreads: Math.min(workers, Math.max(1, Math.ceil(todo.length / batch))),
    maxThreads: workers,
    workerData: cluster
      ? ({ refs: cluster.refs, configs: cluster.configs, days: cluster.days } satisfies ClusterWorkerInit)
      : scenario
        ? ({ refs: scenario.refs, configs: scenario.configs } satisfies ScenarioWorkerInit)
        : ({ refs: plan.refs, configs: (plan as Plan).configs, timeline: plan.experiment.timeline } satisfies WorkerInit),
  });
  let interrupted = false;
  let failure: unknown;
  // Set once runs.csv is closed: results that arrive later (runs in flight at an interrupt) are dropped.
  let closed = false;
  const onAbort = (): void => {
    interrupted = true;
  };
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) interrupted = true;

  try {
    let submitted = 0;
    const inflight = new Set<Promise<void>>();
    const aborted = abortPromise(opts.signal);
    const submit = (): void => {
      const start = submitted;
      const slice = todo.slice(start, start + batch);
      submitted += slice.length;
      const task: WorkerTask = { runs: slice.map((r) => [r.index, r.configIndex, r.replication, r.seed] as const) };
      const p: Promise<void> = (pool.run(task) as Promise<WorkerResult>).then(
        ({ rows, timelines }) => {
          if (closed || failure) return;
          rows.forEach((m, k) => done.set(start + k, rowOf(slice[k]!, m)));
          timelines?.forEach((t, k) => timelineOf.set(slice[k]!.runId, t.map((row) => [slice[k]!.runId, ...row])));
          progress.tick(rows.length);
          try {
            flush(false);
          } catch (e) {
            failure ??= outputError(e, runsPath);
          }
        },
        (e: unknown) => {
          // After an interrupt, the pool ends the runs in flight ("Terminating worker thread"): not a failure.
          if (!closed && !interrupted) failure ??= e instanceof Error ? e : new Error(String(e));
        },
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    };
    while (!interrupted && !failure && (submitted < todo.length || inflight.size > 0)) {
      while (!interrupted && !failure && submitted < todo.length && inflight.size < workers * 2) submit();
      if (inflight.size === 0) break;
      await Promise.race([...inflight, aborted]);
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    closed = true;
    progress.stop();
    try {
      // Rows finished out of order are complete too: keep them (resume puts them in order).
      flush(true);
      if (done.size) {
        const rest = [...done.keys()].sort((a, b) => a - b).map((k) => done.get(k)!);
        writeSync(fd, csvText(rest));
        fsyncSync(fd);
      }
    } catch (e) {
      failure ??= outputError(e, runsPath);
    }
    closeSync(fd);
    await pool.destroy();
  }
  const ran = next + done.size;
  if (failure instanceof OutputError) throw failedWrite(failure, failure.path, kept.size + next);
  if (failure) {
    writeManifest('failed', new Date(), kept.size + ran, { reason: failure instanceof Error ? failure.message : String(failure) });
    throw failure;
  }
  if (held.lock.compromised()) throw failedWrite(held.lock.compromised(), outDir, kept.size + ran);
  if (interrupted) {
    const by = typeof opts.signal?.reason === 'string' ? ` by ${opts.signal.reason}` : '';
    writeManifest('interrupted', new Date(), kept.size + ran, { reason: `interrupted${by}: ${kept.size + ran} of ${selected.length} rows written; livemig run --resume finishes it` });
    return { outDir, plan, selected: selected.length, ran, reused: kept.size, interrupted: true };
  }

  const warnings: string[] = [];
  try {
    // A resumed run: rewrite runs.csv in plan order, old and new rows together.
    if (kept.size > 0) {
      const fresh = readRunsCsv(runsPath)!;
      const byId = new Map(kept);
      for (const row of fresh.rows) if (!byId.has(row[0]!)) byId.set(row[0]!, row);
      writeAtomic(runsPath, csvText([header, ...selected.map((r) => byId.get(r.runId)!)]));
    }
    if (plan.experiment.timeline)
      // Runs kept by --resume from an interrupted run have no timeline rows (re-run without --resume for them).
      writeAtomic(join(outDir, 'timeline.csv'), csvText([[...TIMELINE_COLUMNS], ...selected.flatMap((r) => timelineOf.get(r.runId) ?? [])]));
    if (scenario)
      // Runs kept by --resume from an interrupted run have no migrations.csv rows (re-run without --resume for them).
      writeAtomic(join(outDir, 'migrations.csv'), csvText([[...SCENARIO_MIGRATION_COLUMNS], ...selected.flatMap((r) => timelineOf.get(r.runId) ?? [])]));
    if ((opts.reports ?? !shard) && scenario)
      await writeScenarioReports({ dir: outDir, runsCsvPath: runsPath, paramColumns: [...plan.paramColumns], labelColumns: [...plan.labelColumns], metricColumns: SCENARIO_METRIC_COLUMNS.filter((c) => c !== 'migrations') });
    else if ((opts.reports ?? !shard) && cluster)
      await writeClusterReports({ dir: outDir, runsCsvPath: runsPath, paramColumns: [...plan.paramColumns], labelColumns: [...plan.labelColumns], metricColumns: CLUSTER_REPORT_METRICS });
    else if (opts.reports ?? !shard) {
      const found = await writeReports({ dir: outDir, runsCsvPath: runsPath, paramColumns: [...plan.paramColumns], labelColumns: [...plan.labelColumns], metricColumns: REPORT_METRICS });
      if (found.identicalReplications !== null) warnings.push(replicationsWarning(found.identicalReplications, plan.experiment.fidelity));
    }
    for (const w of warnings) log(`livemig: warning: ${w}`);
    writeManifest('complete', new Date(), selected.length, warnings.length ? { warnings } : {});
  } catch (e) {
    throw failedWrite(e, outDir, selected.length);
  }
  const gone = removedForGood(outDir, removedReports);
  if (gone.length) log(`livemig: removed ${gone.length} file${gone.length > 1 ? 's' : ''} an earlier run left in ${outDir} that this experiment does not write: ${gone.join(', ')}`);
  return { outDir, plan, selected: selected.length, ran, reused: kept.size, interrupted: false };
}

/** Differences between the versions recorded in an earlier run's manifest and the ones resolved now. */
function versionDrift(manifestPath: string, refs: Plan['refs']): string[] {
  let before: { livemig?: string; plugins?: Array<{ package: string; version: string; member?: string }> };
  try {
    before = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof before;
  } catch {
    return [];
  }
  const drift: string[] = [];
  if (before.livemig !== undefined && before.livemig !== runnerVersion()) drift.push(`@livemig/runner ${before.livemig} → ${runnerVersion()}`);
  const then = new Map((before.plugins ?? []).map((p) => [p.package, p.version]));
  for (const r of refs) {
    const v = then.get(r.package);
    if (v !== undefined && v !== r.version) drift.push(`${r.package} ${v} → ${r.version}`);
  }
  return [...new Set(drift)];
}

function abortPromise(signal?: AbortSignal): Promise<void> {
  if (!signal) return new Promise(() => {});
  return new Promise((res) => (signal.aborted ? res() : signal.addEventListener('abort', () => res(), { once: true })));
}
