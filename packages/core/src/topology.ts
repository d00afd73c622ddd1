/**
 * Topologies and network models: hosts joined by links, and how a flow between two hosts is
 * placed on the one max-min {@link Network} — its route, the capacity it takes on each link,
 * its share weight, its latency and its rate bound. The models are SimGrid's (3.32,
 * `network_cm02.cpp`), whose parameters a user can measure on their own network:
 * - `ideal`: time = latency + size / bandwidth, equal shares (SimGrid's `raw`);
 * - `cm02`: adds TCP's window bound (rate ≤ window / (2 × route latency)), the acknowledgements
 *   of each flow taking 5 % of its rate on the reverse route ("cross-traffic"), and shares
 *   inversely proportional to the route latency (RTT unfairness);
 * - `lv08`: CM02 with Velho and Legrand's corrections — usable bandwidth × 0.97, latency ×
 *   13.01, and a share penalty of 20537 B/s ÷ bandwidth per link (SimGrid's default model).
 */
import type { Link } from './network.js';
import type { MigrationPath } from './drive.js';

/** How flows use the links: each field is one of SimGrid's `network/…` parameters. */
export interface NetworkModel {
  /** Fraction of a link's bandwidth a flow can use (`network/bandwidth-factor`). */
  readonly bandwidthFactor: number;
  /** The latency a message pays, as a multiple of the route's (`network/latency-factor`). */
  readonly latencyFactor: number;
  /** TCP window in bytes: a flow's rate ≤ window ÷ (2 × raw route latency) (`network/TCP-gamma`); 0 = no bound. */
  readonly window_bytes: number;
  /** Capacity an acknowledgement stream takes on the reverse route, per byte/s of the flow (`network/crosstraffic`: 0.05); 0 = none. */
  readonly ackFraction: number;
  /**
   * Share penalty per link in bytes/s (`network/weight-S`): a flow's share ∝ 1 ÷ (route latency +
   * Σ weightS ÷ link bandwidth). With 0 and `latencyFairness`, ∝ 1 ÷ route latency.
   */
  readonly weightS_Bps: number;
  /** Whether shares are inversely proportional to the route latency (TCP's RTT unfairness, SimGrid's CM02 and LV08). */
  readonly latencyFairness: boolean;
}

/** The models by name. */
export const NETWORK_MODELS = {
  ideal: { bandwidthFactor: 1, latencyFactor: 1, window_bytes: 0, ackFraction: 0, weightS_Bps: 0, latencyFairness: false },
  cm02: { bandwidthFactor: 1, latencyFactor: 1, window_bytes: 4 * 2 ** 20, ackFraction: 0.05, weightS_Bps: 0, latencyFairness: true },
  lv08: { bandwidthFactor: 0.97, latencyFactor: 13.01, window_bytes: 4 * 2 ** 20, ackFraction: 0.05, weightS_Bps: 20537, latencyFairness: true },
} as const satisfies Record<string, NetworkModel>;
export type NetworkModelName = keyof typeof NETWORK_MODELS;

/** A host as the topology sees it. */
export interface TopologyHost {
  readonly id: string;
  /** NIC bandwidth in bytes per second (each direction). */
  readonly nic_Bps: number;
}

/**
 * A star: every host's NIC joins a switch. `split` duplex gives each NIC an up and a down link
 * (a host sends and receives at full rate at once); `shared` one link for both directions. The
 * switch's backplane is a link of `core_Bps` when given (else it never limits). `latency_s` is
 * host to host, half on each NIC.
 */
export interface StarTopology {
  readonly kind: 'star';
  readonly duplex: 'split' | 'shared';
  readonly core_Bps?: number;
  readonly latency_s: number;
}

/**
 * A dumbbell: two stars (the `left` hosts and the others) whose switches are joined by one
 * bottleneck link of `bottleneck_Bps` (per direction with `split` duplex, shared by both with
 * `shared`). A flow between the sides crosses the source NIC, the bottleneck and the destination
 * NIC; within a side, the two NICs. `latency_s` is host to its switch's peer as in a star; the
 * bottleneck adds `bottleneckLatency_s`.
 */
export interface DumbbellTopology {
  readonly kind: 'dumbbell';
  readonly duplex: 'split' | 'shared';
  /** Host ids on the left side (at least one); the others are on the right (at least one). */
  readonly left: readonly string[];
  readonly bottleneck_Bps: number;
  readonly bottleneckLatency_s?: number;
  readonly latency_s: number;
}

/** Links by name and the route between hosts, as lists of link ids (both directions must be given to use both). */
export interface LinksTopology {
  readonly kind: 'links';
  readonly links: ReadonlyArray<{ readonly id: string; readonly bandwidth_Bps: number; readonly latency_s: number }>;
  readonly routes: ReadonlyArray<{ readonly from: string; readonly to: string; readonly links: readonly string[]; readonly symmetric?: boolean }>;
}

export type TopologySpec = StarTopology | DumbbellTopology | LinksTopology;

/** A topology under a model, ready for a network. */
export interface Topology {
  readonly hosts: readonly TopologyHost[];
  /** The links with the capacity flows can use (bandwidth × the model's factor). */
  readonly links: readonly Link[];
  /** Link indices from host a to host b (throws when there is none). */
  route(a: number, b: number): readonly number[];
  /** How a bulk flow from a to b is placed: route with the acknowledgements' usage, weight, latency, rate bound. */
  path(a: number, b: number): MigrationPath;
  /** Links traffic from host a to clients outside the topology crosses (its NIC's uplink in a star or dumbbell); throws for `links` topologies. */
  exit(a: number): readonly number[];
}

/** The hosts joined as `spec` says, under `model`. */
export function buildTopology(hosts: readonly TopologyHost[], spec: TopologySpec, model: NetworkModel): Topology {
  const raw: Array<{ id: string; bandwidth_Bps: number; latency_s: number }> = [];
  const routes = new Map<string, number[]>();
  const exits: number[][] = [];
  const key = (a: number, b: number): string => `${a}>${b}`;
  const index = new Map(hosts.map((h, i) => [h.id, i]));
  if (index.size !== hosts.length) throw new RangeError('topology: two hosts have the same id');
  if (spec.kind === 'star' || spec.kind === 'dumbbell') {
    if (!(spec.latency_s >= 0)) throw new RangeError(`topology: latency must be >= 0 s, got ${spec.latency_s}`);
    const up: number[] = [];
    const down: number[] = [];
    for (const h of hosts) {
      if (!(h.nic_Bps > 0)) throw new RangeError(`host ${h.id}: NIC bandwidth must be > 0, got ${h.nic_Bps}`);
      if (spec.duplex === 'split') {
        up.push(raw.push({ id: `${h.id}:up`, bandwidth_Bps: h.nic_Bps, latency_s: spec.latency_s / 2 }) - 1);
        down.push(raw.push({ id: `${h.id}:down`, bandwidth_Bps: h.nic_Bps, latency_s: spec.latency_s / 2 }) - 1);
      } else {
        const l = raw.push({ id: h.id, bandwidth_Bps: h.nic_Bps, latency_s: spec.latency_s / 2 }) - 1;
        up.push(l);
        down.push(l);
      }
    }
    for (const l of up) exits.push([l]);
    if (spec.kind === 'star') {
      let core = -1;
      if (spec.core_Bps !== undefined) {
        if (!(spec.core_Bps > 0)) throw new RangeError(`topology: core bandwidth must be > 0, got ${spec.core_Bps}`);
        core = raw.push({ id: 'core', bandwidth_Bps: spec.core_Bps, latency_s: 0 }) - 1;
      }
      for (let a = 0; a < hosts.length; a++)
        for (let b = 0; b < hosts.length; b++) if (a !== b) routes.set(key(a, b), core < 0 ? [up[a]!, down[b]!] : [up[a]!, core, down[b]!]);
    } else {
      if (!(spec.bottleneck_Bps > 0)) throw new RangeError(`topology: bottleneck bandwidth must be > 0, got ${spec.bottleneck_Bps}`);
      const lat = spec.bottleneckLatency_s ?? 0;
      if (!(lat >= 0)) throw new RangeError(`topology: bottleneck latency must be >= 0 s, got ${lat}`);
      const left = new Set<number>();
      for (const id of spec.left) {
        const i = index.get(id);
        if (i === undefined) throw new RangeError(`topology: the dumbbell's left side names host '${id}', which does not exist (hosts: ${hosts.map((h) => h.id).join(', ')})`);
        left.add(i);
      }
      if (left.size === 0 || left.size === hosts.length) throw new RangeError(`topology: a dumbbell needs hosts on both sides (left has ${left.size} of ${hosts.length})`);
      const rightward = raw.push({ id: spec.duplex === 'split' ? 'bottleneck:left>right' : 'bottleneck', bandwidth_Bps: spec.bottleneck_Bps, latency_s: lat }) - 1;
      const leftward = spec.duplex === 'split' ? raw.push({ id: 'bottleneck:right>left', bandwidth_Bps: spec.bottleneck_Bps, latency_s: lat }) - 1 : rightward;
      for (let a = 0; a < hosts.length; a++)
        for (let b = 0; b < hosts.length; b++) {
          if (a === b) continue;
          const across = left.has(a) === left.has(b) ? [] : [left.has(a) ? rightward : leftward];
          routes.set(key(a, b), [up[a]!, ...across, down[b]!]);
        }
    }
  } else {
    const linkIndex = new Map<string, number>();
    for (const l of spec.links) {
      if (linkIndex.has(l.id)) throw new RangeError(`topology: two links are named '${l.id}'`);
      if (!(l.bandwidth_Bps > 0)) throw new RangeError(`link ${l.id}: bandwidth must be > 0, got ${l.bandwidth_Bps}`);
      if (!(l.latency_s >= 0)) throw new RangeError(`link ${l.id}: latency must be >= 0 s, got ${l.latency_s}`);
      linkIndex.set(l.id, raw.push({ ...l }) - 1);
    }
    for (const r of spec.routes) {
      const a = index.get(r.from);
      const b = index.get(r.to);
      if (a === undefined || b === undefined) throw new RangeError(`topology: route ${r.from} → ${r.to} names a host that does not exist (hosts: ${hosts.map((h) => h.id).join(', ')})`);
      const ls = r.links.map((id) => {
        const i = linkIndex.get(id);
        if (i === undefined) throw new RangeError(`topology: route ${r.from} → ${r.to} crosses link '${id}', which is not in the links (${[...linkIndex.keys()].join(', ')})`);
        return i;
      });
      routes.set(key(a, b), ls);
      if (r.symmetric !== false && !routes.has(key(b, a))) routes.set(key(b, a), [...ls].reverse());
    }
  }
  const links: Link[] = raw.map((l) => ({ id: l.id, bandwidth_Bps: l.bandwidth_Bps * model.bandwidthFactor, latency_s: l.latency_s }));
  const route = (a: number, b: number): readonly number[] => {
    const r = routes.get(key(a, b));
    if (!r) throw new RangeError(`topology: no route from ${hosts[a]?.id ?? a} to ${hosts[b]?.id ?? b}`);
    return r;
  };
  const paths = new Map<string, MigrationPath>();
  const path = (a: number, b: number): MigrationPath => {
    const k = key(a, b);
    const cached = paths.get(k);
    if (cached) return cached;
    const forward = route(a, b);
    const latency = forward.reduce((s, l) => s + raw[l]!.latency_s, 0);
    // Capacity taken per byte/s on each link: 1 on the route, the acknowledgements' share on the way back.
    const usage = new Map<number, number>();
    for (const l of forward) usage.set(l, (usage.get(l) ?? 0) + 1);
    if (model.ackFraction > 0) {
      const back = routes.get(key(b, a));
      if (back) for (const l of back) usage.set(l, (usage.get(l) ?? 0) + model.ackFraction);
    }
    let penalty = model.latencyFairness && latency > 0 ? latency : 0;
    if (model.weightS_Bps > 0) for (const l of forward) penalty += model.weightS_Bps / raw[l]!.bandwidth_Bps;
    const window = model.window_bytes > 0 && latency > 0 ? (model.bandwidthFactor * model.window_bytes) / (2 * latency) : Infinity;
    const entries = [...usage];
    const p: MigrationPath = {
      route: entries.map(([l]) => l),
      ...(entries.some(([, u]) => u !== 1) ? { usage: entries.map(([, u]) => u) } : {}),
      ...(penalty > 0 ? { weight: 1 / penalty } : {}),
      latency_s: latency * model.latencyFactor,
      ...(Number.isFinite(window) ? { cap_Bps: window } : {}),
    };
    paths.set(k, p);
    return p;
  };
  const exit = (a: number): readonly number[] => {
    const e = exits[a];
    if (!e) throw new RangeError(`topology: service traffic leaves a host by its uplink, which a 'links' topology does not name (use a 'star' topology, or no service)`);
    return e;
  };
  return { hosts, links, route, path, exit };
}
