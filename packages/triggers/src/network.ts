/**
 * A flow network for the cluster simulation with the same max-min fair rates as core's
 * `createFlowNetwork`, recomputed only where a change can matter.
 *
 * Max-min fairness decomposes over connected components (flows linked by shared links), so when
 * a flow starts or ends only the flows connected to it through *binding* links can change rate.
 * A link is *slack* when the flows crossing it fit in it even at their highest possible rates
 * (Σ over its flows of min(cap, narrowest other link of the route) ≤ its capacity): a slack link
 * never limits a flow (it may just fill up when every flow is at its cap), so it does not connect
 * components. In a star cluster
 * with an unlimited core switch, the components are the migrations sharing NICs; a migration alone
 * on its NICs is solved by itself. Flows outside the component keep their rate and their
 * completion event (core's network recomputes every flow and reschedules every completion).
 *
 * Per component the rates are those of core's `maxMinFairRates` (progressive filling), computed
 * level by level with a heap (within rounding). Changes at one instant (a round that ends and the
 * next that starts, the migrations a decision starts) are solved together, once.
 */
import type { EventHandle, Kernel, Link } from '@livemig/core';

/** A transfer in a {@link ClusterNetwork}. */
export interface ClusterFlow {
  /** Current rate in bytes per second. */
  readonly rate_Bps: number;
  /** Bytes still to deliver now. */
  readonly remaining_bytes: number;
  /** Stop the transfer; `onDone` is not called. */
  cancel(): void;
}

export interface ClusterNetwork {
  /** Send `bytes` over `route` (link indices) at most at `cap_Bps`; `onDone` when the last byte arrives (after the route's latency plus the transfer). */
  transfer(d: { route: readonly number[]; cap_Bps?: number; bytes: number; onDone: () => void }): ClusterFlow;
  /** Flows currently sharing links. */
  readonly activeCount: number;
  /** Rate recomputations done, flows they covered, and flows that took the rate of the flow they replaced (for benchmarks). */
  readonly stats: { recomputations: number; flowsRecomputed: number; inherited: number };
}

interface Flow extends ClusterFlow {
  route: readonly number[];
  cap: number;
  /** Per link of the route: min(cap, narrowest *other* link of the route), the highest rate the flow could get were that link unlimited. */
  maxRate: Float64Array;
  rate_Bps: number;
  /** Bytes left at `t`. */
  left: number;
  t: number;
  done: () => void;
  completion: EventHandle | undefined;
  /** Crossing its links now (started, not finished or cancelled). */
  active: boolean;
  cancelled: boolean;
  /** Mark of the last component search that visited it. */
  seen: number;
  /** Local index in the current component. */
  local: number;
}

/** Relative rounding allowed in the running sums of {@link slack}. */
const SLACK_ROUNDING = 1e-12;

/** Create a cluster network over `links` driven by `kernel`. */
export function createClusterNetwork(kernel: Kernel, links: readonly Link[]): ClusterNetwork {
  const L = links.length;
  const capacity = new Float64Array(L);
  links.forEach((l, i) => {
    if (!(l.bandwidth_Bps > 0)) throw new RangeError(`link ${l.id}: bandwidth must be > 0 bytes/s, got ${l.bandwidth_Bps}`);
    if (!(l.latency_s >= 0)) throw new RangeError(`link ${l.id}: latency must be >= 0 s, got ${l.latency_s}`);
    capacity[i] = l.bandwidth_Bps;
  });
  const onLink: Flow[][] = Array.from({ length: L }, () => []);
  /** Σ finite maxRate of the flows on each link, and the number of its flows with an infinite one. */
  const bound = new Float64Array(L);
  const unbounded = new Int32Array(L);
  /** Marks: link registered as a constraint of the current component / its flows added too. */
  const linkSeen = new Int32Array(L);
  const linkFull = new Int32Array(L);
  const linkLocal = new Int32Array(L);
  let mark = 0;
  let activeCount = 0;
  const stats = { recomputations: 0, flowsRecomputed: 0, inherited: 0 };
  // Scratch of the component search and the filling, grown on demand.
  let compFlows: Flow[] = [];
  let compLinks: number[] = [];
  let rates = new Float64Array(16);
  let frozen = new Uint8Array(16);
  let remaining = new Float64Array(16);
  let unfrozenOn = new Int32Array(16);

  /**
   * Link l limits no flow: even at the highest rates they could get were l unlimited, its flows
   * fit (Σ maxRate ≤ capacity). Then solving a component with l's full capacity shared by the
   * component's flows alone gives rates that keep l's real load within its capacity, so it is
   * the max-min allocation (two migrations capped at half a NIC do not bind the NIC).
   */
  const slack = (l: number): boolean => unbounded[l] === 0 && bound[l]! <= capacity[l]! * (1 + SLACK_ROUNDING);

  /** Link l as a constraint of the component (its capacity shared by the component's flows on it). */
  const registerLink = (l: number): void => {
    if (linkSeen[l] === mark) return;
    linkSeen[l] = mark;
    linkLocal[l] = compLinks.length;
    compLinks.push(l);
  };
  /** Link l and every flow on it, and on (their binding links), … */
  const addLink = (l: number): void => {
    registerLink(l);
    if (linkFull[l] === mark) return;
    linkFull[l] = mark;
    for (const f of onLink[l]!) addFlow(f);
  };
  const addFlow = (f: Flow): void => {
    if (f.seen === mark) return;
    f.seen = mark;
    f.local = compFlows.length;
    compFlows.push(f);
    for (const l of f.route) if (slack(l)) registerLink(l);
    else addLink(l);
  };

  // Changes at one instant are solved together: the first change schedules a recomputation after
  // the events already queued for this instant (e.g. a round that ends and the next that starts).
  let pendingFlows: Flow[] = [];
  /** Flows that left at this instant: their route, cap, rate and the links to recompute. */
  let pendingGone: Array<{ route: readonly number[]; cap: number; rate: number; seeds: number[]; matched: boolean }> = [];
  let scheduled = false;
  const sameRoute = (a: readonly number[], b: readonly number[]): boolean => {
    if (a === b) return true;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  const flush = (): void => {
    scheduled = false;
    const gone = pendingGone;
    const added = pendingFlows;
    pendingGone = [];
    pendingFlows = [];
    // A flow that takes the place of one that left at the same instant (same route and cap: the
    // next round of a migration) leaves the demands as they were, so every rate stays: it takes
    // the rate of the one it replaces, and only the other changes are solved.
    const inherit: Array<[Flow, number]> = [];
    const fresh: Flow[] = [];
    for (const f of added) {
      if (!f.active) continue;
      const g = gone.find((x) => !x.matched && x.rate > 0 && x.cap === f.cap && sameRoute(x.route, f.route));
      if (g) {
        g.matched = true;
        inherit.push([f, g.rate]);
      } else fresh.push(f);
    }
    const seeds: number[] = [];
    for (const g of gone) if (!g.matched) for (const l of g.seeds) seeds.push(l);
    recompute(seeds, fresh);
    for (const [f, rate] of inherit) {
      if (f.seen === mark || !f.active) continue; // solved with the other changes
      stats.inherited++;
      f.t = kernel.now;
      f.rate_Bps = rate;
      f.completion = kernel.schedule(Math.max(0, f.left) / rate, () => finish(f));
    }
  };
  const later = (): void => {
    if (!scheduled) {
      scheduled = true;
      kernel.schedule(0, flush);
    }
  };

  // Binary min-heap of (key, id): id ≥ 0 a local link, id < 0 the flow −1 − id (its cap).
  let heapKey = new Float64Array(64);
  let heapId = new Int32Array(64);
  let heapN = 0;
  const push = (key: number, id: number): void => {
    if (heapN === heapKey.length) {
      const k2 = new Float64Array(2 * heapN);
      k2.set(heapKey);
      heapKey = k2;
      const i2 = new Int32Array(2 * heapN);
      i2.set(heapId);
      heapId = i2;
    }
    let i = heapN++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heapKey[p]! <= key) break;
      heapKey[i] = heapKey[p]!;
      heapId[i] = heapId[p]!;
      i = p;
    }
    heapKey[i] = key;
    heapId[i] = id;
  };
  /** Remove the root (read heapKey[0] / heapId[0] first). */
  const pop = (): void => {
    const key = heapKey[--heapN]!;
    const id = heapId[heapN]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= heapN) break;
      if (c + 1 < heapN && heapKey[c + 1]! < heapKey[c]!) c++;
      if (heapKey[c]! >= key) break;
      heapKey[i] = heapKey[c]!;
      heapId[i] = heapId[c]!;
      i = c;
    }
    heapKey[i] = key;
    heapId[i] = id;
  };

  /**
   * Recompute the rates of the flows connected to the links `seeds` and the flows `seedFlows`,
   * and reschedule the completions of those whose rate changed.
   *
   * Max-min fair rates by levels (the progressive filling of core's maxMinFairRates, jumping from
   * one freezing level to the next): all unfrozen flows share the level λ; the next level is the
   * least of the flows' caps and the links' fair shares (capacity − frozen rates) ÷ unfrozen
   * flows; a flow reaching its cap freezes there, a link reaching its share freezes its flows.
   */
  const recompute = (seeds: readonly number[], seedFlows: readonly Flow[]): void => {
    mark++;
    compFlows = [];
    compLinks = [];
    for (const f of seedFlows) if (f.active) addFlow(f);
    for (const l of seeds) addLink(l);
    const F = compFlows.length;
    const K = compLinks.length;
    if (F === 0) return;
    stats.recomputations++;
    stats.flowsRecomputed += F;
    if (rates.length < F) {
      rates = new Float64Array(2 * F);
      frozen = new Uint8Array(2 * F);
    }
    if (remaining.length < K) {
      remaining = new Float64Array(2 * K);
      unfrozenOn = new Int32Array(2 * K);
    }
    for (let k = 0; k < K; k++) {
      remaining[k] = capacity[compLinks[k]!]!;
      unfrozenOn[k] = 0;
    }
    heapN = 0;
    for (let i = 0; i < F; i++) {
      const f = compFlows[i]!;
      rates[i] = 0;
      if (f.cap <= 0) {
        frozen[i] = 1;
        continue;
      }
      frozen[i] = 0;
      for (const l of f.route) if (linkSeen[l] === mark) unfrozenOn[linkLocal[l]!]!++;
      if (f.cap !== Infinity) push(f.cap, -1 - i);
    }
    for (let k = 0; k < K; k++) if (unfrozenOn[k]! > 0) push(remaining[k]! / unfrozenOn[k]!, k);
    let level = 0;
    const freeze = (i: number, rate: number): void => {
      frozen[i] = 1;
      rates[i] = rate;
      for (const l of compFlows[i]!.route) {
        if (linkSeen[l] !== mark) continue;
        const k = linkLocal[l]!;
        remaining[k]! -= rate;
        if (--unfrozenOn[k]! > 0) push(Math.max(0, remaining[k]!) / unfrozenOn[k]!, k);
      }
    };
    while (heapN > 0) {
      const key = heapKey[0]!;
      const id = heapId[0]!;
      pop();
      if (id < 0) {
        const i = -1 - id;
        if (frozen[i]) continue;
        level = Math.max(level, key);
        freeze(i, level);
        continue;
      }
      const n = unfrozenOn[id]!;
      // A stale entry: the link's share changed (a newer entry holds it) or its flows are frozen.
      if (n === 0 || key !== Math.max(0, remaining[id]!) / n) continue;
      level = Math.max(level, key);
      for (const f of onLink[compLinks[id]!]!) if (f.seen === mark && !frozen[f.local]) freeze(f.local, level);
    }
    const now = kernel.now;
    for (let i = 0; i < F; i++) {
      const f = compFlows[i]!;
      const r = rates[i]!;
      if (r === f.rate_Bps && f.completion) continue;
      f.left -= f.rate_Bps * (now - f.t);
      f.t = now;
      f.rate_Bps = r;
      if (f.completion) kernel.cancel(f.completion);
      f.completion = r > 0 ? kernel.schedule(Math.max(0, f.left) / r, () => finish(f)) : undefined;
    }
  };

  const attach = (f: Flow): void => {
    f.active = true;
    activeCount++;
    f.route.forEach((l, j) => {
      onLink[l]!.push(f);
      if (f.maxRate[j] === Infinity) unbounded[l]!++;
      else bound[l]! += f.maxRate[j]!;
    });
    // Links that stay slack limit no one: the new flow and what it binds to are enough.
    pendingFlows.push(f);
    later();
  };

  const detach = (f: Flow): void => {
    f.active = false;
    activeCount--;
    const seeds: number[] = [];
    for (let j = 0; j < f.route.length; j++) {
      const l = f.route[j]!;
      const wasBinding = !slack(l);
      const list = onLink[l]!;
      list.splice(list.indexOf(f), 1);
      if (f.maxRate[j] === Infinity) unbounded[l]!--;
      else bound[l]! -= f.maxRate[j]!;
      if (list.length === 0) bound[l] = 0;
      if (wasBinding || !slack(l)) seeds.push(l);
    }
    if (f.completion) kernel.cancel(f.completion);
    f.completion = undefined;
    pendingGone.push({ route: f.route, cap: f.cap, rate: f.rate_Bps, seeds, matched: false });
    later();
  };

  const finish = (f: Flow): void => {
    f.completion = undefined;
    f.left = 0;
    f.t = kernel.now;
    detach(f);
    f.rate_Bps = 0;
    f.done();
  };

  return {
    get activeCount() {
      return activeCount;
    },
    stats,
    transfer(d) {
      if (!(d.bytes >= 0)) throw new RangeError(`transfer: bytes must be >= 0, got ${d.bytes}`);
      const cap = d.cap_Bps ?? Infinity;
      if (!(cap >= 0)) throw new RangeError(`transfer: cap must be >= 0 bytes/s, got ${d.cap_Bps}`);
      let latency = 0;
      for (const l of d.route) {
        if (!(Number.isInteger(l) && l >= 0 && l < L)) throw new RangeError(`route names link ${l}, but there are ${L} links`);
        latency += links[l]!.latency_s;
      }
      const maxRate = new Float64Array(d.route.length);
      for (let j = 0; j < d.route.length; j++) {
        let m = cap;
        for (let i = 0; i < d.route.length; i++) if (i !== j) m = Math.min(m, capacity[d.route[i]!]!);
        maxRate[j] = m;
      }
      if (d.route.length === 0 && cap === Infinity) throw new RangeError('transfer crosses no link and has no rate cap: its rate would be infinite');
      const f: Flow = {
        route: d.route,
        cap,
        maxRate,
        rate_Bps: 0,
        left: d.bytes,
        t: kernel.now,
        done: d.onDone,
        completion: undefined,
        active: false,
        cancelled: false,
        seen: 0,
        local: 0,
        get remaining_bytes() {
          return Math.max(0, f.left - f.rate_Bps * (kernel.now - f.t));
        },
        cancel() {
          if (f.cancelled) return;
          f.cancelled = true;
          if (f.active) {
            f.left -= f.rate_Bps * (kernel.now - f.t);
            f.t = kernel.now;
            detach(f);
          }
          if (f.completion) kernel.cancel(f.completion);
          f.completion = undefined;
          f.rate_Bps = 0;
        },
      };
      const begin = (): void => {
        if (f.cancelled) return;
        f.t = kernel.now;
        if (d.route.length === 0) {
          // No link: the cap alone sets the rate.
          f.rate_Bps = cap;
          f.completion = kernel.schedule(d.bytes / cap, () => {
            f.completion = undefined;
            f.left = 0;
            f.rate_Bps = 0;
            f.done();
          });
          return;
        }
        attach(f);
      };
      if (latency > 0) kernel.schedule(latency, begin);
      else begin();
      return f;
    },
  };
}
