/**
 * The plan of an experiment: every run (configuration × replication) in a stable order, with
 * its ids and seed, the resolved configurations the workers execute, and the CSV columns.
 *
 * - `config_id` = first 16 hex digits of the sha256 of the configuration's canonical JSON, with
 *   every unit converted to SI and plugin options defaulted by their schemas ("1 GiB" and
 *   "1024 MiB" give the same id);
 * - `run_id` = the same hash of (configuration, experiment seed, replication, run seed);
 * - `seed` = deriveSeed(experiment seed, hash of the configuration without strategy and stop,
 *   replication): strategies and stop conditions see the same workload draws (common random
 *   numbers), and a row never depends on the worker that ran it.
 */
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { createMigration, DEFAULT_COSTS, type MigrationMetrics, parseQuantity, createRng, type AnyPlugin, type PluginKind, type Quantity } from '@livemig/core';
import { canonical, sha256 } from './canonical.js';
import { InputError, show } from './errors.js';
import { experimentSchema, formatIssues, readJsonFile, type Experiment, type Scenario, type StopSpecInput } from './experiment.js';
import { createRefTable, PluginResolver, type PluginRef } from './plugins.js';
import { detectQuantity, parseParams, planSize, SI_UNIT, type ParamDef, type Point } from './sweep.js';
import { createExpander, documentOf, invalidConfiguration, sectionOf, type SweepSpec } from './expand.js';

/** A plugin use inside a worker configuration. */
export interface WorkerComponent {
  readonly ref: number;
  readonly options: unknown;
  readonly path: string;
}
export type WorkerStop = { readonly any: WorkerStop[] } | { readonly all: WorkerStop[] } | WorkerComponent;

/** What a worker needs to run one configuration: SI scenario, plugin refs by index, raw options. */
export interface WorkerConfig {
  readonly fidelity: 'fluid' | 'page-exact';
  /** The experiment file's folder: relative file names in plugin options are read from there. */
  readonly baseDir?: string;
  readonly scenario: Scenario;
  readonly workload: WorkerComponent;
  readonly strategy: WorkerComponent;
  readonly stop: WorkerStop;
}

/** One run of the plan. */
export interface PlanRun {
  readonly index: number;
  readonly runId: string;
  readonly configIndex: number;
  readonly replication: number;
  readonly seed: number;
}

export interface Plan {
  readonly file: string;
  readonly fileSha256: string;
  readonly experiment: Experiment;
  readonly seed: number;
  readonly refs: readonly PluginRef[];
  readonly configs: readonly WorkerConfig[];
  /** Per configuration: its id and the CSV cells of the parameter and label columns. */
  readonly configMeta: ReadonlyArray<{ configId: string; cells: readonly string[] }>;
  /** The runs in plan order (with {@link PlanOptions.head}: only the first ones). */
  readonly runs: readonly PlanRun[];
  /** Runs of the whole plan (configurations × replications), counted without building them. */
  readonly runCount: number;
  /** Configurations of the whole plan. */
  readonly configCount: number;
  readonly paramColumns: readonly string[];
  readonly labelColumns: readonly string[];
}

/**
 * The metrics of core's `MigrationMetrics`, in CSV column order: read from the record core
 * creates for a migration, so a metric added to the core becomes a column without a change here.
 */
export const METRIC_COLUMNS: readonly (keyof MigrationMetrics)[] = Object.keys(
  createMigration({
    vm: { id: 'vm', memory_bytes: 1, pageSize_bytes: 1, vcpus: 1 },
    memory: {} as never,
    stop: { check: () => null },
    costs: DEFAULT_COSTS,
    destinationFree_bytes: 0,
    rng: createRng(0),
    trace: false,
  }).metrics,
) as (keyof MigrationMetrics)[];

export const ID_COLUMNS = ['run_id', 'config_id', 'replication', 'seed'] as const;
export const LABEL_COLUMNS = ['strategy', 'stop', 'workload'] as const;

/** Suffix of a column holding a value of a quantity, in SI. */
export const UNIT_SUFFIX: Record<Quantity, string> = { bytes: '_bytes', seconds: '_s', rate: '_Bps', pageRate: '_pages_per_s', pages: '_pages' };

/** Known quantities of scenario fields. */
const SCENARIO_QUANTITY: Record<string, Quantity> = {
  'scenario.vm.memory': 'bytes',
  'scenario.vm.pageSize': 'bytes',
  'scenario.network.bandwidth': 'rate',
  'scenario.network.latency': 'seconds',
  'scenario.wire.headerBytes': 'bytes',
  'scenario.wire.zeroPageBytes': 'bytes',
  'scenario.costs.setup': 'seconds',
  'scenario.costs.bitmapSyncPerGiB': 'seconds',
  'scenario.costs.deviceState': 'bytes',
  'scenario.costs.resume': 'seconds',
  'scenario.costs.redirect': 'seconds',
  'scenario.costs.release': 'seconds',
  'scenario.destinationFree': 'bytes',
};

/**
 * The column of a swept path: "scenario." and ".options" dropped, dots to underscores, the SI
 * unit appended: `scenario.network.bandwidth` → `network_bandwidth_Bps`,
 * `workload.options.rate` with values like '10 MiB/s' → `workload_rate_Bps`.
 */
export function columnName(path: string, quantity: Quantity | null): string {
  const segs = splitPath(path).filter((s, i) => !(i === 0 && s === 'scenario') && s !== 'options');
  const base = segs.join('_').replace(/[^A-Za-z0-9_]/g, '_');
  return quantity ? base + UNIT_SUFFIX[quantity] : base;
}

/** CSV text of a value: numbers in full precision (shortest round-trip `String(x)`), null as empty. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v;
  return canonical(v);
}

const COMPONENT_ROOTS = new Set(['strategy', 'workload', 'stop', 'strategy.use', 'workload.use', 'stop.use']);

/** ` (configuration path=value, …)`: which swept values an error message is about; empty without a sweep. */
export const configurationSuffix = (point: Point): string =>
  point.length ? ` (configuration ${point.map((p) => `${p.path}=${show(p.value)}`).join(', ')})` : '';

/** The label of a stop spec: its name, or any(a,b) / all(a,b). */
export function stopLabel(spec: StopSpecInput): string {
  if (typeof spec === 'string') return spec;
  if ('any' in spec) return `any(${spec.any.map(stopLabel).join(',')})`;
  if ('all' in spec) return `all(${spec.all.map(stopLabel).join(',')})`;
  return spec.label ?? spec.use;
}
const useOf = (c: unknown): string => (typeof c === 'string' ? c : ((c as { use?: string })?.use ?? ''));
/** The label of a component in the label columns: its `label`, else its plugin name. */
export const labelOf = (c: unknown): string => (typeof c === 'object' && c !== null && typeof (c as { label?: unknown }).label === 'string' ? (c as { label: string }).label : useOf(c));

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Segments of "a.b[2].c": ['a', 'b', 2, 'c']. */
export function splitPath(path: string): Array<string | number> {
  return path.split('.').flatMap((seg) => {
    const m = /^([^[]+)((?:\[\d+\])*)$/.exec(seg);
    if (!m) return [seg];
    return [m[1]!, ...[...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]))];
  });
}

export function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
  const segs = splitPath(path);
  let o: Record<string | number, unknown> = doc;
  segs.slice(0, -1).forEach((s, i) => {
    let next = o[s];
    if (typeof next === 'string' && (s === 'strategy' || s === 'workload' || s === 'stop')) next = { use: next };
    const wantArray = typeof segs[i + 1] === 'number';
    if (next === null || typeof next !== 'object' || Array.isArray(next) !== wantArray) next = wantArray ? [] : {};
    o[s] = next;
    o = next as Record<string | number, unknown>;
  });
  o[segs.at(-1)!] = clone(value);
}

/** Options for {@link buildPlan}. */
export interface PlanOptions {
  /** Override the experiment's seed (`--seed`). */
  seed?: number;
  /** Directories to resolve plugin packages from (default: the file's directory, then the cwd). */
  resolveDirs?: string[];
  /**
   * Build only the first `head` runs (and their configurations), e.g. to list them; `runCount`
   * is still the whole plan's. Checks of the whole sweep (a configuration given twice) are skipped.
   */
  head?: number;
  /** Refuse a plan of more runs than this ({@link InputError}), before building any (default: no limit). */
  maxRuns?: number;
}

/** Random and lhs samples are drawn as a whole: `head` lists none of a sweep of more samples than this. */
export const MAX_SAMPLES_LISTED = 1_000_000;

/**
 * An experiment written as a module (`export default defineExperiment({...})`): its default
 * export, checked to be plain data (it is hashed and sent to worker threads as JSON).
 */
async function importExperiment(abs: string, file: string): Promise<unknown> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const hint = /\.[cm]?ts$/.test(abs) && /Unknown file extension/.test(msg)
      ? ' — Node 20 cannot load TypeScript by itself: run `node --import tsx $(npm bin)/livemig …`, or compile the file to .mjs'
      : '';
    throw new InputError(`cannot import the experiment module: ${msg}${hint}`, file);
  }
  const doc = mod.default;
  if (doc === undefined) throw new InputError('the module has no default export: export default defineExperiment({ ... })', file);
  let json: string | undefined;
  try {
    json = JSON.stringify(doc);
  } catch (e) {
    throw new InputError(`the default export is not plain data (${e instanceof Error ? e.message : String(e)})`, file);
  }
  if (json === undefined) throw new InputError('the default export is not plain data', file);
  return JSON.parse(json);
}

/** A prepared sweep, its experiment (first configuration) and the plugins of its refs, loaded. */
export interface PreparedSweep {
  readonly spec: SweepSpec;
  readonly experiment: Experiment;
  readonly fileSha256: string;
  readonly plugins: readonly AnyPlugin[];
  readonly paramColumns: readonly string[];
  readonly labelColumns: readonly string[];
}

/**
 * Read and check an experiment file and prepare its sweep for expansion, without expanding it:
 * the base document is validated with the first value of each swept path, every value of every
 * list is checked in turn (so each plugin a sweep names is resolved here, on the main thread),
 * and the runs are counted. Bad input throws {@link InputError}.
 */
export async function prepareSweep(file: string, opts: PlanOptions = {}): Promise<PreparedSweep> {
  const abs = resolve(file);
  const raw = /\.(m?js|c?js|m?ts|cts)$/.test(abs) ? await importExperiment(abs, file) : readJsonFile(file);
  const fileSha256 = sha256(readFileSync(abs));
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`expected a JSON object (an experiment), found ${show(raw)}`, file);
  const doc = raw as Record<string, unknown>;

  // Structure of the sweep first: the base document is then checked with each swept value in place.
  const sweepRaw = doc.sweep;
  const base = { ...doc };
  delete base.sweep;
  const sweepCheck = experimentSchema.shape.sweep.safeParse(sweepRaw);
  if (!sweepCheck.success) throw new InputError(`invalid sweep:\n  - ${formatIssues(sweepCheck.error.issues, sweepRaw, 'sweep').join('\n  - ')}`, file);
  const sweep = sweepCheck.data;
  const defs: ParamDef[] = sweep ? parseParams(sweep, file) : [];
  const method = sweep?.method ?? 'grid';
  const samples = sweep?.samples ?? 1;
  for (const d of defs)
    for (const p of d.paths)
      if (sectionOf(p) === null)
        throw new InputError(`'${p}' cannot be swept: sweep paths under scenario, workload, strategy, stop or fidelity (the seed, the replications and the outputs are the experiment's)`, file, `sweep.params[${JSON.stringify(d.key)}]`);

  // Validate the base document with the first value of each swept path applied.
  const first = clone(base);
  for (const d of defs) d.paths.forEach((p, i) => setPath(first, p, d.tuples ? d.tuples[0]![i] : d.range!.quantity ? `${d.range!.lo} ${SI_UNIT[d.range!.quantity]}` : d.range!.lo));
  const check = experimentSchema.safeParse(first);
  if (!check.success) {
    const lines = formatIssues(check.error.issues, first).map((l) => {
      const swept = defs.find((d) => d.paths.some((p) => l.startsWith(p)));
      return swept ? `${l} (value from sweep.params[${JSON.stringify(swept.key)}])` : l;
    });
    throw new InputError(`invalid experiment:\n  - ${lines.join('\n  - ')}`, file);
  }
  const experiment = check.data;
  const seed = opts.seed ?? experiment.seed;
  const baseDir = dirname(abs);
  const resolver = new PluginResolver(opts.resolveDirs ?? [baseDir, process.cwd()]);

  const configCount = planSize(defs, method, samples);
  const runCount = configCount * experiment.replications;
  if (opts.maxRuns !== undefined && opts.head === undefined && runCount > opts.maxRuns)
    throw new InputError(
      `the sweep has ${runCount.toLocaleString('en-US')} runs (${configCount.toLocaleString('en-US')} configurations × ${experiment.replications} replication${experiment.replications > 1 ? 's' : ''}), more than the limit of ${opts.maxRuns.toLocaleString('en-US')}. ` +
        `Sweep fewer values, split the sweep into several files, or raise the limit with --max-runs ${runCount}`,
      file,
      'sweep',
    );

  // Columns: one per swept path (SI unit in the name), then the labels.
  const sweptPaths = defs.flatMap((d) => d.paths.map((path) => ({ d, path })));
  const paramCols: Array<{ path: string; name: string; quantity: Quantity | null; json: boolean }> = [];
  for (const { d, path } of sweptPaths) {
    const i = d.paths.indexOf(path);
    if (COMPONENT_ROOTS.has(path)) {
      // Whole components are told apart by the label columns; add their JSON only when labels collide.
      const vals = d.tuples!.map((t) => t[i]);
      const label = (v: unknown) => (path.startsWith('stop') && typeof v !== 'string' && v && typeof v === 'object' && !('use' in v) ? stopLabel(v as StopSpecInput) : labelOf(v) || String(v));
      const labels = new Set(vals.map(label));
      const distinct = new Set(vals.map((v) => canonical(v)));
      if (labels.size < distinct.size) paramCols.push({ path, name: `${columnName(path, null)}_spec`, quantity: null, json: true });
      continue;
    }
    let quantity: Quantity | null = SCENARIO_QUANTITY[path] ?? null;
    if (d.range) quantity = d.range.quantity ?? quantity;
    else if (!quantity) {
      const qs = new Set(d.tuples!.map((t) => detectQuantity(t[i])).filter((q): q is Quantity => q !== null));
      if (qs.size > 1) throw new InputError(`the values of '${path}' mix units of different kinds (${[...qs].join(', ')}): use one kind so the column has one unit`, file, `sweep.params[${JSON.stringify(d.key)}]`);
      quantity = [...qs][0] ?? null;
    }
    paramCols.push({ path, name: columnName(path, quantity), quantity, json: false });
  }
  const names = new Set<string>();
  for (const c of paramCols) {
    if (names.has(c.name) || (ID_COLUMNS as readonly string[]).includes(c.name) || (LABEL_COLUMNS as readonly string[]).includes(c.name) || (METRIC_COLUMNS as readonly string[]).includes(c.name))
      c.name = c.path.replace(/[^A-Za-z0-9_]/g, '_') + (c.quantity ? UNIT_SUFFIX[c.quantity] : '');
    names.add(c.name);
  }

  // Resolve every plugin the sweep names, in the order the plan first meets them: the first
  // point, then each other value of each list at the first point that uses it.
  const { refs, indexOf: refOf } = createRefTable();
  const uses: Record<string, number> = {};
  const plugins: AnyPlugin[] = [];
  const resolveUse = async (c: unknown, kind: PluginKind, path: string, point: Point): Promise<void> => {
    const use = typeof c === 'string' ? c : ((c as { use?: string })?.use ?? '');
    if (`${kind}\0${use}` in uses) return;
    let found;
    try {
      found = await resolver.resolve(use, kind);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const at = `${path}.use`;
      throw new InputError(msg.startsWith(at) ? msg + configurationSuffix(point) : `${msg}${configurationSuffix(point)}`, file, msg.startsWith(at) ? undefined : at);
    }
    const i = refOf(found.ref);
    plugins[i] = found.plugin;
    uses[`${kind}\0${use}`] = i;
  };
  const resolveStopUses = async (s: StopSpecInput, path: string, point: Point): Promise<void> => {
    if (typeof s === 'object' && 'any' in s) for (const [i, k] of s.any.entries()) await resolveStopUses(k, `${path}.any[${i}]`, point);
    else if (typeof s === 'object' && 'all' in s) for (const [i, k] of s.all.entries()) await resolveStopUses(k, `${path}.all[${i}]`, point);
    else await resolveUse(s, 'stop-condition', path, point);
  };
  const lists = defs.filter((d) => d.tuples);
  const ranges = defs.filter((d) => d.range);
  const perCell = method !== 'grid' && ranges.length > 0 ? samples : 1;
  const strides = lists.map((_, k) => lists.slice(k + 1).reduce((n, d) => n * d.tuples!.length, 1) * perCell);
  const variations = [{ at: 0, k: -1, i: 0 }, ...lists.flatMap((d, k) => d.tuples!.slice(1).map((_, j) => ({ at: (j + 1) * strides[k]!, k, i: j + 1 })))].sort((a, b) => a.at - b.at || a.k - b.k);
  const firstPoint: Point = defs.flatMap((d) => d.paths.map((path, i) => ({ path, value: d.tuples ? d.tuples[0]![i] : d.range!.quantity ? `${d.range!.lo} ${SI_UNIT[d.range!.quantity]}` : d.range!.lo })));
  for (const v of variations) {
    if (opts.head !== undefined && v.at >= Math.max(1, opts.head)) break;
    const point: Point = v.k < 0 ? firstPoint : firstPoint.map((p) => (lists[v.k]!.paths.includes(p.path) ? { path: p.path, value: lists[v.k]!.tuples![v.i]![lists[v.k]!.paths.indexOf(p.path)] } : p));
    const d = documentOf(base, point);
    const parsed = experimentSchema.safeParse(d);
    if (!parsed.success) throw invalidConfiguration(parsed.error.issues, d, point, defs, file);
    const e = parsed.data;
    await resolveUse(e.workload, 'workload', 'workload', point);
    await resolveUse(e.strategy, 'strategy', 'strategy', point);
    await resolveStopUses(e.stop, 'stop', point);
  }

  const spec: SweepSpec = { file, baseDir, base, defs, method, samples, seed, replications: experiment.replications, configCount, runCount, paramCols, refs: [...refs], uses };
  return { spec, experiment, fileSha256, plugins, paramColumns: paramCols.map((c) => c.name), labelColumns: [...LABEL_COLUMNS] };
}

/** Read, validate and expand an experiment file. Bad input throws {@link InputError}. */
export async function buildPlan(file: string, opts: PlanOptions = {}): Promise<Plan> {
  const prepared = await prepareSweep(file, opts);
  const { spec, experiment } = prepared;
  // Random and lhs samples are drawn as a whole: `head` lists none of a sweep of more samples than this.
  const unlisted = opts.head !== undefined && spec.method !== 'grid' && spec.defs.some((d) => d.range) && spec.samples > MAX_SAMPLES_LISTED;
  const configLimit = opts.head === undefined ? spec.configCount : unlisted ? 0 : Math.min(spec.configCount, Math.max(1, Math.ceil(opts.head / spec.replications)));
  const expander = createExpander(spec, prepared.plugins, { probe: true });
  const configs: WorkerConfig[] = [];
  const configMeta: Array<{ configId: string; cells: readonly string[] }> = [];
  const runs: PlanRun[] = [];
  const seen = new Map<string, number>();
  for (let c = 0; c < configLimit; c++) {
    const x = expander.expand(c);
    if (opts.head === undefined) {
      const dup = seen.get(x.configId);
      if (dup !== undefined) throw duplicateError(spec, x.point);
      seen.set(x.configId, c);
    }
    configs.push(x.config);
    configMeta.push({ configId: x.configId, cells: x.cells });
    for (let r = 0; r < spec.replications; r++) {
      const { seed, runId } = x.run(r);
      runs.push({ index: runs.length, runId, configIndex: c, replication: r, seed });
    }
  }
  return {
    file,
    fileSha256: prepared.fileSha256,
    experiment,
    seed: spec.seed,
    refs: spec.refs,
    configs,
    configMeta,
    runs: opts.head === undefined ? runs : runs.slice(0, opts.head),
    runCount: spec.runCount,
    configCount: spec.configCount,
    paramColumns: prepared.paramColumns,
    labelColumns: prepared.labelColumns,
  };
}

/** The error of a sweep that gives one configuration twice, naming the later point. */
export function duplicateError(spec: Pick<SweepSpec, 'file'>, point: Point): InputError {
  const from = point.map((p) => `${p.path}=${show(p.value)}`).join(', ');
  return new InputError(`the sweep gives the same configuration twice (${from} equals an earlier point once units are converted): remove the duplicate value`, spec.file, 'sweep.params');
}

/** The CSV cell of a swept value of a quantity: its SI number (the value itself if it does not parse). */
export function parseCell(value: unknown, quantity: Quantity, path: string): string {
  if (typeof value === 'string' || typeof value === 'number') {
    try {
      return cell(parseQuantityFor(value, quantity, path));
    } catch {
      return cell(value);
    }
  }
  return cell(value);
}

function parseQuantityFor(v: string | number, q: Quantity, path: string): number {
  return parseQuantity(v, q, path);
}

/** The CSV header of a plan. */
export const headerOf = (plan: Pick<Plan, 'paramColumns' | 'labelColumns'>): string[] => [...ID_COLUMNS, ...plan.paramColumns, ...plan.labelColumns, ...METRIC_COLUMNS];

/** The sha256 of the plan's run ids in order: shards of the same plan share it. */
export const planHash = (plan: Pick<Plan, 'runs'>): string => sha256(plan.runs.map((r) => r.runId).join('\n'));
