/** Shared option parsing, counting and the untouched-page profiles of the dirty-page models. */
import { parseQuantity, schemas, showValue, UnitError, z, type Workload, type WorkloadContext } from '@livemig/core';

/**
 * A write rate given either in pages ("20000 pages/s") or in bytes ("200 MiB/s"); the model
 * converts bytes to pages with the VM's page size. Outputs a function of the page size.
 */
export const writeRate = () =>
  z
    .union([z.number(), z.string()])
    .describe("write rate: pages per second ('20000 pages/s') or bytes per second ('200 MiB/s'); a number is pages/s")
    .transform((input, ctx) => {
      for (const q of ['pageRate', 'rate'] as const) {
        try {
          const v = parseQuantity(input, q);
          if (!(v >= 0)) break;
          return q === 'pageRate' || typeof input === 'number' ? { pages_per_s: v } : { bytes_per_s: v };
        } catch (e) {
          if (!(e instanceof UnitError)) throw e;
        }
      }
      ctx.addIssue({ code: 'custom', message: `expected a write rate like '20000 pages/s' or '200 MiB/s' (>= 0), got ${showValue(input)}` });
      return z.NEVER;
    });

export type WriteRate = { pages_per_s: number } | { bytes_per_s: number };

/** Pages per second of a {@link WriteRate} for a page size. */
export const pagesPerSecond = (r: WriteRate, pageSize_bytes: number): number =>
  'pages_per_s' in r ? r.pages_per_s : r.bytes_per_s / pageSize_bytes;

/**
 * Working set options shared by the models: a size in bytes ("1 GiB") or a fraction of memory
 * (default: all of memory), and the first page of the working set.
 */
export const workingSetOptions = {
  workingSet: schemas.bytes({ positive: true }).optional().describe("working set size in bytes ('1 GiB'); default: all of memory"),
  workingSetFraction: z.number().gt(0).max(1).optional().describe('working set as a fraction of memory (used when workingSet is absent)'),
  offset: z.number().int().min(0).default(0).describe('first page of the working set'),
};

/** Working set in pages, at least 1 and at most the VM's pages. */
export function workingSetPages(o: { workingSet?: number | string; workingSetFraction?: number }, ctx: WorkloadContext, field = 'workingSet'): number {
  if (o.workingSet !== undefined && o.workingSetFraction !== undefined)
    throw new RangeError(`${field}: give either workingSet or workingSetFraction, not both`);
  let pages: number;
  if (o.workingSet !== undefined) pages = Math.round(parseQuantity(o.workingSet, 'bytes', field) / ctx.pageSize_bytes);
  else pages = Math.round((o.workingSetFraction ?? 1) * ctx.pageCount);
  if (pages > ctx.pageCount) throw new RangeError(`${field}: the working set (${pages} pages) is larger than the VM's memory (${ctx.pageCount} pages)`);
  return Math.max(1, pages);
}

/** The pages a model writes: `pages` pages from `offset`. */
export interface Region {
  readonly offset: number;
  readonly pages: number;
}

/** The working set of a model as a region of memory; checks it fits. */
export function workingSetRegion(o: { workingSet?: number | string; workingSetFraction?: number; offset?: number }, ctx: WorkloadContext): Region {
  const pages = workingSetPages(o, ctx);
  const offset = o.offset ?? 0;
  if (offset + pages > ctx.pageCount)
    throw new RangeError(`offset: offset + workingSet (${offset} + ${pages} = ${offset + pages} pages) exceeds the VM's memory (${ctx.pageCount} pages); lower offset or the working set`);
  return { offset, pages };
}

/**
 * Writes happen at a steady rate: the count in a window is the rate × time plus the fraction
 * carried from earlier windows, so no write is lost or invented at window boundaries.
 */
export function writeCounter(): (expected: number) => number {
  let carry = 0;
  return (expected) => {
    const total = expected + carry;
    // The epsilon keeps a total of 99.99999999999 (float sums of chunk lengths) from losing a write.
    const n = Math.floor(total + 1e-9);
    carry = total - n;
    return n;
  };
}

/** Expected distinct pages after n uniform writes over w pages: w·(1 − (1 − 1/w)^n). */
export const uniformDistinct = (w: number, n: number): number => touched(w, w > 0 ? 1 / w : 0, n);

/** Expected pages touched among `pages` pages that each receive a write with probability p: pages·(1 − (1 − p)^n). */
export const touched = (pages: number, p: number, n: number): number => (pages <= 0 || n <= 0 || p <= 0 ? 0 : -pages * Math.expm1(n * Math.log1p(-Math.min(1, p))));

/** (1 − p)^n, the probability that a page written with probability p per write survives n writes untouched. */
export const untouchedAfter = (p: number, n: number): number => (n <= 0 || p <= 0 ? 1 : Math.exp(n * Math.log1p(-Math.min(1, p))));

/**
 * How likely each page of a region is to be untouched after a window, for combining windows
 * of several workloads (phases). The region's pages are grouped into buckets; every page of
 * bucket b is untouched with probability `untouched[b]`.
 *
 * `layout` identifies which pages form which bucket: two profiles over the same region with
 * the same layout (`===`) have the same pages in bucket b (e.g. the same hot set). A profile
 * with one bucket is the same for every layout.
 */
export interface UntouchedProfile extends Region {
  readonly layout: unknown;
  /** Pages per bucket; they sum to `pages`. */
  readonly counts: ArrayLike<number>;
  /** Probability that a page of the bucket is untouched during the window. */
  readonly untouched: ArrayLike<number>;
}

/** A workload that can describe its window as {@link UntouchedProfile}s (every model of this package). */
export interface ProfiledWorkload extends Workload {
  /** The untouched-page profile of a window at full speed: `work_s` seconds from `t_s`. */
  untouchedProfile(t_s: number, work_s: number): UntouchedProfile[];
}

/** Whether a workload exposes {@link ProfiledWorkload.untouchedProfile}. */
export const isProfiled = (w: Workload): w is ProfiledWorkload => typeof (w as Partial<ProfiledWorkload>).untouchedProfile === 'function';

/** The layout of single-bucket profiles: every page alike. */
export const EVEN = 'even';

/**
 * Expected distinct pages touched by independent windows described by `profiles`
 * (Σ over pages of 1 − Π_windows P(untouched)).
 *
 * Memory is cut into segments at every region boundary. In a segment, profiles with the same
 * region and layout are combined bucket by bucket (exact); profiles that differ in layout are
 * assumed to place their buckets independently of each other, so the segment's untouched share
 * is the product of their mean untouched probabilities. That is exact when all but one of the
 * overlapping profiles have a single bucket (uniform, sequential, trace), when the regions are
 * disjoint, and in expectation over independent random layouts (shuffled Zipf); it is an
 * approximation for two different non-random layouts over the same pages (e.g. a hot/cold
 * phase and an unshuffled Zipf phase), and a segment that is only part of a region is assumed
 * to hold that region's buckets in proportion.
 */
export function distinctFromProfiles(profiles: readonly UntouchedProfile[]): number {
  if (profiles.length === 0) return 0;
  const cuts = [...new Set(profiles.flatMap((p) => [p.offset, p.offset + p.pages]))].sort((a, b) => a - b);
  let total = 0;
  for (let s = 0; s + 1 < cuts.length; s++) {
    const a = cuts[s]!;
    const b = cuts[s + 1]!;
    const covering = profiles.filter((p) => p.offset <= a && p.offset + p.pages >= b);
    if (covering.length === 0) continue;
    const groups: UntouchedProfile[][] = [];
    for (const p of covering) {
      const g = p.counts.length > 1 ? groups.find((g) => g[0]!.layout === p.layout && g[0]!.offset === p.offset && g[0]!.pages === p.pages && g[0]!.counts.length === p.counts.length) : undefined;
      if (g) g.push(p);
      else groups.push([p]);
    }
    const len = b - a;
    if (groups.length === 1) {
      // One group: Σ_b share_b·(1 − Π q) directly, which keeps precision for short windows.
      const g = groups[0]!;
      const { counts, pages } = g[0]!;
      let t = 0;
      for (let k = 0; k < counts.length; k++) {
        let q = 1;
        for (const p of g) q *= p.untouched[k]!;
        t += (counts[k]! / pages) * (1 - q);
      }
      total += len * t;
      continue;
    }
    let untouchedShare = 1;
    for (const g of groups) {
      const { counts, pages } = g[0]!;
      let m = 0;
      for (let k = 0; k < counts.length; k++) {
        let q = 1;
        for (const p of g) q *= p.untouched[k]!;
        m += (counts[k]! / pages) * q;
      }
      untouchedShare *= m;
    }
    total += len * (1 - untouchedShare);
  }
  return total;
}

/**
 * How the guest behaves besides which pages it writes, shared by the models: its demand under a
 * vCPU throttle and the size of one write. All optional, so that experiments without them keep
 * their configuration ids.
 */
export const guestOptions = {
  demand: z
    .enum(['cpu-bound', 'rate-controlled'])
    .optional()
    .describe(
      "'cpu-bound' (default): the guest writes as fast as its vCPU runs, so a throttle taking x of its vCPU time cuts its writes to 1 − x; 'rate-controlled': it writes at `rate` on a clock and catches up after each throttle sleep, up to `maxBacklog`",
    ),
  maxBacklog: schemas.seconds().optional().describe("rate-controlled: the longest backlog of writes the guest catches up on after a sleep ('50 ms'); longer sleeps lose the rest; default 0"),
  cpuShare: schemas.fraction().optional().describe('rate-controlled: share of one vCPU the guest needs to write at `rate` (caps the speed at (1 − throttle) ÷ cpuShare); default 0'),
  writeSize: schemas.bytes({ positive: true }).optional().describe("bytes one write changes in a page ('8 B' for one 64-bit store), for delta encoders such as XBZRLE; default: unknown"),
};

export interface GuestTraits {
  throttledSpeed?(throttle: number, timeslice_s: number): number;
  readonly writeSize_bytes?: number;
}

/**
 * The {@link Workload} members that {@link guestOptions} give. A rate-controlled guest under a
 * throttle runs `timeslice` then sleeps timeslice × x ÷ (1 − x): in each such cycle it writes for
 * the run and for the sleep it catches up on, at most `maxBacklog`, so its speed is
 * min(1, (timeslice + min(sleep, maxBacklog)) ÷ cycle, (1 − x) ÷ cpuShare).
 */
export function guestTraits(o: { demand?: 'cpu-bound' | 'rate-controlled' | undefined; maxBacklog?: number | undefined; cpuShare?: number | undefined; writeSize?: number | undefined }): GuestTraits {
  const out: { throttledSpeed?: GuestTraits['throttledSpeed']; writeSize_bytes?: number } = {};
  if ((o.maxBacklog !== undefined || o.cpuShare !== undefined) && o.demand !== 'rate-controlled')
    throw new RangeError(`maxBacklog and cpuShare describe a rate-controlled guest: add demand: 'rate-controlled' (or remove them)`);
  if (o.demand === 'rate-controlled') {
    const backlog = o.maxBacklog ?? 0;
    const share = o.cpuShare ?? 0;
    out.throttledSpeed = (x, ts) => {
      if (!(x > 0)) return 1;
      const cycle = ts / (1 - x);
      const sleep = cycle - ts;
      const byClock = (ts + Math.min(sleep, backlog)) / cycle;
      const byCpu = share > 0 ? (1 - x) / share : Infinity;
      return Math.min(1, byClock, byCpu);
    };
  }
  if (o.writeSize !== undefined) out.writeSize_bytes = o.writeSize;
  return out;
}
