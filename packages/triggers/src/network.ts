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
  /**
   * Send `bytes` over `route` (link indices) at most at `cap_Bps`; `onDone` when the last byte
   * arrives (after the route's latency plus the transfer).
   *
   * `follows`: the flow whose `onDone` is running now, which the caller no longer uses (the next
   * round of a migration). When the new transfer has the same route and cap and no latency, it
   * takes that flow's place at once — the same object, its rate kept — instead of waiting for the
   * re-solve of this instant to match it (the same rates and completion times, without a flow, a
   * re-solve event and the list churn per round). Otherwise it starts as a fresh transfer.
   */
  transfer(d: { route: readonly number[]; cap_Bps?: number; bytes: number; onDone: () => void; follows?: ClusterFlow }): ClusterFlow;
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
  /** Attachments so far: the link-list entries of the current one carry this number. */
  gen: number;
  /** While its `onDone` runs: the entry it left in the changes of this instant (a `follows` transfer takes it back). */
  leaving: Gone | null;
  /** Its completion callback (one closure per flow, reused by its renewals). */
  onComplete: () => void;
  /** The entry it leaves in `pendingGone` when it ends (reused: a flow ends again only once renewed, after the entry left the list). */
  gone: Gone | null;
}

/** A flow that left at this instant: its route, cap, rate and the links to recompute. */
interface Gone {
  route: readonly number[];
  cap: number;
  rate: number;
  seeds: number[];
  matched: boolean;
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
  // The flows on each link, in the order they attached. A flow that leaves is not spliced out
  // (the core switch's list holds every flow): its entry dies — the flow is inactive or attached
  // again since (`gen`) — and dead entries are dropped when they outnumber the live ones (+ 4).
  const onLink: Flow[][] = Array.from({ length: L }, () => []);
  const onLinkGen: number[][] = Array.from({ length: L }, () => []);
  const liveOn = new Int32Array(L);
  const entryLive = (l: number, i: number): boolean => {
    const f = onLink[l]![i]!;
    return f.active && f.gen === onLinkGen[l]![i];
  };
  const compactLink = (l: number): void => {
    const fs = onLink[l]!;
    const gs = onLinkGen[l]!;
    let n = 0;
    for (let i = 0; i < fs.length; i++) {
      const f = fs[i]!;
      if (f.active && f.gen === gs[i]) {
        fs[n] = f;
        gs[n] = gs[i]!;
        n++;
      }
    }
    fs.length = n;
    gs.length = n;
  };
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
  /** Local links of the component flows' routes: flow i's are flowLinks[flowLinkStart[i] .. flowLinkStart[i + 1]). */
  let flowLinkStart = new Int32Array(17);
  let flowLinks = new Int32Array(48);
  /** Flows to freeze at the current level. */
  let freezing = new Int32Array(48);

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
    const fs = onLink[l]!;
    for (let i = 0; i < fs.length; i++) if (entryLive(l, i)) addFlow(fs[i]!);
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
  /** Flows that left at this instant. */
  let pendingGone: Gone[] = [];
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
      f.completion = kernel.schedule(Math.max(0, f.left) / rate, f.onComplete);
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
  /** Room for n entries (a recomputation pushes at most one per flow, one per link and one per link of each route). */
  const reserveHeap = (n: number): void => {
    if (heapKey.length >= n) return;
    heapKey = new Float64Array(2 * n);
    heapId = new Int32Array(2 * n);
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
    compFlows.length = 0;
    compLinks.length = 0;
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
    // Every link of a component flow's route is in the component (registered or added).
    if (flowLinkStart.length < F + 1) flowLinkStart = new Int32Array(2 * F + 1);
    let total = 0;
    for (let i = 0; i < F; i++) total += compFlows[i]!.route.length;
    if (flowLinks.length < total) flowLinks = new Int32Array(2 * total);
    reserveHeap(F + K + total);
    // The filling on local references (this loop is the solver's cost), the heap through
    // heapPush / heapPop.
    const hk = heapKey;
    const hid = heapId;
    const rem = remaining;
    const unf = unfrozenOn;
    const fr = frozen;
    const rt = rates;
    const fls = flowLinks;
    const fst = flowLinkStart;
    let hn = 0;
    let unfrozen = 0;
    let at = 0;
    for (let i = 0; i < F; i++) {
      const f = compFlows[i]!;
      const route = f.route;
      fst[i] = at;
      for (let j = 0; j < route.length; j++) fls[at++] = linkLocal[route[j]!]!;
      rt[i] = 0;
      if (f.cap <= 0) {
        fr[i] = 1;
        continue;
      }
      fr[i] = 0;
      unfrozen++;
      for (let j = fst[i]!; j < at; j++) unf[fls[j]!]!++;
      if (f.cap !== Infinity) {
        heapPush(hk, hid, hn++, f.cap, -1 - i);
      }
    }
    fst[F] = at;
    for (let k = 0; k < K; k++) {
      if (!(unf[k]! > 0)) continue;
      heapPush(hk, hid, hn++, rem[k]! / unf[k]!, k);
    }
    let level = 0;
    if (freezing.length < total + 1) freezing = new Int32Array(2 * total + 2);
    const fz = freezing;
    // Once every flow is frozen the entries left are stale (their links have no unfrozen flow).
    while (hn > 0 && unfrozen > 0) {
      const key = hk[0]!;
      const id = hid[0]!;
      heapPop(hk, hid, --hn);
      // The flows to freeze at this level, in order: a flow reaching its cap, or the unfrozen
      // flows of a link reaching its share.
      let nf = 0;
      if (id < 0) {
        const i = -1 - id;
        if (fr[i]) continue;
        level = Math.max(level, key);
        fz[nf++] = i;
      } else {
        const n = unf[id]!;
        // A stale entry: the link's share changed (a newer entry holds it) or its flows are frozen.
        if (n === 0 || key !== Math.max(0, rem[id]!) / n) continue;
        level = Math.max(level, key);
        const l = compLinks[id]!;
        const fs = onLink[l]!;
        for (let e = 0; e < fs.length; e++) {
          const f = fs[e]!;
          if (f.seen === mark && entryLive(l, e) && !fr[f.local]) fz[nf++] = f.local;
        }
      }
      for (let q = 0; q < nf; q++) {
        // Freeze flow i at the level: its links' shares change.
        const i = fz[q]!;
        if (fr[i]) continue; // listed twice (a route crossing the link twice)
        fr[i] = 1;
        rt[i] = level;
        unfrozen--;
        const end = fst[i + 1]!;
        for (let j = fst[i]!; j < end; j++) {
          const k = fls[j]!;
          rem[k]! -= level;
          if (--unf[k]! > 0) {
            heapPush(hk, hid, hn++, Math.max(0, rem[k]!) / unf[k]!, k);
          }
        }
      }
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
      f.completion = r > 0 ? kernel.schedule(Math.max(0, f.left) / r, f.onComplete) : undefined;
    }
  };

  /** Put f on its links (at the end of their lists). */
  const link = (f: Flow): void => {
    f.active = true;
    f.gen++;
    activeCount++;
    const route = f.route;
    for (let j = 0; j < route.length; j++) {
      const l = route[j]!;
      onLink[l]!.push(f);
      onLinkGen[l]!.push(f.gen);
      liveOn[l]!++;
      if (f.maxRate[j] === Infinity) unbounded[l]!++;
      else bound[l]! += f.maxRate[j]!;
    }
  };

  const attach = (f: Flow): void => {
    link(f);
    // Links that stay slack limit no one: the new flow and what it binds to are enough.
    pendingFlows.push(f);
    later();
  };

  /** Take f off its links; the entry of the change, to push to `pendingGone`. */
  const unlink = (f: Flow): Gone => {
    f.active = false;
    activeCount--;
    let gone = f.gone;
    if (gone === null) gone = f.gone = { route: f.route, cap: f.cap, rate: 0, seeds: [], matched: false };
    else gone.seeds.length = 0;
    const seeds = gone.seeds;
    const route = f.route;
    for (let j = 0; j < route.length; j++) {
      const l = route[j]!;
      const wasBinding = !slack(l);
      liveOn[l]!--;
      if (f.maxRate[j] === Infinity) unbounded[l]!--;
      else bound[l]! -= f.maxRate[j]!;
      if (liveOn[l] === 0) bound[l] = 0;
      if (wasBinding || !slack(l)) seeds.push(l);
      const n = onLink[l]!.length;
      if (n > 2 * liveOn[l]! + 4) compactLink(l);
    }
    if (f.completion) kernel.cancel(f.completion);
    f.completion = undefined;
    gone.rate = f.rate_Bps;
    gone.matched = false;
    return gone;
  };

  const detach = (f: Flow): void => {
    pendingGone.push(unlink(f));
    later();
  };

  const finish = (f: Flow): void => {
    f.completion = undefined;
    f.left = 0;
    f.t = kernel.now;
    const gone = unlink(f);
    pendingGone.push(gone);
    f.rate_Bps = 0;
    // The re-solve of this instant is scheduled once onDone has returned: a `follows` transfer
    // from onDone takes the entry back, and with nothing else changed there is nothing to solve.
    // (onDone schedules no zero-delay event that the re-solve would otherwise precede.)
    f.leaving = gone;
    f.done();
    if (f.leaving === gone) {
      f.leaving = null;
      later();
    }
  };

  /** Renew f, which finished at this instant, as the next transfer on its route at its cap and rate. */
  const renew = (f: Flow, gone: Gone, bytes: number, onDone: () => void): Flow => {
    f.leaving = null;
    pendingGone.splice(pendingGone.lastIndexOf(gone), 1);
    f.left = bytes;
    f.t = kernel.now;
    f.done = onDone;
    link(f);
    stats.inherited++;
    f.rate_Bps = gone.rate;
    f.completion = kernel.schedule(Math.max(0, f.left) / gone.rate, f.onComplete);
    return f;
  };

  class FlowImpl implements Flow {
    maxRate: Float64Array;
    rate_Bps = 0;
    left: number;
    t: number;
    completion: EventHandle | undefined = undefined;
    active = false;
    cancelled = false;
    seen = 0;
    local = 0;
    gen = 0;
    leaving: Gone | null = null;
    gone: Gone | null = null;
    readonly onComplete: () => void;
    constructor(
      readonly route: readonly number[],
      readonly cap: number,
      bytes: number,
      public done: () => void,
    ) {
      this.left = bytes;
      this.t = kernel.now;
      this.onComplete = () => finish(this);
      const maxRate = new Float64Array(route.length);
      for (let j = 0; j < route.length; j++) {
        let m = cap;
        for (let i = 0; i < route.length; i++) if (i !== j) m = Math.min(m, capacity[route[i]!]!);
        maxRate[j] = m;
      }
      this.maxRate = maxRate;
    }
    get remaining_bytes(): number {
      return Math.max(0, this.left - this.rate_Bps * (kernel.now - this.t));
    }
    cancel(): void {
      if (this.cancelled) return;
      this.cancelled = true;
      if (this.active) {
        this.left -= this.rate_Bps * (kernel.now - this.t);
        this.t = kernel.now;
        detach(this);
      }
      if (this.completion) kernel.cancel(this.completion);
      this.completion = undefined;
      this.rate_Bps = 0;
    }
  }

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
      if (d.route.length === 0 && cap === Infinity) throw new RangeError('transfer crosses no link and has no rate cap: its rate would be infinite');
      const prev = d.follows;
      if (prev instanceof FlowImpl && prev.leaving && latency === 0 && prev.cap === cap && prev.leaving.rate > 0 && !prev.cancelled && sameRoute(prev.route, d.route))
        return renew(prev, prev.leaving, d.bytes, d.onDone);
      const f = new FlowImpl(d.route, cap, d.bytes, d.onDone);
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

/**
 * Push (key, id) onto the binary min-heap of `keys`/`ids` holding `size` entries (the caller
 * counts the new entry). Plain functions on typed arrays: the solver's inner loop.
 */
function heapPush(keys: Float64Array, ids: Int32Array, size: number, key: number, id: number): void {
  let c = size;
  while (c > 0) {
    const p = (c - 1) >> 1;
    if (keys[p]! <= key) break;
    keys[c] = keys[p]!;
    ids[c] = ids[p]!;
    c = p;
  }
  keys[c] = key;
  ids[c] = id;
}

/** Remove the root of the heap; `size` is the count after removal (read the root first). */
function heapPop(keys: Float64Array, ids: Int32Array, size: number): void {
  const lastKey = keys[size]!;
  const lastId = ids[size]!;
  let c = 0;
  for (;;) {
    let ch = 2 * c + 1;
    if (ch >= size) break;
    if (ch + 1 < size && keys[ch + 1]! < keys[ch]!) ch++;
    if (keys[ch]! >= lastKey) break;
    keys[c] = keys[ch]!;
    ids[c] = ids[ch]!;
    c = ch;
  }
  keys[c] = lastKey;
  ids[c] = lastId;
}
