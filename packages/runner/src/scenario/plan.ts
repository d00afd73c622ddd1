/**
 * The plan of a scenario experiment: the sweep's configurations × replications, with ids made
 * as for single-migration plans (`config_id` = hash of the configuration with options defaulted
 * and units in SI; `run_id` = hash of configuration, seed, replication and run seed). Hosts, VMs
 * and migration requests are expanded and checked here, so bad input fails before any run.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildTopology, deriveSeed, parseQuantity } from '@livemig/core';
import { networkModelOf, topologyOf } from './network.js';
import { canonical, sha256, shortHash } from '../canonical.js';
import { InputError } from '../errors.js';
import { formatIssues, readJsonFile, type StopSpecInput } from '../experiment.js';
import { cell, columnName, configurationSuffix, splitPath, stopLabel, type WorkerComponent, type WorkerStop } from '../plan.js';
import { componentResolvers, setPath } from '../kind-plan.js';
import { createRefTable, PluginResolver, type PluginRef } from '../plugins.js';
import { detectQuantity, expandPoints, parseParams, type ParamDef, type Point } from '../sweep.js';
import { scenarioExperimentSchema, type ScenarioExperiment } from './experiment.js';

/** Metric columns of a scenario run (runs.csv), in order. */
export const SCENARIO_METRIC_COLUMNS = [
  'makespan_s',
  'migrations',
  'migrations_completed',
  'migrations_nonConverged',
  'migrations_cancelled',
  'migrations_failed',
  'downtime_total_s',
  'downtime_mean_s',
  'downtime_max_s',
  'total_time_mean_s',
  'total_time_max_s',
  'rounds_mean',
  'bytes_sent',
  'wait_total_s',
  'wait_max_s',
  'peak_concurrent',
  'service_bytes_lost',
  'background_bytes_lost',
] as const;

/** Columns of migrations.csv: one row per migration of every run. */
export const SCENARIO_MIGRATION_COLUMNS = [
  'run_id',
  'request',
  'vm',
  'group',
  'from',
  'to',
  'requested_s',
  'start_s',
  'end_s',
  'wait_s',
  'status',
  'converged',
  'stop_reason',
  'downtime_s',
  'total_time_s',
  'bytes_sent',
  'rounds',
] as const;

export const SCENARIO_LABEL_COLUMNS = ['strategy', 'stop', 'scheduler', 'network_model'] as const;

/** A host, VM and request list, expanded from the groups. */
export interface ExpandedScenario {
  readonly hosts: ReadonlyArray<{ id: string; nic_Bps: number; memory_bytes?: number }>;
  readonly vms: ReadonlyArray<{ id: string; group: number; host: number; memory_bytes: number; pageSize_bytes: number; vcpus: number }>;
  readonly requests: ReadonlyArray<{ vm: number; to: number; at_s: number; priority: number }>;
  /** Dumbbell topology: the ids of the hosts on the left switch. */
  readonly dumbbellLeft?: readonly string[];
}

/** What a worker needs to run one configuration. */
export interface ScenarioWorkerConfig {
  readonly experiment: ScenarioExperiment;
  readonly expanded: ExpandedScenario;
  readonly strategy: WorkerComponent;
  readonly stop: WorkerStop;
  readonly scheduler: WorkerComponent;
  /** Per VM group. */
  readonly workloads: readonly WorkerComponent[];
  readonly baseDir: string;
}

export interface ScenarioPlan {
  readonly kind: 'scenario';
  readonly file: string;
  readonly fileSha256: string;
  readonly experiment: ScenarioExperiment & { readonly timeline: false };
  readonly seed: number;
  readonly refs: readonly PluginRef[];
  readonly configs: readonly ScenarioWorkerConfig[];
  readonly configMeta: ReadonlyArray<{ configId: string; cells: readonly string[] }>;
  readonly runs: ReadonlyArray<{ index: number; runId: string; configIndex: number; replication: number; seed: number }>;
  readonly paramColumns: readonly string[];
  readonly labelColumns: readonly string[];
}

/** Plugin references a swept option path may cross as a string. */
const COMPONENT_KEYS = new Set<string>(['strategy', 'stop', 'scheduler', 'workload']);

/** Hosts and VMs from their groups, and the requests from the migration entries; errors name the field. */
export function expandScenario(e: ScenarioExperiment, file: string, suffix = ''): ExpandedScenario {
  const hosts: Array<{ id: string; nic_Bps: number; memory_bytes?: number }> = [];
  const hostGroups = new Map<string, number[]>();
  const fail = (field: string, msg: string): never => {
    throw new InputError(msg + suffix, file, field);
  };
  e.hosts.forEach((g, gi) => {
    const members: number[] = [];
    for (let k = 0; k < g.count; k++) members.push(hosts.push({ id: g.count > 1 ? `${g.id}${k}` : g.id, nic_Bps: g.nic, ...(g.memory !== undefined ? { memory_bytes: g.memory } : {}) }) - 1);
    if (hostGroups.has(g.id)) fail(`hosts[${gi}].id`, `two host groups are called '${g.id}': give each its own id`);
    hostGroups.set(g.id, members);
  });
  const hostIndex = new Map<string, number[]>(hostGroups);
  hosts.forEach((h, i) => {
    if (hostIndex.has(h.id) && hostIndex.get(h.id)!.join() !== String(i)) fail('hosts', `host id '${h.id}' names both a host and a group: rename one of them`);
    hostIndex.set(h.id, [i]);
  });
  if (hosts.length < 2) fail('hosts', `a scenario needs at least two hosts, found ${hosts.length}: add a host or raise count`);
  const hostsOf = (ref: string, field: string): number[] =>
    hostIndex.get(ref) ?? fail(field, `no host or host group '${ref}' (hosts: ${[...hostGroups.keys()].join(', ')})`);

  const vms: Array<{ id: string; group: number; host: number; memory_bytes: number; pageSize_bytes: number; vcpus: number }> = [];
  const vmGroups = new Map<string, number[]>();
  e.vms.forEach((g, gi) => {
    if (!Number.isInteger(g.memory) || !Number.isInteger(g.pageSize) || g.pageSize > g.memory || g.memory % g.pageSize !== 0)
      fail(`vms[${gi}].memory`, `memory (${g.memory} B) must be a whole number of pages of ${g.pageSize} B: use e.g. '4 GiB' with '4 KiB' pages`);
    const on = hostsOf(g.host, `vms[${gi}].host`);
    const members: number[] = [];
    for (let k = 0; k < g.count; k++)
      members.push(vms.push({ id: g.count > 1 ? `${g.id}${k}` : g.id, group: gi, host: on[k % on.length]!, memory_bytes: g.memory, pageSize_bytes: g.pageSize, vcpus: g.vcpus }) - 1);
    if (vmGroups.has(g.id)) fail(`vms[${gi}].id`, `two VM groups are called '${g.id}': give each its own id`);
    vmGroups.set(g.id, members);
  });
  const vmIndex = new Map<string, number[]>(vmGroups);
  vms.forEach((v, i) => {
    if (vmIndex.has(v.id) && vmIndex.get(v.id)!.join() !== String(i)) fail('vms', `VM id '${v.id}' names both a VM and a group: rename one of them`);
    vmIndex.set(v.id, [i]);
  });

  const requests: Array<{ vm: number; to: number; at_s: number; priority: number }> = [];
  const asked = new Map<number, number>();
  e.migrations.forEach((m, mi) => {
    const field = `migrations[${mi}]`;
    const which = 'vms' in m ? (vmIndex.get(m.vms) ?? fail(`${field}.vms`, `no VM or VM group '${m.vms}' (VMs: ${[...vmGroups.keys()].join(', ')})`)) : [];
    if ('evacuate' in m) {
      const from = new Set(hostsOf(m.evacuate, `${field}.evacuate`));
      vms.forEach((v, i) => from.has(v.host) && which.push(i));
      if (which.length === 0) fail(`${field}.evacuate`, `no VM runs on '${m.evacuate}' at time 0: nothing to evacuate`);
    }
    const dests = (Array.isArray(m.to) ? m.to : [m.to]).flatMap((t, k) => hostsOf(t, Array.isArray(m.to) ? `${field}.to[${k}]` : `${field}.to`));
    which.forEach((v, k) => {
      // Dealt in turn over the destinations that are not the VM's own host.
      const choices = dests.filter((h) => h !== vms[v]!.host);
      if (choices.length === 0) fail(`${field}.to`, `${vms[v]!.id} already runs on ${hosts[vms[v]!.host]!.id}, the only destination given: a migration needs another host`);
      if (asked.has(v)) fail(field, `${vms[v]!.id} is already asked to migrate by migrations[${asked.get(v)}]: a scenario migrates each VM at most once`);
      asked.set(v, mi);
      requests.push({ vm: v, to: choices[k % choices.length]!, at_s: m.at, priority: m.priority });
    });
  });
  // Where the VMs end up must fit, or a migration could never start.
  const used = hosts.map(() => 0);
  const dest = new Map(requests.map((r) => [r.vm, r.to]));
  vms.forEach((v, i) => (used[dest.get(i) ?? v.host]! += v.memory_bytes));
  hosts.forEach((h, i) => {
    if (h.memory_bytes !== undefined && used[i]! > h.memory_bytes)
      fail('hosts', `host ${h.id} would hold ${used[i]} B of VMs after the migrations but has ${h.memory_bytes} B of memory: give it more memory or send fewer VMs there`);
  });
  for (const [i, b] of (e.background ?? []).entries()) {
    const f = hostsOf(b.from, `background[${i}].from`);
    const t = hostsOf(b.to, `background[${i}].to`);
    if (f.length !== 1 || t.length !== 1) fail(`background[${i}]`, 'a background flow joins two hosts, not groups: name single hosts');
    if (f[0] === t[0]) fail(`background[${i}].to`, 'a background flow needs two different hosts');
    if (b.end !== undefined && !(b.end > b.start)) fail(`background[${i}].end`, `end (${b.end} s) must be after start (${b.start} s)`);
    if ((b.on === undefined) !== (b.off === undefined)) fail(`background[${i}].${b.on === undefined ? 'on' : 'off'}`, 'on/off traffic needs both on and off: give both, or neither for constant traffic');
    if (b.periods === 'exponential' && b.on === undefined) fail(`background[${i}].periods`, "exponential periods are for on/off traffic: give on and off, or drop 'periods'");
  }
  const n = e.network;
  let dumbbellLeft: string[] | undefined;
  if (n.topology === 'dumbbell') {
    if (!n.left) fail('network.left', "a 'dumbbell' topology needs network.left: the hosts (or host groups) on the left switch");
    if (n.bottleneck === undefined) fail('network.bottleneck', "a 'dumbbell' topology needs network.bottleneck: the capacity between the switches, e.g. '10 Gbit/s'");
    const left = new Set(n.left!.flatMap((ref, k) => hostsOf(ref, `network.left[${k}]`)));
    if (left.size === hosts.length) fail('network.left', 'every host is on the left: a dumbbell needs hosts on both sides');
    dumbbellLeft = hosts.filter((_, i) => left.has(i)).map((h) => h.id);
  } else if (n.left !== undefined || n.bottleneck !== undefined) fail(n.left !== undefined ? 'network.left' : 'network.bottleneck', `only a 'dumbbell' topology has a left side and a bottleneck (this one is '${n.topology}')`);
  return { hosts, vms, requests, ...(dumbbellLeft ? { dumbbellLeft } : {}) };
}

/** Paths whose values the label columns tell apart. */
const LABEL_PATHS = new Set(['strategy', 'stop', 'scheduler', 'network.model']);

const labelOf = (c: string | { use: string; label?: string }): string => (typeof c === 'string' ? c : (c.label ?? c.use));

/** Read, validate and expand a scenario experiment document. Bad input throws {@link InputError}. */
export async function buildScenarioPlan(file: string, doc: Record<string, unknown>, opts: { seed?: number; resolveDirs?: string[] } = {}): Promise<ScenarioPlan> {
  const abs = resolve(file);
  const fileSha256 = sha256(readFileSync(abs));
  const base = { ...doc };
  delete base.sweep;
  const sweepCheck = scenarioExperimentSchema.shape.sweep.safeParse(doc.sweep);
  if (!sweepCheck.success) throw new InputError(`invalid sweep:\n  - ${formatIssues(sweepCheck.error.issues, doc.sweep, 'sweep').join('\n  - ')}`, file);
  const sweep = sweepCheck.data;
  const defs: ParamDef[] = sweep ? parseParams(sweep, file) : [];
  if (defs.some((d) => d.range)) throw new InputError('scenario experiments sweep value lists (grid) only', file, 'sweep.params');
  const first = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const d of defs) d.paths.forEach((p, i) => setPath(first, p, d.tuples![0]![i], COMPONENT_KEYS));
  const check = scenarioExperimentSchema.safeParse(first);
  if (!check.success) throw new InputError(`invalid experiment:\n  - ${formatIssues(check.error.issues, first).join('\n  - ')}`, file);
  const seed = opts.seed ?? check.data.seed;
  const points: Point[] = defs.length ? expandPoints(defs, 'grid', 1, seed) : [[]];
  const paramCols = defs
    .flatMap((d) => d.paths.map((path, k) => ({ path, values: d.tuples!.map((t) => t[k]) })))
    .filter((c) => !LABEL_PATHS.has(c.path))
    .map(({ path, values }) => {
      const quantity = values.map(detectQuantity).find((q) => q !== null) ?? null;
      return { path, quantity, name: columnName(path, quantity) };
    });
  const resolver = new PluginResolver(opts.resolveDirs ?? [dirname(abs), process.cwd()]);
  const { refs, indexOf: refOf } = createRefTable();
  const { component, stopOf } = componentResolvers(resolver, refOf, file);

  const configs: ScenarioWorkerConfig[] = [];
  const configMeta: Array<{ configId: string; cells: string[] }> = [];
  const runs: ScenarioPlan['runs'][number][] = [];
  const seen = new Set<string>();
  for (const point of points) {
    const d = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
    for (const p of [...point].sort((a, b) => splitPath(a.path).length - splitPath(b.path).length)) setPath(d, p.path, p.value, COMPONENT_KEYS);
    const parsed = scenarioExperimentSchema.safeParse(d);
    if (!parsed.success) throw new InputError(`invalid configuration${configurationSuffix(point)}:\n  - ${formatIssues(parsed.error.issues, d).join('\n  - ')}`, file);
    const e = parsed.data;
    const expanded = expandScenario(e, file, configurationSuffix(point));
    if (e.network.topology === 'links' && !(e.network.links?.length && e.network.routes?.length))
      throw new InputError("a 'links' topology needs network.links and network.routes", file, 'network');
    // The topology as a run builds it: a route over a link that is not there, or between hosts
    // that are not, fails here, before any run.
    try {
      buildTopology(expanded.hosts, topologyOf(e.network, expanded), networkModelOf(e.network));
    } catch (err) {
      const msg = (err as Error).message.replace(/^topology: /, '');
      throw new InputError(msg + configurationSuffix(point), file, /route/.test(msg) ? 'network.routes' : 'network');
    }
    const st = await component(e.strategy, 'strategy', 'strategy', point);
    const sp = await stopOf(e.stop as StopSpecInput, 'stop', point);
    const sc = await component(e.scheduler, 'scheduler', 'scheduler', point);
    const wls = await Promise.all(e.vms.map((g, i) => component(g.workload, 'workload', `vms[${i}].workload`, point)));
    const config: ScenarioWorkerConfig = { experiment: e, expanded, strategy: st.wc, stop: sp.ws, scheduler: sc.wc, workloads: wls.map((w) => w.wc), baseDir: dirname(abs) };
    const { seed: _s, name: _n, description: _d, $schema: _j, sweep: _w, replications: _r, ...rest } = e;
    const hashInput = { ...rest, strategy: st.norm, stop: sp.norm, scheduler: sc.norm, vms: e.vms.map((g, i) => ({ ...g, workload: wls[i]!.norm })) };
    const configId = shortHash(hashInput);
    if (seen.has(configId)) throw new InputError(`the sweep gives the same configuration twice${configurationSuffix(point)}: remove the duplicate value`, file, 'sweep.params');
    seen.add(configId);
    // A swept value with a unit is written in SI, its unit in the column name.
    const cells = paramCols.map((c) => {
      const v = point.find((p) => p.path === c.path)!.value;
      return cell(c.quantity && (typeof v === 'string' || typeof v === 'number') ? parseQuantity(v, c.quantity, c.path) : typeof v === 'object' && v !== null ? canonical(v) : v);
    });
    cells.push(labelOf(e.strategy), stopLabel(e.stop as StopSpecInput), labelOf(e.scheduler), e.network.model);
    const configIndex = configs.push(config) - 1;
    configMeta.push({ configId, cells });
    for (let r = 0; r < e.replications; r++) {
      const runSeed = deriveSeed(seed, configId, r);
      runs.push({ index: runs.length, runId: shortHash({ config: hashInput, seed, replication: r, runSeed }), configIndex, replication: r, seed: runSeed });
    }
  }
  return {
    kind: 'scenario',
    file,
    fileSha256,
    experiment: { ...check.data, timeline: false },
    seed,
    refs,
    configs,
    configMeta,
    runs,
    paramColumns: paramCols.map((c) => c.name),
    labelColumns: [...SCENARIO_LABEL_COLUMNS],
  };
}

/** The scenario plan of `file` when it is a scenario experiment (JSON with `"kind": "scenario"`), else null. */
export async function scenarioPlanOf(file: string, opts: { seed?: number } = {}): Promise<ScenarioPlan | null> {
  if (!file.endsWith('.json')) return null;
  const doc = readJsonFile(file);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || (doc as { kind?: unknown }).kind !== 'scenario') return null;
  return buildScenarioPlan(file, doc as Record<string, unknown>, opts);
}
