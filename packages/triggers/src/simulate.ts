/**
 * The cluster simulation: hosts with power models, VMs whose CPU demand follows utilisation
 * traces, a trigger policy consulted every decision interval, and migrations that cost either
 * what CloudSim charges (RAM ÷ half the NIC bandwidth, 10 % CPU) or what a real copy strategy
 * takes over the shared network (core's one max-min fair network, each migration run by core's driver as a single one is).
 */
import {
  createKernel,
  createNetwork,
  driveMigration,
  routeLatency,
  type DrivenMigration,
  createMemory,
  createMigration,
  createRng,
  deriveSeed,
  DEFAULT_COSTS,
  resolveOptions,
  simulateMigration,
  starCluster,
  type CopyStrategy,
  type EventHandle,
  type HostSpec,
  type MigrationCosts,
  type MigrationMetrics,
  type MigrationStatus,
  type Rng,
  type StopCondition,
  type TriggerPolicy,
  type VmSpec,
} from '@livemig/core';
import { uniform } from '@livemig/workloads';
import { HISTORY_LENGTH } from './plan.js';
import type { PowerModel } from './power.js';
import type { SimClusterView, SimHostView, SimVmView } from './view.js';

/** A physical host of the simulated cluster. */
export interface ClusterHost extends HostSpec {
  readonly power: PowerModel;
}

/** A VM: its capacity, memory and CPU-utilisation trace. */
export interface ClusterVm {
  readonly id: string;
  /** Full CPU capacity (MIPS, all vCPUs). */
  readonly mips: number;
  readonly vcpus: number;
  readonly memory_bytes: number;
  readonly pageSize_bytes?: number;
  /** CPU utilisation (0..1 of `mips`), one sample per decision interval; linear between samples, the last held. */
  readonly utilisation: ArrayLike<number>;
}

/** CloudSim's migration model: time = RAM ÷ (bandwidthShare × destination NIC), no downtime, no contention. */
export interface CloudSimCosts {
  readonly mode: 'cloudsim';
  /** Share of the NIC a migration gets (CloudSim: 0.5, the other half is for the VMs' traffic). */
  readonly bandwidthShare?: number;
}

/** Migrations run a copy strategy over the shared network. */
export interface StrategyCosts {
  readonly mode: 'strategy';
  readonly strategy: CopyStrategy;
  readonly stop: StopCondition;
  readonly fidelity?: 'fluid' | 'page-exact';
  /** Pages per second the guest writes at CPU utilisation u (default u × maxDirtyRate_pages_s). */
  readonly dirtyRate_pages_s?: (utilisation: number, vm: ClusterVm) => number;
  /** Used by the default dirty-rate mapping. */
  readonly maxDirtyRate_pages_s?: number;
  /** Working set of the writes as a fraction of memory (default 0.25). */
  readonly workingSetFraction?: number;
  readonly costs?: Partial<MigrationCosts>;
  /** Core switch capacity (default: unlimited, i.e. only NICs are shared). */
  readonly core_Bps?: number;
  readonly latency_s?: number;
  /** Cap of a migration's rate as a share of the NIC (default 1). */
  readonly bandwidthShare?: number;
}

export type MigrationCostModel = CloudSimCosts | StrategyCosts;

/** Host failures drawn from exponential MTBF/MTTR distributions; failed hosts' VMs restart elsewhere. */
/** One host failure of a failure trace. */
export interface HostFailure {
  /** Host index. */
  readonly host: number;
  readonly at_s: number;
  /** Down time until it is repaired. */
  readonly repair_s: number;
}

/**
 * Host failures: drawn from exponential MTBF/MTTR distributions (`mtbf_s`, `mttr_s`), or replayed
 * from a trace (`trace`: each host's failures, e.g. from a data centre's logs). The VMs of a failed
 * host are lost until the manager notices (`detection_s`) and has restarted them elsewhere
 * (`boot_s`).
 */
export interface FailureModel {
  readonly mtbf_s?: number;
  readonly mttr_s?: number;
  /** Replay these failures instead of drawing them (a failure of a host that is down is ignored). */
  readonly trace?: readonly HostFailure[];
  /** Time until the manager notices a failure (default 30 s). */
  readonly detection_s?: number;
  /** Boot time of a restarted VM (default 60 s). */
  readonly boot_s?: number;
  /** Failures are announced this long ahead in `HostView.failureIn_s` (a perfect predictor; default 0). */
  readonly announce_s?: number;
}

export interface ClusterSimOptions {
  readonly hosts: readonly ClusterHost[];
  readonly vms: readonly ClusterVm[];
  readonly trigger: TriggerPolicy;
  /**
   * Initial host of each VM, or 'pabfd' (power-aware best fit at full VM capacity: the host whose
   * power rises least with the VMs placed so far; this is CloudSim 4.0's initial placement, whose
   * `getUtilizationOfCpuMips(host)` sums the MIPS allocated to the VMs already created on the host,
   * so that every VM goes to an empty host while there is one), or 'cloudsim' (CloudSim 3.0's
   * initial PABFD, which takes every host's measured load, `host.getUtilizationOfCpuMips()`, as 0
   * when the VMs are created: each VM goes to the first host, of the type whose power rises least
   * from idle, where its full MIPS and memory fit). Default 'pabfd'.
   */
  readonly placement?: readonly number[] | 'pabfd' | 'cloudsim';
  readonly interval_s?: number;
  /** Decisions at k × interval + this (k ≥ 1); CloudSim: 0.1 s, so demand there is interpolated. Default 0. */
  readonly decisionOffset_s?: number;
  /** Record a history sample at t = 0 (CloudSim records the first at the first decision). Default true. */
  readonly historyAtStart?: boolean;
  /**
   * A VM whose demand is exactly 0 at a decision (or when its migration ends) has finished and
   * leaves the cluster for good (CloudSim's `getCompletedVms`: with decisions at 300k + 0.1 s, a
   * PlanetLab VM ends at the first interval whose two samples are both 0). Default false.
   */
  readonly endVmsAtZeroDemand?: boolean;
  /** Default: the longest trace × interval. */
  readonly duration_s?: number;
  readonly migration?: MigrationCostModel;
  /** CPU share of a migrating VM's demand added at the destination and lost by the VM during migration (CloudSim: 0.1). */
  readonly cpuOverhead?: number;
  /** When a host counts as switched off: 'empty' (no VM) or 'idle' (0 % CPU, CloudSim). Default 'empty'. */
  readonly offWhen?: 'empty' | 'idle';
  /** CloudSim records no history sample when a VM's utilisation is 0. Default false. */
  readonly historySkipsZeros?: boolean;
  /**
   * Count energy and active (SLATAH) time only from the first decision on, as CloudSim does: its
   * `PowerDatacenter` first updates the hosts at the first decision, with every host's previous
   * utilisation 0, and `PowerHost.getEnergyLinearInterpolation` charges nothing for an interval that
   * starts at 0 %. Default false.
   */
  readonly energyFromFirstDecision?: boolean;
  /**
   * A host receiving a migration counts as saturated (SLATAH) for as long as it does, as in CloudSim:
   * `HostDynamicWorkload.updateVmsProcessing` adds the incoming VM's full requested MIPS to the host's
   * requested total while the scheduler allocates it only the overhead share, so requested >
   * allocated. Default false (saturated = some VM gets less CPU than it asks).
   */
  readonly slaCountsIncoming?: boolean;
  /**
   * At most this many migrations run at once on a host (in or out, counted per host as hypervisors
   * do: libvirt/OpenStack `max_concurrent_live_migrations`, vSphere's per-host limits); further
   * requests wait in a FIFO queue, the VM holding its place at the destination without using its
   * CPU there, and start as soon as both hosts have a free slot. Default unlimited (CloudSim).
   */
  readonly maxMigrationsPerHost?: number;
  /** Boot time of a switched-off host chosen as a destination; the migration waits for it. Default 0. */
  readonly powerOnDelay_s?: number;
  readonly failures?: FailureModel;
  /**
   * Strategy costs: a migration fails when the destination lacks free memory for the VM (core's
   * check). Set false when the policy does not check memory either (CloudSim's PlanetLab setup,
   * `checkMemory: false`), so that only the costs differ from cloudsim mode. Default true.
   */
  readonly checkDestinationMemory?: boolean;
  readonly seed?: number;
  /** Keep one record per migration in the result. */
  readonly recordMigrations?: boolean;
}

/** One migration of the cluster run. */
export interface MigrationRecord {
  readonly vm: number;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
  readonly start_s: number;
  readonly end_s: number;
  readonly status: MigrationStatus;
  readonly converged: boolean;
  readonly downtime_s: number;
  readonly bytes: number;
  /** Seconds it waited for a migration slot before `start_s`. */
  readonly wait_s: number;
}

/** The metrics of a cluster run (defined in the README). */
export interface ClusterMetrics {
  energy_kWh: number;
  /** Mean over hosts of (time at 100 % CPU ÷ active time). */
  slatah: number;
  /** CloudSim's pooled variant: Σ time at 100 % ÷ Σ active time. */
  slatah_pooled: number;
  /** Mean over VMs of (CPU lost to migrations ÷ CPU requested). */
  pdm: number;
  /** CloudSim's pooled variant: Σ lost ÷ Σ requested. */
  pdm_pooled: number;
  slav: number;
  esv: number;
  migrations: number;
  migrations_completed: number;
  migrations_nonConverged: number;
  migrations_cancelled: number;
  migrations_failed: number;
  downtime_total_s: number;
  downtime_mean_s: number;
  /** Σ and largest wait of a migration for a slot (`maxMigrationsPerHost`). */
  migrationWait_total_s: number;
  migrationWait_max_s: number;
  downtime_max_s: number;
  migration_bytes: number;
  /** VM-hours lost to host failures (failure → running again elsewhere). */
  vmHoursLost: number;
  hostFailures: number;
  decisions: number;
  /** Mean number of switched-on hosts at decision points. */
  activeHosts_mean: number;
  /** Requests the simulation ignored (VM already migrating, target failed or the VM's own host). */
  requestsIgnored: number;
  /** VMs that ended at zero demand (`endVmsAtZeroDemand`). */
  vmsEnded: number;
}

export interface ClusterResult {
  readonly metrics: ClusterMetrics;
  readonly migrations: readonly MigrationRecord[];
  /** Final host of each VM (−1: down, or ended with `endVmsAtZeroDemand`). */
  readonly placement: readonly number[];
}

interface Running {
  v: number;
  from: number;
  to: number;
  reason: string;
  /** When the policy asked for it; `start_s` is when it started (later if it waited for a slot). */
  requested_s: number;
  start_s: number;
  /** Waiting for a migration slot on its source or destination (`maxMigrationsPerHost`). */
  queued: boolean;
  /** Its request number: names its random streams, so waiting does not change them. */
  index: number;
  /** The destination was off when the migration was asked for (power-on delay). */
  wasOff: boolean;
  demandAtStart: number;
  timer?: EventHandle;
  driven?: DrivenMigration;
  dead: boolean;
}

const J_PER_KWH = 3.6e6;

/** Run the cluster for `duration_s` and return its metrics. */
/** createRng(deriveSeed(seed, `${prefix}${index}`)), made at the first draw. */
class LazyRng implements Rng {
  private rng: Rng | null = null;
  constructor(
    private readonly seed: number,
    private readonly prefix: string,
    private readonly index: number,
  ) {}
  private get stream(): Rng {
    return (this.rng ??= createRng(deriveSeed(this.seed, `${this.prefix}${this.index}`)));
  }
  next(): number {
    return this.stream.next();
  }
  int(n: number): number {
    return this.stream.int(n);
  }
  exponential(rate: number): number {
    return this.stream.exponential(rate);
  }
  normal(): number {
    return this.stream.normal();
  }
}

export function simulateCluster(o: ClusterSimOptions): ClusterResult {
  const interval = o.interval_s ?? 300;
  const H = o.hosts.length;
  const V = o.vms.length;
  if (H === 0) throw new RangeError('simulateCluster: hosts is empty');
  if (!(interval > 0)) throw new RangeError(`simulateCluster: interval_s must be > 0, got ${interval}`);
  o.vms.forEach((vm, i) => {
    if (vm.utilisation.length === 0) throw new RangeError(`simulateCluster: vms[${i}] (${vm.id}): utilisation trace is empty`);
    if (!(vm.mips > 0)) throw new RangeError(`simulateCluster: vms[${i}] (${vm.id}): mips must be > 0, got ${vm.mips}`);
  });
  const maxLen = o.vms.reduce((m, vm) => Math.max(m, vm.utilisation.length), 0);
  const duration = o.duration_s ?? maxLen * interval;
  const costModel: MigrationCostModel = o.migration ?? { mode: 'cloudsim' };
  const overhead = o.cpuOverhead ?? 0.1;
  const offWhen = o.offWhen ?? 'empty';
  const slaCountsIncoming = o.slaCountsIncoming ?? false;
  const seed = o.seed ?? 1;
  const rngFor = (name: string): Rng => createRng(deriveSeed(seed, name));
  /**
   * The stream rngFor(`${prefix}${index}`) would give, made at its first draw: a migration gets
   * two streams (its memory image's and its workload's), which fluid memory never draws from.
   */
  const lazyRngFor = (prefix: string, index: number): Rng => new LazyRng(seed, prefix, index);

  const kernel = createKernel();
  const cluster = starCluster(o.hosts, {
    core_Bps: costModel.mode === 'strategy' ? (costModel.core_Bps ?? 1e18) : 1e18,
    latency_s: costModel.mode === 'strategy' ? (costModel.latency_s ?? 0) : 0,
  });
  const net = createNetwork(kernel, cluster.links);

  // --- state
  const hostVms: number[][] = Array.from({ length: H }, () => []);
  const vmHost = new Int32Array(V).fill(-1);
  const running: Array<Running | null> = new Array(V).fill(null);
  const failed = new Uint8Array(H);
  const failureAt = new Float64Array(H).fill(Infinity);
  const nicBusy = new Int32Array(H);
  const vmHist: number[][] = Array.from({ length: V }, () => []);
  const hostHist: number[][] = Array.from({ length: H }, () => []);
  // energy / SLA accounting per host: state at the last mark
  const lastT = new Float64Array(H);
  const lastU = new Float64Array(H);
  const lastOn = new Uint8Array(H);
  const lastSat = new Uint8Array(H);
  const activeTime = new Float64Array(H);
  const satTime = new Float64Array(H);
  let energy_J = 0;
  const requested_MIs = new Float64Array(V);
  const degraded_MIs = new Float64Array(V);
  const downSince = new Float64Array(V).fill(NaN);
  const records: MigrationRecord[] = [];
  const m: ClusterMetrics = {
    energy_kWh: 0,
    slatah: 0,
    slatah_pooled: 0,
    pdm: 0,
    pdm_pooled: 0,
    slav: 0,
    esv: 0,
    migrations: 0,
    migrations_completed: 0,
    migrations_nonConverged: 0,
    migrations_cancelled: 0,
    migrations_failed: 0,
    downtime_total_s: 0,
    downtime_mean_s: 0,
    migrationWait_total_s: 0,
    migrationWait_max_s: 0,
    downtime_max_s: 0,
    migration_bytes: 0,
    vmHoursLost: 0,
    hostFailures: 0,
    decisions: 0,
    activeHosts_mean: 0,
    requestsIgnored: 0,
    vmsEnded: 0,
  };
  const offset = o.decisionOffset_s ?? 0;
  if (!(offset >= 0 && offset < interval)) throw new RangeError(`simulateCluster: decisionOffset_s must be in [0, interval_s), got ${offset}`);
  /** Time each VM ended (endVmsAtZeroDemand), NaN while it runs. */
  const endedAt = new Float64Array(V).fill(NaN);

  const sample = (v: number, k: number): number => {
    const u = o.vms[v]!.utilisation;
    return u[Math.min(k, u.length - 1)]!;
  };
  /** CPU utilisation of VM v at time t (linear between samples). */
  const utilAt = (v: number, t: number): number => {
    const x = t / interval;
    const k = Math.floor(x + 1e-9);
    const f = x - k;
    const a = sample(v, k);
    return f <= 1e-9 ? a : a + (sample(v, k + 1) - a) * f;
  };
  const demandAt = (v: number, t: number): number => utilAt(v, t) * o.vms[v]!.mips;

  /** Load of host h at time t with its current VMs. */
  const load = (h: number, t: number): { u: number; sat: boolean } => {
    const host = o.hosts[h]!;
    const cap = host.mipsPerCore * host.cores;
    let alloc = 0;
    let sat = false;
    for (const v of hostVms[h]!) {
      const d = demandAt(v, t);
      const capped = Math.min(d, host.mipsPerCore * o.vms[v]!.vcpus);
      const r = running[v];
      const incoming = r !== null && r !== undefined && r.to === h;
      // A migration waiting for a slot holds the VM's place at the destination, nothing more.
      if (incoming && r.queued) continue;
      if (incoming) {
        alloc += overhead * capped;
        // CloudSim asks the VM's full demand of the destination but allocates it the overhead only.
        if (slaCountsIncoming) sat = true;
      }
      else {
        alloc += capped;
        if (capped < d - 1e-9) sat = true;
      }
    }
    if (alloc > cap * (1 + 1e-12)) sat = true;
    return { u: Math.min(1, alloc / cap), sat };
  };
  const isOn = (h: number, u: number): boolean => !failed[h] && (offWhen === 'idle' ? u > 0 : hostVms[h]!.length > 0);

  /** Account energy and SLA time of host h up to now with its current VMs. */
  const touch = (h: number): void => {
    const t = kernel.now;
    const dt = t - lastT[h]!;
    if (dt > 0 && lastOn[h]) {
      const { u } = load(h, t);
      const p = o.hosts[h]!.power;
      energy_J += ((p.power_W(lastU[h]!) + p.power_W(u)) / 2) * dt;
      activeTime[h]! += dt;
      if (lastSat[h]) satTime[h]! += dt;
    }
    lastT[h] = t;
  };
  /** Record host h's state after a change (the start of its next accounting segment). */
  const mark = (h: number): void => {
    const { u, sat } = load(h, kernel.now);
    lastT[h] = kernel.now;
    lastU[h] = u;
    lastOn[h] = isOn(h, u) ? 1 : 0;
    lastSat[h] = sat ? 1 : 0;
  };

  // --- initial placement
  if (o.placement === undefined || o.placement === 'pabfd' || o.placement === 'cloudsim') {
    const measuredZero = o.placement === 'cloudsim';
    const full = new Float64Array(H);
    const mem = new Float64Array(H);
    for (let v = 0; v < V; v++) {
      const vm = o.vms[v]!;
      let best = -1;
      let min = Infinity;
      for (let h = 0; h < H; h++) {
        const host = o.hosts[h]!;
        const cap = host.mipsPerCore * host.cores;
        if (vm.mips / vm.vcpus > host.mipsPerCore || full[h]! + vm.mips > cap || mem[h]! + vm.memory_bytes > host.memory_bytes) continue;
        const diff = host.power.power_W(((measuredZero ? 0 : full[h]!) + vm.mips) / cap) - host.power.power_W(0);
        if (diff < min) {
          min = diff;
          best = h;
        }
      }
      if (best < 0) throw new RangeError(`simulateCluster: initial placement: vms[${v}] (${vm.id}, ${vm.mips} MIPS) fits on no host`);
      full[best]! += vm.mips;
      mem[best]! += vm.memory_bytes;
      vmHost[v] = best;
      hostVms[best]!.push(v);
    }
  } else {
    if (o.placement.length !== V) throw new RangeError(`simulateCluster: placement has ${o.placement.length} entries for ${V} VMs`);
    o.placement.forEach((h, v) => {
      if (!(Number.isInteger(h) && h >= 0 && h < H)) throw new RangeError(`simulateCluster: placement[${v}] = ${h} is not a host index`);
      vmHost[v] = h;
      hostVms[h]!.push(v);
    });
  }

  // --- migration time estimates (for MMT and LR's look-ahead)
  // One estimate per (memory, page size, NIC, rounded dirty rate): a map per (memory, page size,
  // NIC) of maps by rate; each VM keeps the map of its last NIC.
  const estimateCache = new Map<string, Map<number, number>>();
  const vmNic = new Float64Array(V).fill(NaN);
  const vmEstimates: Array<Map<number, number> | undefined> = new Array(V);
  const estimate = (v: number): number => {
    const vm = o.vms[v]!;
    const h = vmHost[v]!;
    const nic = h >= 0 ? o.hosts[h]!.nic_Bps : o.hosts[0]!.nic_Bps;
    if (costModel.mode === 'cloudsim') return vm.memory_bytes / (nic * (costModel.bandwidthShare ?? 0.5));
    const rate = dirtyRate(v, utilAt(v, kernel.now));
    const rounded = Math.round(rate);
    let byRate = vmEstimates[v];
    if (byRate === undefined || !Object.is(nic, vmNic[v])) {
      const group = `${vm.memory_bytes}:${vm.pageSize_bytes ?? 4096}:${nic}`;
      byRate = estimateCache.get(group);
      if (byRate === undefined) estimateCache.set(group, (byRate = new Map()));
      vmEstimates[v] = byRate;
      vmNic[v] = nic;
    }
    let e = byRate.get(rounded);
    if (e === undefined) {
      const key = `${vm.memory_bytes}:${vm.pageSize_bytes ?? 4096}:${nic}:${rounded}`;
      try {
        const spec = vmSpec(v);
        const { metrics } = simulateMigration({
          vm: spec,
          strategy: costModel.strategy,
          stop: costModel.stop,
          workload: workloadFor(v, rate, rngFor(`estimate:${key}`)),
          fidelity: 'fluid',
          bandwidth_Bps: nic * (costModel.bandwidthShare ?? 1),
          latency_s: costModel.latency_s ?? 0,
          costs: costModel.costs,
          rng: rngFor(`estimate-mem:${key}`),
        });
        e = metrics.total_time_s;
      } catch {
        e = vm.memory_bytes / nic;
      }
      byRate.set(rounded, e);
    }
    return e;
  };
  // One spec per VM, made at its first migration (nothing changes a spec).
  const vmSpecs: Array<VmSpec | undefined> = new Array(V);
  const vmSpec = (v: number): VmSpec => {
    let spec = vmSpecs[v];
    if (spec === undefined) {
      const vm = o.vms[v]!;
      spec = vmSpecs[v] = { id: vm.id, memory_bytes: vm.memory_bytes, pageSize_bytes: vm.pageSize_bytes ?? 4096, vcpus: vm.vcpus };
    }
    return spec;
  };
  const migrationCosts = costModel.mode === 'strategy' ? { ...DEFAULT_COSTS, ...costModel.costs } : DEFAULT_COSTS;
  const dirtyRate = (v: number, u: number): number => {
    if (costModel.mode !== 'strategy') return 0;
    if (costModel.dirtyRate_pages_s) return costModel.dirtyRate_pages_s(u, o.vms[v]!);
    return u * (costModel.maxDirtyRate_pages_s ?? 0);
  };
  // The workload options are parsed once: a finite rate r >= 0 (a number: pages/s) resolves to the
  // first ones with rate { pages_per_s: r }, which is checked on the first parse.
  type UniformOptions = Parameters<typeof uniform.create>[0];
  let workloadTemplate: UniformOptions | null | undefined;
  const workloadOptions = (rate: number, wsf: number): UniformOptions => {
    if (workloadTemplate && Number.isFinite(rate) && rate >= 0) return { ...workloadTemplate, rate: { pages_per_s: rate } };
    const options = resolveOptions(uniform, { rate, workingSetFraction: wsf }, 'migration.workload');
    if (workloadTemplate === undefined) {
      const r = options.rate as { pages_per_s?: unknown };
      workloadTemplate = Object.keys(r).length === 1 && Object.is(r.pages_per_s, rate) ? options : null;
    }
    return options;
  };
  const workloadFor = (v: number, rate: number, rng: Rng) => {
    const spec = vmSpec(v);
    const ctx = { pageCount: Math.ceil(spec.memory_bytes / spec.pageSize_bytes), pageSize_bytes: spec.pageSize_bytes, rng };
    const wsf = costModel.mode === 'strategy' ? (costModel.workingSetFraction ?? 0.25) : 1;
    const options = workloadOptions(rate, wsf);
    return uniform.create(options, ctx);
  };

  /** With `endVmsAtZeroDemand`: VM v, running and not migrating, ends if its demand is 0 now. */
  const endIfIdle = (v: number): void => {
    const h = vmHost[v]!;
    if (!o.endVmsAtZeroDemand || h < 0 || running[v] || !Number.isNaN(downSince[v]!) || demandAt(v, kernel.now) !== 0) return;
    touch(h);
    const list = hostVms[h]!;
    list.splice(list.indexOf(v), 1);
    vmHost[v] = -1;
    endedAt[v] = kernel.now;
    m.vmsEnded++;
    mark(h);
  };

  // --- migrations
  const finishMigration = (r: Running, status: MigrationStatus, mm: Pick<MigrationMetrics, 'converged' | 'downtime_s' | 'bytes_sent' | 'app_degradation_s'>): void => {
    if (r.dead) return;
    r.dead = true;
    touch(r.from);
    touch(r.to);
    const t = kernel.now;
    const dur = t - r.start_s;
    if (status === 'completed') {
      hostVms[r.from]!.splice(hostVms[r.from]!.indexOf(r.v), 1);
      vmHost[r.v] = r.to;
    } else {
      hostVms[r.to]!.splice(hostVms[r.to]!.indexOf(r.v), 1);
    }
    running[r.v] = null;
    if (!r.queued) {
      nicBusy[r.from]!--;
      nicBusy[r.to]!--;
    }
    mark(r.from);
    mark(r.to);
    degraded_MIs[r.v]! += overhead * r.demandAtStart * dur + r.demandAtStart * mm.app_degradation_s;
    if (status === 'completed') m.migrations_completed++;
    else if (status === 'cancelled') m.migrations_cancelled++;
    else m.migrations_failed++;
    if (!mm.converged && costModel.mode === 'strategy') m.migrations_nonConverged++;
    endIfIdle(r.v);
    m.downtime_total_s += mm.downtime_s;
    m.downtime_max_s = Math.max(m.downtime_max_s, mm.downtime_s);
    m.migration_bytes += mm.bytes_sent;
    if (o.recordMigrations)
      records.push({
        vm: r.v,
        from: r.from,
        to: r.to,
        reason: r.reason,
        start_s: r.start_s,
        end_s: t,
        status,
        converged: mm.converged,
        downtime_s: mm.downtime_s,
        bytes: mm.bytes_sent,
        wait_s: r.start_s - r.requested_s,
      });
    if (!r.queued && queue.length > 0) drainQueue();
  };

  const runStrategy = (r: Running, c: StrategyCosts): void => {
    const spec = vmSpec(r.v);
    const rng = lazyRngFor('migration:', r.index);
    const memory = createMemory({
      vm: spec,
      workload: workloadFor(r.v, dirtyRate(r.v, utilAt(r.v, kernel.now)), lazyRngFor('workload:', r.index)),
      fidelity: c.fidelity ?? 'fluid',
      rng,
    });
    const freeMem =
      o.checkDestinationMemory === false ? Infinity : o.hosts[r.to]!.memory_bytes - hostVms[r.to]!.reduce((s, v) => s + (v === r.v ? 0 : o.vms[v]!.memory_bytes), 0);
    const mig = createMigration({
      vm: spec,
      memory,
      stop: c.stop,
      costs: migrationCosts,
      destinationFree_bytes: Math.max(0, freeMem),
      rng,
      trace: false,
      start_s: kernel.now,
    });
    const route = cluster.route(r.from, r.to);
    const cap = c.bandwidthShare !== undefined ? c.bandwidthShare * Math.min(o.hosts[r.from]!.nic_Bps, o.hosts[r.to]!.nic_Bps) : Infinity;
    r.driven = driveMigration({
      kernel,
      network: net,
      m: mig.m,
      clock: mig.clock,
      strategy: c.strategy,
      path: { route, latency_s: routeLatency(cluster.links, route), cap_Bps: cap },
      maxActions: 1_000_000,
      onEnd: () => finishMigration(r, mig.metrics.status, mig.metrics),
    });
  };

  const slots = o.maxMigrationsPerHost ?? Infinity;
  if (!(slots >= 1)) throw new RangeError(`simulateCluster: maxMigrationsPerHost must be >= 1, got ${slots}`);
  /** Migrations waiting for a slot, in request order. */
  const queue: Running[] = [];
  const canStart = (r: Running): boolean => nicBusy[r.from]! < slots && nicBusy[r.to]! < slots;

  /** The VM's place at the destination is taken now; the copy starts when both hosts have a slot. */
  const startMigration = (v: number, to: number, reason: string): void => {
    const from = vmHost[v]!;
    touch(from);
    touch(to);
    const r: Running = { v, from, to, reason, requested_s: kernel.now, start_s: kernel.now, queued: true, index: m.migrations, wasOff: hostVms[to]!.length === 0, demandAtStart: 0, dead: false };
    running[v] = r;
    hostVms[to]!.push(v);
    m.migrations++;
    mark(from);
    mark(to);
    if (queue.length === 0 && canStart(r)) begin(r);
    else queue.push(r);
  };

  /** Start the waiting migrations that have slots now, first come first served. */
  const drainQueue = (): void => {
    for (let i = 0; i < queue.length; ) {
      const r = queue[i]!;
      if (r.dead) queue.splice(i, 1);
      else if (canStart(r)) {
        queue.splice(i, 1);
        begin(r);
      } else i++;
    }
  };

  const begin = (r: Running): void => {
    const { v, from, to } = r;
    touch(from);
    touch(to);
    r.queued = false;
    r.start_s = kernel.now;
    r.demandAtStart = demandAt(v, kernel.now);
    const wait = r.start_s - r.requested_s;
    m.migrationWait_total_s += wait;
    m.migrationWait_max_s = Math.max(m.migrationWait_max_s, wait);
    nicBusy[from]!++;
    nicBusy[to]!++;
    mark(from);
    mark(to);
    const delay = r.wasOff ? (o.powerOnDelay_s ?? 0) : 0;
    const go = (): void => {
      if (r.dead) return;
      if (costModel.mode === 'cloudsim') {
        const dur = o.vms[v]!.memory_bytes / (o.hosts[to]!.nic_Bps * (costModel.bandwidthShare ?? 0.5));
        r.timer = kernel.schedule(dur, () =>
          finishMigration(r, 'completed', { converged: true, downtime_s: 0, bytes_sent: o.vms[v]!.memory_bytes, app_degradation_s: 0 }),
        );
      } else runStrategy(r, costModel);
    };
    if (delay > 0) r.timer = kernel.schedule(delay, go);
    else go();
  };

  /** Abort a running migration without metrics of a finished one (a host failed under it). */
  const abortMigration = (r: Running): void => {
    if (r.timer) kernel.cancel(r.timer);
    r.driven?.stop();
    finishMigration(r, 'failed', { converged: false, downtime_s: 0, bytes_sent: 0, app_degradation_s: 0 });
  };

  // --- failures
  if (o.failures) {
    const f = o.failures;
    const trace = f.trace;
    if (!trace && !((f.mtbf_s ?? 0) > 0 && (f.mttr_s ?? 0) > 0)) throw new RangeError(`failures: mtbf_s and mttr_s must be > 0, got ${f.mtbf_s} and ${f.mttr_s} (or give a trace)`);
    trace?.forEach((x, i) => {
      if (!(Number.isInteger(x.host) && x.host >= 0 && x.host < H)) throw new RangeError(`failures.trace[${i}]: host ${x.host} is not a host index (0 … ${H - 1})`);
      if (!(x.at_s >= 0) || !(x.repair_s > 0)) throw new RangeError(`failures.trace[${i}]: at_s must be >= 0 and repair_s > 0, got ${x.at_s} and ${x.repair_s}`);
    });
    // Each host's trace failures in time order; the next one is announced like a drawn one.
    const byHost: HostFailure[][] = Array.from({ length: H }, () => []);
    for (const x of trace ?? []) byHost[x.host]!.push(x);
    for (const list of byHost) list.sort((a, b) => a.at_s - b.at_s);
    const nextInTrace = new Int32Array(H);
    const rng = rngFor('failures');
    const detection = f.detection_s ?? 30;
    const boot = f.boot_s ?? 60;
    const repairFor = new Float64Array(H);
    const scheduleFailure = (h: number): void => {
      let at: number;
      if (trace) {
        const list = byHost[h]!;
        // skip failures that fall while the host is still down
        while (nextInTrace[h]! < list.length && list[nextInTrace[h]!]!.at_s < kernel.now) nextInTrace[h]!++;
        const x = list[nextInTrace[h]!++];
        if (!x) return;
        at = x.at_s;
        repairFor[h] = x.repair_s;
      } else at = kernel.now + rng.exponential(1 / f.mtbf_s!);
      failureAt[h] = at;
      if (at < duration) kernel.at(at, () => fail(h));
    };
    const restart = (vms: number[]): void => {
      const waiting: number[] = [];
      for (const v of vms) {
        let best = -1;
        let min = Infinity;
        const d = demandAt(v, kernel.now);
        for (let h = 0; h < H; h++) {
          if (failed[h]) continue;
          const host = o.hosts[h]!;
          const cap = host.mipsPerCore * host.cores;
          let used = 0;
          let mem = 0;
          for (const w of hostVms[h]!) {
            used += demandAt(w, kernel.now);
            mem += o.vms[w]!.memory_bytes;
          }
          if (used + d > cap || mem + o.vms[v]!.memory_bytes > host.memory_bytes) continue;
          const diff = host.power.power_W(Math.min(1, (used + d) / cap)) - (hostVms[h]!.length > 0 ? host.power.power_W(Math.min(1, used / cap)) : 0);
          if (diff < min) {
            min = diff;
            best = h;
          }
        }
        if (best < 0) {
          waiting.push(v);
          continue;
        }
        const h = best;
        touch(h);
        hostVms[h]!.push(v);
        vmHost[v] = h;
        mark(h);
        // The VM holds its place while it boots; it is counted as lost until it runs.
        kernel.schedule(boot, () => {
          m.vmHoursLost += (kernel.now - downSince[v]!) / 3600;
          downSince[v] = NaN;
        });
      }
      if (waiting.length > 0) kernel.schedule(interval, () => restart(waiting));
    };
    const fail = (h: number): void => {
      m.hostFailures++;
      touch(h);
      for (const r of running) if (r && (r.from === h || r.to === h)) abortMigration(r);
      touch(h);
      failed[h] = 1;
      failureAt[h] = Infinity;
      const lost = [...hostVms[h]!];
      hostVms[h] = [];
      for (const v of lost) {
        vmHost[v] = -1;
        downSince[v] = kernel.now;
      }
      mark(h);
      kernel.schedule(detection, () => restart(lost));
      kernel.schedule(trace ? repairFor[h]! : rng.exponential(1 / f.mttr_s!), () => {
        touch(h);
        failed[h] = 0;
        mark(h);
        scheduleFailure(h);
      });
    };
    for (let h = 0; h < H; h++) scheduleFailure(h);
  }

  // --- decisions
  const recordHistory = (): void => {
    const now = kernel.now;
    for (let v = 0; v < V; v++) {
      if (vmHost[v]! < 0) continue;
      const u = utilAt(v, now);
      if (o.historySkipsZeros && u === 0) continue;
      const hs = vmHist[v]!;
      hs.push(u * o.vms[v]!.mips);
      if (hs.length > HISTORY_LENGTH) hs.shift();
    }
    for (let h = 0; h < H; h++) {
      const hs = hostHist[h]!;
      hs.push(failed[h] ? 0 : lastU[h]!);
      if (hs.length > HISTORY_LENGTH) hs.shift();
    }
  };
  /** ∫₀ᵗ demand of VM v (MI): trapezoids between samples, the last sample held. */
  const demandIntegral_MI = (v: number, t: number): number => {
    const n = Math.floor(t / interval + 1e-9);
    let s = 0;
    for (let j = 0; j < n; j++) s += (sample(v, j) + sample(v, j + 1)) / 2;
    const f = t / interval - n;
    if (f > 1e-9) s += ((sample(v, n) + utilAt(v, t)) / 2) * f;
    return s * interval * o.vms[v]!.mips;
  };

  const powerFns = o.hosts.map((host) => (u: number) => host.power.power_W(u));
  const buildView = (): SimClusterView => {
    const now = kernel.now;
    const hosts: SimHostView[] = o.hosts.map((host, h) => ({
      index: h,
      on: lastOn[h] === 1,
      failed: failed[h] === 1,
      mips: host.mipsPerCore * host.cores,
      memory_bytes: host.memory_bytes,
      utilisation: hostHist[h]!,
      vms: hostVms[h]!,
      failureIn_s: failureAt[h]! - now <= (o.failures?.announce_s ?? 0) ? failureAt[h]! - now : undefined,
      mipsPerCore: host.mipsPerCore,
      cores: host.cores,
      nic_Bps: host.nic_Bps,
      power_W: powerFns[h]!,
      power: host.power,
      utilisationNow: failed[h] ? 0 : lastU[h]!,
      nicMigrations: nicBusy[h]!,
    }));
    const vms: SimVmView[] = o.vms.map((vm, v) => ({
      index: v,
      host: vmHost[v]!,
      memory_bytes: vm.memory_bytes,
      mips: vmHost[v]! >= 0 ? demandAt(v, now) : 0,
      mipsHistory: vmHist[v]!,
      migrating: running[v] !== null || vmHost[v]! < 0 || !Number.isNaN(downSince[v]!),
      maxMips: vm.mips,
      vcpus: vm.vcpus,
      migrationTime_s: estimate(v),
    }));
    return { now_s: now, hosts, vms, interval_s: interval };
  };

  let activeSum = 0;
  const decide = (): void => {
    for (let h = 0; h < H; h++) touch(h);
    for (let h = 0; h < H; h++) mark(h);
    if (o.endVmsAtZeroDemand) for (let v = 0; v < V; v++) endIfIdle(v);
    recordHistory();
    m.decisions++;
    for (let h = 0; h < H; h++) activeSum += lastOn[h]!;
    const requests = o.trigger.decide(buildView());
    const startedNow = new Set<number>();
    for (const [i, req] of requests.entries()) {
      if (!(Number.isInteger(req.vm) && req.vm >= 0 && req.vm < V)) throw new RangeError(`trigger returned request ${i} with vm ${req.vm}: not a VM index`);
      if (!(Number.isInteger(req.to) && req.to >= 0 && req.to < H)) throw new RangeError(`trigger returned request ${i} with host ${req.to}: not a host index`);
      const r = running[req.vm];
      if (r && startedNow.has(req.vm) && costModel.mode === 'cloudsim' && !r.dead && req.to !== r.from && req.to !== r.to && !failed[req.to]) {
        // CloudSim starts a second migration of the same VM in one decision; the last one wins.
        touch(r.to);
        touch(req.to);
        hostVms[r.to]!.splice(hostVms[r.to]!.indexOf(req.vm), 1);
        if (!r.queued) nicBusy[r.to]!--;
        mark(r.to);
        r.to = req.to;
        hostVms[req.to]!.push(req.vm);
        if (!r.queued) nicBusy[req.to]!++;
        mark(req.to);
        m.migrations++;
        if (r.queued) drainQueue();
        continue;
      }
      if (r || vmHost[req.vm]! < 0 || failed[req.to] || vmHost[req.vm] === req.to) {
        m.requestsIgnored++;
        continue;
      }
      startMigration(req.vm, req.to, req.reason);
      startedNow.add(req.vm);
    }
  };

  const K = Math.ceil(duration / interval - 1e-9);
  for (let h = 0; h < H; h++) mark(h);
  // CloudSim: no host has been updated before the first decision, so the first interval is free.
  if (o.energyFromFirstDecision) lastOn.fill(0);
  if (o.historyAtStart ?? true) recordHistory();
  for (let k = 1; k < K; k++) if (k * interval + offset < duration) kernel.at(k * interval + offset, () => decide());
  kernel.run(duration);
  for (let h = 0; h < H; h++) touch(h);
  for (const r of running) if (r && !r.dead) m.migrations_cancelled += 0; // still running at the end: counted in migrations only
  for (let v = 0; v < V; v++) if (!Number.isNaN(downSince[v]!)) m.vmHoursLost += (duration - downSince[v]!) / 3600;
  for (let v = 0; v < V; v++) requested_MIs[v] = demandIntegral_MI(v, Number.isNaN(endedAt[v]!) ? K * interval : endedAt[v]!);

  // --- metrics
  m.energy_kWh = energy_J / J_PER_KWH;
  ({ mean: m.slatah, pooled: m.slatah_pooled } = ratioMeans(satTime, activeTime));
  ({ mean: m.pdm, pooled: m.pdm_pooled } = ratioMeans(degraded_MIs, requested_MIs));
  m.slav = m.slatah * m.pdm;
  m.esv = m.energy_kWh * m.slav;
  const finished = m.migrations_completed + m.migrations_cancelled + m.migrations_failed;
  m.downtime_mean_s = finished > 0 ? m.downtime_total_s / finished : 0;
  m.activeHosts_mean = m.decisions > 0 ? activeSum / m.decisions : 0;
  return { metrics: m, migrations: records, placement: Array.from(vmHost) };
}

/**
 * The mean of num[i] ÷ den[i] over the entries with den[i] > 0 (SLATAH per host, PDM per VM) and
 * the pooled ratio Σ num ÷ Σ den (CloudSim's formulas); 0 when there is nothing to divide by.
 */
function ratioMeans(num: Float64Array, den: Float64Array): { mean: number; pooled: number } {
  let sum = 0;
  let n = 0;
  let numAll = 0;
  let denAll = 0;
  for (let i = 0; i < den.length; i++) {
    if (den[i]! > 0) {
      sum += num[i]! / den[i]!;
      n++;
    }
    numAll += num[i]!;
    denAll += den[i]!;
  }
  return { mean: n > 0 ? sum / n : 0, pooled: denAll > 0 ? numAll / denAll : 0 };
}
