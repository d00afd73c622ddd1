/**
 * The plan of a cluster experiment: the sweep's configurations × the days, in that order
 * (configuration outer, day inner), with the same ids as single-migration plans:
 * `config_id` = hash of the configuration with its options defaulted and units in SI, `run_id` =
 * hash of (configuration, experiment seed, day, run seed), `seed` = deriveSeed(experiment seed,
 * 'cluster', day): every configuration sees the same random draws on a day (common random numbers).
 * `replication` is the day's index in the day list.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { dirname, resolve } from 'node:path';
import { deriveSeed, parseQuantity, resolveOptions, type AnyPlugin, type Quantity } from '@livemig/core';
import { listDays } from '@livemig/data-planetlab';
import { triggers } from '@livemig/triggers';
import { sha256, shortHash } from '../canonical.js';
import { InputError } from '../errors.js';
import { formatIssues, readJsonFile, type StopSpecInput } from '../experiment.js';
import { cell, columnName, configurationSuffix, splitPath, stopLabel, type WorkerComponent, type WorkerStop } from '../plan.js';
import { componentResolvers, setPath } from '../kind-plan.js';
import { createRefTable, PluginResolver, type PluginRef } from '../plugins.js';
import { expandPoints, parseParams, type ParamDef, type Point } from '../sweep.js';
import { clusterExperimentSchema, type ClusterExperiment } from './experiment.js';

/** Metric columns of a cluster run, in CSV order (`day` first: the run's day). */
export const CLUSTER_METRIC_COLUMNS = [
  'day',
  'energy_kWh',
  'slatah',
  'pdm',
  'slav',
  'esv',
  'migrations',
  'migrations_completed',
  'migrations_nonConverged',
  'migrations_cancelled',
  'migrations_failed',
  'downtime_total_s',
  'downtime_mean_s',
  'downtime_max_s',
  'migration_wait_total_s',
  'migration_wait_max_s',
  'migration_bytes',
  'vm_lost_h',
  'host_failures',
  'active_hosts_mean',
  'vms_ended',
  'slatah_pooled',
  'pdm_pooled',
] as const;

/** Metrics summarised in the reports (all but the day). */
export const CLUSTER_REPORT_METRICS: string[] = CLUSTER_METRIC_COLUMNS.filter((c) => c !== 'day');

export const CLUSTER_LABEL_COLUMNS = ['detector', 'selection', 'placement', 'costs'] as const;

/** What a worker needs to run one configuration on a day. */
export interface ClusterWorkerConfig {
  readonly hosts: number;
  readonly vms: number | 'all';
  readonly cloudsimCompat: boolean;
  readonly detector: 'thr' | 'iqr' | 'mad' | 'lr' | 'lrr';
  /** Trigger plugin options as given (selection, placement and detector options; compat options added by the worker). */
  readonly triggerOptions: Record<string, unknown>;
  readonly failures?: {
    readonly mtbf_s?: number;
    readonly mttr_s?: number;
    /** Read from the experiment's trace file at planning time. */
    readonly trace?: ReadonlyArray<{ host: number; at_s: number; repair_s: number }>;
    readonly detection_s: number;
    readonly boot_s: number;
    readonly announce_s: number;
  };
  readonly migration:
    | { readonly mode: 'cloudsim'; readonly bandwidthShare: number }
    | {
        readonly mode: 'strategy';
        readonly strategy: WorkerComponent;
        readonly stop: WorkerStop;
        readonly fidelity: 'fluid' | 'page-exact';
        readonly maxDirtyRate_pages_s: number;
        readonly workingSetFraction: number;
        readonly bandwidthShare: number;
        /** Concurrent migrations per host; absent = unlimited. */
        readonly maxPerHost?: number;
      };
}

export interface ClusterPlan {
  readonly kind: 'cluster';
  readonly file: string;
  readonly fileSha256: string;
  readonly experiment: ClusterExperiment & { readonly timeline: false; readonly fidelity: 'fluid' | 'page-exact' };
  readonly seed: number;
  readonly days: readonly string[];
  readonly refs: readonly PluginRef[];
  readonly configs: readonly ClusterWorkerConfig[];
  readonly configMeta: ReadonlyArray<{ configId: string; cells: readonly string[] }>;
  readonly runs: ReadonlyArray<{ index: number; runId: string; configIndex: number; replication: number; seed: number }>;
  readonly paramColumns: readonly string[];
  readonly labelColumns: readonly string[];
}

/** Plugin references a swept option path may cross as a string. */
const COMPONENT_KEYS = new Set<string>(['strategy', 'stop']);

/** The quantity all of a column's values parse as, when some carry a unit; else null. */
function quantityOf(values: readonly unknown[]): Quantity | null {
  if (!values.some((v) => typeof v === 'string')) return null;
  for (const q of ['seconds', 'bytes', 'rate', 'pageRate'] as const) {
    try {
      for (const v of values) parseQuantity(v, q);
      return q;
    } catch {
      /* not this one */
    }
  }
  return null;
}

/** A failure trace CSV (host,at_s,repair_s); errors name the file and line. */
function readFailureTrace(path: string, experimentFile: string, hosts: number): Array<{ host: number; at_s: number; repair_s: number }> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InputError(`failure trace ${path} not found (the path is relative to the experiment file)`, experimentFile, 'failures.trace');
  }
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (e) {
    throw new InputError(`malformed CSV: ${(e as Error).message}`, path);
  }
  const need = ['host', 'at_s', 'repair_s'];
  const missing = rows.length ? need.filter((c) => !(c in rows[0]!)) : [];
  if (missing.length) throw new InputError(`missing column(s) ${missing.join(', ')}: expected the header host,at_s,repair_s`, path);
  return rows.map((r, i) => {
    const x = { host: Number(r.host), at_s: Number(r.at_s), repair_s: Number(r.repair_s) };
    const at = `${path}:${i + 2}`;
    if (!(Number.isInteger(x.host) && x.host >= 0 && x.host < hosts)) throw new InputError(`host: '${r.host}' is not a host index (0 … ${hosts - 1})`, at);
    if (r.at_s === '' || !(x.at_s >= 0)) throw new InputError(`at_s: expected seconds >= 0, found '${r.at_s}'`, at);
    if (r.repair_s === '' || !(x.repair_s > 0)) throw new InputError(`repair_s: expected seconds > 0, found '${r.repair_s}'`, at);
    return x;
  });
}

/** Paths whose values are told apart by the label columns. */
const LABEL_PATHS = new Set(['trigger.detector', 'trigger.selection', 'trigger.placement', 'migration', 'migration.strategy', 'migration.stop', 'migration.mode']);

/** The `costs` label: cloudsim, or strategy/stop (their labels). */
function costsLabel(e: ClusterExperiment): string {
  const m = e.migration;
  if (m.mode === 'cloudsim') return 'cloudsim';
  const s = typeof m.strategy === 'string' ? m.strategy : (m.strategy.label ?? m.strategy.use);
  return `${s}/${stopLabel(m.stop as StopSpecInput)}`;
}

/** Read, validate and expand a cluster experiment document. Bad input throws {@link InputError}. */
export async function buildClusterPlan(file: string, doc: Record<string, unknown>, opts: { seed?: number; resolveDirs?: string[] } = {}): Promise<ClusterPlan> {
  const abs = resolve(file);
  const fileSha256 = sha256(readFileSync(abs));
  const base = { ...doc };
  delete base.sweep;
  const sweepCheck = clusterExperimentSchema.shape.sweep.safeParse(doc.sweep);
  if (!sweepCheck.success) throw new InputError(`invalid sweep:\n  - ${formatIssues(sweepCheck.error.issues, doc.sweep, 'sweep').join('\n  - ')}`, file);
  const sweep = sweepCheck.data;
  const defs: ParamDef[] = sweep ? parseParams(sweep, file) : [];
  if (defs.some((d) => d.range)) throw new InputError('cluster experiments sweep value lists only (no ranges)', file, 'sweep.params');
  const first = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const d of defs) d.paths.forEach((p, i) => setPath(first, p, d.tuples![0]![i], COMPONENT_KEYS));
  const check = clusterExperimentSchema.safeParse(first);
  if (!check.success) throw new InputError(`invalid experiment:\n  - ${formatIssues(check.error.issues, first).join('\n  - ')}`, file);
  const seed = opts.seed ?? check.data.seed;
  const available = listDays();
  const days = check.data.days === 'all' ? available : check.data.days;
  for (const d of days) if (!available.includes(d)) throw new InputError(`no PlanetLab day ${d} (available: ${available.join(', ')})`, file, 'days');

  const points: Point[] = defs.length ? expandPoints(defs, 'grid', 1, seed) : [[]];
  // A swept value with a unit ('10 min', '1 Gbit/s') is written in SI with the unit in the column name.
  const paramCols = defs.flatMap((d) => d.paths.map((path, k) => ({ path, values: d.tuples!.map((t) => t[k]) })))
    .filter((c) => !LABEL_PATHS.has(c.path))
    .map(({ path, values }) => {
      const quantity = quantityOf(values);
      return { path, quantity, name: columnName(path, quantity) };
    });
  const resolver = new PluginResolver(opts.resolveDirs ?? [dirname(abs), process.cwd()]);
  const { refs, indexOf: refOf } = createRefTable();
  const { component, stopOf } = componentResolvers(resolver, refOf, file);

  const configs: ClusterWorkerConfig[] = [];
  const configMeta: Array<{ configId: string; cells: string[] }> = [];
  const runs: Array<{ index: number; runId: string; configIndex: number; replication: number; seed: number }> = [];
  const seen = new Set<string>();
  for (const point of points) {
    const d = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
    for (const p of [...point].sort((a, b) => splitPath(a.path).length - splitPath(b.path).length)) setPath(d, p.path, p.value, COMPONENT_KEYS);
    const parsed = clusterExperimentSchema.safeParse(d);
    if (!parsed.success) throw new InputError(`invalid configuration${configurationSuffix(point)}:\n  - ${formatIssues(parsed.error.issues, d).join('\n  - ')}`, file);
    const e = parsed.data;
    const t = e.trigger;
    const triggerOptions = { ...t.options, selection: t.selection, placement: t.placement };
    const plugin = triggers[t.detector] as AnyPlugin;
    let triggerNorm: unknown;
    try {
      triggerNorm = resolveOptions(plugin, triggerOptions, 'trigger.options');
    } catch (err) {
      throw new InputError(`${(err as Error).message}${configurationSuffix(point)}`, file, 'trigger.options');
    }
    let migration: ClusterWorkerConfig['migration'];
    let migrationNorm: unknown;
    if (e.migration.mode === 'cloudsim') {
      migration = { mode: 'cloudsim', bandwidthShare: e.migration.bandwidthShare };
      migrationNorm = migration;
    } else {
      const m = e.migration;
      const st = await component(m.strategy, 'strategy', 'migration.strategy', point);
      const sp = await stopOf(m.stop as StopSpecInput, 'migration.stop', point);
      migration = {
        mode: 'strategy',
        strategy: st.wc,
        stop: sp.ws,
        fidelity: m.fidelity,
        maxDirtyRate_pages_s: m.maxDirtyRate,
        workingSetFraction: m.workingSetFraction,
        bandwidthShare: m.bandwidthShare,
        // unlimited is left out, so configurations without a limit keep their ids
        ...(m.maxPerHost === 'unlimited' ? {} : { maxPerHost: m.maxPerHost }),
      };
      migrationNorm = { ...migration, strategy: st.norm, stop: sp.norm };
    }
    const f = e.failures;
    const failures = f
      ? {
          ...(f.trace !== undefined ? { trace: readFailureTrace(resolve(dirname(abs), f.trace), file, e.cluster.hosts) } : { mtbf_s: f.mtbf!, mttr_s: f.mttr! }),
          detection_s: f.detection,
          boot_s: f.boot,
          announce_s: f.announce,
        }
      : undefined;
    const config: ClusterWorkerConfig = { hosts: e.cluster.hosts, vms: e.cluster.vms, cloudsimCompat: e.cluster.cloudsimCompat, detector: t.detector, triggerOptions, migration, ...(failures ? { failures } : {}) };
    // Without failures the hash is the one of earlier versions (ids of committed results stay).
    const hashInput = { kind: 'cluster', cluster: e.cluster, trigger: { detector: t.detector, options: triggerNorm }, migration: migrationNorm, ...(failures ? { failures } : {}) };
    const configId = shortHash(hashInput);
    if (seen.has(configId)) throw new InputError(`the sweep gives the same configuration twice${configurationSuffix(point)}: remove the duplicate value`, file, 'sweep.params');
    seen.add(configId);
    const cells = paramCols.map((c) => {
      const v = point.find((p) => p.path === c.path)!.value;
      return cell(c.quantity ? parseQuantity(v, c.quantity, c.path) : v);
    });
    cells.push(t.detector, t.selection, t.placement, costsLabel(e));
    const configIndex = configs.push(config) - 1;
    configMeta.push({ configId, cells });
    days.forEach((day, r) => {
      const runSeed = deriveSeed(seed, 'cluster', day);
      runs.push({ index: runs.length, runId: shortHash({ config: hashInput, seed, day, runSeed }), configIndex, replication: r, seed: runSeed });
    });
  }
  const fidelity = check.data.migration.mode === 'strategy' ? check.data.migration.fidelity : 'fluid';
  return {
    kind: 'cluster',
    file,
    fileSha256,
    experiment: { ...check.data, timeline: false, fidelity },
    seed,
    days,
    refs,
    configs,
    configMeta,
    runs,
    paramColumns: paramCols.map((c) => c.name),
    labelColumns: [...CLUSTER_LABEL_COLUMNS],
  };
}

/** The cluster plan of `file` when it is a cluster experiment (JSON with `"kind": "cluster"`), else null. */
export async function clusterPlanOf(file: string, opts: { seed?: number } = {}): Promise<ClusterPlan | null> {
  if (!file.endsWith('.json')) return null;
  const doc = readJsonFile(file);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || (doc as { kind?: unknown }).kind !== 'cluster') return null;
  return buildClusterPlan(file, doc as Record<string, unknown>, opts);
}
