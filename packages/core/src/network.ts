/**
 * The network: links with bandwidth and latency, flows over routes of links, per-flow rate
 * caps, and max-min fair sharing between competing flows. A {@link FlowNetwork} runs on the
 * event kernel: when a flow starts or ends, every other flow's rate is recomputed.
 */
import type { Kernel, EventHandle } from './kernel.js';

/** A network link. Bandwidth in bytes per second, latency in seconds. */
export interface Link {
  readonly id: string;
  readonly bandwidth_Bps: number;
  readonly latency_s: number;
}

/** A flow's demand on the network: the links it crosses and an optional rate cap. */
export interface FlowDemand {
  /** Indices into the links array. */
  readonly route: readonly number[];
  /** Upper bound of the flow's rate in bytes per second (Infinity for none). */
  readonly cap_Bps?: number;
}

/**
 * Max-min fair rates by progressive filling: every unfrozen flow's rate rises together until a
 * link saturates or a flow reaches its cap; those flows freeze; repeat. The result never
 * exceeds a link's capacity, gives each flow at least its fair share of its bottleneck or its
 * cap, and is Pareto-optimal (no flow can go faster without slowing a flow that is not faster).
 * @returns the rate of each flow in bytes per second.
 */
export function maxMinFairRates(capacities_Bps: ArrayLike<number>, flows: readonly FlowDemand[]): Float64Array {
  const rates = new Float64Array(flows.length);
  const remaining = Float64Array.from(capacities_Bps);
  for (let l = 0; l < remaining.length; l++) {
    if (!(remaining[l]! >= 0)) throw new RangeError(`link ${l}: capacity must be >= 0 bytes/s, got ${capacities_Bps[l]}`);
  }
  const unfrozenOnLink = new Int32Array(remaining.length);
  const frozen = new Uint8Array(flows.length);
  let left = 0;
  for (let f = 0; f < flows.length; f++) {
    const flow = flows[f]!;
    const cap = flow.cap_Bps ?? Infinity;
    if (!(cap >= 0)) throw new RangeError(`flow ${f}: cap must be >= 0 bytes/s (or absent for none), got ${flow.cap_Bps}`);
    for (const l of flow.route) {
      if (!(Number.isInteger(l) && l >= 0 && l < remaining.length)) {
        throw new RangeError(`flow ${f}: route names link ${l}, but there are ${remaining.length} links`);
      }
    }
    if (flow.route.length === 0 && cap === Infinity) {
      throw new RangeError(`flow ${f} crosses no link and has no rate cap: its rate would be infinite`);
    }
    if (cap <= 0) {
      frozen[f] = 1;
      continue;
    }
    for (const l of flow.route) unfrozenOnLink[l]!++;
    left++;
  }
  const EPS = 1e-9;
  while (left > 0) {
    let delta = Infinity;
    for (let l = 0; l < remaining.length; l++) {
      if (unfrozenOnLink[l]! > 0) delta = Math.min(delta, remaining[l]! / unfrozenOnLink[l]!);
    }
    for (let f = 0; f < flows.length; f++) {
      if (!frozen[f]) delta = Math.min(delta, (flows[f]!.cap_Bps ?? Infinity) - rates[f]!);
    }
    for (let f = 0; f < flows.length; f++) {
      if (frozen[f]) continue;
      rates[f]! += delta;
      for (const l of flows[f]!.route) remaining[l]! -= delta;
    }
    for (let f = 0; f < flows.length; f++) {
      if (frozen[f]) continue;
      const flow = flows[f]!;
      const cap = flow.cap_Bps ?? Infinity;
      let stop = rates[f]! >= cap * (1 - EPS);
      for (const l of flow.route) if (remaining[l]! <= EPS * capacities_Bps[l]!) stop = true;
      if (stop) {
        frozen[f] = 1;
        left--;
        for (const l of flow.route) unfrozenOnLink[l]!--;
      }
    }
  }
  return rates;
}

/** A flow in a {@link FlowNetwork}. */
export interface FlowHandle {
  readonly id: number;
  /** Current rate in bytes per second (0 while the first latency elapses, and once it ended or was cancelled). */
  readonly rate_Bps: number;
  /** Bytes still to deliver now, also between events (Infinity for a stream). */
  readonly remaining_bytes: number;
  /** Stop the flow now; its completion callback is not called. */
  cancel(): void;
}

/** Links shared by flows, simulated on a kernel. */
export interface FlowNetwork {
  readonly links: readonly Link[];
  /**
   * Send `bytes` over `route`; `onDone` is called when the last byte arrives, after one
   * latency of the route (one message) plus the transfer at the max-min fair rate.
   */
  transfer(demand: FlowDemand & { bytes: number; onDone: () => void }): FlowHandle;
  /** A flow without end (service traffic): takes its share until cancelled. */
  stream(demand: FlowDemand): FlowHandle;
  /** Called after every recomputation of rates. */
  onChange(listener: () => void): void;
  /** The flows currently active. */
  readonly active: readonly FlowHandle[];
}

/** Sum of the latencies of a route in seconds. */
export function routeLatency(links: readonly Link[], route: readonly number[]): number {
  let s = 0;
  for (const l of route) s += links[l]!.latency_s;
  return s;
}

interface FlowState extends FlowHandle {
  demand: FlowDemand;
  rate_Bps: number;
  /** Bytes left at the last settlement (`lastUpdate`); the handle's getter adds the progress since. */
  left_bytes: number;
  done?: () => void;
  completion?: EventHandle;
  started: boolean;
  cancelled: boolean;
}

/** Create a network of `links` driven by `kernel`. */
export function createFlowNetwork(kernel: Kernel, links: readonly Link[]): FlowNetwork {
  for (const link of links) {
    if (!(link.bandwidth_Bps > 0)) throw new RangeError(`link ${link.id}: bandwidth must be > 0 bytes/s, got ${link.bandwidth_Bps}`);
    if (!(link.latency_s >= 0)) throw new RangeError(`link ${link.id}: latency must be >= 0 s, got ${link.latency_s}`);
  }
  const capacities = links.map((l) => l.bandwidth_Bps);
  const active: FlowState[] = [];
  const listeners: Array<() => void> = [];
  let lastUpdate = kernel.now;
  let nextId = 0;

  const settle = (): void => {
    const dt = kernel.now - lastUpdate;
    if (dt > 0) for (const f of active) f.left_bytes -= f.rate_Bps * dt;
    lastUpdate = kernel.now;
  };

  const reshare = (): void => {
    const rates = maxMinFairRates(capacities, active.map((f) => f.demand));
    active.forEach((f, i) => {
      f.rate_Bps = rates[i]!;
      if (f.completion) kernel.cancel(f.completion);
      f.completion = undefined;
      if (f.left_bytes !== Infinity && f.done) {
        const left = Math.max(0, f.left_bytes);
        const eta = f.rate_Bps > 0 ? left / f.rate_Bps : Infinity;
        if (eta !== Infinity) f.completion = kernel.schedule(eta, () => finish(f));
      }
    });
    for (const l of listeners) l();
  };

  const removeActive = (f: FlowState): void => {
    const i = active.indexOf(f);
    if (i >= 0) active.splice(i, 1);
  };

  const finish = (f: FlowState): void => {
    settle();
    f.left_bytes = 0;
    f.rate_Bps = 0;
    removeActive(f);
    reshare();
    f.done?.();
  };

  const start = (demand: FlowDemand, bytes: number, done?: () => void): FlowHandle => {
    for (const l of demand.route) {
      if (!(l >= 0 && l < links.length)) throw new RangeError(`route names link ${l}, but there are ${links.length} links`);
    }
    const f: FlowState = {
      id: nextId++,
      demand,
      rate_Bps: 0,
      left_bytes: bytes,
      get remaining_bytes() {
        // Current between events too: the bytes sent since the last settlement at the current rate.
        if (!f.started || f.cancelled || f.rate_Bps === 0) return Math.max(0, f.left_bytes);
        return Math.max(0, f.left_bytes - f.rate_Bps * (kernel.now - lastUpdate));
      },
      done,
      started: false,
      cancelled: false,
      cancel() {
        if (f.cancelled) return;
        f.cancelled = true;
        if (f.started) {
          settle();
          if (f.completion) kernel.cancel(f.completion);
          f.rate_Bps = 0;
          removeActive(f);
          reshare();
        }
      },
    };
    const begin = (): void => {
      if (f.cancelled) return;
      f.started = true;
      settle();
      active.push(f);
      reshare();
    };
    const latency = routeLatency(links, demand.route);
    if (latency > 0) kernel.schedule(latency, begin);
    else begin();
    return f;
  };

  return {
    links,
    get active() {
      return active;
    },
    transfer: (d) => {
      if (!(d.bytes >= 0)) throw new RangeError(`transfer: bytes must be >= 0, got ${d.bytes}`);
      return start(d, d.bytes, d.onDone);
    },
    stream: (d) => start(d, Infinity),
    onChange: (l) => void listeners.push(l),
  };
}
