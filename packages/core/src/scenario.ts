/**
 * Scenarios: many VMs on hosts joined by one network, migrations asked for at given times and
 * started when a {@link Scheduler} says so, each run by the same driver as a single migration
 * ({@link driveMigration}) over the one max-min {@link Network}, which they share with the VMs'
 * service traffic and with background flows. Gang migration, host evacuation, per-host limits
 * and migrations competing with other services are all scenarios.
 */
import { driveMigration, type DrivenMigration } from './drive.js';
import { createKernel, type EventHandle, type Kernel } from './kernel.js';
import { createMemory, createMigration, emptyMetrics, type CopyStrategy, type MigrationCosts, type MigrationMetrics } from './migration.js';
import type { PageCosts } from './memory.js';
import type { VmSpec } from './model.js';
import { createNetwork, type Flow, type Network } from './network.js';
import { createRng, type Rng } from './rng.js';
import type { RunningMigration, Scheduler, WaitingMigration } from './schedule.js';
import { createServiceRecorder, serviceDemand, type ServiceModel } from './service.js';
import type { StopCondition } from './stop.js';
import { buildTopology, type NetworkModel, type Topology, type TopologyHost, type TopologySpec } from './topology.js';
import type { Workload } from './workload.js';

/** A host of a scenario. */
export interface ScenarioHost extends TopologyHost {
  /** Memory for VMs in bytes (default: unlimited). A migration starts only when its VM fits at the destination. */
  readonly memory_bytes?: number;
}

/** A VM of a scenario: where it runs and how it migrates when asked to. */
export interface ScenarioVm {
  readonly vm: VmSpec;
  /** Index of the host it runs on at time 0. */
  readonly host: number;
  readonly workload: Workload;
  readonly strategy: CopyStrategy;
  readonly stop: StopCondition;
  /** Random stream of its memory image and migration. */
  readonly rng: Rng;
  /** Its own traffic to clients (leaving its host by the uplink), all the time, migrating or not. */
  readonly service?: ServiceModel;
}

/** A migration asked for. */
export interface ScenarioRequest {
  /** VM index. */
  readonly vm: number;
  /** Destination host index. */
  readonly to: number;
  /** When it is asked for (s, default 0). */
  readonly at_s?: number;
  /** For schedulers that order by it (higher first; default 0). */
  readonly priority?: number;
}

/** Traffic that is not a migration: a flow between two hosts, from `start_s` to `end_s`. */
export interface BackgroundFlow {
  readonly from: number;
  readonly to: number;
  /** Its rate cap (bytes/s); Infinity: it takes whatever the network gives (a bulk transfer). */
  readonly rate_Bps: number;
  readonly start_s?: number;
  /** Default: until the last migration ends. */
  readonly end_s?: number;
  /**
   * On/off traffic (a service with bursts): on for `on_s`, off for `off_s`, from `start_s`, in
   * turn; `exponential` draws each period from an exponential of that mean with a random stream
   * of `seed` (the same periods in the run without migrations the losses are measured against).
   */
  readonly onOff?: { readonly on_s: number; readonly off_s: number; readonly exponential?: boolean; readonly seed?: number };
}

/** What {@link simulateScenario} runs. */
export interface ScenarioSetup {
  readonly hosts: readonly ScenarioHost[];
  readonly topology: TopologySpec;
  readonly model: NetworkModel;
  readonly vms: readonly ScenarioVm[];
  readonly requests: readonly ScenarioRequest[];
  readonly scheduler: Scheduler;
  readonly background?: readonly BackgroundFlow[];
  readonly fidelity: 'fluid' | 'page-exact';
  readonly costs: MigrationCosts;
  readonly pageCosts?: Partial<Omit<PageCosts, 'pageSize_bytes'>>;
  readonly zeroFraction?: number;
  readonly maxActions?: number;
}

/** One migration of a scenario: when it was asked for, started and ended, and its metrics. */
export interface ScenarioMigration {
  readonly request: number;
  readonly vm: string;
  readonly from: string;
  readonly to: string;
  readonly requested_s: number;
  /** NaN when it never started (its destination never had room). */
  readonly start_s: number;
  readonly end_s: number;
  readonly wait_s: number;
  readonly metrics: MigrationMetrics;
}

/** A scenario's metrics over all its migrations. */
export interface ScenarioMetrics {
  /** From the first request to the end of the last migration (s). */
  makespan_s: number;
  migrations: number;
  migrations_completed: number;
  migrations_nonConverged: number;
  migrations_cancelled: number;
  migrations_failed: number;
  downtime_total_s: number;
  downtime_mean_s: number;
  downtime_max_s: number;
  total_time_mean_s: number;
  total_time_max_s: number;
  /** Mean pre-copy rounds per migration (first full pass included). */
  rounds_mean: number;
  bytes_sent: number;
  wait_total_s: number;
  wait_max_s: number;
  /** Most migrations running at once. */
  peak_concurrent: number;
  /** Service bytes the VMs' clients did not get because of the migrations (vs the same traffic without them, to the end of the last migration); 0 without services. */
  service_bytes_lost: number;
  /** Bytes the background flows could not send because of the migrations, over the makespan; 0 without background flows. */
  background_bytes_lost: number;
}

export interface ScenarioResult {
  readonly metrics: ScenarioMetrics;
  readonly migrations: readonly ScenarioMigration[];
}

/** Metrics of a migration that never started. */
const notStarted = (reason: string): MigrationMetrics => ({ ...emptyMetrics(), stop_reason: reason });

function check(setup: ScenarioSetup): void {
  const H = setup.hosts.length;
  const V = setup.vms.length;
  if (H < 2) throw new RangeError(`scenario: needs at least 2 hosts, got ${H}`);
  if (V === 0) throw new RangeError('scenario: has no VMs');
  setup.vms.forEach((v, i) => {
    if (!(Number.isInteger(v.host) && v.host >= 0 && v.host < H)) throw new RangeError(`vms[${i}] (${v.vm.id}): host ${v.host} is not a host index (0 … ${H - 1})`);
  });
  const asked = new Set<number>();
  setup.requests.forEach((r, i) => {
    const vm = setup.vms[r.vm];
    if (!vm) throw new RangeError(`requests[${i}]: VM ${r.vm} is not a VM index (0 … ${V - 1})`);
    if (!(Number.isInteger(r.to) && r.to >= 0 && r.to < H)) throw new RangeError(`requests[${i}] (${vm.vm.id}): destination ${r.to} is not a host index (0 … ${H - 1})`);
    if (r.to === vm.host) throw new RangeError(`requests[${i}]: ${vm.vm.id} already runs on ${setup.hosts[r.to]!.id}; a migration needs another host`);
    if (asked.has(r.vm)) throw new RangeError(`requests[${i}]: ${vm.vm.id} is asked to migrate twice; a scenario migrates each VM at most once`);
    asked.add(r.vm);
    if (!((r.at_s ?? 0) >= 0)) throw new RangeError(`requests[${i}] (${vm.vm.id}): at must be >= 0 s, got ${r.at_s}`);
  });
  setup.background?.forEach((b, i) => {
    if (!(Number.isInteger(b.from) && b.from >= 0 && b.from < H && Number.isInteger(b.to) && b.to >= 0 && b.to < H && b.from !== b.to))
      throw new RangeError(`background[${i}]: needs two different host indices (0 … ${H - 1}), got ${b.from} → ${b.to}`);
    if (b.onOff && !(b.onOff.on_s > 0 && b.onOff.off_s > 0 && Number.isFinite(b.onOff.on_s) && Number.isFinite(b.onOff.off_s)))
      throw new RangeError(`background[${i}]: on and off periods must be finite and > 0 s, got ${b.onOff.on_s} s and ${b.onOff.off_s} s`);
  });
  // Where every VM ends up must fit, or some migration could never start.
  const used = new Float64Array(H);
  const dest = new Map(setup.requests.map((r) => [r.vm, r.to]));
  setup.vms.forEach((v, i) => (used[dest.get(i) ?? v.host]! += v.vm.memory_bytes));
  setup.hosts.forEach((h, i) => {
    if (h.memory_bytes !== undefined && used[i]! > h.memory_bytes)
      throw new RangeError(`host ${h.id}: the VMs placed on it after the migrations need ${used[i]} bytes of memory, it has ${h.memory_bytes}: give it more memory or send fewer VMs there`);
  });
}

/** Service and background streams on a network, without the migrations (the reference the losses are measured against). */
function startTraffic(kernel: Kernel, network: Network, topo: Topology, setup: ScenarioSetup, hostOf: (v: number) => number) {
  const streams: Array<Flow | undefined> = setup.vms.map((v, i) =>
    v.service ? network.stream({ route: topo.exit(hostOf(i)), cap_Bps: serviceDemand(v.service, 'source', 1), latency_s: 0 }) : undefined,
  );
  const background: Array<Flow | undefined> = [];
  const timers: EventHandle[] = [];
  /** The next switch of each on/off flow. */
  const toggles: Array<EventHandle | undefined> = [];
  setup.background?.forEach((b, i) => {
    const path = topo.path(b.from, b.to);
    const cap = Math.min(b.rate_Bps, path.cap_Bps ?? Infinity);
    const onOff = b.onOff;
    const begin = (): void => {
      const f = (background[i] = network.stream({ ...path, cap_Bps: cap, latency_s: 0 }));
      if (!onOff) return;
      // The periods, drawn in order from the flow's own stream: the same in every run.
      const rng = onOff.exponential ? createRng(onOff.seed ?? i + 1) : undefined;
      const period = (mean: number): number => (rng ? rng.exponential(1 / mean) : mean);
      const toggle = (on: boolean): void => {
        f.setCap(on ? cap : 0);
        toggles[i] = kernel.schedule(period(on ? onOff.on_s : onOff.off_s), () => toggle(!on));
      };
      toggle(true);
    };
    if ((b.start_s ?? 0) > 0) timers.push(kernel.at(b.start_s!, begin));
    else begin();
    if (b.end_s !== undefined && Number.isFinite(b.end_s))
      timers.push(
        kernel.at(b.end_s, () => {
          background[i]?.cancel();
          if (toggles[i]) kernel.cancel(toggles[i]!);
        }),
      );
  });
  const backgroundBytes = (): number => background.reduce((s, f) => s + (f ? f.delivered_bytes : 0), 0);
  const stopAll = (): void => {
    for (const t of timers) kernel.cancel(t);
    for (const t of toggles) if (t) kernel.cancel(t);
    for (const f of streams) f?.cancel();
    for (const f of background) f?.cancel();
  };
  return { streams, background, backgroundBytes, stopAll };
}

/** Run the scenario until its last migration ends. */
export function simulateScenario(setup: ScenarioSetup): ScenarioResult {
  check(setup);
  const { hosts, vms, requests } = setup;
  const topo = buildTopology(hosts, setup.topology, setup.model);
  const kernel = createKernel();
  const network = createNetwork(kernel, topo.links);
  const hostOf = new Int32Array(vms.map((v) => v.host));
  const used = new Float64Array(hosts.length);
  vms.forEach((v) => (used[v.host]! += v.vm.memory_bytes));
  const traffic = startTraffic(kernel, network, topo, setup, (v) => hostOf[v]!);
  const served = new Float64Array(vms.length);

  const waiting: WaitingMigration[] = [];
  const running = new Map<number, RunningMigration & { driven?: DrivenMigration }>();
  const results: Array<ScenarioMigration | undefined> = new Array(requests.length);
  const first_s = requests.reduce((m, r) => Math.min(m, r.at_s ?? 0), Infinity);
  let arrived = 0;
  let peak = 0;
  let end_s = first_s;
  let done = false;
  let endBackground = 0;
  const endServed = new Float64Array(vms.length);

  const bottleneck = (route: readonly number[]): number => route.reduce((m, l) => Math.min(m, topo.links[l]!.bandwidth_Bps), Infinity);
  const fits = (w: { vm: string; toHost: number; memory_bytes: number }): boolean => {
    const cap = hosts[w.toHost]!.memory_bytes;
    return cap === undefined || used[w.toHost]! + w.memory_bytes <= cap;
  };

  const finishAll = (): void => {
    if (done || arrived < requests.length || running.size > 0) return;
    // Waiting requests that nothing running can make room for never start.
    for (const w of waiting)
      results[w.id] = { request: w.id, vm: w.vm, from: w.from, to: w.to, requested_s: w.requested_s, start_s: NaN, end_s: kernel.now, wait_s: kernel.now - w.requested_s, metrics: notStarted(`${w.to} never had room for it`) };
    waiting.length = 0;
    done = true;
    end_s = kernel.now;
    endBackground = traffic.backgroundBytes();
    traffic.streams.forEach((f, i) => (endServed[i] = served[i]! + (f ? f.delivered_bytes : 0)));
    traffic.stopAll();
  };

  const start = (w: WaitingMigration): void => {
    const r = requests[w.id]!;
    const vm = vms[r.vm]!;
    const from = hostOf[r.vm]!;
    used[r.to]! += vm.vm.memory_bytes;
    const stream = traffic.streams[r.vm];
    if (stream) {
      served[r.vm]! += stream.delivered_bytes;
      stream.cancel();
      traffic.streams[r.vm] = undefined;
    }
    const memory = createMemory({ vm: vm.vm, workload: vm.workload, fidelity: setup.fidelity, ...(setup.pageCosts ? { pageCosts: setup.pageCosts } : {}), ...(setup.zeroFraction !== undefined ? { zeroFraction: setup.zeroFraction } : {}), rng: vm.rng });
    const mig = createMigration({ vm: vm.vm, memory, stop: vm.stop, costs: setup.costs, destinationFree_bytes: Infinity, rng: vm.rng, trace: false, start_s: kernel.now });
    const rec = vm.service ? createServiceRecorder(false) : undefined;
    const entry: RunningMigration & { driven?: DrivenMigration } = { id: w.id, vm: w.vm, fromHost: from, toHost: r.to, started_s: kernel.now, route: w.route };
    running.set(w.id, entry);
    peak = Math.max(peak, running.size);
    entry.driven = driveMigration({
      kernel,
      network,
      m: mig.m,
      clock: mig.clock,
      strategy: vm.strategy,
      path: topo.path(from, r.to),
      ...(vm.service && rec ? { service: { model: vm.service, sourceRoute: topo.exit(from), destinationRoute: topo.exit(r.to) }, recorder: rec } : {}),
      ...(setup.maxActions !== undefined ? { maxActions: setup.maxActions } : {}),
      onEnd: () => {
        const m = mig.metrics;
        running.delete(w.id);
        const moved = m.status === 'completed';
        if (moved) {
          used[from]! -= vm.vm.memory_bytes;
          hostOf[r.vm] = r.to;
        } else used[r.to]! -= vm.vm.memory_bytes;
        if (rec) served[r.vm]! += rec.served_bytes;
        if (vm.service && !m.vm_lost) traffic.streams[r.vm] = network.stream({ route: topo.exit(hostOf[r.vm]!), cap_Bps: serviceDemand(vm.service, 'source', 1), latency_s: 0 });
        results[w.id] = { request: w.id, vm: w.vm, from: w.from, to: w.to, requested_s: w.requested_s, start_s: entry.started_s, end_s: kernel.now, wait_s: entry.started_s - w.requested_s, metrics: m };
        consult();
        finishAll();
      },
    });
  };

  let consulting = false;
  let again = false;
  /** Ask the scheduler which waiting migrations start now, and start them. */
  const consult = (): void => {
    if (consulting) {
      again = true;
      return;
    }
    consulting = true;
    do {
      again = false;
      if (waiting.length === 0) break;
      const view = { now_s: kernel.now, waiting: waiting.map((w) => ({ ...w, fits: fits(w) })), running: [...running.values()].map(({ driven: _, ...r }) => r), hostCount: hosts.length };
      const picked = setup.scheduler.select(view);
      for (const id of picked) {
        const i = waiting.findIndex((w) => w.id === id);
        if (i < 0 || !fits(waiting[i]!)) continue;
        const [w] = waiting.splice(i, 1);
        start(w!);
      }
    } while (again);
    consulting = false;
  };

  const arrive = (id: number): void => {
    const r = requests[id]!;
    const vm = vms[r.vm]!;
    const from = hostOf[r.vm]!;
    const route = topo.route(from, r.to);
    const dirty = vm.workload.writeRate(kernel.now) * vm.vm.pageSize_bytes;
    const bw = Math.min(bottleneck(route), topo.path(from, r.to).cap_Bps ?? Infinity);
    waiting.push({
      id,
      vm: vm.vm.id,
      fromHost: from,
      toHost: r.to,
      from: hosts[from]!.id,
      to: hosts[r.to]!.id,
      memory_bytes: vm.vm.memory_bytes,
      dirtyRate_Bps: dirty,
      requested_s: kernel.now,
      route,
      estimate_s: dirty < bw ? vm.vm.memory_bytes / (bw - dirty) : Infinity,
      fits: true,
      priority: r.priority ?? 0,
    });
    arrived++;
  };

  // Requests of the same instant arrive together, in request order, before the scheduler is asked.
  const byTime = new Map<number, number[]>();
  requests.forEach((r, i) => {
    const t = r.at_s ?? 0;
    const list = byTime.get(t);
    if (list) list.push(i);
    else byTime.set(t, [i]);
  });
  for (const [t, ids] of [...byTime].sort((a, b) => a[0] - b[0]))
    kernel.at(t, () => {
      for (const id of ids) arrive(id);
      consult();
      finishAll();
    });
  if (requests.length === 0) finishAll();
  kernel.run();
  if (!done) throw new Error('scenario: the kernel ran dry with migrations unfinished (a strategy waits for nothing)');

  const losses = measureLosses(setup, topo, end_s, endServed, endBackground);
  const list = results as ScenarioMigration[];
  const started = list.filter((x) => !Number.isNaN(x.start_s));
  const mm: ScenarioMetrics = {
    makespan_s: requests.length ? end_s - first_s : 0,
    migrations: list.length,
    migrations_completed: list.filter((x) => x.metrics.status === 'completed').length,
    migrations_nonConverged: started.filter((x) => !x.metrics.converged).length,
    migrations_cancelled: list.filter((x) => x.metrics.status === 'cancelled').length,
    migrations_failed: list.filter((x) => x.metrics.status === 'failed').length,
    downtime_total_s: 0,
    downtime_mean_s: 0,
    downtime_max_s: 0,
    total_time_mean_s: 0,
    total_time_max_s: 0,
    rounds_mean: 0,
    bytes_sent: 0,
    wait_total_s: 0,
    wait_max_s: 0,
    peak_concurrent: peak,
    service_bytes_lost: losses.service,
    background_bytes_lost: losses.background,
  };
  for (const x of list) {
    mm.downtime_total_s += x.metrics.downtime_s;
    mm.downtime_max_s = Math.max(mm.downtime_max_s, x.metrics.downtime_s);
    mm.total_time_mean_s += x.metrics.total_time_s;
    mm.total_time_max_s = Math.max(mm.total_time_max_s, x.metrics.total_time_s);
    mm.bytes_sent += x.metrics.bytes_sent;
    mm.rounds_mean += x.metrics.rounds;
    mm.wait_total_s += x.wait_s;
    mm.wait_max_s = Math.max(mm.wait_max_s, x.wait_s);
  }
  if (list.length) {
    mm.downtime_mean_s = mm.downtime_total_s / list.length;
    mm.total_time_mean_s /= list.length;
    mm.rounds_mean /= list.length;
  }
  return { metrics: mm, migrations: list };
}

/**
 * Service and background bytes lost to the migrations: the same traffic without them, run to
 * the same end, minus what was delivered. Negative when the new placement served more.
 */
function measureLosses(setup: ScenarioSetup, topo: Topology, end_s: number, served: Float64Array, background_bytes: number): { service: number; background: number } {
  if (!setup.vms.some((v) => v.service) && !setup.background?.length) return { service: 0, background: 0 };
  const kernel = createKernel();
  const network = createNetwork(kernel, topo.links);
  const t = startTraffic(kernel, network, topo, setup, (v) => setup.vms[v]!.host);
  kernel.run(end_s);
  // Rates are constant after the last event before end_s: extend each stream to end_s.
  const at = (f: Flow | undefined): number => (f ? f.delivered_bytes + f.rate_Bps * (end_s - kernel.now) : 0);
  let service = 0;
  t.streams.forEach((f, i) => (service += setup.vms[i]!.service ? at(f) - served[i]! : 0));
  const background = t.background.reduce((sum, f) => sum + at(f), 0) - background_bytes;
  return { service, background };
}
