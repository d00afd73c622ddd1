/**
 * The network: links with bandwidth and latency, flows over routes of links, and max-min fair
 * sharing of every link between the flows that cross it — one implementation, used by single
 * migrations, multi-VM scenarios and the cluster simulation.
 *
 * **Incremental.** Max-min fairness decomposes over connected components (flows linked by shared
 * links), so when a flow starts, ends or changes its cap only the flows connected to it through
 * *binding* links can change rate. A link is *slack* when the flows crossing it fit in it even
 * at their highest possible rates (Σ over its flows of usage × min(cap, narrowest other link of
 * the route) ≤ its capacity): a slack link never limits a flow, so it does not connect
 * components. In a star cluster with an unlimited core switch the components are the
 * migrations sharing NICs; a migration alone on its NICs is solved by itself. Flows outside the
 * component keep their rate and their completion event. Changes at one instant (a round that
 * ends and the next that starts, the migrations a decision starts) are solved together, once.
 *
 * **Weighted.** A flow may use a link at `usage` × its rate (SimGrid's cross-traffic: the
 * acknowledgements of a flow take 5 % of its rate on the reverse route) and have a share
 * `weight` (RTT-unfair TCP models: a flow of weight w gets w × the fair level). With every usage
 * and weight 1 the rates are plain max-min fair rates by progressive filling, computed level by
 * level with a heap.
 */
import type { EventHandle, Kernel } from './kernel.js';

/** A network link. Bandwidth in bytes per second, latency in seconds. */
export interface Link {
  readonly id: string;
  readonly bandwidth_Bps: number;
  readonly latency_s: number;
}

/** A flow's demand on the network. */
export interface FlowSpec {
  /** Indices into the links array. A link listed twice counts with the sum of its usages. */
  readonly route: readonly number[];
  /** Per route entry: link capacity used per byte/s of the flow (default 1 each). */
  readonly usage?: readonly number[];
  /** Upper bound of the flow's rate in bytes per second (default: none). */
  readonly cap_Bps?: number;
  /** Share weight (default 1): where flows compete, a flow of weight w gets w × the fair level. */
  readonly weight?: number;
  /** Delay before the first byte moves (default: the sum of the route's latencies). */
  readonly latency_s?: number;
  /** Called after the flow's rate changed (read `rate_Bps`), once per change, after every change of the instant is solved. */
  readonly onRate?: () => void;
}

/** A flow: a transfer of some bytes, or a stream without end. */
export interface Flow {
  /** Current rate in bytes per second (0 during the latency, and once it ended or was cancelled). */
  readonly rate_Bps: number;
  /** Bytes still to deliver now (Infinity for a stream). */
  readonly remaining_bytes: number;
  /** Bytes delivered so far. */
  readonly delivered_bytes: number;
  /**
   * Seconds the transfer took from its first byte to its last (latency excluded): the sum of
   * its constant-rate segments, the last one as scheduled (bytes left ÷ rate), so that a flow
   * alone on its route reports exactly bytes ÷ rate. Valid in `onDone`.
   */
  readonly transfer_s: number;
  /** Change the rate cap (streams: service demand that varies). */
  setCap(cap_Bps: number): void;
  /** Stop the flow now; `onDone` is not called. */
  cancel(): void;
}

/** A transfer's demand: `bytes` to send, `onDone` when they have arrived, and the flow it may replace. */
export interface TransferSpec extends FlowSpec {
  readonly bytes: number;
  readonly onDone: () => void;
  readonly follows?: Flow | undefined;
}

/** Links shared by flows, simulated on a kernel. */
export interface Network {
  readonly links: readonly Link[];
  /**
   * Send `bytes`; `onDone` when the last byte arrives (after the latency plus the transfer at
   * the max-min fair rate).
   *
   * `follows`: the flow whose `onDone` is running now, which the caller no longer uses (the next
   * round of a migration). When the new transfer has the same route, usage, weight and cap and
   * no latency, it takes that flow's place at once — the same object, its rate kept — instead of
   * waiting for the re-solve of this instant to match it (the same rates and completion times,
   * without a re-solve and the list churn per round). Otherwise it starts as a fresh transfer.
   */
  transfer(spec: TransferSpec): Flow;
  /** A flow without end (service traffic): takes its share until cancelled. */
  stream(spec: FlowSpec): Flow;
  /**
   * The rate a transfer of `spec` would get were it started now with nothing else on the network
   * (as its re-solve would give it); undefined when a flow is on the network or a change of
   * this instant is not solved yet. Lets a lone migration skip the events of its sends.
   */
  loneRate(spec: FlowSpec): number | undefined;
  /** Flows currently on links. */
  readonly activeCount: number;
  /** Rate re-solves done, flows they covered, and transfers that took the rate of the flow they replaced (for benchmarks). */
  readonly stats: { recomputations: number; flowsRecomputed: number; inherited: number };
}

/** Sum of the latencies of a route in seconds. */
export function routeLatency(links: readonly Link[], route: readonly number[]): number {
  let s = 0;
  for (const l of route) s += links[l]!.latency_s;
  return s;
}

/** A flow that left at this instant: its demand, rate and the links to recompute. */
interface Gone {
  route: readonly number[];
  usage: Float64Array | null;
  cap: number;
  weight: number;
  rate: number;
  seeds: number[];
  matched: boolean;
  /** In `pendingGone` (not yet solved): unlinking its flow again needs a new entry. */
  queued: boolean;
}

/** Relative rounding allowed in the running sums of the slack test. */
const SLACK_ROUNDING = 1e-12;

/** Same links and usages. */
function sameDemand(a: readonly number[], au: Float64Array | null, b: readonly number[], bu: Float64Array | null): boolean {
  if (a !== b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  }
  if (au === bu) return true;
  if (au === null || bu === null) return false;
  for (let i = 0; i < au.length; i++) if (au[i] !== bu[i]) return false;
  return true;
}

/**
 * A route with each link once and its usage, checked: `usage` null when every usage is 1 (the
 * common case, kept as the caller's arrays so that rounds of a migration compare by identity).
 */
function normaliseRoute(spec: FlowSpec, L: number): { route: readonly number[]; usage: Float64Array | null } {
  const route = spec.route;
  const usage = spec.usage;
  if (usage !== undefined && usage.length !== route.length) throw new RangeError(`flow: usage has ${usage.length} entries for a route of ${route.length} links`);
  let unit = true;
  let dup = false;
  for (let j = 0; j < route.length; j++) {
    const l = route[j]!;
    if (!(Number.isInteger(l) && l >= 0 && l < L)) throw new RangeError(`route names link ${l}, but there are ${L} links`);
    const u = usage ? usage[j]! : 1;
    if (!(u > 0 && Number.isFinite(u))) throw new RangeError(`flow: usage of link ${l} must be a finite number > 0, got ${u}`);
    if (u !== 1) unit = false;
    for (let i = 0; i < j; i++) if (route[i] === l) dup = true;
  }
  if (unit && !dup) return { route, usage: null };
  const links: number[] = [];
  const sums: number[] = [];
  for (let j = 0; j < route.length; j++) {
    const i = links.indexOf(route[j]!);
    const u = usage ? usage[j]! : 1;
    if (i >= 0) sums[i]! += u;
    else {
      links.push(route[j]!);
      sums.push(u);
    }
  }
  return { route: links, usage: sums.every((u) => u === 1) ? null : Float64Array.from(sums) };
}

/** What a flow needs of its network: one object per network, so that every network's flows share a class (one shape for the engine's caches). */
interface NetOps {
  readonly kernel: Kernel;
  readonly capacity: Float64Array;
  finish(f: FlowImpl): void;
  begin(f: FlowImpl): void;
  /** Re-solve f, active, with a new cap. */
  recap(f: FlowImpl, cap_Bps: number): void;
  /** Take f, active, off its links for good. */
  drop(f: FlowImpl): void;
}

const NO_ROUTE = { route: [] as readonly number[] };
/** Scratch before its first use (never written: every use grows it first). */
const NO_F64 = new Float64Array(0);
const NO_I32 = new Int32Array(0);
const NO_U8 = new Uint8Array(0);

/** A flow of a network made by {@link createNetwork}. */
class FlowImpl implements Flow {
  maxRate: Float64Array;
  rate_Bps = 0;
  /** Bytes left and delivered at `t`. */
  left: number;
  sent = 0;
  t: number;
  /** Seconds of the finished constant-rate segments since the first byte, and the scheduled length of the current one. */
  busy = 0;
  segment_s = 0;
  transfer_s = 0;
  completion: EventHandle | undefined = undefined;
  /** Crossing its links now (started, not finished or cancelled). */
  active = false;
  cancelled = false;
  /** Mark of the last component search that visited it, and its index in that component. */
  seen = 0;
  local = 0;
  /** Attachments so far: the link-list entries of the current one carry this number. */
  gen = 0;
  /** While its `onDone` runs: the entry it left in the changes of this instant (a `follows` transfer takes it back). */
  leaving: Gone | null = null;
  /** The entry it leaves in `pendingGone` when it ends (reused). */
  gone: Gone | null = null;
  /** The route and usage as the caller gave them (before normalisation). */
  asked: { readonly route: readonly number[]; readonly usage?: readonly number[] | undefined } = NO_ROUTE;
  readonly onComplete: () => void;
  /** Its first byte moves now (after the latency): onto its links, solved with this instant's changes. */
  readonly onBegin: () => void;
  constructor(
    readonly net: NetOps,
    readonly route: readonly number[],
    readonly usage: Float64Array | null,
    public cap: number,
    readonly weight: number,
    bytes: number,
    public done: (() => void) | undefined,
    readonly onRate: (() => void) | undefined,
  ) {
    this.left = bytes;
    this.t = this.net.kernel.now;
    this.onComplete = () => net.finish(this);
    this.onBegin = () => net.begin(this);
    this.maxRate = new Float64Array(route.length);
    this.setMaxRate();
  }
  /** Per link of the route: min(cap, narrowest *other* link of the route), the highest rate the flow could get were that link unlimited. */
  setMaxRate(): void {
    const route = this.route;
    const usage = this.usage;
    for (let j = 0; j < route.length; j++) {
      let m = this.cap;
      for (let i = 0; i < route.length; i++) if (i !== j) m = Math.min(m, usage === null ? this.net.capacity[route[i]!]! : this.net.capacity[route[i]!]! / usage[i]!);
      this.maxRate[j] = m;
    }
  }
  /** A new transfer of `bytes` on the same route, from now (it finished at this instant). */
  reset(cap: number, bytes: number, done: () => void): void {
    this.left = bytes;
    this.sent = 0;
    this.busy = 0;
    this.segment_s = 0;
    this.transfer_s = 0;
    this.t = this.net.kernel.now;
    this.done = done;
    if (cap !== this.cap) {
      this.cap = cap;
      this.setMaxRate();
    }
  }
  /** Account the bytes and seconds of the segment since `t` at the current rate. */
  settle(): void {
    const dt = this.net.kernel.now - this.t;
    if (dt > 0) {
      this.busy += dt;
      if (this.rate_Bps > 0) {
        const b = this.rate_Bps * dt;
        if (this.left !== Infinity) this.left -= b;
        this.sent += b;
      }
    }
    this.t = this.net.kernel.now;
  }
  /** A new constant-rate segment from now at rate r; reschedules the completion. */
  startSegment(r: number): void {
    this.t = this.net.kernel.now;
    this.rate_Bps = r;
    if (this.completion) this.net.kernel.cancel(this.completion);
    this.completion = undefined;
    this.segment_s = 0;
    if (r > 0 && this.left !== Infinity) {
      this.segment_s = Math.max(0, this.left) / r;
      this.completion = this.net.kernel.schedule(this.segment_s, this.onComplete);
    }
  }
  get remaining_bytes(): number {
    if (this.left === Infinity) return Infinity;
    return Math.max(0, this.left - this.rate_Bps * (this.net.kernel.now - this.t));
  }
  get delivered_bytes(): number {
    return this.sent + this.rate_Bps * (this.net.kernel.now - this.t);
  }
  setCap(cap_Bps: number): void {
    if (!(cap_Bps >= 0)) throw new RangeError(`setCap: cap must be >= 0 bytes/s, got ${cap_Bps}`);
    if (cap_Bps === this.cap || this.cancelled) return;
    if (!this.active) {
      this.cap = cap_Bps;
      this.setMaxRate();
      return;
    }
    this.net.recap(this, cap_Bps);
  }
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    if (this.active) this.net.drop(this);
    if (this.completion) this.net.kernel.cancel(this.completion);
    this.completion = undefined;
    this.rate_Bps = 0;
  }
}

/** Create a network of `links` driven by `kernel`. */
export function createNetwork(kernel: Kernel, links: readonly Link[]): Network {
  const L = links.length;
  const capacity = new Float64Array(L);
  links.forEach((l, i) => {
    if (!(l.bandwidth_Bps > 0)) throw new RangeError(`link ${l.id}: bandwidth must be > 0 bytes/s, got ${l.bandwidth_Bps}`);
    if (!(l.latency_s >= 0)) throw new RangeError(`link ${l.id}: latency must be >= 0 s, got ${l.latency_s}`);
    capacity[i] = l.bandwidth_Bps;
  });
  // The flows on each link, in the order they attached. A flow that leaves is not spliced out
  // (a core switch's list holds every flow): its entry dies — the flow is inactive or attached
  // again since (`gen`) — and dead entries are dropped when they outnumber the live ones (+ 4).
  const onLink: FlowImpl[][] = Array.from({ length: L }, () => []);
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
  /** Σ finite usage × maxRate of the flows on each link, and the number of its flows with an infinite one. */
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
  const compFlows: FlowImpl[] = [];
  const compLinks: number[] = [];
  // (Empty until the first re-solve: a single migration alone on its link never needs them.)
  let rates = NO_F64;
  let frozen = NO_U8;
  let weights = NO_F64;
  let remaining = NO_F64;
  let unfrozenOn = NO_I32;
  let unfrozenWeight = NO_F64;
  /** Local links of the component flows' routes: flow i's are flowLinks[flowLinkStart[i] .. flowLinkStart[i + 1]), with their usages. */
  let flowLinkStart = NO_I32;
  let flowLinks = NO_I32;
  let flowUsage = NO_F64;
  /** Flows to freeze at the current level. */
  let freezing = NO_I32;

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
  const addFlow = (f: FlowImpl): void => {
    if (f.seen === mark) return;
    f.seen = mark;
    f.local = compFlows.length;
    compFlows.push(f);
    for (const l of f.route) if (slack(l)) registerLink(l);
    else addLink(l);
  };

  // Changes at one instant are solved together: the first change schedules a re-solve after the
  // events already queued for this instant (e.g. a round that ends and the next that starts).
  let pendingFlows: FlowImpl[] = [];
  /** Flows that left at this instant. */
  let pendingGone: Gone[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const gone = pendingGone;
    const added = pendingFlows;
    pendingGone = [];
    pendingFlows = [];
    for (const g of gone) g.queued = false;
    // A flow that takes the place of one that left at the same instant (same demand: the next
    // round of a migration) leaves the demands as they were, so every rate stays: it takes the
    // rate of the one it replaces, and only the other changes are solved.
    const inherit: Array<[FlowImpl, number]> = [];
    const fresh: FlowImpl[] = [];
    for (const f of added) {
      if (!f.active) continue;
      const g = f.left === Infinity ? undefined : gone.find((x) => !x.matched && x.rate > 0 && x.cap === f.cap && x.weight === f.weight && sameDemand(x.route, x.usage, f.route, f.usage));
      if (g) {
        g.matched = true;
        inherit.push([f, g.rate]);
      } else fresh.push(f);
    }
    const seeds: number[] = [];
    for (const g of gone) if (!g.matched) for (const l of g.seeds) seeds.push(l);
    const changed = recompute(seeds, fresh);
    for (const [f, rate] of inherit) {
      if (f.seen === mark || !f.active) continue; // solved with the other changes
      stats.inherited++;
      f.startSegment(rate);
    }
    for (const f of changed) f.onRate!();
  };
  const later = (): void => {
    if (!scheduled) {
      scheduled = true;
      kernel.schedule(0, flush);
    }
  };

  // Binary min-heap of (level, id): id ≥ 0 a local link, id < 0 the flow −1 − id (its cap).
  let heapKey = NO_F64;
  let heapId = NO_I32;
  const reserveHeap = (n: number): void => {
    if (heapKey.length >= n) return;
    heapKey = new Float64Array(2 * n);
    heapId = new Int32Array(2 * n);
  };
  const noChange: FlowImpl[] = [];

  /**
   * Recompute the rates of the flows connected to the links `seeds` and the flows `seedFlows`,
   * and reschedule the completions of those whose rate changed; returns the changed flows that
   * listen to their rate.
   *
   * Max-min fair rates by levels (progressive filling, jumping from one freezing level to the
   * next): every unfrozen flow i runs at weight_i × λ; the next level is the least of the flows'
   * cap ÷ weight and the links' (capacity − frozen use) ÷ Σ usage × weight of their unfrozen
   * flows; a flow reaching its cap freezes there, a link reaching its share freezes its flows.
   */
  const recompute = (seeds: readonly number[], seedFlows: readonly FlowImpl[]): FlowImpl[] => {
    mark++;
    compFlows.length = 0;
    compLinks.length = 0;
    for (const f of seedFlows) if (f.active) addFlow(f);
    for (const l of seeds) addLink(l);
    const F = compFlows.length;
    const K = compLinks.length;
    if (F === 0) return noChange;
    stats.recomputations++;
    stats.flowsRecomputed += F;
    if (rates.length < F) {
      rates = new Float64Array(2 * F);
      frozen = new Uint8Array(2 * F);
      weights = new Float64Array(2 * F);
    }
    if (remaining.length < K) {
      remaining = new Float64Array(2 * K);
      unfrozenOn = new Int32Array(2 * K);
      unfrozenWeight = new Float64Array(2 * K);
    }
    for (let k = 0; k < K; k++) {
      remaining[k] = capacity[compLinks[k]!]!;
      unfrozenOn[k] = 0;
      unfrozenWeight[k] = 0;
    }
    // Every link of a component flow's route is in the component (registered or added).
    if (flowLinkStart.length < F + 1) flowLinkStart = new Int32Array(2 * F + 1);
    let total = 0;
    for (let i = 0; i < F; i++) total += compFlows[i]!.route.length;
    if (flowLinks.length < total) {
      flowLinks = new Int32Array(2 * total);
      flowUsage = new Float64Array(2 * total);
    }
    reserveHeap(F + K + total);
    // The filling on local references (this loop is the solver's cost).
    const hk = heapKey;
    const hid = heapId;
    const rem = remaining;
    const unf = unfrozenOn;
    const unfW = unfrozenWeight;
    const fr = frozen;
    const rt = rates;
    const wt = weights;
    const fls = flowLinks;
    const flu = flowUsage;
    const fst = flowLinkStart;
    let hn = 0;
    let unfrozen = 0;
    let at = 0;
    for (let i = 0; i < F; i++) {
      const f = compFlows[i]!;
      const route = f.route;
      const usage = f.usage;
      fst[i] = at;
      for (let j = 0; j < route.length; j++) {
        flu[at] = usage === null ? 1 : usage[j]!;
        fls[at++] = linkLocal[route[j]!]!;
      }
      rt[i] = 0;
      wt[i] = f.weight;
      if (f.cap <= 0) {
        fr[i] = 1;
        continue;
      }
      fr[i] = 0;
      unfrozen++;
      for (let j = fst[i]!; j < at; j++) {
        const k = fls[j]!;
        unf[k]!++;
        unfW[k]! += flu[j]! * f.weight;
      }
      if (f.cap !== Infinity) heapPush(hk, hid, hn++, f.cap / f.weight, -1 - i);
    }
    fst[F] = at;
    for (let k = 0; k < K; k++) {
      if (!(unf[k]! > 0)) continue;
      heapPush(hk, hid, hn++, rem[k]! / unfW[k]!, k);
    }
    let level = 0;
    if (freezing.length < total + F + 1) freezing = new Int32Array(2 * (total + F) + 2);
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
        // A stale entry: the link's share changed (a newer entry holds it) or its flows are frozen.
        if (unf[id] === 0 || key !== Math.max(0, rem[id]!) / unfW[id]!) continue;
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
        if (fr[i]) continue;
        fr[i] = 1;
        const w = wt[i]!;
        const r = w === 1 ? level : w * level;
        rt[i] = r;
        unfrozen--;
        const end = fst[i + 1]!;
        for (let j = fst[i]!; j < end; j++) {
          const k = fls[j]!;
          const u = flu[j]!;
          rem[k]! -= u === 1 ? r : u * r;
          unfW[k]! -= u === 1 ? w : u * w;
          if (--unf[k]! > 0) heapPush(hk, hid, hn++, Math.max(0, rem[k]!) / unfW[k]!, k);
        }
      }
    }
    let changed: FlowImpl[] | null = null;
    for (let i = 0; i < F; i++) {
      const f = compFlows[i]!;
      const r = rates[i]!;
      if (r === f.rate_Bps && (f.completion || f.left === Infinity)) continue;
      const was = f.rate_Bps;
      f.settle();
      f.startSegment(r);
      if (f.onRate && r !== was) (changed ??= []).push(f);
    }
    return changed ?? noChange;
  };

  /** Put f on its links (at the end of their lists). */
  const link = (f: FlowImpl): void => {
    f.active = true;
    f.gen++;
    activeCount++;
    const route = f.route;
    const usage = f.usage;
    for (let j = 0; j < route.length; j++) {
      const l = route[j]!;
      onLink[l]!.push(f);
      onLinkGen[l]!.push(f.gen);
      liveOn[l]!++;
      if (f.maxRate[j] === Infinity) unbounded[l]!++;
      else bound[l]! += usage === null ? f.maxRate[j]! : usage[j]! * f.maxRate[j]!;
    }
  };

  /** Take f off its links; the entry of the change, to push to `pendingGone`. */
  const unlink = (f: FlowImpl): Gone => {
    f.active = false;
    activeCount--;
    let gone = f.gone;
    if (gone === null || gone.queued) gone = f.gone = { route: f.route, usage: f.usage, cap: f.cap, weight: f.weight, rate: 0, seeds: [], matched: false, queued: true };
    else {
      gone.queued = true;
      gone.seeds.length = 0;
      gone.cap = f.cap;
    }
    const seeds = gone.seeds;
    const route = f.route;
    const usage = f.usage;
    for (let j = 0; j < route.length; j++) {
      const l = route[j]!;
      const wasBinding = !slack(l);
      liveOn[l]!--;
      if (f.maxRate[j] === Infinity) unbounded[l]!--;
      else bound[l]! -= usage === null ? f.maxRate[j]! : usage[j]! * f.maxRate[j]!;
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

  const finish = (f: FlowImpl): void => {
    f.completion = undefined;
    f.sent += f.left;
    f.left = 0;
    f.busy += f.segment_s;
    f.transfer_s = f.busy;
    f.t = kernel.now;
    if (f.route.length === 0) {
      // No link (the cap alone set its rate): nothing to re-solve.
      f.rate_Bps = 0;
      f.done!();
      return;
    }
    const gone = unlink(f);
    pendingGone.push(gone);
    f.rate_Bps = 0;
    // The re-solve of this instant is scheduled once onDone has returned: a `follows` transfer
    // from onDone takes the entry back, and with nothing else changed there is nothing to solve.
    f.leaving = gone;
    f.done!();
    if (f.leaving === gone) {
      f.leaving = null;
      // Alone in this instant and nobody left on its links: the re-solve would find no flow.
      if (!scheduled && pendingFlows.length === 0 && pendingGone.length === 1 && noFlowOn(gone.seeds)) {
        pendingGone.length = 0;
        gone.queued = false;
      } else later();
    }
  };


  const begin = (f: FlowImpl): void => {
    if (f.cancelled) return;
    f.t = kernel.now;
    if (f.route.length === 0) {
      // No link: the cap alone sets the rate.
      f.startSegment(f.cap);
      return;
    }
    link(f);
    if (!scheduled && pendingFlows.length === 0 && pendingGone.length === 0 && f.onRate === undefined && aloneOnRoute(f)) {
      // Nothing else changes at this instant, no flow shares its links and none listens to its
      // rate (onRate is called only once the instant is solved): its component is itself,
      // solved here as the filling would (level = least of cap ÷ weight and each link's
      // capacity ÷ usage × weight), without the re-solve event.
      f.startSegment(soleRate(f.route, f.usage, f.cap, f.weight));
      return;
    }
    pendingFlows.push(f);
    later();
  };
  /** The filling's rate of a flow alone in its component: the least of cap ÷ weight and each link's capacity ÷ usage × weight, times the weight. */
  const soleRate = (route: readonly number[], usage: Float64Array | null, cap: number, w: number): number => {
    let level = cap === Infinity ? Infinity : cap / w;
    for (let j = 0; j < route.length; j++) {
      const k = capacity[route[j]!]! / ((usage === null ? 1 : usage[j]!) * w);
      if (k < level) level = k;
    }
    return w === 1 ? level : w * level;
  };
  /** The last route asked about by loneRate, normalised. */
  let loneAsked: FlowSpec | null = null;
  let loneRoute: { route: readonly number[]; usage: Float64Array | null } | null = null;
  const loneRate = (spec: FlowSpec): number | undefined => {
    if (activeCount !== 0 || scheduled) return undefined;
    const cap = spec.cap_Bps ?? Infinity;
    const weight = spec.weight ?? 1;
    if (!(cap >= 0) || !(weight > 0 && Number.isFinite(weight))) return undefined; // start() reports it
    if (loneAsked === null || loneAsked.route !== spec.route || loneAsked.usage !== spec.usage) {
      loneRoute = normaliseRoute(spec, L);
      loneAsked = { route: spec.route, ...(spec.usage ? { usage: spec.usage } : {}) };
    }
    if (loneRoute!.route.length === 0) return undefined;
    return soleRate(loneRoute!.route, loneRoute!.usage, cap, weight);
  };
  /** f is the only flow on each link of its route. */
  const aloneOnRoute = (f: FlowImpl): boolean => {
    for (const l of f.route) if (liveOn[l] !== 1) return false;
    return true;
  };
  const noFlowOn = (ls: readonly number[]): boolean => {
    for (const l of ls) if (liveOn[l] !== 0) return false;
    return true;
  };

  const ops: NetOps = {
    kernel,
    capacity,
    finish,
    begin,
    recap(f, cap_Bps) {
      f.settle();
      pendingGone.push(unlink(f));
      f.cap = cap_Bps;
      f.setMaxRate();
      link(f);
      pendingFlows.push(f);
      later();
    },
    drop(f) {
      f.settle();
      pendingGone.push(unlink(f));
      later();
    },
  };

  /** Renew f, which finished at this instant, as the next transfer on its route at its rate. */
  const renew = (f: FlowImpl, gone: Gone, bytes: number, onDone: () => void): FlowImpl => {
    f.leaving = null;
    pendingGone.splice(pendingGone.lastIndexOf(gone), 1);
    gone.queued = false;
    f.left = bytes;
    f.sent = 0;
    f.busy = 0;
    f.transfer_s = 0;
    f.done = onDone;
    link(f);
    stats.inherited++;
    f.startSegment(gone.rate);
    return f;
  };

  const start = (spec: FlowSpec, bytes: number, onDone: (() => void) | undefined, follows: Flow | undefined): Flow => {
    const cap = spec.cap_Bps ?? Infinity;
    if (!(cap >= 0)) throw new RangeError(`flow: cap must be >= 0 bytes/s, got ${spec.cap_Bps}`);
    const weight = spec.weight ?? 1;
    if (!(weight > 0 && Number.isFinite(weight))) throw new RangeError(`flow: weight must be a finite number > 0, got ${spec.weight}`);
    const prev = follows;
    // The next round of a migration names the same route arrays: checked and normalised once.
    const again = prev instanceof FlowImpl && prev.net === ops && spec.route === prev.asked.route && spec.usage === prev.asked.usage;
    const { route, usage } = again ? prev : normaliseRoute(spec, L);
    const latency = spec.latency_s ?? routeLatency(links, route);
    if (!(latency >= 0)) throw new RangeError(`flow: latency must be >= 0 s, got ${spec.latency_s}`);
    if (route.length === 0 && cap === Infinity) throw new RangeError('flow crosses no link and has no rate cap: its rate would be infinite');
    if (prev instanceof FlowImpl && prev.net === ops && prev.leaving && !prev.cancelled && onDone !== undefined && prev.weight === weight && prev.onRate === spec.onRate && (again || sameDemand(prev.route, prev.usage, route, usage))) {
      if (latency === 0 && prev.cap === cap && prev.leaving.rate > 0) return renew(prev, prev.leaving, bytes, onDone);
      // Off the links for its latency like a fresh transfer (the re-solve of this instant
      // counts it gone), but the same object: no allocation per round.
      prev.reset(cap, bytes, onDone);
      if (latency > 0) kernel.schedule(latency, prev.onBegin);
      else prev.onBegin();
      return prev;
    }
    const f = new FlowImpl(ops, route, usage, cap, weight, bytes, onDone, spec.onRate);
    f.asked = { route: spec.route, usage: spec.usage };
    if (latency > 0) kernel.schedule(latency, f.onBegin);
    else f.onBegin();
    return f;
  };

  return new NetworkHandle(links, stats, start, loneRate, () => activeCount);
}

/** The network as its users see it (a class: getters on an object literal are slow to create). */
class NetworkHandle implements Network {
  constructor(
    readonly links: readonly Link[],
    readonly stats: Network['stats'],
    private readonly start: (spec: FlowSpec, bytes: number, onDone: (() => void) | undefined, follows: Flow | undefined) => Flow,
    readonly loneRate: (spec: FlowSpec) => number | undefined,
    private readonly count: () => number,
  ) {}
  get activeCount(): number {
    return this.count();
  }
  transfer(d: TransferSpec): Flow {
    if (!(d.bytes >= 0 && d.bytes < Infinity)) throw new RangeError(`transfer: bytes must be a finite number >= 0, got ${d.bytes}`);
    return this.start(d, d.bytes, d.onDone, d.follows);
  }
  stream(d: FlowSpec): Flow {
    return this.start(d, Infinity, undefined, undefined);
  }
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
