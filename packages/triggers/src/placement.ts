/** VM placement: which host takes a VM that has to move. */
import { fallbackWith, type OverloadDetector } from './detectors.js';
import type { Plan } from './plan.js';

export interface PlacementContext {
  readonly detector: OverloadDetector;
  /** Check memory as well as CPU (CloudSim's PlanetLab setup never does after the initial placement). */
  readonly checkMemory: boolean;
  /**
   * The load PABFD adds the VM to: 'planned' (the VMs the plan puts on the host, including those
   * placed earlier in this decision, as CloudSim 4.0's `getMaxUtilizationAfterAllocation` does via
   * `getUtilizationOfCpuMips(host)`) or 'measured' (the host's utilisation measured at the
   * decision, as CloudSim 3.0 did with `host.getUtilizationOfCpuMips()` — VMs placed earlier in the
   * same decision do not raise a host's power estimate, only its fit and overload checks).
   */
  readonly load: 'planned' | 'measured';
}

export interface Placer {
  /** A host for VM v outside `excluded`, or -1. The plan is not changed. */
  find(plan: Plan, v: number, excluded: ReadonlySet<number>, ctx: PlacementContext): number;
}

/** Whether host h would be overloaded with VM v added (a host with nothing allocated never is, as in CloudSim). */
export function overloadedWith(plan: Plan, h: number, v: number, detector: OverloadDetector, load: 'planned' | 'measured' = 'planned'): boolean {
  if ((load === 'planned' ? plan.allocated[h] : plan.utilisationNow[h]) === 0) return false;
  return fallbackWith(detector, plan, h, v);
}

/**
 * A set of host indices that also keeps a byte per host, so that the placement loops test
 * membership with an array read instead of a hash lookup. Policies may pass any set; this one
 * is faster.
 */
export class HostSet extends Set<number> {
  readonly mask: Uint8Array;
  /** Hosts removed so far (delete, clear): while it stays, the set only grew. */
  removals = 0;
  constructor(hostCount: number, hosts: Iterable<number> = []) {
    super();
    this.mask = new Uint8Array(hostCount);
    for (const h of hosts) this.add(h);
  }
  override add(h: number): this {
    super.add(h);
    // (Set's constructor adds nothing here: the mask exists before the first add.)
    if (Number.isInteger(h) && h >= 0 && h < this.mask.length) this.mask[h] = 1;
    return this;
  }
  override delete(h: number): boolean {
    if (Number.isInteger(h) && h >= 0 && h < this.mask.length) this.mask[h] = 0;
    this.removals++;
    return super.delete(h);
  }
  override clear(): void {
    this.mask.fill(0);
    this.removals++;
    super.clear();
  }
}

/** A byte mask of `excluded` over H hosts (1 = excluded): its own for a {@link HostSet}, else built. */
function maskOf(excluded: ReadonlySet<number>, H: number): Uint8Array {
  if (excluded instanceof HostSet && excluded.mask.length === H) return excluded.mask;
  const mask = new Uint8Array(H);
  for (const h of excluded) if (Number.isInteger(h) && h >= 0 && h < H) mask[h] = 1;
  return mask;
}

/**
 * Power-aware best fit decreasing (PABFD, CloudSim's `findHostForVm`): among hosts where the VM
 * fits and that are not overloaded with it, the one whose power rises least —
 * P((allocated + demand) ÷ capacity) − P(measured utilisation now) — the first on ties.
 * `avoid` skips hosts when another candidate exists.
 */
export function powerAwareBestFit(avoid?: (plan: Plan, h: number) => boolean): Placer {
  // Classes of empty hosts met in one scan: power table, capacity, power now.
  const MAX_CLASSES = 16;
  const classTable: Array<Float64Array | null> = new Array(MAX_CLASSES).fill(null);
  const classCap = new Float64Array(MAX_CLASSES);
  const classPower = new Float64Array(MAX_CLASSES);
  const firsts: number[] = [];
  const search = (plan: Plan, v: number, excluded: ReadonlySet<number>, ctx: PlacementContext, skip?: (plan: Plan, h: number) => boolean): number => {
    const hosts = plan.view.hosts;
    const H = hosts.length;
    const vm = plan.view.vms[v]!;
    const demand = vm.mips;
    const perCore = demand / vm.vcpus;
    const planned = ctx.load === 'planned';
    const out = maskOf(excluded, H);
    const { failed, mipsPerCore, capacity, allocated, utilisationNow, powerNow_W, powerTable } = plan;
    let best = -1;
    let min = Infinity;
    let classes = 0;
    /** Whether VM v may go to host h at all. */
    const eligible = (h: number): boolean =>
      // Plan.fitsCpu, inlined (the loop runs over every host for every VM placed).
      failed[h] === 0 &&
      perCore <= mipsPerCore[h]! &&
      demand <= Math.max(0, capacity[h]! - allocated[h]!) + 1e-9 &&
      out[h] === 0 &&
      !(ctx.checkMemory && !plan.fits(v, h, true)) &&
      !skip?.(plan, h);
    /** One step of the scan in host order. */
    const visit = (h: number): void => {
      if (!eligible(h)) return;
      const cap = capacity[h]!;
      const alloc = allocated[h]!;
      // A host whose load is 0 is never overloaded (overloadedWith), so its rise in power is a
      // function of its table, capacity and power now alone: a host like an earlier one of this
      // scan has the same rise, which did not beat (or set) the minimum then and cannot now.
      // (Most hosts of a consolidated cluster are empty: their power and overload tests are skipped.)
      const table = powerTable[h]!;
      if (table !== null && (planned ? alloc : utilisationNow[h]!) === 0) {
        const p0 = powerNow_W[h]!;
        for (let i = 0; i < classes; i++) if (classTable[i] === table && classCap[i] === cap && classPower[i] === p0) return;
        if (classes < MAX_CLASSES) {
          classTable[classes] = table;
          classCap[classes] = cap;
          classPower[classes] = p0;
          classes++;
        }
      }
      const base = planned ? alloc : utilisationNow[h]! * cap;
      const after = Math.min(1, (base + demand) / cap);
      const diff = plan.power_W(h, after) - powerNow_W[h]!;
      // The overload test is the costly one: only for a host that would win.
      if (diff < min && !overloadedWith(plan, h, v, ctx.detector, ctx.load)) {
        min = diff;
        best = h;
      }
    };
    if (planned) {
      // Planned load: the scan would skip every empty host of a class after its first eligible
      // one. Which hosts are empty changes as the plan moves VMs, so an index kept up to date by
      // the plan gives the hosts to visit (not in a class of several hosts, or not empty) and
      // each class's empty members; the same hosts as the scan's are visited, in host order.
      const index = plannedIndex(plan);
      // A growing HostSet: each class's members before `from` are excluded (consolidation
      // excludes every switched-off host, i.e. most empty ones, as targets).
      const from = excluded instanceof HostSet && excluded.mask === out ? excludedPrefix(index, index.members, excluded) : null;
      firsts.length = 0;
      for (let c = 0; c < index.members.length; c++) {
        if (perCore > index.mipsPerCore[c]!) continue; // (the VM's cores fit on none of them)
        const members = index.members[c]!;
        const bits = index.empty[c]!;
        const start = from ? from[c]! : 0;
        let found = false;
        for (let w = start >>> 5; w < bits.length && !found; w++) {
          let word = bits[w]!;
          if (w === start >>> 5) word &= ~((1 << (start & 31)) - 1);
          while (word !== 0) {
            const low = word & -word;
            word ^= low;
            const h = members[(w << 5) + 31 - Math.clz32(low)]!;
            if (eligible(h)) {
              firsts.push(h);
              found = true;
              break;
            }
          }
        }
      }
      if (firsts.length > 1) firsts.sort((a, b) => a - b);
      const must = index.visit;
      let j = 0;
      for (let w = 0; w < must.length; w++) {
        let word = must[w]!;
        while (word !== 0) {
          const low = word & -word;
          word ^= low;
          const h = (w << 5) + 31 - Math.clz32(low);
          while (j < firsts.length && firsts[j]! < h) visit(firsts[j++]!);
          visit(h);
        }
      }
      while (j < firsts.length) visit(firsts[j++]!);
      return best;
    }
    // Measured load: which hosts are empty is fixed for the decision. The scan would skip every
    // host of an empty class after its first eligible one, so only the other hosts and each
    // class's first eligible host are visited, in host order.
    const index = measuredIndex(plan);
    // A growing HostSet: each class's members before `from` are excluded (it only moves on).
    const from = excluded instanceof HostSet && excluded.mask === out ? excludedPrefix(index, index.classes, excluded) : null;
    firsts.length = 0;
    for (let c = 0; c < index.classes.length; c++) {
      const members = index.classes[c]!;
      for (let i = from ? from[c]! : 0; i < members.length; i++)
        if (eligible(members[i]!)) {
          firsts.push(members[i]!);
          break;
        }
    }
    firsts.sort((a, b) => a - b);
    const others = index.others;
    let i = 0;
    let j = 0;
    while (i < others.length || j < firsts.length) {
      if (j >= firsts.length || (i < others.length && others[i]! < firsts[j]!)) visit(others[i++]!);
      else visit(firsts[j++]!);
    }
    return best;
  };
  return {
    find(plan, v, excluded, ctx) {
      if (avoid) {
        const h = search(plan, v, excluded, ctx, avoid);
        if (h >= 0) return h;
      }
      return search(plan, v, excluded, ctx);
    },
  };
}

/** The hosts of a plan at measured load 0 with a table power model, by class (table, capacity, power now), and the others; in host order. */
interface MeasuredIndex {
  readonly classes: readonly Int32Array[];
  readonly others: Int32Array;
}
const measuredIndexes = new WeakMap<Plan, MeasuredIndex>();
/** Per HostSet: for each class of an index (`classes`, owned by `owner`), how many leading members the set excludes. */
const prefixes = new WeakMap<HostSet, { owner: object; removals: number; size: number; from: Int32Array }>();
function excludedPrefix(owner: object, classes: readonly Int32Array[], set: HostSet): Int32Array {
  let p = prefixes.get(set);
  if (!p || p.owner !== owner || p.removals !== set.removals) {
    p = { owner, removals: set.removals, size: -1, from: new Int32Array(classes.length) };
    prefixes.set(set, p);
  }
  if (p.size !== set.size) {
    // Only additions since: the prefixes can only grow.
    const mask = set.mask;
    for (let c = 0; c < classes.length; c++) {
      const members = classes[c]!;
      let i = p.from[c]!;
      while (i < members.length && mask[members[i]!] !== 0) i++;
      p.from[c] = i;
    }
    p.size = set.size;
  }
  return p.from;
}

/** {@link MeasuredIndex} of a plan (its measured load, power tables and capacities do not change during a decision). */
function measuredIndex(plan: Plan): MeasuredIndex {
  let index = measuredIndexes.get(plan);
  if (index) return index;
  const H = plan.capacity.length;
  const keys: Array<{ table: Float64Array; cap: number; p0: number; members: number[] }> = [];
  const others: number[] = [];
  for (let h = 0; h < H; h++) {
    const table = plan.powerTable[h]!;
    if (table === null || plan.utilisationNow[h] !== 0) {
      others.push(h);
      continue;
    }
    const cap = plan.capacity[h]!;
    const p0 = plan.powerNow_W[h]!;
    let k = keys.find((c) => c.table === table && c.cap === cap && c.p0 === p0);
    if (!k) keys.push((k = { table, cap, p0, members: [] }));
    k.members.push(h);
  }
  index = { classes: keys.map((k) => Int32Array.from(k.members)), others: Int32Array.from(others) };
  measuredIndexes.set(plan, index);
  return index;
}

/**
 * The hosts of a plan by class of equal rise in power when empty (power table, capacity, power
 * now: fixed during a decision; and MIPS per core), for the classes of several hosts, with which of them the plan
 * leaves empty (allocated MIPS 0) now; and the hosts a planned-load scan has to visit (in no
 * such class, or not empty). Kept up to date through {@link Plan.allocationWatcher}.
 */
export interface PlannedIndex {
  /** MIPS per core of each class's hosts (also part of the class, so that a VM fits on all or none). */
  readonly mipsPerCore: Float64Array;
  /** Members of each class, in host order. */
  readonly members: readonly Int32Array[];
  /** Per class, bit i set when members[i] is empty. */
  readonly empty: readonly Uint32Array[];
  /** Bit h set when host h is to be visited: in no class of several hosts, or not empty. */
  readonly visit: Uint32Array;
}
const plannedIndexes = new WeakMap<Plan, PlannedIndex>();

/** The {@link PlannedIndex} of a plan, built at the first call and then updated as the plan changes. */
export function plannedIndex(plan: Plan): PlannedIndex {
  let index = plannedIndexes.get(plan);
  if (index) return index;
  const H = plan.capacity.length;
  type Key = { table: Float64Array; cap: number; p0: number; perCore: number; members: number[] };
  const keys: Key[] = [];
  // Most hosts that carry load draw a power of their own: only hosts whose power now another
  // host shares can be in a class of several (typically the switched-off ones, a few classes).
  const p0s = plan.powerNow_W.slice().sort();
  const shared = (p0: number): boolean => {
    let lo = 0;
    let hi = p0s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p0s[mid]! < p0) lo = mid + 1;
      else hi = mid;
    }
    return (lo + 1 < p0s.length && p0s[lo + 1] === p0) || (lo > 0 && p0s[lo - 1] === p0);
  };
  for (let h = 0; h < H; h++) {
    const table = plan.powerTable[h]!;
    if (table === null) continue;
    const p0 = plan.powerNow_W[h]!;
    if (!shared(p0)) continue;
    const cap = plan.capacity[h]!;
    const perCore = plan.mipsPerCore[h]!;
    let k = keys.find((c) => c.table === table && c.cap === cap && c.p0 === p0 && c.perCore === perCore);
    if (!k) keys.push((k = { table, cap, p0, perCore, members: [] }));
    k.members.push(h);
  }
  const classes = keys.filter((k) => k.members.length > 1);
  const classOf = new Int32Array(H).fill(-1);
  const position = new Int32Array(H);
  classes.forEach((k, c) => k.members.forEach((h, i) => ((classOf[h] = c), (position[h] = i))));
  const empty = classes.map((k) => new Uint32Array((k.members.length + 31) >>> 5));
  const visit = new Uint32Array((H + 31) >>> 5);
  const allocated = plan.allocated;
  const update = (h: number): void => {
    const c = classOf[h]!;
    const bit = 1 << (h & 31);
    if (c < 0) {
      visit[h >>> 5]! |= bit;
      return;
    }
    const i = position[h]!;
    const ibit = 1 << (i & 31);
    const bits = empty[c]!;
    if (allocated[h] === 0) {
      visit[h >>> 5]! &= ~bit;
      bits[i >>> 5]! |= ibit;
    } else {
      visit[h >>> 5]! |= bit;
      bits[i >>> 5]! &= ~ibit;
    }
  };
  for (let h = 0; h < H; h++) update(h);
  const previous = plan.allocationWatcher;
  plan.allocationWatcher = previous === null ? update : (h) => (previous(h), update(h));
  index = { mipsPerCore: Float64Array.from(classes, (k) => k.perCore), members: classes.map((k) => Int32Array.from(k.members)), empty, visit };
  plannedIndexes.set(plan, index);
  return index;
}

/** First fit: the first host (by index) where the VM fits and that is not overloaded with it. */
export const firstFit = (): Placer => ({
  find(plan, v, excluded, ctx) {
    for (let h = 0; h < plan.view.hosts.length; h++) {
      if (excluded.has(h) || !plan.fits(v, h, ctx.checkMemory)) continue;
      if (!overloadedWith(plan, h, v, ctx.detector, ctx.load)) return h;
    }
    return -1;
  },
});

/**
 * PABFD that avoids hosts whose NIC already carries a migration (running now or planned in this
 * decision), so concurrent migrations do not share a link; falls back to plain PABFD when every
 * candidate is busy.
 */
export const nicAware = (): Placer => powerAwareBestFit((plan, h) => plan.view.hosts[h]!.nicMigrations > 0 || plan.plannedIn[h]! > 0);
