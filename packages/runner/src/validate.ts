/**
 * `livemig validate`: run every reproduction of a directory and compare its metrics with the
 * reference values measured elsewhere (another simulator, a real hypervisor, a paper).
 *
 * A reproduction is an experiment file `<name>.json` with a sibling `<name>.reference.csv`:
 *
 * | column | meaning |
 * | --- | --- |
 * | `case` | a name for the case (several metrics may share it) |
 * | `where` | which runs of the plan: `column=value` pairs separated by `;`, on the swept-parameter columns of runs.csv (SI values, compared as numbers; strings compared as text); empty = every run |
 * | `metric` | a metric column of runs.csv (`total_time_s`, `downtime_s`, `bytes_sent`, `rounds`, …) |
 * | `reference` | the reference value, in the column's SI unit |
 * | `tolerance` | `0.1%` = relative (|livemig − reference| ≤ 0.1 % of |reference|), a bare number = absolute, in the metric's unit |
 * | `source` | where the reference value comes from |
 * | `status` | optional: `open` marks a known, documented deviation — reported as `open` (or `fixed` when it passes), not counted as a failure |
 *
 * Scenario experiments (`"kind": "scenario"`) are reproductions too, on the metrics of a scenario
 * run (`makespan_s`, `total_time_mean_s`, `downtime_max_s`, `rounds_mean`, `bytes_sent`, …).
 * Cluster experiments (`"kind": "cluster"`) are reproductions too: their metric columns are those
 * of cluster runs (`energy_kWh`, `migrations`, …) and livemig's value is the mean over the days.
 * The runs a case selects are simulated in-process (the same code the workers run); with several
 * replications or several matching runs, livemig's value is their mean.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { mean } from 'simple-statistics';
import { InputError } from './errors.js';
import { buildPlan, METRIC_COLUMNS, type Plan } from './plan.js';
import { compileConfig, loadPlugins, runOnce } from './simulate.js';
import { CLUSTER_METRIC_COLUMNS, clusterPlanOf } from './cluster/plan.js';
import { runClusterDay } from './cluster/simulate.js';
import { SCENARIO_METRIC_COLUMNS, scenarioPlanOf } from './scenario/plan.js';
import { runScenario } from './scenario/simulate.js';

/** One row of a reference file. */
export interface ReferenceRow {
  readonly case: string;
  readonly where: ReadonlyArray<readonly [string, string]>;
  readonly metric: string;
  readonly reference: number;
  /** A known deviation (documented where the source says): does not fail the validation. */
  readonly open: boolean;
  readonly tolerance: { readonly kind: 'relative' | 'absolute'; readonly value: number; readonly text: string };
  readonly source: string;
}

/** The outcome of one case × metric. */
export interface CheckResult {
  readonly reproduction: string;
  readonly case: string;
  readonly metric: string;
  readonly reference: number;
  readonly livemig: number;
  /** |livemig − reference| / |reference| for a relative tolerance, |livemig − reference| otherwise. */
  readonly deviation: number;
  readonly tolerance: string;
  readonly pass: boolean;
  /** The row is a known deviation (`status` open): reported, not a failure. */
  readonly open: boolean;
  readonly runs: number;
  readonly source: string;
}

export interface ValidateResult {
  readonly results: readonly CheckResult[];
  readonly failed: number;
}

/** Parse a tolerance cell: `0.1%` (relative) or a number (absolute). */
export function parseTolerance(text: string, where: string): ReferenceRow['tolerance'] {
  const t = text.trim();
  const rel = /^([0-9.eE+-]+)\s*%$/.exec(t);
  const v = Number(rel ? rel[1] : t);
  if (t === '' || !Number.isFinite(v) || v < 0) throw new InputError(`tolerance: expected '0.1%' (relative) or a number >= 0 (absolute), found '${text}'`, where);
  return rel ? { kind: 'relative', value: v / 100, text: t } : { kind: 'absolute', value: v, text: t };
}

/** Read a reference CSV. */
export function readReference(file: string, metrics: readonly string[] = METRIC_COLUMNS): ReferenceRow[] {
  const rows = parse(readFileSync(file), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const need = ['case', 'where', 'metric', 'reference', 'tolerance', 'source'];
  if (rows.length === 0) throw new InputError('no reference rows', file);
  const missing = need.filter((c) => !(c in rows[0]!));
  if (missing.length) throw new InputError(`missing column(s) ${missing.join(', ')} (expected ${need.join(', ')})`, file);
  return rows.map((r, i) => {
    const at = `${file}:${i + 2}`;
    if (!metrics.includes(r.metric!)) throw new InputError(`metric: '${r.metric}' is not a metric column (choose one of ${metrics.join(', ')})`, at);
    const status = (r.status ?? '').trim();
    if (status !== '' && status !== 'open') throw new InputError(`status: expected empty or 'open' (a known deviation), found '${status}'`, at);
    const reference = Number(r.reference);
    if (r.reference === '' || !Number.isFinite(reference)) throw new InputError(`reference: expected a number, found '${r.reference}'`, at);
    const where = (r.where ?? '')
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        const eq = s.indexOf('=');
        if (eq <= 0) throw new InputError(`where: expected 'column=value' pairs separated by ';', found '${s}'`, at);
        return [s.slice(0, eq).trim(), s.slice(eq + 1).trim()] as const;
      });
    return { case: r.case!, where, metric: r.metric!, reference, open: status === 'open', tolerance: parseTolerance(r.tolerance!, at), source: r.source ?? '' };
  });
}

const sameCell = (cell: string, want: string): boolean => {
  const a = Number(cell);
  const b = Number(want);
  return cell !== '' && want !== '' && Number.isFinite(a) && Number.isFinite(b) ? a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)) : cell === want;
};

/** The configuration indices of a plan that a `where` selects. */
function selectConfigs(plan: Pick<Plan, 'paramColumns' | 'labelColumns' | 'configMeta'>, where: ReferenceRow['where'], at: string): number[] {
  const cols = [...plan.paramColumns, ...plan.labelColumns];
  for (const [c] of where) if (!cols.includes(c)) throw new InputError(`where: no column '${c}' in this experiment's plan (columns: ${cols.join(', ') || 'none'})`, at);
  const hits = plan.configMeta.flatMap((m, i) => (where.every(([c, v]) => sameCell(m.cells[cols.indexOf(c)]!, v)) ? [i] : []));
  if (hits.length === 0) throw new InputError(`where: no run of the plan matches ${where.map(([c, v]) => `${c}=${v}`).join('; ')}`, at);
  return hits;
}

/** Validate one reproduction: `<name>.json` against `<name>.reference.csv`. */
export async function validateReproduction(file: string): Promise<CheckResult[]> {
  const refFile = file.replace(/\.json$/, '.reference.csv');
  if (!existsSync(refFile)) throw new InputError(`no reference file ${basename(refFile)} beside it`, file);
  const cluster = await clusterPlanOf(file);
  const scenario = cluster ? null : await scenarioPlanOf(file);
  const refs = readReference(refFile, cluster ? CLUSTER_METRIC_COLUMNS : scenario ? SCENARIO_METRIC_COLUMNS : METRIC_COLUMNS);
  // The metrics of every run of configuration ci, simulated once however many rows select it.
  let simulate: (ci: number) => Array<Record<string, unknown>>;
  let plan: Pick<Plan, 'paramColumns' | 'labelColumns' | 'configMeta'> & { experiment: { name: string } };
  if (cluster) {
    plan = cluster;
    const plugins = await loadPlugins(cluster.refs);
    simulate = (ci) => cluster.runs.filter((r) => r.configIndex === ci).map((r) => runClusterDay(cluster.configs[ci]!, cluster.days[r.replication]!, r.seed, plugins));
  } else if (scenario) {
    plan = scenario;
    const plugins = await loadPlugins(scenario.refs);
    simulate = (ci) => scenario.runs.filter((r) => r.configIndex === ci).map((r) => runScenario(scenario.configs[ci]!, plugins, r.seed, r.replication).metrics as unknown as Record<string, unknown>);
  } else {
    const p = await buildPlan(file);
    plan = p;
    const plugins = await loadPlugins(p.refs);
    simulate = (ci) => {
      const config = p.configs[ci]!;
      const factory = compileConfig(config, plugins);
      return p.runs.filter((r) => r.configIndex === ci).map((r) => runOnce(config, factory, r.seed, r.replication) as unknown as Record<string, unknown>);
    };
  }
  const cache = new Map<number, Array<Record<string, unknown>>>();
  const metricsOf = (ci: number): Array<Record<string, unknown>> => {
    let ms = cache.get(ci);
    if (!ms) cache.set(ci, (ms = simulate(ci)));
    return ms;
  };
  return refs.map((ref, i) => {
    const ms = selectConfigs(plan, ref.where, `${refFile}:${i + 2}`).flatMap(metricsOf);
    const values = ms.map((m) => Number(m[ref.metric]));
    const ours = values.length === 1 ? values[0]! : mean(values);
    const diff = Math.abs(ours - ref.reference);
    const deviation = ref.tolerance.kind === 'relative' ? (ref.reference === 0 ? (diff === 0 ? 0 : Infinity) : diff / Math.abs(ref.reference)) : diff;
    return {
      reproduction: plan.experiment.name,
      case: ref.case,
      metric: ref.metric,
      reference: ref.reference,
      livemig: ours,
      deviation,
      tolerance: ref.tolerance.text,
      pass: Number.isFinite(ours) && deviation <= ref.tolerance.value,
      open: ref.open,
      runs: ms.length,
      source: ref.source,
    };
  });
}

/** The experiment files with a reference of a directory (or one file), sorted by name. */
export function reproductionFiles(target: string): string[] {
  if (!existsSync(target)) throw new InputError('no such file or directory', target);
  if (statSync(target).isFile()) return [target];
  const files = readdirSync(target)
    .filter((f) => f.endsWith('.json') && existsSync(join(target, f.replace(/\.json$/, '.reference.csv'))))
    .sort()
    .map((f) => join(target, f));
  if (files.length === 0) throw new InputError('no reproduction here (an experiment <name>.json with a <name>.reference.csv beside it)', target);
  return files;
}

/** Validate every reproduction of a directory (or one file). */
export async function validate(target: string): Promise<ValidateResult> {
  const results: CheckResult[] = [];
  for (const f of reproductionFiles(target)) results.push(...(await validateReproduction(f)));
  return { results, failed: results.filter((r) => !r.pass && !r.open).length };
}

const sig = (x: number): string => (Number.isFinite(x) ? (Number.isInteger(x) && Math.abs(x) < 1e15 ? String(x) : String(Number(x.toPrecision(6)))) : String(x));
const small = (x: number): string => (x === 0 || !Number.isFinite(x) ? String(x) : Math.abs(x) < 1e-3 ? x.toExponential(1) : String(Number(x.toPrecision(3))));
const dev = (r: CheckResult): string => (r.tolerance.endsWith('%') ? `${small(r.deviation * 100)} %` : small(r.deviation));

/** The result as a Markdown table (one row per case and metric). */
export function formatTable(v: ValidateResult): string {
  const head = ['reproduction', 'case', 'metric', 'reference', 'livemig', 'deviation', 'tolerance', 'result'];
  const verdict = (r: CheckResult): string => (r.open ? (r.pass ? 'fixed (was open)' : 'open') : r.pass ? 'pass' : 'FAIL');
  const rows = v.results.map((r) => [r.reproduction, r.case, r.metric, sig(r.reference), sig(r.livemig), dev(r), r.tolerance.endsWith('%') ? r.tolerance.replace(/\s*%$/, ' %') : r.tolerance, verdict(r)]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 3 && i <= 5 ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join(' | ')} |`;
  const sep = `| ${width.map((w, i) => (i >= 3 && i <= 5 ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ')} |`;
  const cases = new Set(v.results.map((r) => `${r.reproduction}\0${r.case}`)).size;
  const open = v.results.filter((r) => r.open && !r.pass).length;
  const passed = v.results.filter((r) => r.pass).length;
  return (
    [line(head), sep, ...rows.map(line)].join('\n') +
    `\n\n${passed} of ${v.results.length} checks pass (${cases} cases)${open ? `, ${open} open (known deviations, documented)` : ''}${v.failed ? `, ${v.failed} FAIL` : ''}\n`
  );
}
