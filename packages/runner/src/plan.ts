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
import { buildStop, createMigration, DEFAULT_COSTS, deriveSeed, type MigrationMetrics, pageCountOf, parseQuantity, resolveOptions, createRng, type AnyPlugin, type PluginKind, type StrategyPlugin, type WorkloadPlugin, type Quantity, type StopCondition } from '@livemig/core';
import { canonical, sha256, shortHash } from './canonical.js';
import { InputError, show } from './errors.js';
import { experimentSchema, formatIssues, readJsonFile, scenarioSchema, type Experiment, type Scenario, type StopSpecInput } from './experiment.js';
import { createRefTable, PluginResolver, type PluginRef } from './plugins.js';
import { detectQuantity, iteratePoints, parseParams, planSize, SI_UNIT, type ParamDef, type Point } from './sweep.js';

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
const labelOf = (c: unknown): string => (typeof c === 'object' && c !== null && typeof (c as { label?: unknown }).label === 'string' ? (c as { label: string }).label : useOf(c));

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

function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
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
const MAX_SAMPLES_LISTED = 1_000_000;

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

/** Read, validate and expand an experiment file. Bad input throws {@link InputError}. */
export async function buildPlan(file: string, opts: PlanOptions = {}): Promise<Plan> {
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
      `the sweep has ${runCount.toLocaleString('en-US')} runs (${configCount.toLocaleString('en-US')} configurations × ${experiment.replications} replication${experiment.replications > 1 ? 's' : ''}), more than the limit of ${opts.maxRuns.toLocaleString('en-US')}: ` +
        `the plan of every run is held in memory (each shard builds it too), about 1 KB a run. Sweep fewer values, split the sweep into several files, or raise the limit with --max-runs ${runCount}`,
      file,
      'sweep',
    );
  const unlisted = opts.head !== undefined && method !== 'grid' && samples > MAX_SAMPLES_LISTED;
  const points: Iterable<Point> = unlisted ? [] : defs.length ? iteratePoints(defs, method, samples, seed) : [[]];

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

  const { refs, indexOf: refOf } = createRefTable();
  const located = (where: string, e: unknown, point: Point): InputError => {
    const msg = e instanceof Error ? e.message : String(e);
    const from = configurationSuffix(point);
    return new InputError(msg.startsWith(where) ? msg + from : `${msg}${from}`, file, msg.startsWith(where) ? undefined : where);
  };

  const resolveComponent = async (spec: unknown, kind: PluginKind, path: string, point: Point): Promise<{ wc: WorkerComponent; plugin: AnyPlugin; norm: unknown }> => {
    const use = useOf(spec);
    let found;
    try {
      found = await resolver.resolve(use, kind);
    } catch (e) {
      throw located(`${path}.use`, e, point);
    }
    const options = typeof spec === 'string' ? {} : ((spec as { options?: unknown }).options ?? {});
    let norm: unknown;
    try {
      norm = resolveOptions(found.plugin, options, `${path}.options`);
    } catch (e) {
      // Name the package too: the plugin's short name alone does not say where it came from.
      if (e instanceof Error) e.message = e.message.replace(`invalid options for '${found.plugin.name}'`, `invalid options for '${found.plugin.name}' (package ${found.ref.package})`);
      throw located(`${path}.options`, e, point);
    }
    return { wc: { ref: refOf(found.ref), options, path }, plugin: found.plugin, norm: { plugin: `${found.ref.package}${found.ref.member ? '/' + found.ref.member : ''}`, options: norm } };
  };

  const componentCache = new Map<string, Promise<{ wc: WorkerComponent; plugin: AnyPlugin; norm: unknown }>>();
  const component = (spec: unknown, kind: PluginKind, path: string, point: Point) => {
    const key = `${kind}\0${path}\0${canonical(spec)}`;
    let p = componentCache.get(key);
    if (!p) {
      p = resolveComponent(spec, kind, path, point);
      componentCache.set(key, p);
    }
    return p;
  };

  const resolveStop = async (spec: StopSpecInput, path: string, point: Point): Promise<{ ws: WorkerStop; norm: unknown; plugins: AnyPlugin[] }> => {
    if (typeof spec === 'object' && 'any' in spec) {
      const kids = await Promise.all(spec.any.map((s, i) => resolveStop(s, `${path}.any[${i}]`, point)));
      return { ws: { any: kids.map((k) => k.ws) }, norm: { any: kids.map((k) => k.norm) }, plugins: kids.flatMap((k) => k.plugins) };
    }
    if (typeof spec === 'object' && 'all' in spec) {
      const kids = await Promise.all(spec.all.map((s, i) => resolveStop(s, `${path}.all[${i}]`, point)));
      return { ws: { all: kids.map((k) => k.ws) }, norm: { all: kids.map((k) => k.norm) }, plugins: kids.flatMap((k) => k.plugins) };
    }
    const c = await component(spec, 'stop-condition', path, point);
    return { ws: c.wc, norm: c.norm, plugins: [c.plugin] };
  };

  const configs: WorkerConfig[] = [];
  const configMeta: Array<{ configId: string; cells: string[] }> = [];
  const runs: PlanRun[] = [];
  const seenRuns = new Map<string, number>();
  const probeRng = createRng(0);
  const probeCache = new Set<string>();

  for (const point of points) {
    // One configuration at least, so that its plugins and options are checked.
    if (opts.head !== undefined && runs.length >= Math.max(1, opts.head)) break;
    const d = clone(base);
    // Parents before children: a whole component is set before one of its options.
    for (const p of [...point].sort((a, b) => splitPath(a.path).length - splitPath(b.path).length)) setPath(d, p.path, p.value);
    const parsed = experimentSchema.safeParse(d);
    if (!parsed.success) {
      // Point at the swept value that broke it: sweep.params["path"][i].
      const lines = formatIssues(parsed.error.issues, d).map((l) => {
        const hit = point.find((p) => l.startsWith(p.path));
        const def = hit && defs.find((x) => x.paths.includes(hit.path));
        const i = def?.tuples?.findIndex((t) => canonical(t[def.paths.indexOf(hit!.path)]) === canonical(hit!.value)) ?? -1;
        return def && i >= 0 ? `sweep.params[${JSON.stringify(def.key)}][${i}]${def.paths.length > 1 ? `[${def.paths.indexOf(hit!.path)}]` : ''} → ${l}` : l;
      });
      throw new InputError(`invalid configuration:\n  - ${lines.join('\n  - ')}`, file);
    }
    const e = parsed.data;
    const sc = scenarioSchema.parse(e.scenario);
    const wl = await component(e.workload, 'workload', 'workload', point);
    const st = await component(e.strategy, 'strategy', 'strategy', point);
    const sp = await resolveStop(e.stop, 'stop', point);
    const config: WorkerConfig = { fidelity: e.fidelity, baseDir, scenario: sc, workload: wl.wc, strategy: st.wc, stop: sp.ws };

    // Create the instances once per distinct configuration so errors surface before any run.
    const vm = { id: 'vm', memory_bytes: sc.vm.memory, pageSize_bytes: sc.vm.pageSize, vcpus: sc.vm.vcpus };
    const probeKey = canonical([wl.wc, st.wc, sp.ws, sc.vm]);
    if (!probeCache.has(probeKey)) {
      probeCache.add(probeKey);
      const ctx = { rng: () => probeRng };
      try {
        (wl.plugin as WorkloadPlugin).create(resolveOptions(wl.plugin, wl.wc.options, 'workload.options'), { pageCount: pageCountOf(vm), pageSize_bytes: vm.pageSize_bytes, rng: probeRng, baseDir });
      } catch (err) {
        throw located('workload.options', err, point);
      }
      try {
        (st.plugin as StrategyPlugin).create(resolveOptions(st.plugin, st.wc.options, 'strategy.options'), ctx);
      } catch (err) {
        throw located('strategy.options', err, point);
      }
      try {
        let k = 0;
        buildStop(e.stop as never, 'stop', (_name, options, at): StopCondition => {
          const plugin = sp.plugins[k++]!;
          return plugin.create(resolveOptions(plugin, options, `${at}.options`), { ...ctx, build: () => ({ check: () => null }) } as never) as StopCondition;
        });
      } catch (err) {
        throw located('stop', err, point);
      }
    }

    const hashInput = { fidelity: e.fidelity, scenario: sc, workload: wl.norm, strategy: st.norm, stop: sp.norm };
    const crnKey = shortHash({ fidelity: e.fidelity, scenario: sc, workload: wl.norm });
    const configId = shortHash(hashInput);
    const cells: string[] = paramCols.map((c) => {
      const pv = point.find((p) => p.path === c.path)!;
      if (c.json) return canonical(pv.value);
      if (pv.si !== undefined) return cell(pv.si);
      if (c.quantity && (typeof pv.value === 'string' || typeof pv.value === 'number')) {
        try {
          return cell(parseQuantityFor(pv.value, c.quantity, c.path));
        } catch {
          return cell(pv.value);
        }
      }
      return cell(pv.value);
    });
    cells.push(labelOf(e.strategy), stopLabel(e.stop), labelOf(e.workload));
    const configIndex = configs.push(config) - 1;
    configMeta.push({ configId, cells });
    for (let r = 0; r < e.replications; r++) {
      // The run's derived seed is part of its id: rows from a core with another seed derivation are never mixed on --resume.
      const runSeed = deriveSeed(seed, crnKey, r);
      const runId = shortHash({ config: hashInput, seed, replication: r, runSeed });
      const dup = opts.head === undefined ? seenRuns.get(runId) : undefined;
      if (dup !== undefined) {
        const from = point.map((p) => `${p.path}=${show(p.value)}`).join(', ');
        throw new InputError(`the sweep gives the same configuration twice (${from} equals an earlier point once units are converted): remove the duplicate value`, file, 'sweep.params');
      }
      seenRuns.set(runId, runs.length);
      runs.push({ index: runs.length, runId, configIndex, replication: r, seed: runSeed });
    }
  }
  if (opts.head === undefined && runs.length !== runCount) throw new Error('internal: plan size mismatch');

  return {
    file,
    fileSha256,
    experiment,
    seed,
    refs,
    configs,
    configMeta,
    runs: opts.head === undefined ? runs : runs.slice(0, opts.head),
    runCount,
    configCount,
    paramColumns: paramCols.map((c) => c.name),
    labelColumns: [...LABEL_COLUMNS],
  };
}

function parseQuantityFor(v: string | number, q: Quantity, path: string): number {
  return parseQuantity(v, q, path);
}

/** The CSV header of a plan. */
export const headerOf = (plan: Pick<Plan, 'paramColumns' | 'labelColumns'>): string[] => [...ID_COLUMNS, ...plan.paramColumns, ...plan.labelColumns, ...METRIC_COLUMNS];

/** The sha256 of the plan's run ids in order: shards of the same plan share it. */
export const planHash = (plan: Pick<Plan, 'runs'>): string => sha256(plan.runs.map((r) => r.runId).join('\n'));
