/**
 * The migration driver: runs a copy strategy (a generator of sends and waits) on the event
 * kernel, each send a flow on the shared {@link Network}. The one way a migration advances in
 * time — alone on a link (`simulateMigration`), among many in a scenario, or in the cluster
 * simulation — so contention is the only thing that differs between them.
 */
import type { Kernel, EventHandle } from './kernel.js';
import { latenciesOf } from './memory.js';
import type { CopyStrategy, FailureComponent, MigrationAction, MigrationClock, Migration } from './migration.js';
import type { Flow, Network, TransferSpec } from './network.js';
import { serviceDemand, type ServiceLocation, type ServiceModel, type TimelineRecorder } from './service.js';

/** Where a migration's bytes go: the route from source to destination and its limits. */
export interface MigrationPath {
  readonly route: readonly number[];
  /** Per route entry, link capacity used per byte/s (SimGrid's cross-traffic on the reverse route); default 1. */
  readonly usage?: readonly number[];
  /** Share weight of the migration's flows (default 1). */
  readonly weight?: number;
  /** One-way latency a new message pays, in seconds. */
  readonly latency_s: number;
  /** Cap of every transfer besides the strategy's own (a share of the NIC, a TCP window bound); default none. */
  readonly cap_Bps?: number;
}

/**
 * The VM's own traffic while it migrates: a stream from its host, capped at its demand where it
 * runs ({@link serviceDemand}), leaving by the source's route until the redirect and by the
 * destination's after.
 */
export interface ServiceTraffic {
  readonly model: ServiceModel;
  readonly sourceRoute: readonly number[];
  readonly destinationRoute: readonly number[];
}

/** What {@link driveMigration} runs. */
export interface DriveSetup {
  readonly kernel: Kernel;
  readonly network: Network;
  /** The migration record (from `createMigration`) and the clock the driver advances. */
  readonly m: Migration;
  readonly clock: MigrationClock;
  readonly strategy: CopyStrategy;
  readonly path: MigrationPath;
  readonly service?: ServiceTraffic;
  /** Receives the service and migration rates over time (the migration's own clock, from 0). */
  readonly recorder?: TimelineRecorder;
  /**
   * Nothing else uses this kernel and network but what this migration starts (a single
   * migration): while no event is queued, a wait or a send alone on the network is answered at
   * once — the clock jumps to its end — instead of through events. The same times and bytes.
   */
  readonly alone?: boolean;
  /** Safety net: a strategy that yields more actions than this is stopped with an error. */
  readonly maxActions?: number;
  /** Called once when the strategy returns (the metrics are final). */
  readonly onEnd: () => void;
}

/** A running migration, as its owner sees it. */
export interface DrivenMigration {
  /** The strategy returned (or a failure ended it). */
  readonly ended: boolean;
  /** Bytes the migration has put on the wire so far (the current transfer's delivered part included). */
  readonly wire_bytes: number;
  /** Rate of its current transfer (0 while waiting). */
  readonly rate_Bps: number;
  /**
   * `component` fails now. Ends the migration (returns true: `onEnd` is not called, the metrics
   * are those of the failure) unless the failure no longer matters to the VM.
   */
  fail(component: FailureComponent): boolean;
  /** Stop silently (the owner accounts the end itself): no further events, `onEnd` is not called. */
  stop(): void;
}

/** Start `setup.strategy` on `setup.m` now. */
export function driveMigration(setup: DriveSetup): DrivenMigration {
  const { kernel, network, m, clock, path } = setup;
  const it = setup.strategy.migrate(m);
  const limit = setup.maxActions ?? 10_000_000;
  const alone = setup.alone === true;
  const cap0 = path.cap_Bps ?? Infinity;
  const start_s = kernel.now;
  let actions = 0;
  let ended = false;
  /** The last transfer (a next round may take its place), and the one on the wire now. */
  let flow: Flow | undefined;
  let live: Flow | undefined;
  let timer: EventHandle | undefined;
  /** Kernel time the current action started, the bytes of the previous actions, the clock already advanced in this one. */
  let actionStart = 0;
  let wireBefore = 0;
  let advanced = 0;
  let actionBytes = 0;

  // --- service traffic and the timeline
  const service = setup.service;
  const rec = setup.recorder;
  let serviceFlow: Flow | undefined;
  let serviceAtDestination = false;
  const location = (): ServiceLocation => {
    const v = clock.view();
    if (v.finished) return v.lost ? 'gone' : v.destination === 'active' ? 'destination' : 'source';
    if (v.destination === 'active') return m.now_s < v.resumedAt_s + m.costs.redirect_s - 1e-12 ? 'destination-redirecting' : 'destination';
    if (v.source === 'paused') return 'paused';
    return v.source === 'migrating' ? 'source-tracking' : 'source';
  };
  // The timeline: a segment of constant rates is closed at every action boundary and rate change.
  let segStart = 0;
  let segPhase = 'prepare';
  let segService = 0;
  let segMigration = 0;
  const serviceRate = (): number => {
    if (!serviceFlow) return 0;
    const r = serviceFlow.rate_Bps;
    // CPU contention at the source: the service loses k bytes/s per migration byte/s.
    if (serviceAtDestination || !live || live.rate_Bps === 0) return r;
    return Math.max(0, r - (service!.model.cpuCostPerMigrationByte ?? 0) * live.rate_Bps);
  };
  /** Record the segment that ends now, with the rates and phase it had. */
  const close = (): void => {
    if (!rec) return;
    const now = kernel.now - start_s;
    rec.add(segStart, now - segStart, segService, segMigration, segPhase);
    segStart = now;
  };
  /** Note the rates and phase of the segment that starts now. */
  const open = (): void => {
    if (!rec) return;
    segService = serviceRate();
    segMigration = live ? live.rate_Bps : 0;
    segPhase = clock.view().phase ?? 'prepare';
  };
  const rateChanged = (): void => {
    close();
    open();
  };
  /** The service's cap and route for where the VM runs now. */
  const placeService = (): void => {
    if (!service) return;
    const at = location();
    const demand = serviceDemand(service.model, at, m.memory.speed);
    const dest = at === 'destination';
    if (serviceFlow && dest !== serviceAtDestination) {
      serviceFlow.cancel();
      serviceFlow = undefined;
    }
    serviceAtDestination = dest;
    if (!serviceFlow) serviceFlow = network.stream({ route: dest ? service.destinationRoute : service.sourceRoute, cap_Bps: demand, latency_s: 0, onRate: rateChanged });
    else serviceFlow.setCap(demand);
  };

  const end = (): void => {
    ended = true;
    flow = live = undefined;
    close();
    serviceFlow?.cancel();
    serviceFlow = undefined;
  };

  /** The current action took `answer` seconds in all: advance the migration's clock by the rest. */
  const complete = (answer: number): void => {
    timer = undefined;
    live = undefined;
    clock.advance(answer - advanced);
    advanced = 0;
    wireBefore += actionBytes;
    step(answer);
  };

  // One request object for every send (the network reads it and keeps none of it).
  const send: { -readonly [K in keyof TransferSpec]: TransferSpec[K] } = {
    route: path.route,
    ...(path.usage ? { usage: path.usage } : {}),
    ...(path.weight !== undefined ? { weight: path.weight } : {}),
    cap_Bps: Infinity,
    latency_s: 0,
    bytes: 0,
    // Only the timeline listens to rate changes (without one, a lone flow is solved at once).
    ...(rec ? { onRate: rateChanged } : {}),
    follows: undefined,
    // The time the send took on the simulated clock (latency and every change of rate included).
    onDone: () => complete(kernel.now - actionStart),
  };

  const step = (answer: number): void => {
    for (;;) {
      if (ended) return;
      if (++actions > limit) throw new Error(`strategy yielded more than ${limit} actions: it does not terminate`);
      close();
      const s = it.next(answer);
      if (s.done) {
        end();
        setup.onEnd();
        return;
      }
      placeService();
      open();
      const a: MigrationAction = s.value;
      actionStart = kernel.now;
      actionBytes = 0;
      if (a.kind === 'wait') {
        if (!(a.seconds >= 0)) throw new RangeError(`strategy waited ${a.seconds} s`);
        if (a.seconds === 0) {
          answer = 0;
          continue;
        }
        const seconds = a.seconds;
        if (alone && kernel.pending === 0) {
          kernel.advanceTo(kernel.now + seconds);
          clock.advance(seconds);
          answer = seconds;
          continue;
        }
        timer = kernel.schedule(seconds, () => complete(seconds));
        return;
      }
      if (!(a.bytes >= 0)) throw new RangeError(`strategy sent ${a.bytes} bytes`);
      const latency = latenciesOf(a) * path.latency_s;
      if (a.bytes === 0) {
        if (latency > 0) {
          timer = kernel.schedule(latency, () => complete(latency));
          return;
        }
        answer = 0;
        continue;
      }
      actionBytes = a.bytes;
      send.cap_Bps = Math.min(cap0, a.cap_Bps);
      send.latency_s = latency;
      send.bytes = a.bytes;
      if (alone && kernel.pending === 0) {
        const r = network.loneRate(send);
        if (r !== undefined && r > 0) {
          // As its flow would: the first byte after the latency, the last bytes ÷ rate later.
          const first = latency > 0 ? kernel.now + latency : kernel.now;
          kernel.advanceTo(first + a.bytes / r);
          answer = kernel.now - actionStart;
          flow = undefined;
          clock.advance(answer);
          wireBefore += a.bytes;
          continue;
        }
      }
      // The next round, started from the previous one's onDone, takes its place on the links.
      send.follows = flow;
      const f: Flow = network.transfer(send);
      flow = live = f;
      open();
      return;
    }
  };

  const wire = (): number => wireBefore + (live ? live.delivered_bytes : 0);
  const driven = new Driven({
    ended: () => ended,
    wire,
    rate: () => (live ? live.rate_Bps : 0),
    fail(component) {
      if (ended) return false;
      const into = kernel.now - actionStart - advanced;
      if (into > 0) {
        clock.advance(into);
        advanced += into;
      }
      if (!clock.fail(component, wire())) return false;
      if (timer) kernel.cancel(timer);
      timer = undefined;
      live?.cancel();
      it.return(undefined);
      end();
      return true;
    },
    stop() {
      if (ended) return;
      if (timer) kernel.cancel(timer);
      live?.cancel();
      end();
    },
  });
  step(0);
  return driven;
}

/** A {@link DrivenMigration} over the driver's closures (a class: getters on an object literal are slow to create). */
class Driven implements DrivenMigration {
  constructor(
    private readonly s: {
      ended(): boolean;
      wire(): number;
      rate(): number;
      fail(component: FailureComponent): boolean;
      stop(): void;
    },
  ) {}
  get ended(): boolean {
    return this.s.ended();
  }
  get wire_bytes(): number {
    return this.s.wire();
  }
  get rate_Bps(): number {
    return this.s.rate();
  }
  fail(component: FailureComponent): boolean {
    return this.s.fail(component);
  }
  stop(): void {
    this.s.stop();
  }
}
