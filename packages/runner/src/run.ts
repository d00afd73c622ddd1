/**
 * `livemig run`: execute a plan (or one shard of it) in a worker-thread pool and stream the
 * rows to runs.csv in plan order, so that the file is byte-identical for any worker count.
 *
 * Resumability: rows are appended as soon as every earlier run of the plan (or shard) is done
 * and the file is fsynced about once a second; a killed run leaves complete rows and at most
 * one truncated line. `--resume` keeps the complete rows whose run_id is in the plan, runs the
 * rest and rewrites runs.csv in plan order atomically (temp file + rename).
 */
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, fsyncSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tinypool } from 'tinypool';
import { createReportWriter, writeReports } from './report/index.js';
import type { ConfigSummary } from './report/summary.js';
import { InputError } from './errors.js';
import { duplicateError, METRIC_COLUMNS, prepareSweep, type Plan, type PlanRun, type PreparedSweep } from './plan.js';
import { createExpander, type SweepSpec } from './expand.js';
import { IdMap } from './id-map.js';
import { csvText, readRunsCsv, runnerVersion, writeAtomic } from './output.js';
import type { PlanResult, PlanTask, RunsResult, RunsTask, SweepWorkerInit, WorkerResult, WorkerTask } from './worker.js';
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
  /** The plan of a cluster or scenario experiment; a migration sweep's prepared spec (never built whole). */
  readonly plan: Plan | ClusterPlan | ScenarioPlan | SweepSpec;
  /** Runs of the whole plan. */
  readonly planned: number;
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

/**
 * Runs a plan may have unless `maxRuns` (`--max-runs`) says more. A migration sweep is expanded
 * by the workers and streamed, but its plan.txt holds 17 bytes a run (1.7 GB at 10⁸) and every
 * shard checks the whole plan; cluster and scenario plans are built whole (about 1 KB a run).
 */
export const DEFAULT_MAX_RUNS = 100_000_000;

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

/** One batch's output: runs.csv text, rows of the extra file (timeline.csv, migrations.csv), runs in it. */
interface Chunk {
  readonly csv: string;
  readonly extra?: string;
  readonly count: number;
  /** Summaries of the whole configurations the chunk holds, with their summary.csv text. */
  readonly summaries?: { readonly of: ConfigSummary[]; readonly csv: string };
}

/** Runs per task: enough to amortise the thread hop, small enough to balance the workers. */
const batchSize = (runs: number, workers: number): number => Math.max(1, Math.min(256, Math.floor(runs / (workers * 16))));

/** Indices i < n with i % shard.count === shard.index − 1 (all without a shard). */
function* shardIndices(n: number, shard?: Shard): Generator<number> {
  const step = shard?.count ?? 1;
  for (let i = shard ? shard.index - 1 : 0; i < n; i += step) yield i;
}
const shardSize = (n: number, shard?: Shard): number => (shard ? Math.max(0, Math.ceil((n - (shard.index - 1)) / shard.count)) : n);

async function runLocked(file: string, opts: RunOptions, held: { lock?: OutDirLock }): Promise<RunResult> {
  const started = new Date();
  const seedOpt = opts.seed === undefined ? {} : { seed: opts.seed };
  // A cluster experiment ("kind": "cluster") has its own plan, columns, worker and reports.
  const cluster: ClusterPlan | null = await clusterPlanOf(file, seedOpt);
  // So has a scenario experiment ("kind": "scenario"), which also writes migrations.csv.
  const scenario: ScenarioPlan | null = cluster ? null : await scenarioPlanOf(file, seedOpt);
  // A migration sweep is not built here: the workers expand their own slices of it.
  const prepared: PreparedSweep | null = cluster || scenario ? null : await prepareSweep(file, { ...seedOpt, maxRuns: opts.maxRuns ?? DEFAULT_MAX_RUNS });
  const small = cluster ?? scenario;
  const experiment = small ? small.experiment : prepared!.experiment;
  const refs = small ? small.refs : prepared!.spec.refs;
  const runCount = small ? small.runs.length : prepared!.spec.runCount;
  const paramColumns = small ? small.paramColumns : prepared!.paramColumns;
  const labelColumns = small ? small.labelColumns : prepared!.labelColumns;
  const metricColumns: readonly string[] = cluster ? CLUSTER_METRIC_COLUMNS : scenario ? SCENARIO_METRIC_COLUMNS : METRIC_COLUMNS;
  const shard = opts.shard;
  const outDir = resolve(opts.out ?? (shard ? join('results', experiment.name, 'shards', `${shard.index}-of-${shard.count}`) : join('results', experiment.name)));
  const header = ['run_id', 'config_id', 'replication', 'seed', ...paramColumns, ...labelColumns, ...metricColumns];
  const selectedCount = shardSize(runCount, shard);
  const runsPath = join(outDir, 'runs.csv');
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const cores = availableParallelism();
  const workers = Math.max(1, opts.workers !== undefined && (opts.forceWorkers || opts.workers <= cores) ? opts.workers : Math.min(opts.workers ?? cores, cores));
  // More threads than cores only share them, and each holds its own copy of the configurations.
  if (opts.workers !== undefined && opts.workers > workers)
    log(`livemig: warning: --workers ${opts.workers} is more than the ${cores} cores here: using ${workers} (--force-workers uses ${opts.workers})`);
  // The extra file: every run's timeline (migration sweeps with `timeline`), every migration (scenarios).
  const extra = scenario ? { name: 'migrations.csv', columns: SCENARIO_MIGRATION_COLUMNS } : !cluster && experiment.timeline ? { name: 'timeline.csv', columns: TIMELINE_COLUMNS } : null;

  // Rows kept from an interrupted run.
  let existing = opts.resume ? readRunsCsv(runsPath) : null;
  if (existing && !opts.allowPluginDrift) {
    // Rows made by other code are not the same experiment: the run ids hash the configuration, not the code that ran it.
    const drift = versionDrift(join(outDir, 'manifest.json'), refs);
    if (drift.length)
      throw new InputError(
        `its rows were made by other versions (${drift.join('; ')}): resuming would mix results of different code. Run into another --out, or pass --allow-plugin-drift to keep them anyway`,
        runsPath,
      );
  }
  if (existing && existing.header.join(',') !== header.join(','))
    throw new InputError(`its columns (${existing.header.join(', ')}) are not this experiment's (${header.join(', ')}): it comes from another experiment; use another --out`, runsPath);
  const existingById = new Map<string, string[]>();
  for (const row of existing?.rows ?? []) if (!existingById.has(row[0]!)) existingById.set(row[0]!, row);
  const kept = new Map<string, string[]>();
  /** Plan indices whose row is kept. */
  const keptIndex = new Set<number>();

  const pool = new Tinypool({
    filename: workerFile(cluster ? 'cluster-worker' : scenario ? 'scenario-worker' : 'worker'),
    minThreads: Math.min(workers, Math.max(1, Math.ceil(selectedCount / batchSize(selectedCount, workers)))),
    maxThreads: workers,
    workerData: cluster
      ? ({ refs: cluster.refs, configs: cluster.configs, days: cluster.days } satisfies ClusterWorkerInit)
      : scenario
        ? ({ refs: scenario.refs, configs: scenario.configs } satisfies ScenarioWorkerInit)
        : ({ spec: prepared!.spec, timeline: experiment.timeline, summary: { paramColumns: [...paramColumns], labelColumns: [...labelColumns], metricColumns: REPORT_METRICS } } satisfies SweepWorkerInit),
  });
  let planFile: { dir: string; path: string } | undefined;
  try {
    // The plan's run ids, in order, to plan.txt (and its hash to the manifest): a migration sweep's
    // from the workers, which check every configuration on the way (bad input: exit 2, nothing written).
    const planHasher = createHash('sha256');
    planFile = { dir: mkdtempSync(join(tmpdir(), 'livemig-plan-')), path: '' };
    planFile.path = join(planFile.dir, 'plan.txt');
    const planFd = openSync(planFile.path, 'w');
    try {
      let written = 0;
      const addIds = (ids: string, firstIndex: number): void => {
        if (ids === '') return;
        planHasher.update(written ? `\n${ids}` : ids);
        writeSync(planFd, `${ids}\n`);
        written++;
        if (existingById.size) ids.split('\n').forEach((id, k) => {
          const i = firstIndex + k;
          const row = existingById.get(id);
          if (row && (!shard || i % shard.count === shard.index - 1) && !kept.has(id)) {
            kept.set(id, row);
            keptIndex.add(i);
          }
        });
      };
      if (small) addIds(small.runs.map((r) => r.runId).join('\n'), 0);
      else await planSweep(pool, prepared!, workers, addIds, opts.signal);
    } finally {
      closeSync(planFd);
    }
    const planSha256 = planHasher.digest('hex');
    if (opts.signal?.aborted) throw new InterruptedBeforeStart();

    try {
      mkdirSync(outDir, { recursive: true });
    } catch (e) {
      throw outputError(e, outDir);
    }
    // One run at a time in a folder (two shards into one --out interleaved their rows).
    held.lock = lockOutDir(outDir);
    return await writeRuns();

    async function writeRuns(): Promise<RunResult> {
      const lock = held.lock!;
      // Reports and plots of an earlier run here describe rows this run replaces.
      const removedReports = removeEarlierReports(outDir);
      // What differs from one run of the same experiment to the next (times, Node, workers) goes to
      // timing.json, so that a committed manifest.json stays as it is when the experiment is re-run.
      const writeManifest = (status: string, finished?: Date, rows?: number, more: { reason?: string; warnings?: string[] } = {}): void => {
        writeAtomic(join(outDir, 'manifest.json'), JSON.stringify({ ...manifest(status, rows), ...more }, null, 2) + '\n');
        const timing = { started: started.toISOString(), ...(finished ? { finished: finished.toISOString(), elapsed_s: (finished.getTime() - started.getTime()) / 1000 } : {}), node: process.version, workers };
        writeAtomic(join(outDir, 'timing.json'), JSON.stringify(timing, null, 2) + '\n');
      };
      const manifest = (status: string, rows?: number) => ({
        livemig: runnerVersion(),
        status,
        kind: cluster ? 'cluster' : scenario ? 'scenario' : 'migration',
        experiment: { name: experiment.name, file: small ? small.file : prepared!.spec.file, sha256: small ? small.fileSha256 : prepared!.fileSha256 },
        seed: small ? small.seed : prepared!.spec.seed,
        fidelity: experiment.fidelity,
        plan: { runs: runCount, sha256: planSha256, ids: 'plan.txt' },
        shard: shard ?? null,
        rows: rows ?? kept.size,
        columns: { ids: ['run_id', 'config_id', 'replication', 'seed'], params: paramColumns, labels: labelColumns, metrics: [...metricColumns] },
        ...(cluster ? { days: cluster.days } : {}),
        plugins: refs.map((r) => ({ kind: r.kind, use: r.use, package: r.package, version: r.version, ...(r.member ? { member: r.member } : {}) })),
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
      let extraFd: number | undefined;
      const extraPath = extra ? join(outDir, `${extra.name}.partial`) : '';
      try {
        copyFileSync(planFile!.path, join(outDir, 'plan.txt.tmp'));
        renameSync(join(outDir, 'plan.txt.tmp'), join(outDir, 'plan.txt'));
        writeManifest('running');
        if (existing) {
          fd = openSync(runsPath, 'r+');
          ftruncateSync(fd, existing.completeBytes);
          fd = (closeSync(fd), openSync(runsPath, 'a'));
        } else {
          fd = openSync(runsPath, 'w');
          writeSync(fd, csvText([header]));
        }
        if (extra) {
          extraFd = openSync(extraPath, 'w');
          writeSync(extraFd, csvText([[...extra.columns]]));
        }
      } catch (e) {
        throw failedWrite(e, runsPath, kept.size);
      }
      existing = null;
      existingById.clear();

      // Chunks complete in any order; they are written in task order (= plan order).
      const done = new Map<number, Chunk>();
      let next = 0;
      let rowsWritten = 0;
      let lastSync = Date.now();
      const flush = (force: boolean): void => {
        while (done.has(next)) {
          const c = done.get(next)!;
          done.delete(next);
          next++;
          if (c.csv) writeSync(fd, c.csv);
          if (extraFd !== undefined && c.extra) writeSync(extraFd, c.extra);
          if (live && c.summaries) live.addFormatted(c.summaries.of, c.summaries.csv);
          rowsWritten += c.count;
        }
        if (force || Date.now() - lastSync > 1000) {
          fsyncSync(fd);
          lastSync = Date.now();
        }
      };

      const todoCount = selectedCount - kept.size;
      const progress: Progress = createProgress(opts.progress ?? 'auto', todoCount, log);
      const reports = opts.reports ?? !shard;
      // A whole migration sweep: the workers summarise whole configurations as they run them, and
      // summary.csv is written as the rows are (no second pass over runs.csv).
      const live = !small && reports && kept.size === 0 && !shard ? createReportWriter({ dir: outDir, runsCsvPath: runsPath, paramColumns: [...paramColumns], labelColumns: [...labelColumns], metricColumns: REPORT_METRICS }) : null;
      const replications = small ? 1 : prepared!.spec.replications;
      const batch = live ? Math.max(1, Math.floor(batchSize(todoCount, workers) / replications)) * replications : batchSize(todoCount, workers);
      const todo = (function* () {
        for (const i of shardIndices(runCount, shard)) if (!keptIndex.has(i)) yield i;
      })();
      /** The next task: its payload and how to turn its result into a chunk; null when none is left. */
      const nextTask = (): { payload: unknown; chunk: (result: unknown) => Chunk } | null => {
        const indices: number[] = [];
        for (let k = 0; k < batch; k++) {
          const n = todo.next();
          if (n.done) break;
          indices.push(n.value);
        }
        if (indices.length === 0) return null;
        if (!small)
          return {
            payload: { kind: 'runs', runs: indices, ...(live ? { summaries: true } : {}) } satisfies RunsTask,
            chunk: (result) => {
              const r = result as RunsResult;
              if ('inputError' in r) throw new InputError(r.inputError);
              return { csv: r.csv, count: r.count, ...(r.timeline === undefined ? {} : { extra: r.timeline }), ...(r.summaries ? { summaries: { of: r.summaries, csv: r.summaryCsv ?? '' } } : {}) };
            },
          };
        const runs = indices.map((i) => small.runs[i]!);
        return {
          payload: { runs: runs.map((r) => [r.index, r.configIndex, r.replication, r.seed] as const) } satisfies WorkerTask,
          chunk: (result) => {
            const { rows, timelines } = result as WorkerResult;
            const cells = rows.map((m, k) => {
              const run = runs[k]!;
              const meta = small.configMeta[run.configIndex]!;
              return [run.runId, meta.configId, String(run.replication), String(run.seed), ...meta.cells, ...m];
            });
            return {
              csv: csvText(cells),
              count: rows.length,
              ...(extra && timelines ? { extra: csvText(timelines.flatMap((t, k) => t.map((row) => [runs[k]!.runId, ...row]))) } : {}),
            };
          },
        };
      };

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
        let seq = 0;
        let exhausted = false;
        const inflight = new Set<Promise<void>>();
        const aborted = abortPromise(opts.signal);
        const submit = (): void => {
          const task = nextTask();
          if (!task) {
            exhausted = true;
            return;
          }
          const mine = seq++;
          const p: Promise<void> = pool.run(task.payload).then(
            (result: unknown) => {
              if (closed || failure) return;
              try {
                const c = task.chunk(result);
                done.set(mine, c);
                progress.tick(c.count);
                flush(false);
              } catch (e) {
                failure ??= e instanceof InputError ? e : outputError(e, runsPath);
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
        while (!interrupted && !failure && (!exhausted || inflight.size > 0)) {
          while (!interrupted && !failure && !exhausted && inflight.size < workers * 2) submit();
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
            for (const k of [...done.keys()].sort((a, b) => a - b)) {
              const c = done.get(k)!;
              writeSync(fd, c.csv);
              rowsWritten += c.count;
            }
            fsyncSync(fd);
          }
        } catch (e) {
          failure ??= outputError(e, runsPath);
        }
        closeSync(fd);
        if (extraFd !== undefined) closeSync(extraFd);
        await pool.destroy();
      }
      const ran = rowsWritten;
      const dropExtra = (): void => {
        if (extra) rmSync(extraPath, { force: true });
        live?.abandon();
      };
      if (failure instanceof OutputError) throw (dropExtra(), failedWrite(failure, failure.path, kept.size + ran));
      if (failure) {
        dropExtra();
        writeManifest('failed', new Date(), kept.size + ran, { reason: failure instanceof Error ? failure.message : String(failure) });
        throw failure;
      }
      if (lock.compromised()) throw (dropExtra(), failedWrite(lock.compromised(), outDir, kept.size + ran));
      if (interrupted) {
        dropExtra();
        const by = typeof opts.signal?.reason === 'string' ? ` by ${opts.signal.reason}` : '';
        writeManifest('interrupted', new Date(), kept.size + ran, { reason: `interrupted${by}: ${kept.size + ran} of ${selectedCount} rows written; livemig run --resume finishes it` });
        return { outDir, plan: (small ?? prepared!.spec) as RunResult['plan'], planned: runCount, selected: selectedCount, ran, reused: kept.size, interrupted: true };
      }

      const warnings: string[] = [];
      try {
        // A resumed run: rewrite runs.csv in plan order, old and new rows together.
        if (kept.size > 0) {
          const fresh = readRunsCsv(runsPath)!;
          const byId = new Map(kept);
          for (const row of fresh.rows) if (!byId.has(row[0]!)) byId.set(row[0]!, row);
          const ids = readFileSync(join(outDir, 'plan.txt'), 'utf8').split('\n');
          writeAtomic(runsPath, csvText([header, ...[...shardIndices(runCount, shard)].map((i) => byId.get(ids[i]!)!)]));
        }
        // Runs kept by --resume from an interrupted run have no rows there (re-run without --resume for them).
        if (extra) renameSync(extraPath, join(outDir, extra.name));
        if (live) {
          const found = await live.finish();
          if (found.identicalReplications !== null) warnings.push(replicationsWarning(found.identicalReplications, experiment.fidelity));
          for (const n of found.notPlotted ?? []) log(`livemig: not plotted: ${n}`);
        } else if (reports && scenario)
          await writeScenarioReports({ dir: outDir, runsCsvPath: runsPath, paramColumns: [...paramColumns], labelColumns: [...labelColumns], metricColumns: SCENARIO_METRIC_COLUMNS.filter((c) => c !== 'migrations') });
        else if (reports && cluster)
          await writeClusterReports({ dir: outDir, runsCsvPath: runsPath, paramColumns: [...paramColumns], labelColumns: [...labelColumns], metricColumns: CLUSTER_REPORT_METRICS });
        else if (reports) {
          const found = await writeReports({ dir: outDir, runsCsvPath: runsPath, paramColumns: [...paramColumns], labelColumns: [...labelColumns], metricColumns: REPORT_METRICS });
          if (found.identicalReplications !== null) warnings.push(replicationsWarning(found.identicalReplications, experiment.fidelity));
          for (const n of found.notPlotted ?? []) log(`livemig: not plotted: ${n}`);
        }
        for (const w of warnings) log(`livemig: warning: ${w}`);
        writeManifest('complete', new Date(), selectedCount, warnings.length ? { warnings } : {});
      } catch (e) {
        throw failedWrite(e, outDir, selectedCount);
      }
      const gone = removedForGood(outDir, removedReports);
      if (gone.length) log(`livemig: removed ${gone.length} file${gone.length > 1 ? 's' : ''} an earlier run left in ${outDir} that this experiment does not write: ${gone.join(', ')}`);
      return { outDir, plan: (small ?? prepared!.spec) as RunResult['plan'], planned: runCount, selected: selectedCount, ran, reused: kept.size, interrupted: false };
    }
  } catch (e) {
    if (e instanceof InterruptedBeforeStart) {
      await pool.destroy();
      return { outDir, plan: (small ?? prepared!.spec) as RunResult['plan'], planned: runCount, selected: selectedCount, ran: 0, reused: 0, interrupted: true };
    }
    throw e;
  } finally {
    await pool.destroy();
    if (planFile) rmSync(planFile.dir, { recursive: true, force: true });
  }
}

/** Interrupted while checking the plan: nothing was written. */
class InterruptedBeforeStart extends Error {}

/**
 * The plan phase of a migration sweep: the workers check every configuration and return the
 * run ids, which `addIds` gets in plan order; a configuration given twice is bad input.
 */
async function planSweep(pool: Tinypool, prepared: PreparedSweep, workers: number, addIds: (ids: string, firstIndex: number) => void, signal?: AbortSignal): Promise<void> {
  const { spec } = prepared;
  const per = Math.max(1, Math.min(4096, Math.ceil(spec.configCount / (workers * 8))));
  const seen = new IdMap();
  const results = new Map<number, PlanResult>();
  let nextTask = 0;
  let nextResult = 0;
  const tasks = Math.ceil(spec.configCount / per);
  let failure: unknown;
  const inflight = new Set<Promise<void>>();
  const aborted = abortPromise(signal);
  const consume = (): void => {
    while (results.has(nextResult)) {
      const r = results.get(nextResult)!;
      results.delete(nextResult);
      const from = nextResult * per;
      nextResult++;
      if ('inputError' in r) throw new InputError(r.inputError);
      r.configIds.forEach((id, k) => {
        const earlier = seen.set(id, from + k);
        if (earlier !== undefined) throw duplicateError(spec, createExpander(spec, prepared.plugins).pointOf(from + k));
      });
      addIds(r.runIds, from * spec.replications);
    }
  };
  while ((nextTask < tasks || inflight.size) && !failure && !signal?.aborted) {
    while (nextTask < tasks && inflight.size < workers * 2) {
      const t = nextTask++;
      const p: Promise<void> = (pool.run({ kind: 'plan', from: t * per, to: Math.min(spec.configCount, (t + 1) * per) } satisfies PlanTask) as Promise<PlanResult>).then(
        (r) => {
          results.set(t, r);
          try {
            consume();
          } catch (e) {
            failure ??= e;
          }
        },
        (e: unknown) => {
          failure ??= e;
        },
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await Promise.race([...inflight, aborted]);
  }
  if (failure) throw failure;
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
