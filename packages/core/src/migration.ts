/**
 * One live migration: the contract between a copy strategy and the engine that runs it, the
 * six phases of MODEL.md as helpers, the metrics record and a standalone driver.
 *
 * A strategy is a generator: it yields network transfers and waits, and the driver answers
 * each with the seconds it took. The same strategy code therefore runs on the page-exact and
 * the fluid engine, alone on a link or among other flows in a cluster.
 */
import { transition, type VmState } from './lifecycle.js';
import { createFluidMemory, createPageExactMemory, type DeltaCompression, type Fidelity, type GuestMemory, type PageBudget, type PageCosts, type SendAction, type SendStats } from './memory.js';
import type { VmSpec } from './model.js';
import { pageCountOf } from './model.js';
import type { Rng } from './rng.js';
import { driveMigration, type ServiceTraffic } from './drive.js';
import { createKernel } from './kernel.js';
import { createNetwork, type Link } from './network.js';
import { checkService, createServiceRecorder, type ServiceModel, type TimelineSegment } from './service.js';
import type { RoundRecord, RoundView, StopCondition, StopVerdict } from './stop.js';
import type { Workload } from './workload.js';

/** A fixed delay; the guest keeps running unless it is paused. */
export interface WaitAction {
  readonly kind: 'wait';
  readonly seconds: number;
}
export type MigrationAction = SendAction | WaitAction;

/** Fixed costs that real migrations show (MODEL.md), all in seconds or bytes. */
export interface MigrationCosts {
  /** Connection, dirty-logging start and reservation at the destination (steps 0–1). */
  readonly setup_s: number;
  /** Dirty-bitmap sync at each round start, per GiB of guest memory. */
  readonly bitmapSyncPerGiB_s: number;
  /** CPU and device state sent while the VM is paused (step 3). */
  readonly deviceState_bytes: number;
  /** Destination loads state and resumes the VM (step 4). */
  readonly resume_s: number;
  /** Network redirect, e.g. an unsolicited ARP (step 5); counted in the downtime. */
  readonly redirect_s: number;
  /** Releasing the source after the commit (step 5). */
  readonly release_s: number;
}

export const DEFAULT_COSTS: MigrationCosts = {
  setup_s: 0,
  bitmapSyncPerGiB_s: 0,
  deviceState_bytes: 0,
  resume_s: 0,
  redirect_s: 0,
  release_s: 0,
};

/** Event trace entries: phases, rounds, state changes. */
export type TraceEvent =
  | { t: number; type: 'phase'; phase: PhaseName }
  | { t: number; type: 'state'; side: 'source' | 'destination'; state: VmState }
  | { t: number; type: 'round'; record: RoundRecord }
  | { t: number; type: 'throttle'; speed: number }
  | { t: number; type: 'end'; status: MigrationStatus; reason: string };

export type PhaseName = 'prepare' | 'precopy' | 'stop-and-copy' | 'postcopy' | 'commit' | 'redirect' | 'release';
/**
 * `completed`; `cancelled` (the strategy gave up, the VM stayed on the source); `aborted` (a host
 * or link failed during the migration and the VM kept running on the source); `failed` (the
 * migration could not start, or a failure lost the VM: see `vm_lost`).
 */
export type MigrationStatus = 'completed' | 'cancelled' | 'aborted' | 'failed';

/** What can fail during a migration. */
export type FailureComponent = 'source' | 'destination' | 'link';

/** The metrics of one migration; column names carry units. Fluid counts are expected values. */
export interface MigrationMetrics {
  status: MigrationStatus;
  converged: boolean;
  stop_reason: string;
  downtime_s: number;
  total_time_s: number;
  /** Time spent in iterative pre-copy rounds. */
  precopy_time_s: number;
  bytes_sent: number;
  pages_sent: number;
  pages_resent: number;
  zero_pages_sent: number;
  /** Pre-copy passes, the first full pass included (0 for stop-and-copy). */
  rounds: number;
  /** Highest vCPU throttle applied, as a fraction (0 = none). */
  throttle_max: number;
  /** Post-copy network faults: pages the guest stalled on that the source sent on demand. */
  postcopy_faults: number;
  /** Seconds the guest's vCPU stalled on post-copy pages not yet at the destination (faults, and waits for pages already pushed). */
  fault_wait_s: number;
  /** Guest work lost compared with no migration, in seconds of full-speed work (downtime, throttling and fault stalls). */
  app_degradation_s: number;
  /** Pages sent delta-compressed (XBZRLE cache hits). */
  delta_pages: number;
  /** Bytes delta compression saved against sending those pages whole. */
  delta_saved_bytes: number;
  /** A failure during the migration lost the VM (neither host has a runnable copy). */
  vm_lost: boolean;
  /**
   * Page-exact engine: pages that differ between source and destination (0 = identical) when the
   * VM resumes at the destination — for post-copy, when the last page has arrived; fluid: null.
   */
  image_mismatch_pages: number | null;
  /**
   * Service bytes not sent compared with no migration (the service at min(demand, NIC) from the
   * start to the end of the migration), when a service is modelled; otherwise null.
   */
  service_bytes_lost: number | null;
}

/** What a copy strategy drives. */
export interface Migration {
  readonly vm: VmSpec;
  readonly memory: GuestMemory;
  readonly costs: MigrationCosts;
  readonly stop: StopCondition;
  /** Free memory at the destination, checked by {@link prepare}. */
  readonly destinationFree_bytes: number;
  readonly rng: Rng;
  readonly now_s: number;
  readonly sourceState: VmState;
  readonly destinationState: VmState;
  /** Enter a phase (recorded in the trace). */
  phase(name: PhaseName): void;
  /**
   * Record a finished pre-copy round and ask the stop condition. The round leaves the dirty log
   * to send next, or `remaining` when given (a sync while pages are still selected: QEMU's
   * bitmap sync below the threshold leaves the unsent pages and the dirty log together).
   */
  endRound(stats: SendStats, remaining?: PageBudget): StopVerdict;
  /** What the stop condition would say if a round ended now leaving `remaining`; records nothing. */
  peekRound(stats: SendStats, remaining: PageBudget): StopVerdict;
  /** Source: active → migrating; destination: inactive → incoming. */
  begin(): void;
  /** Pause the vCPUs on the source: downtime starts. */
  suspend(): void;
  /** The destination resumes the VM: the guest runs again (downtime ends after the redirect). */
  resumeAtDestination(): void;
  /** The source copy is removed: the migration is complete. */
  release(converged: boolean, reason: string): void;
  /** Abort: the VM stays (or resumes) on the source. */
  cancel(reason: string): void;
  /** The migration could not start or was lost. */
  fail(reason: string): void;
  /**
   * Set the guest speed (throttling) and remember the highest throttle: `throttle` when given
   * (the vCPU time taken, which a rate-controlled guest may not feel), else 1 − speed.
   */
  throttle(speed: number, throttle?: number): void;
  /** Add to a counter metric (e.g. postcopy_faults). */
  count(metric: 'postcopy_faults' | 'fault_wait_s' | 'app_degradation_s', n: number): void;
  /** A fixed delay while the guest runs (or not, if paused). */
  wait(seconds: number): Generator<MigrationAction, void, number>;
}

/** A copy strategy instance: drives one migration through its phases. */
export interface CopyStrategy {
  migrate(m: Migration): Generator<MigrationAction, void, number>;
}

/** Steps 0–1: setup time, then the reservation check at the destination. */
export function* prepare(m: Migration): Generator<MigrationAction, boolean, number> {
  m.phase('prepare');
  if (m.destinationFree_bytes < m.vm.memory_bytes) {
    m.fail(`destination has ${m.destinationFree_bytes} bytes free, the VM needs ${m.vm.memory_bytes}`);
    return false;
  }
  m.begin();
  if (m.costs.setup_s > 0) yield* m.wait(m.costs.setup_s);
  return true;
}

/** The dirty-bitmap sync that starts each round; its cost grows with the memory size. */
export function* syncBitmap(m: Migration): Generator<MigrationAction, number, number> {
  const sync_s = (m.costs.bitmapSyncPerGiB_s * m.vm.memory_bytes) / 2 ** 30;
  if (sync_s > 0) yield* m.wait(sync_s);
  return m.memory.syncDirty();
}

/**
 * Step 3: pause, send the remaining dirty pages with the CPU and device state; steps 4–5:
 * resume at the destination, redirect the network, release the source.
 */
export function* stopAndCopy(
  m: Migration,
  opts: { selectAll: boolean; cap_Bps?: number; converged: boolean; reason: string; delta?: DeltaCompression },
): Generator<MigrationAction, SendStats, number> {
  m.phase('stop-and-copy');
  m.suspend();
  if (opts.selectAll) m.memory.selectAll();
  else yield* syncBitmap(m);
  const stats = yield* m.memory.send({ cap_Bps: opts.cap_Bps ?? Infinity, extra_bytes: m.costs.deviceState_bytes, ...(opts.delta ? { delta: opts.delta } : {}) });
  yield* finish(m, opts.converged, opts.reason);
  return stats;
}

/** Steps 4–5: commit and resume at the destination, redirect, release the source. */
export function* finish(m: Migration, converged: boolean, reason: string): Generator<MigrationAction, void, number> {
  m.phase('commit');
  if (m.costs.resume_s > 0) yield* m.wait(m.costs.resume_s);
  m.resumeAtDestination();
  m.phase('redirect');
  if (m.costs.redirect_s > 0) yield* m.wait(m.costs.redirect_s);
  m.phase('release');
  if (m.costs.release_s > 0) yield* m.wait(m.costs.release_s);
  m.release(converged, reason);
}

/** Everything a standalone migration needs. */
export interface MigrationSetup {
  readonly vm: VmSpec;
  readonly strategy: CopyStrategy;
  readonly stop: StopCondition;
  readonly workload: Workload;
  readonly fidelity: Fidelity;
  /** The path's bottleneck bandwidth in bytes/s and its latency per message in seconds. */
  readonly bandwidth_Bps: number;
  readonly latency_s: number;
  readonly costs?: Partial<MigrationCosts>;
  readonly pageCosts?: Partial<Omit<PageCosts, 'pageSize_bytes'>>;
  /** Fraction of all-zero pages at the start. */
  readonly zeroFraction?: number;
  /** Share of zero pages in each of equal address segments (overrides `zeroFraction`); default: at random. */
  readonly zeroProfile?: readonly number[];
  readonly destinationFree_bytes?: number;
  /** Random stream of the memory image (zero pages); the workload has its own. */
  readonly rng: Rng;
  /** Record the event trace (off for speed in sweeps). */
  readonly trace?: boolean;
  /** Safety net: a strategy that yields more actions than this is stopped with an error. */
  readonly maxActions?: number;
  /** Inject a failure of a host or the link at `at_s` seconds after the migration starts. */
  readonly failure?: { readonly component: FailureComponent; readonly at_s: number };
  /**
   * The VM's own traffic on the source NIC: it shares the NIC max-min fairly with the migration
   * (which may then go slower than its cap), stops while the VM is paused and resumes at the
   * destination after the redirect. Without it the migration has the path to itself.
   */
  readonly service?: ServiceModel;
  /** Record the timeline of service and migration rates (off for speed in sweeps). */
  readonly timeline?: boolean;
}

/** When a failure happens: a fixed time, or drawn from a distribution (seconds after the start). */
export type FailureTime =
  | number
  | { readonly distribution: 'exponential'; readonly mean_s: number }
  | { readonly distribution: 'uniform'; readonly min_s: number; readonly max_s: number };

/** The failure time of `spec`, drawn with the run's seeded stream `rng` when it is a distribution. */
export function drawFailureTime(spec: FailureTime, rng: Rng): number {
  if (typeof spec === 'number') {
    if (!(spec >= 0)) throw new RangeError(`failure time must be >= 0 s, got ${spec}`);
    return spec;
  }
  if (spec.distribution === 'exponential') {
    if (!(spec.mean_s > 0)) throw new RangeError(`exponential failure time: mean_s must be > 0, got ${spec.mean_s}`);
    return rng.exponential(1 / spec.mean_s);
  }
  if (!(spec.min_s >= 0 && spec.max_s >= spec.min_s)) throw new RangeError(`uniform failure time: need 0 <= min_s <= max_s, got [${spec.min_s}, ${spec.max_s}]`);
  return spec.min_s + rng.next() * (spec.max_s - spec.min_s);
}

export interface MigrationResult {
  readonly metrics: MigrationMetrics;
  readonly trace: readonly TraceEvent[];
  /** Service and migration rates over time, when `timeline` was asked for (else empty). */
  readonly timeline: readonly TimelineSegment[];
}

/** Create the engine's view of guest memory for `setup`. */
export function createMemory(setup: Pick<MigrationSetup, 'vm' | 'workload' | 'fidelity' | 'pageCosts' | 'zeroFraction' | 'zeroProfile' | 'rng'>): GuestMemory {
  const costs: PageCosts = {
    pageSize_bytes: setup.vm.pageSize_bytes,
    header_bytes: setup.pageCosts?.header_bytes ?? 0,
    zeroPage_bytes: setup.pageCosts?.zeroPage_bytes ?? 0,
    elideZeroPages: setup.pageCosts?.elideZeroPages ?? false,
  };
  const common = { pageCount: pageCountOf(setup.vm), costs, workload: setup.workload, zeroFraction: setup.zeroFraction ?? 0, ...(setup.zeroProfile ? { zeroProfile: setup.zeroProfile } : {}) };
  return setup.fidelity === 'page-exact' ? createPageExactMemory({ ...common, rng: setup.rng }) : createFluidMemory(common);
}

/**
 * Run one migration alone on its path and return its metrics and trace: a network of one link
 * (the path's bottleneck bandwidth and latency per message), so the rate is min(bandwidth, the
 * transfer's cap) and each new message pays the latency once. With `service`, the VM's own
 * traffic shares the source NIC max-min fairly and leaves by a NIC of its own at the
 * destination.
 */
export function simulateMigration(setup: MigrationSetup): MigrationResult {
  if (!(setup.bandwidth_Bps > 0)) throw new RangeError(`bandwidth must be > 0 bytes/s, got ${setup.bandwidth_Bps}`);
  if (!(setup.latency_s >= 0)) throw new RangeError(`latency must be >= 0 s, got ${setup.latency_s}`);
  const failure = setup.failure;
  if (failure && !(failure.at_s >= 0)) throw new RangeError(`failure.at_s must be >= 0 s, got ${failure.at_s}`);
  const service = setup.service;
  const nic = service ? checkService(service, setup.bandwidth_Bps) : 0;
  const memory = createMemory(setup);
  const { m, metrics, trace, clock } = createMigration({
    vm: setup.vm,
    memory,
    stop: setup.stop,
    costs: { ...DEFAULT_COSTS, ...setup.costs },
    destinationFree_bytes: setup.destinationFree_bytes ?? Infinity,
    rng: setup.rng,
    trace: setup.trace ?? false,
  });
  // Links: 0 the path; with a service, the destination's NIC, and the source's when it is not the path.
  const links: Link[] = [{ id: 'path', bandwidth_Bps: setup.bandwidth_Bps, latency_s: setup.latency_s }];
  let route: number[] = [0];
  let traffic: ServiceTraffic | undefined;
  if (service) {
    const dest = links.push({ id: 'destination-nic', bandwidth_Bps: nic, latency_s: 0 }) - 1;
    let source = 0;
    if (service.nic_Bps !== undefined) {
      source = links.push({ id: 'source-nic', bandwidth_Bps: nic, latency_s: 0 }) - 1;
      route = [0, source];
    }
    traffic = { model: service, sourceRoute: [source], destinationRoute: [dest] };
  }
  const kernel = createKernel();
  const network = createNetwork(kernel, links);
  const rec = createServiceRecorder(setup.timeline ?? false);
  // Queued before the migration starts: it may run to its end at once when nothing is queued.
  if (failure) kernel.at(failure.at_s, () => driven.fail(failure.component));
  const driven = driveMigration({
    kernel,
    network,
    m,
    clock,
    strategy: setup.strategy,
    path: { route, latency_s: setup.latency_s },
    ...(traffic ? { service: traffic, recorder: rec } : {}),
    ...(setup.maxActions !== undefined ? { maxActions: setup.maxActions } : {}),
    alone: true,
    onEnd: () => {},
  });
  kernel.run();
  if (!driven.ended) throw new Error('the strategy stopped without ending the migration (it waits for nothing)');
  if (service) metrics.service_bytes_lost = Math.min(service.demand_Bps, nic) * metrics.total_time_s - rec.served_bytes;
  return { metrics, trace, timeline: rec.timeline };
}

/** What {@link createMigration} takes. */
interface MigrationInit {
  vm: VmSpec;
  memory: GuestMemory;
  stop: StopCondition;
  costs: MigrationCosts;
  destinationFree_bytes: number;
  rng: Rng;
  trace: boolean;
  start_s?: number;
}

/** The metrics of a migration before it has done anything (a failure with no reason yet). */
export function emptyMetrics(): MigrationMetrics {
  return {
    status: 'failed',
    converged: false,
    stop_reason: '',
    downtime_s: 0,
    total_time_s: 0,
    precopy_time_s: 0,
    bytes_sent: 0,
    pages_sent: 0,
    pages_resent: 0,
    zero_pages_sent: 0,
    rounds: 0,
    throttle_max: 0,
    postcopy_faults: 0,
    fault_wait_s: 0,
    app_degradation_s: 0,
    delta_pages: 0,
    delta_saved_bytes: 0,
    vm_lost: false,
    image_mismatch_pages: null,
    service_bytes_lost: null,
  };
}

/** The clock a driver advances, and what it asks of a migration (see {@link createMigration}). */
export interface MigrationClock {
  advance(dt: number): void;
  /**
   * `component` fails now; `wire_bytes` is what the migration had put on the wire. Ends the
   * migration (returns true) unless the failure no longer matters to the VM (the source or
   * the link after every page is at the destination).
   */
  fail(component: FailureComponent, wire_bytes: number): boolean;
  /** The state a driver needs to place the service: VM states, phase, resume time. */
  view(): { source: VmState; destination: VmState; phase: PhaseName | null; resumedAt_s: number; finished: boolean; lost: boolean };
}

/**
 * One migration's state and its {@link Migration} methods. A class rather than closures: a
 * cluster day runs tens of thousands of migrations side by side, and closures per migration
 * were most of what each one kept alive.
 */
class MigrationState implements Migration {
  readonly vm: VmSpec;
  readonly memory: GuestMemory;
  readonly costs: MigrationCosts;
  readonly stop: StopCondition;
  readonly destinationFree_bytes: number;
  readonly rng: Rng;
  readonly trace: TraceEvent[] = [];
  readonly metrics: MigrationMetrics = emptyMetrics();
  private readonly tracing: boolean;
  private readonly start: number;
  private now: number;
  private source: VmState = 'active';
  private destination: VmState = 'inactive';
  private suspendedAt = NaN;
  private resumedAt = NaN;
  private precopyStart = NaN;
  private precopyTime = 0;
  private inPrecopy = false;
  private finished = false;
  private readonly rounds: RoundRecord[] = [];
  private lastPhase: PhaseName | null = null;

  constructor(init: MigrationInit) {
    this.vm = init.vm;
    this.memory = init.memory;
    this.costs = init.costs;
    this.stop = init.stop;
    this.destinationFree_bytes = init.destinationFree_bytes;
    this.rng = init.rng;
    this.tracing = init.trace;
    this.start = init.start_s ?? 0;
    this.now = this.start;
  }

  get now_s(): number {
    return this.now;
  }
  get sourceState(): VmState {
    return this.source;
  }
  get destinationState(): VmState {
    return this.destination;
  }

  // Bytes and pages are counted by the memory engine whatever strategy drives it.
  private syncTotals(): void {
    const t = this.memory.totals;
    const metrics = this.metrics;
    metrics.bytes_sent = t.bytes;
    metrics.pages_sent = t.pages;
    metrics.pages_resent = t.resent;
    metrics.zero_pages_sent = t.zeroPages;
    metrics.delta_pages = t.deltaPages;
    metrics.delta_saved_bytes = t.deltaSaved_bytes;
  }
  private log(e: TraceEvent): void {
    if (this.tracing) this.trace.push(e);
  }
  private setSource(s: VmState): void {
    this.source = s;
    if (this.tracing) this.log({ t: this.now, type: 'state', side: 'source', state: s });
  }
  private setDest(s: VmState): void {
    this.destination = s;
    if (this.tracing) this.log({ t: this.now, type: 'state', side: 'destination', state: s });
  }
  private end(status: MigrationStatus, reason: string): void {
    const metrics = this.metrics;
    if (this.finished) throw new Error(`migration already ended (${metrics.status}); cannot end it again as ${status}`);
    this.finished = true;
    if (this.inPrecopy) this.precopyTime += this.now - this.precopyStart;
    this.syncTotals();
    metrics.status = status;
    metrics.stop_reason = reason;
    metrics.total_time_s = this.now - this.start;
    metrics.precopy_time_s = this.precopyTime;
    metrics.rounds = this.rounds.length;
    if (this.tracing) this.log({ t: this.now, type: 'end', status, reason });
  }
  private roundRecord(stats: SendStats, remaining: PageBudget | undefined): RoundRecord {
    return {
      round: this.rounds.length,
      startedAt_s: this.now - stats.duration_s,
      duration_s: stats.duration_s,
      pagesSent: stats.pages,
      bytesSent: stats.bytes,
      bandwidth_Bps: stats.duration_s > 0 ? stats.bytes / stats.duration_s : Infinity,
      dirtyPages: remaining ? remaining.pages : this.memory.dirtyCount,
      dirtyBytes: remaining ? remaining.bytes : this.memory.dirtyBytes(),
    };
  }
  private roundView(all: readonly RoundRecord[], last: RoundRecord): RoundView {
    return {
      rounds: all,
      last,
      memory_bytes: this.vm.memory_bytes,
      pageCount: this.memory.pageCount,
      bytesSent: this.memory.totals.bytes,
      elapsed_s: this.now - this.start,
    };
  }

  phase(name: PhaseName): void {
    if (this.inPrecopy && name !== 'precopy') {
      this.precopyTime += this.now - this.precopyStart;
      this.inPrecopy = false;
    }
    if (name === 'precopy' && !this.inPrecopy) {
      this.inPrecopy = true;
      this.precopyStart = this.now;
    }
    this.lastPhase = name;
    if (this.tracing) this.log({ t: this.now, type: 'phase', phase: name });
  }
  endRound(stats: SendStats, remaining?: PageBudget): StopVerdict {
    const record = this.roundRecord(stats, remaining);
    this.rounds.push(record);
    if (this.tracing) this.log({ t: this.now, type: 'round', record });
    return this.stop.check(this.roundView(this.rounds, record));
  }
  peekRound(stats: SendStats, remaining: PageBudget): StopVerdict {
    const record = this.roundRecord(stats, remaining);
    return this.stop.check(this.roundView([...this.rounds, record], record));
  }
  begin(): void {
    this.setSource(transition(this.source, 'migrate-out', this.vm.id));
    this.setDest(transition(this.destination, 'reserve', this.vm.id));
  }
  suspend(): void {
    this.setSource(transition(this.source, 'pause', this.vm.id));
    this.memory.speed = 0;
    this.suspendedAt = this.now;
  }
  resumeAtDestination(): void {
    this.setDest(transition(this.destination, 'activate', this.vm.id));
    // The destination image must equal the source's at the moment the VM resumes there
    // (post-copy: once the last page has arrived, checked at release).
    if (!this.memory.inPostcopy) this.metrics.image_mismatch_pages = this.memory.mismatchedPages();
    this.memory.speed = 1;
    this.resumedAt = this.now;
  }
  release(converged: boolean, reason: string): void {
    const memory = this.memory;
    if (memory.inPostcopy) {
      if (memory.absentCount > 0) throw new Error(`release: ${memory.absentCount} pages are still only at the source (post-copy not finished)`);
      this.metrics.image_mismatch_pages = memory.mismatchedPages();
    }
    this.setSource(transition(this.source, 'release', this.vm.id));
    this.metrics.converged = converged;
    this.metrics.downtime_s = this.resumedAt - this.suspendedAt + this.costs.redirect_s;
    this.end('completed', reason);
  }
  cancel(reason: string): void {
    this.setSource(transition(this.source, 'cancel-migration', this.vm.id));
    if (this.destination === 'incoming') this.setDest(transition(this.destination, 'abort-incoming', this.vm.id));
    if (!Number.isNaN(this.suspendedAt)) this.metrics.downtime_s = this.now - this.suspendedAt;
    this.memory.speed = 1;
    this.end('cancelled', reason);
  }
  fail(reason: string): void {
    this.end('failed', reason);
  }
  throttle(speed: number, throttle?: number): void {
    if (!(speed > 0 && speed <= 1)) throw new RangeError(`guest speed must be in (0, 1], got ${speed}`);
    if (throttle !== undefined && !(throttle >= 0 && throttle < 1)) throw new RangeError(`throttle must be in [0, 1), got ${throttle}`);
    this.memory.speed = speed;
    this.metrics.throttle_max = Math.max(this.metrics.throttle_max, throttle ?? 1 - speed);
    if (this.tracing) this.log({ t: this.now, type: 'throttle', speed });
  }
  count(metric: 'postcopy_faults' | 'fault_wait_s' | 'app_degradation_s', n: number): void {
    this.metrics[metric] += n;
  }
  *wait(seconds: number): Generator<MigrationAction, void, number> {
    if (seconds > 0) {
      yield { kind: 'wait', seconds };
      this.memory.run(seconds);
    }
  }

  private lose(component: FailureComponent, wire: number): true {
    if (this.source !== 'inactive') this.setSource(transition(this.source, 'fail', this.vm.id));
    if (this.destination !== 'inactive') this.setDest(transition(this.destination, 'fail', this.vm.id));
    if (!Number.isNaN(this.suspendedAt)) this.metrics.downtime_s = this.now - this.suspendedAt;
    this.metrics.vm_lost = true;
    this.end('failed', `${component} failed during ${this.lastPhase ?? 'setup'}: VM lost`);
    this.metrics.bytes_sent = wire;
    return true;
  }

  // The driver's side (through a MigrationClock, not part of Migration).
  /** @internal */
  view(): { source: VmState; destination: VmState; phase: PhaseName | null; resumedAt_s: number; finished: boolean; lost: boolean } {
    return { source: this.source, destination: this.destination, phase: this.lastPhase, resumedAt_s: this.resumedAt, finished: this.finished, lost: this.metrics.vm_lost };
  }
  /** @internal */
  failure(component: FailureComponent, wire: number): boolean {
    if (this.finished) return false;
    const memory = this.memory;
    if (this.destination !== 'active') {
      // The source still owns the VM: it survives unless the source itself fails.
      if (component === 'source') return this.lose(component, wire);
      if (this.source === 'migrating' || this.source === 'paused') this.setSource(transition(this.source, 'cancel-migration', this.vm.id));
      if (this.destination === 'incoming') this.setDest(transition(this.destination, component === 'destination' ? 'fail' : 'abort-incoming', this.vm.id));
      if (!Number.isNaN(this.suspendedAt)) this.metrics.downtime_s = this.now - this.suspendedAt;
      memory.speed = 1;
      this.end('aborted', `${component} failed during ${this.lastPhase ?? 'setup'}: migration aborted, the VM runs on the source`);
      this.metrics.bytes_sent = wire;
      return true;
    }
    // The destination runs the VM. Post-copy with pages still at the source needs both hosts
    // and the link; otherwise only the destination matters.
    if (memory.inPostcopy && memory.absentCount > 0) return this.lose(component, wire);
    if (component === 'destination') return this.lose(component, wire);
    return false;
  }
  /** @internal */
  advance(dt: number): void {
    // Guest work lost: throttled or paused time while the VM is owned by the migration.
    if (!this.finished && this.source !== 'active') this.metrics.app_degradation_s += (1 - this.memory.speed) * dt;
    this.now += dt;
  }
}

/** A driver's handle on a {@link MigrationState}. */
class Clock implements MigrationClock {
  constructor(private readonly state: MigrationState) {}
  advance(dt: number): void {
    this.state.advance(dt);
  }
  fail(component: FailureComponent, wire_bytes: number): boolean {
    return this.state.failure(component, wire_bytes);
  }
  view(): ReturnType<MigrationClock['view']> {
    return this.state.view();
  }
}

/** The migration record behind a {@link Migration}; drivers advance its clock. */
export function createMigration(init: MigrationInit): {
  m: Migration;
  metrics: MigrationMetrics;
  trace: TraceEvent[];
  clock: MigrationClock;
} {
  const state = new MigrationState(init);
  return { m: state, metrics: state.metrics, trace: state.trace, clock: new Clock(state) };
}
