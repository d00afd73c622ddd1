/**
 * Expanding a sweep one configuration at a time, from its index: the same code on the main
 * thread (`livemig plan`, {@link buildPlan}) and in the workers, which expand their own slices
 * of a sweep (so the main thread never holds the configurations of a big sweep).
 *
 * A configuration's sections (scenario, workload, strategy, stop, fidelity) are validated and
 * resolved once per distinct combination of the swept values that reach them and reused: in a
 * grid of 1 000 rates × 20 bandwidths the workload is checked 1 000 times, not 20 000.
 * Ids are hashed from the sections' cached canonical JSON, composed exactly as
 * `canonical(whole object)` would be, so ids do not depend on the caching.
 */
import { buildStop, deriveSeed, pageCountOf, resolveOptions, createRng, type AnyPlugin, type PluginKind, type StopCondition, type StrategyPlugin, type WorkloadPlugin } from '@livemig/core';
import { canonical, sha256 } from './canonical.js';
import { InputError } from './errors.js';
import { experimentSchema, formatIssues, scenarioSchema, type Experiment, type Scenario, type StopSpecInput } from './experiment.js';
import type { PluginRef } from './plugins.js';
import { scaleValue, SI_UNIT, unitSampleMatrix, type ParamDef, type Point } from './sweep.js';
import { cell, configurationSuffix, labelOf, parseCell, setPath, splitPath, stopLabel, type WorkerComponent, type WorkerConfig, type WorkerStop } from './plan.js';
import { compileStop, makeFactory, type Factory } from './simulate.js';

/** A parameter column: the swept path, its column name, its unit quantity, JSON cells for whole components. */
export interface ParamColumn {
  readonly path: string;
  readonly name: string;
  readonly quantity: import('@livemig/core').Quantity | null;
  readonly json: boolean;
}

/**
 * Everything needed to expand any configuration of a sweep: plain data, sent to the workers
 * once. Plugins are named by index into `refs`; `uses` maps `kind\0use` (as written) to it.
 */
export interface SweepSpec {
  readonly file: string;
  readonly baseDir: string;
  /** The experiment document without `sweep`. */
  readonly base: Record<string, unknown>;
  readonly defs: readonly ParamDef[];
  readonly method: 'grid' | 'random' | 'lhs';
  readonly samples: number;
  readonly seed: number;
  readonly replications: number;
  readonly configCount: number;
  readonly runCount: number;
  readonly paramCols: readonly ParamColumn[];
  readonly refs: readonly PluginRef[];
  readonly uses: Readonly<Record<string, number>>;
}

/** One configuration of the sweep, expanded. */
export interface ExpandedConfig {
  readonly index: number;
  readonly point: Point;
  readonly config: WorkerConfig;
  readonly configId: string;
  /** Its parameter and label cells. */
  readonly cells: readonly string[];
  /** The seed of replication `r` and the id of its run. */
  run(r: number): { seed: number; runId: string };
  /** Fresh instances for a run: options were resolved once per distinct component. */
  readonly factory: Factory;
}

interface Component {
  readonly wc: WorkerComponent;
  readonly plugin: AnyPlugin;
  readonly options: unknown;
  readonly canon: string;
  readonly label: string;
}
interface StopSection {
  readonly ws: WorkerStop;
  readonly canon: string;
  readonly label: string;
  /** Stop-condition plugins in the order of the tree's leaves. */
  readonly plugins: AnyPlugin[];
  readonly spec: StopSpecInput;
  compiled?: ReturnType<typeof compileStop>;
}
type SectionName = 'scenario' | 'workload' | 'strategy' | 'stop' | 'fidelity';
const SECTIONS: readonly SectionName[] = ['scenario', 'workload', 'strategy', 'stop', 'fidelity'];

/** The section a swept path belongs to, or null (not sweepable: the plan's shape would change). */
export const sectionOf = (path: string): SectionName | null => {
  const head = String(splitPath(path)[0]);
  return (SECTIONS as readonly string[]).includes(head) ? (head as SectionName) : null;
};

const useOf = (c: unknown): string => (typeof c === 'string' ? c : (c as { use?: string })?.use ?? '');

/** Bounded caches: cleared when full (a sweep rarely revisits a value after many others). */
const CACHE_MAX = 20_000;
function cached<T>(map: Map<string, T>, key: string, make: () => T): T {
  let v = map.get(key);
  if (v === undefined) {
    if (map.size >= CACHE_MAX) map.clear();
    v = make();
    map.set(key, v);
  }
  return v;
}

/** The error of a point that does not validate, naming the swept value that broke it. */
export function invalidConfiguration(issues: Parameters<typeof formatIssues>[0], doc: unknown, point: Point, defs: readonly ParamDef[], file: string): InputError {
  const lines = formatIssues(issues, doc).map((l) => {
    const hit = point.find((p) => l.startsWith(p.path));
    const def = hit && defs.find((x) => x.paths.includes(hit.path));
    const i = def?.tuples?.findIndex((t) => canonical(t[def.paths.indexOf(hit!.path)]) === canonical(hit!.value)) ?? -1;
    return def && i >= 0 ? `sweep.params[${JSON.stringify(def.key)}][${i}]${def.paths.length > 1 ? `[${def.paths.indexOf(hit!.path)}]` : ''} → ${l}` : l;
  });
  return new InputError(`invalid configuration:\n  - ${lines.join('\n  - ')}`, file);
}

/** The document of a point: the base with every swept value in place (parents before children). */
export function documentOf(base: Record<string, unknown>, point: Point): Record<string, unknown> {
  const d = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const p of [...point].sort((a, b) => splitPath(a.path).length - splitPath(b.path).length)) setPath(d, p.path, p.value);
  return d;
}

/**
 * An expander of a sweep. `plugins[i]` is the loaded plugin of `spec.refs[i]`. With `probe`,
 * each distinct combination of components is instantiated once, so that a plugin's own checks
 * (a trace file that is missing, options that contradict each other) fail at plan time.
 */
export function createExpander(spec: SweepSpec, plugins: readonly AnyPlugin[], opts: { probe?: boolean } = {}) {
  const lists = spec.defs.filter((d) => d.tuples);
  const ranges = spec.defs.filter((d) => d.range);
  const sampled = spec.method !== 'grid' && ranges.length > 0;
  const perCell = sampled ? spec.samples : 1;
  const u = sampled ? unitSampleMatrix(spec.method as 'random' | 'lhs', spec.samples, ranges.length, createRng(deriveSeed(spec.seed, 'sweep', spec.method))) : null;

  // Which parameters reach each section: their value indices make the section's cache key.
  const touches = (d: ParamDef, s: SectionName) => d.paths.some((p) => sectionOf(p) === s);
  const listsOf = Object.fromEntries(SECTIONS.map((s) => [s, lists.map((d, k) => (touches(d, s) ? k : -1)).filter((k) => k >= 0)])) as Record<SectionName, number[]>;
  const rangesOf = Object.fromEntries(SECTIONS.map((s) => [s, ranges.some((d) => touches(d, s))])) as Record<SectionName, boolean>;
  const caches = Object.fromEntries(SECTIONS.map((s) => [s, new Map<string, unknown>()])) as Record<SectionName, Map<string, unknown>>;
  const probed = new Set<string>();
  const probeRng = createRng(0);

  // Cells of list values, computed once per value.
  const cellCache = new Map<string, string>();
  const cellOf = (c: ParamColumn, value: unknown, si: number | undefined): string => {
    if (c.json) return canonical(value);
    if (si !== undefined) return cell(si);
    if (!c.quantity) return cell(value);
    return cached(cellCache, `${c.path}\0${typeof value}\0${String(value)}`, () => parseCell(value, c.quantity!, c.path));
  };

  const refOf = (kind: PluginKind, use: string, path: string): number => {
    const i = spec.uses[`${kind}\0${use}`];
    if (i === undefined) throw new InputError(`internal: plugin '${use}' (${kind}) was not resolved when the sweep was prepared`, spec.file, path);
    return i;
  };
  const located = (where: string, e: unknown, point: Point): InputError => {
    if (e instanceof InputError && e.message.startsWith(spec.file)) return e;
    const msg = e instanceof Error ? e.message : String(e);
    const from = configurationSuffix(point);
    return new InputError(msg.startsWith(where) ? msg + from : `${msg}${from}`, spec.file, msg.startsWith(where) ? undefined : where);
  };
  const component = (c: unknown, kind: PluginKind, path: string, point: Point): Component => {
    const ref = refOf(kind, useOf(c), `${path}.use`);
    const plugin = plugins[ref]!;
    const raw = typeof c === 'string' ? {} : (c as { options?: unknown }).options ?? {};
    let options: unknown;
    try {
      options = resolveOptions(plugin, raw, `${path}.options`);
    } catch (e) {
      const r = spec.refs[ref]!;
      // Name the package too: the plugin's short name alone does not say where it came from.
      if (e instanceof Error) e.message = e.message.replace(`invalid options for '${plugin.name}'`, `invalid options for '${plugin.name}' (package ${r.package})`);
      throw located(`${path}.options`, e, point);
    }
    const r = spec.refs[ref]!;
    const norm = {
      plugin: `${r.package}${r.member ? '/' + r.member : ''}`,
      options,
    };
    return {
      wc: { ref, options: raw, path },
      plugin,
      options,
      canon: canonical(norm),
      label: labelOf(c),
    };
  };
  const stopOf = (s: StopSpecInput, path: string, point: Point): { ws: WorkerStop; canon: string; plugins: AnyPlugin[] } => {
    if (typeof s === 'object' && ('any' in s || 'all' in s)) {
      const key = 'any' in s ? 'any' : 'all';
      const kids = ((s as Record<string, StopSpecInput[]>)[key] ?? []).map((k, i) => stopOf(k, `${path}.${key}[${i}]`, point));
      return {
        ws: (key === 'any' ? { any: kids.map((k) => k.ws) } : { all: kids.map((k) => k.ws) }) as WorkerStop,
        canon: `{"${key}":[${kids.map((k) => k.canon).join(',')}]}`,
        plugins: kids.flatMap((k) => k.plugins),
      };
    }
    const c = component(s, 'stop-condition', path, point);
    return { ws: c.wc, canon: c.canon, plugins: [c.plugin] };
  };

  /** The point of configuration `c`: grid cell outer (first list slowest), sample inner. */
  const pointOf = (c: number): { point: Point; idx: number[]; sample: number } => {
    const sample = c % perCell;
    let rest = Math.floor(c / perCell);
    const idx = new Array<number>(lists.length);
    for (let k = lists.length - 1; k >= 0; k--) {
      const n = lists[k]!.tuples!.length;
      idx[k] = rest % n;
      rest = Math.floor(rest / n);
    }
    const point: Array<{ path: string; value: unknown; si?: number }> = [];
    lists.forEach((d, k) => d.paths.forEach((path, i) => point.push({ path, value: d.tuples![idx[k]!]![i] })));
    if (u)
      ranges.forEach((d, k) => {
        const r = d.range!;
        const si = scaleValue(u[sample * ranges.length + k]!, r);
        // Written with its SI unit: a plugin may read a bare number in another unit (a rate in pages/s).
        point.push({
          path: d.paths[0]!,
          value: r.quantity ? `${String(si)} ${SI_UNIT[r.quantity]}` : si,
          si,
        });
      });
    return { point, idx, sample };
  };

  const expand = (c: number): ExpandedConfig => {
    if (!(c >= 0 && c < spec.configCount)) throw new RangeError(`configuration ${c} is not in the plan (0..${spec.configCount - 1})`);
    const { point, idx, sample } = pointOf(c);
    const keyOf = (s: SectionName) => listsOf[s].map((k) => idx[k]).join(',') + (rangesOf[s] ? `~${sample}` : '');
    const keys = Object.fromEntries(SECTIONS.map((s) => [s, keyOf(s)])) as Record<SectionName, string>;
    let parsed: Experiment | undefined;
    const experiment = (): Experiment => {
      if (parsed) return parsed;
      const d = documentOf(spec.base, point);
      const r = experimentSchema.safeParse(d);
      if (!r.success) throw invalidConfiguration(r.error.issues, d, point, spec.defs, spec.file);
      return (parsed = r.data);
    };
    const fidelity = cached(caches.fidelity, keys.fidelity, () => experiment().fidelity) as Experiment['fidelity'];
    const sc = cached(caches.scenario, keys.scenario, () => {
      const s = scenarioSchema.parse(experiment().scenario);
      return { sc: s, canon: canonical(s) };
    }) as { sc: Scenario; canon: string };
    const wl = cached(caches.workload, keys.workload, () => component(experiment().workload, 'workload', 'workload', point)) as Component;
    const st = cached(caches.strategy, keys.strategy, () => component(experiment().strategy, 'strategy', 'strategy', point)) as Component;
    const sp = cached(caches.stop, keys.stop, () => {
      const spec0 = experiment().stop;
      return {
        ...stopOf(spec0, 'stop', point),
        label: stopLabel(spec0),
        spec: spec0,
      } satisfies StopSection;
    }) as StopSection;

    if (opts.probe) {
      const probeKey = `${keys.workload}|${keys.strategy}|${keys.stop}|${canonical(sc.sc.vm)}`;
      if (!probed.has(probeKey)) {
        if (probed.size >= CACHE_MAX) probed.clear();
        probed.add(probeKey);
        probe(wl, st, sp, sc.sc, point);
      }
    }

    const fid = JSON.stringify(fidelity);
    // canonical({ fidelity, scenario, workload, strategy, stop }), keys sorted.
    const hashCanon = `{"fidelity":${fid},"scenario":${sc.canon},"stop":${sp.canon},"strategy":${st.canon},"workload":${wl.canon}}`;
    const configId = sha256(hashCanon).slice(0, 16);
    // Common random numbers: the workload's draws do not depend on the strategy or the stop condition.
    const crnKey = sha256(`{"fidelity":${fid},"scenario":${sc.canon},"workload":${wl.canon}}`).slice(0, 16);
    const cells: string[] = spec.paramCols.map((col) => {
      const pv = point.find((p) => p.path === col.path)!;
      return cellOf(col, pv.value, pv.si);
    });
    cells.push(st.label, sp.label, wl.label);
    const config: WorkerConfig = {
      fidelity,
      baseDir: spec.baseDir,
      scenario: sc.sc,
      workload: wl.wc,
      strategy: st.wc,
      stop: sp.ws,
    };
    let factory: Factory | undefined;
    return {
      index: c,
      point,
      config,
      configId,
      cells,
      run(r: number) {
        // The run's derived seed is part of its id: rows from a core with another seed derivation are never mixed on --resume.
        const seed = deriveSeed(spec.seed, crnKey, r);
        return {
          seed,
          runId: sha256(`{"config":${hashCanon},"replication":${r},"runSeed":${seed},"seed":${spec.seed}}`).slice(0, 16),
        };
      },
      get factory(): Factory {
        return (factory ??= makeFactory(wl, st, (sp.compiled ??= compileStop(sp.ws, plugins)), sc.sc, spec.baseDir));
      },
    };
  };

  const probe = (wl: Component, st: Component, sp: StopSection, sc: Scenario, point: Point): void => {
    const vm = {
      id: 'vm',
      memory_bytes: sc.vm.memory,
      pageSize_bytes: sc.vm.pageSize,
      vcpus: sc.vm.vcpus,
    };
    const ctx = { rng: () => probeRng };
    try {
      (wl.plugin as WorkloadPlugin).create(wl.options as never, {
        pageCount: pageCountOf(vm),
        pageSize_bytes: vm.pageSize_bytes,
        rng: probeRng,
        baseDir: spec.baseDir,
      });
    } catch (err) {
      throw located('workload.options', err, point);
    }
    try {
      (st.plugin as StrategyPlugin).create(st.options as never, ctx);
    } catch (err) {
      throw located('strategy.options', err, point);
    }
    try {
      let k = 0;
      buildStop(sp.spec as never, 'stop', (_name, options, at): StopCondition => {
        const plugin = sp.plugins[k++]!;
        return plugin.create(resolveOptions(plugin, options, `${at}.options`), { ...ctx, build: () => ({ check: () => null }) } as never) as StopCondition;
      });
    } catch (err) {
      throw located('stop', err, point);
    }
  };

  return { expand, pointOf: (c: number) => pointOf(c).point };
}

export type Expander = ReturnType<typeof createExpander>;
