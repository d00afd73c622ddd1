/**
 * Guest memory as a copy strategy sees it, in two fidelities behind one interface:
 * - page-exact: bitsets of dirty, selected, zero and ever-sent pages and a version per page on
 *   the source and the destination, so the destination image can be checked at resume;
 * - fluid: expected counts from the workload's distinct-pages curve, no per-page state.
 * A strategy selects pages (all, or the dirty log), then sends them; sending yields network
 * transfers to the migration driver and lets the guest keep writing while the bytes move.
 */
import { PageSet } from './pageset.js';
import type { Rng } from './rng.js';
import type { Workload } from './workload.js';

/** A network transfer asked of the driver; it answers with the elapsed seconds. */
export interface SendAction {
  readonly kind: 'send';
  readonly bytes: number;
  /** Rate limit of the migration for this transfer (bytes/s); Infinity for none. */
  readonly cap_Bps: number;
  /** Whether this transfer is a new message that pays the route latency once. */
  readonly newMessage: boolean;
  /**
   * One-way route latencies this transfer pays, when not just one per new message (a post-copy
   * fault pays 2: the request to the source and the page back). May be fractional on the fluid
   * engine (an expected number of faults × 2). Default: 1 if `newMessage`, else 0.
   */
  readonly latencies?: number;
}

/** The one-way latencies a send pays: {@link SendAction.latencies}, else 1 per new message. */
export const latenciesOf = (a: SendAction): number => a.latencies ?? (a.newMessage ? 1 : 0);

/**
 * XBZRLE-like delta compression of re-sent pages (QEMU): a page cache of `cache_bytes` keyed by
 * page number (direct-mapped, as QEMU's: slot = page mod cache pages, a newer page evicts the
 * older one). A page re-sent while its previous copy is cached is sent as a delta of
 * `compressedRatio` × page size plus {@link XBZRLE_HEADER_BYTES}, unless that is not smaller than
 * the page (QEMU then sends the page as is); a miss puts the page in the cache. As in QEMU 7.2,
 * the cache starts with the first re-send (pages of the first full pass are not cached), so a
 * page's first re-send is always a miss. Encoding a hit reads the page at `encode_Bps`, which
 * bounds the send rate: a chunk takes at least (hit pages × page size) ÷ `encode_Bps`.
 */
export interface DeltaCompression {
  readonly cache_bytes: number;
  /** Encoded size of a cached page as a fraction of the page size, in [0, 1]. */
  readonly compressedRatio: number;
  /** Encoder throughput in bytes of page data per second (Infinity: free). */
  readonly encode_Bps: number;
}

/** Bytes an XBZRLE page carries besides the page header: an encoding flag (1) and a length (2). */
export const XBZRLE_HEADER_BYTES = 3;

/** Byte costs of pages on the wire. */
export interface PageCosts {
  readonly pageSize_bytes: number;
  /** Per-page header (QEMU: 8 bytes). */
  readonly header_bytes: number;
  /** Bytes of an all-zero page when zero-page elision is on (QEMU: about 9). */
  readonly zeroPage_bytes: number;
  readonly elideZeroPages: boolean;
}

export interface SendOptions {
  readonly cap_Bps?: number;
  /** Xen: skip pages already re-dirtied during the current round (they go next round). */
  readonly skipRedirtied?: boolean;
  /** Bytes sent with the pages (CPU and device state in the final copy). */
  readonly extra_bytes?: number;
  /** Delta-compress re-sent pages (XBZRLE). */
  readonly delta?: DeltaCompression;
}

/** Post-copy transfer: active push of the absent pages while the guest runs and faults. */
export interface PostcopyOptions {
  /** Rate limit of the push (bytes/s); faults are served at link speed. Default: none. */
  readonly cap_Bps?: number;
  /** Pages per push message; the guest's faults in a push window are served after it. Default 256. */
  readonly chunkPages?: number;
  /**
   * Push order: `sequential` (ascending page order) or `around-faults` (Hines et al.'s pre-paging
   * by bubbling: after a fault at page p the push goes on from p + 1, so the pages around the
   * faulting address come next). The fluid engine has no addresses: both orders are the same there.
   */
  readonly pushOrder?: 'sequential' | 'around-faults';
}

/** What a post-copy transfer did. Counts are expected values on the fluid engine. */
export interface PostcopyStats {
  /** Pages sent by active push. */
  readonly pushed: number;
  /** Remote page faults: first guest accesses to pages still at the source. */
  readonly faults: number;
  /** Seconds the vCPU waited on faults (round trip + page transfer each). */
  readonly faultWait_s: number;
  readonly bytes: number;
  readonly duration_s: number;
}

/** What one send moved. Counts are expected values on the fluid engine. */
export interface SendStats {
  readonly pages: number;
  readonly zeroPages: number;
  /** Pages that had been sent before. */
  readonly resent: number;
  readonly skipped: number;
  readonly bytes: number;
  readonly duration_s: number;
}

export type Fidelity = 'page-exact' | 'fluid';

/** Running totals of everything sent. */
export interface SendTotals {
  bytes: number;
  pages: number;
  resent: number;
  zeroPages: number;
  /** Pages sent delta-compressed (XBZRLE cache hits). */
  deltaPages: number;
  /** Bytes saved by delta compression against sending those pages whole. */
  deltaSaved_bytes: number;
}

/** Guest memory during a migration. */
export interface GuestMemory {
  /** Totals over every send so far. */
  readonly totals: Readonly<SendTotals>;
  readonly fidelity: Fidelity;
  readonly pageCount: number;
  readonly costs: PageCosts;
  /** Current simulated time as the memory knows it (advanced by sends and runs). */
  readonly now_s: number;
  /** Guest speed factor in [0, 1]: 1 = full speed, 0 = paused (throttling lowers it). */
  speed: number;
  /** Pages written since the last sync of the dirty log. */
  readonly dirtyCount: number;
  /** Pages selected for sending and not yet sent. */
  readonly pendingCount: number;
  /** Bytes that sending the current dirty log would take. */
  dirtyBytes(): number;
  /** Select every page and clear the dirty log (first pass, or stop-and-copy). */
  selectAll(): number;
  /** Sync the dirty log: the pages written since the last sync become the selection. */
  syncDirty(): number;
  /** The guest runs for `dt_s` while nothing is sent. */
  run(dt_s: number): void;
  /** Send the selected pages; the guest writes concurrently unless its speed is 0. */
  send(opts?: SendOptions): Generator<SendAction, SendStats, number>;
  /** Page-exact: pages whose destination version differs from the source's; fluid: null. */
  mismatchedPages(): number | null;
  /** Page-exact: pages never sent; fluid: null. */
  neverSentPages(): number | null;
  /** Whether {@link switchToPostcopy} was called: the destination owns the guest. */
  readonly inPostcopy: boolean;
  /** Pages still only at the source (post-copy); 0 before the switch. Expected value on the fluid engine. */
  readonly absentCount: number;
  /**
   * Switch to post-copy (the VM must be paused): the pages current at the destination are those
   * sent and neither re-dirtied nor pending since (none in pure post-copy; after hybrid pre-copy
   * rounds, the last rounds' work); every other page is absent and must be pushed or faulted.
   * Clears the dirty log and the selection. Returns the absent page count. From now on the
   * guest runs at the destination and its writes (its page accesses: reads are assumed to go
   * to pages it also writes) apply to the destination copy; it may only run inside
   * {@link postcopyTransfer} while pages are absent.
   */
  switchToPostcopy(): number;
  /**
   * Move every absent page to the destination: push chunks of absent pages while the guest
   * runs; a guest access to an absent page is a fault served with one round trip
   * (2 × latency) plus the page's transfer while the vCPU waits (speed 0). Ends when no page
   * is absent.
   */
  postcopyTransfer(opts?: PostcopyOptions): Generator<SendAction, PostcopyStats, number>;
}

const fullPageBytes = (c: PageCosts) => c.pageSize_bytes + c.header_bytes;
const zeroPageBytes = (c: PageCosts) => (c.elideZeroPages ? c.zeroPage_bytes : fullPageBytes(c));
/** Bytes of a delta-encoded page: the smaller of the XBZRLE encoding and the whole page. */
export const deltaPageBytes = (c: PageCosts, d: DeltaCompression): number =>
  Math.min(fullPageBytes(c), c.header_bytes + XBZRLE_HEADER_BYTES + Math.ceil(d.compressedRatio * c.pageSize_bytes));
const checkDelta = (d: DeltaCompression): void => {
  if (!(d.cache_bytes >= 0)) throw new RangeError(`delta.cache_bytes must be >= 0, got ${d.cache_bytes}`);
  if (!(d.compressedRatio >= 0 && d.compressedRatio <= 1)) throw new RangeError(`delta.compressedRatio must be in [0, 1], got ${d.compressedRatio}`);
  if (!(d.encode_Bps > 0)) throw new RangeError(`delta.encode_Bps must be > 0 bytes/s, got ${d.encode_Bps}`);
};
/** The send cap that makes a chunk of `bytes` last at least `encode_s` (encoder-bound). */
const encodeCap = (cap: number, bytes: number, encode_s: number): number => (encode_s > 0 && bytes > 0 ? Math.min(cap, bytes / encode_s) : cap);
const notInPostcopy = (what: string): never => {
  throw new Error(`${what}: the memory is in post-copy mode (the destination owns the guest); pre-copy operations are over`);
};

/** Options of both engines. */
export interface MemoryOptions {
  readonly pageCount: number;
  readonly costs: PageCosts;
  readonly workload: Workload;
  /** Fraction of pages that are all zeros when the migration starts. */
  readonly zeroFraction: number;
  readonly start_s?: number;
}

/**
 * The page-exact engine. Pages are sent in ascending order in chunks; a chunk's pages carry the
 * version they have when the chunk starts, and the guest's writes during the chunk are applied
 * after it, so a write either precedes a page's send (the destination gets it) or marks it dirty.
 *
 * Post-copy: a presence bitset. After the switch the source copy is frozen (the VM no longer
 * runs there), so an absent page's source version is the one the guest last wrote; a guest
 * write to an absent page first fetches it (a fault, counted and served after the push window
 * it falls in, with the vCPU stopped) and then applies to the destination copy.
 */
export function createPageExactMemory(opts: MemoryOptions & { rng: Rng; chunkPages?: number }): GuestMemory {
  const { pageCount: n, costs, workload } = opts;
  const chunk = opts.chunkPages ?? 1024;
  const dirty = new PageSet(n);
  const selected = new PageSet(n);
  const zero = new PageSet(n);
  const everSent = new PageSet(n);
  const srcVersion = new Uint32Array(n);
  const dstVersion = new Uint32Array(n);
  for (let p = 0; p < n; p++) if (opts.rng.next() < opts.zeroFraction) zero.add(p);
  let now = opts.start_s ?? 0;
  // XBZRLE cache (direct-mapped): tag[slot] = cached page or -1.
  let cacheTags: Int32Array | null = null;
  // Post-copy state: pages at the destination, and the faults of the current push window.
  let postcopy = false;
  let present: PageSet | null = null;
  let faulted: number[] = [];
  let faultedZero: boolean[] = [];
  let transferring = false;
  let inFlight = 0; // pages marked present whose transfer has not finished yet
  const write = (p: number): void => {
    srcVersion[p]!++;
    dirty.add(p);
    zero.remove(p);
  };
  // After the switch the guest runs at the destination: `srcVersion` is the guest's version.
  const writeAtDestination = (p: number): void => {
    if (!present!.has(p)) {
      // Fault: the page comes from the (frozen) source copy, then the write applies.
      faulted.push(p);
      faultedZero.push(zero.has(p));
      dstVersion[p] = srcVersion[p]!;
      present!.add(p);
    }
    srcVersion[p]!++;
    dstVersion[p]!++;
    zero.remove(p);
  };
  const guestRuns = (dt: number, mem: GuestMemory): void => {
    if (dt > 0 && mem.speed > 0) {
      if (!postcopy) workload.writes(now, dt, mem.speed, write);
      else {
        if (present!.count < n && !transferring) throw new Error('post-copy: the guest may only run inside postcopyTransfer() while pages are absent');
        workload.writes(now, dt, mem.speed, writeAtDestination);
      }
    }
    now += dt;
  };
  const totals: SendTotals = { bytes: 0, pages: 0, resent: 0, zeroPages: 0, deltaPages: 0, deltaSaved_bytes: 0 };
  /** Bytes of sending page p now, with its accounting in `acc`. */
  const pageCost = (p: number, acc: { zeros: number; resent: number }): number => {
    dstVersion[p] = srcVersion[p]!;
    let bytes: number;
    if (zero.has(p)) {
      acc.zeros++;
      bytes = zeroPageBytes(costs);
    } else bytes = fullPageBytes(costs);
    if (!everSent.add(p)) acc.resent++;
    return bytes;
  };
  const mem: GuestMemory = {
    totals,
    fidelity: 'page-exact',
    pageCount: n,
    costs,
    speed: 1,
    get now_s() {
      return now;
    },
    get dirtyCount() {
      return dirty.count;
    },
    get pendingCount() {
      return selected.count;
    },
    get inPostcopy() {
      return postcopy;
    },
    get absentCount() {
      return present ? n - present.count + inFlight : 0;
    },
    dirtyBytes() {
      let zeros = 0;
      if (costs.elideZeroPages) dirty.forEach((p) => void (zero.has(p) && zeros++));
      return (dirty.count - zeros) * fullPageBytes(costs) + zeros * zeroPageBytes(costs);
    },
    selectAll() {
      if (postcopy) notInPostcopy('selectAll');
      selected.fill();
      dirty.clear();
      return n;
    },
    syncDirty() {
      if (postcopy) notInPostcopy('syncDirty');
      selected.union(dirty);
      dirty.clear();
      return selected.count;
    },
    run(dt) {
      guestRuns(dt, mem);
    },
    *send(o = {}) {
      if (postcopy) notInPostcopy('send');
      const cap = o.cap_Bps ?? Infinity;
      const delta = o.delta;
      let cacheSlots = 0;
      let hitBytes = 0;
      if (delta) {
        checkDelta(delta);
        cacheSlots = Math.floor(delta.cache_bytes / costs.pageSize_bytes);
        if (cacheSlots > 0 && (!cacheTags || cacheTags.length !== cacheSlots)) cacheTags = new Int32Array(cacheSlots).fill(-1);
        hitBytes = deltaPageBytes(costs, delta);
      }
      const acc = { zeros: 0, resent: 0 };
      let pages = 0;
      let skipped = 0;
      let bytes = 0;
      let duration = 0;
      let deltaPages = 0;
      let deltaSaved = 0;
      let extra = o.extra_bytes ?? 0;
      let first = true;
      let cursor = 0;
      while (first || selected.count > 0) {
        let chunkBytes = extra;
        extra = 0;
        let inChunk = 0;
        let hits = 0;
        for (let p = selected.nextFrom(cursor); p !== -1 && inChunk < chunk; p = selected.nextFrom(p + 1)) {
          selected.remove(p);
          cursor = p + 1;
          if (o.skipRedirtied && dirty.has(p)) {
            skipped++;
            continue;
          }
          const resend = everSent.has(p);
          let cost = pageCost(p, acc);
          if (cacheTags && resend && cacheSlots > 0 && !zero.has(p)) {
            const slot = p % cacheSlots;
            if (cacheTags[slot] === p) {
              if (hitBytes < cost) {
                hits++;
                deltaSaved += cost - hitBytes;
                cost = hitBytes;
              }
            } else cacheTags[slot] = p;
          }
          chunkBytes += cost;
          inChunk++;
        }
        if (chunkBytes === 0 && !first) continue;
        const capHere = delta && hits > 0 ? encodeCap(cap, chunkBytes, (hits * costs.pageSize_bytes) / delta.encode_Bps) : cap;
        const elapsed: number = yield { kind: 'send', bytes: chunkBytes, cap_Bps: capHere, newMessage: first };
        first = false;
        pages += inChunk;
        bytes += chunkBytes;
        deltaPages += hits;
        duration += elapsed;
        guestRuns(elapsed, mem);
      }
      totals.bytes += bytes;
      totals.pages += pages;
      totals.resent += acc.resent;
      totals.zeroPages += acc.zeros;
      totals.deltaPages += deltaPages;
      totals.deltaSaved_bytes += deltaSaved;
      return { pages, zeroPages: acc.zeros, resent: acc.resent, skipped, bytes, duration_s: duration };
    },
    mismatchedPages() {
      let bad = 0;
      for (let p = 0; p < n; p++) if (srcVersion[p] !== dstVersion[p] || !everSent.has(p)) bad++;
      return bad;
    },
    neverSentPages() {
      return n - everSent.count;
    },
    switchToPostcopy() {
      if (postcopy) throw new Error('switchToPostcopy: already in post-copy');
      if (mem.speed !== 0) throw new Error('switchToPostcopy: pause the VM first (speed must be 0)');
      const p0 = new PageSet(n);
      p0.copyFrom(everSent);
      for (let p = 0; p < n; p++) {
        if (!p0.has(p)) continue;
        if (dirty.has(p) || selected.has(p)) p0.remove(p);
        else if (srcVersion[p] !== dstVersion[p]) throw new Error(`switchToPostcopy: page ${p} was sent, not re-dirtied, yet differs at the destination (engine bug)`);
      }
      dirty.clear();
      selected.clear();
      present = p0;
      postcopy = true;
      return n - p0.count;
    },
    *postcopyTransfer(o = {}) {
      if (!postcopy || !present) throw new Error('postcopyTransfer: call switchToPostcopy() first');
      const cap = o.cap_Bps ?? Infinity;
      const chunkPages = o.chunkPages ?? 256;
      if (!(Number.isInteger(chunkPages) && chunkPages >= 1)) throw new RangeError(`chunkPages must be a positive integer, got ${chunkPages}`);
      const bubble = o.pushOrder === 'around-faults';
      const have = present;
      const acc = { zeros: 0, resent: 0 };
      let pushed = 0;
      let faults = 0;
      let faultWait = 0;
      let bytes = 0;
      let duration = 0;
      let cursor = 0;
      let first = true;
      // The next absent page at or after `from`, wrapping around; -1 when none is absent.
      const nextAbsent = (from: number): number => {
        for (let p = from; p < n; p++) if (!have.has(p)) return p;
        for (let p = 0; p < from && p < n; p++) if (!have.has(p)) return p;
        return -1;
      };
      transferring = true;
      while (have.count < n) {
        let chunkBytes = 0;
        let inChunk = 0;
        for (let p = nextAbsent(cursor); p !== -1 && inChunk < chunkPages; p = nextAbsent(p + 1)) {
          have.add(p);
          chunkBytes += pageCost(p, acc);
          cursor = p + 1 >= n ? 0 : p + 1;
          inChunk++;
        }
        faulted = [];
        faultedZero = [];
        inFlight = inChunk;
        const elapsed: number = yield { kind: 'send', bytes: chunkBytes, cap_Bps: cap, newMessage: first };
        inFlight = 0;
        first = false;
        pushed += inChunk;
        bytes += chunkBytes;
        duration += elapsed;
        guestRuns(elapsed, mem); // the guest's accesses in this window; faults are collected
        inFlight = faulted.length;
        totals.pages += inChunk;
        totals.bytes += chunkBytes;
        // Serve the window's faults one after the other with the vCPU stopped.
        const speed = mem.speed;
        mem.speed = 0;
        for (let i = 0; i < faulted.length; i++) {
          const p = faulted[i]!;
          // The page left the source as it was before the guest's write (zero or not).
          let cost = fullPageBytes(costs);
          if (faultedZero[i]) {
            acc.zeros++;
            cost = zeroPageBytes(costs);
          }
          if (!everSent.add(p)) acc.resent++;
          const wait: number = yield { kind: 'send', bytes: cost, cap_Bps: Infinity, newMessage: true, latencies: 2 };
          inFlight--;
          faults++;
          faultWait += wait;
          bytes += cost;
          duration += wait;
          totals.pages += 1;
          totals.bytes += cost;
          guestRuns(wait, mem);
        }
        if (bubble && faulted.length > 0) cursor = faulted[faulted.length - 1]! + 1 >= n ? 0 : faulted[faulted.length - 1]! + 1;
        faulted = [];
        mem.speed = speed;
      }
      transferring = false;
      totals.resent += acc.resent;
      totals.zeroPages += acc.zeros;
      return { pushed, faults, faultWait_s: faultWait, bytes, duration_s: duration };
    },
  };
  return mem;
}

/**
 * The fluid engine: the dirty log holds the expected number of distinct pages written since
 * the last sync, read off the workload's curve for the guest work done since then. Zero pages
 * are sent as markers in the first full pass; pages written since are assumed non-zero.
 *
 * Post-copy: the absent count A. In a push window where the guest does work w → w + dw, the
 * pages it touches for the first time since the switch are D(w + dw) − D(w) (D: the workload's
 * distinct-pages curve from the switch); every absent page is untouched, and pushes and
 * accesses are assumed independent (push order carries no information about the access
 * pattern), so a newly touched page is absent with probability A ÷ (n − D(w)): the expected
 * faults of the window are (D(w + dw) − D(w)) × A ÷ (n − D(w)). This holds exactly for accesses
 * spread over all of memory; a working set that the sequential push reaches early (or late)
 * makes the page-exact fault count lower (or higher). After hybrid pre-copy rounds the absent
 * pages are the recently written ones, which the guest is likelier to touch again: the fluid
 * count is then a lower bound.
 *
 * Delta compression: a re-sent page hits the cache if it was re-sent before and still cached.
 * With U(t) the expected union of pages written since the migration started (the workload's
 * curve from the start), a round starting at t_k re-sends pages written since t_(k−1), the cache
 * holds pages re-sent before (those written before t_(k−1), U(t_(k−1)) of them, at most the cache
 * pages C), so the expected hit ratio of the round's re-sent pages is min(U(t_(k−1)), C) ÷ U(t_k).
 */
export function createFluidMemory(opts: MemoryOptions): GuestMemory {
  const { pageCount: n, costs, workload } = opts;
  const start = opts.start_s ?? 0;
  let now = start;
  let syncedAt = now;
  let workSinceSync = 0;
  let workSinceStart = 0;
  let unionAtLastSend = 0;
  let pending = 0;
  let pendingZero = 0;
  let zeroPages = n * opts.zeroFraction;
  let sentOnce = 0; // pages sent at least once, expected
  // Post-copy state.
  let postcopy = false;
  let absent = 0;
  let absentZero = 0;
  let switchedAt = 0;
  let workSinceSwitch = 0;
  let inFlight = 0;
  const dirtyNow = (): number => (workSinceSync > 0 ? Math.min(n, workload.expectedDistinct(syncedAt, workSinceSync)) : 0);
  const clearLog = (): void => {
    syncedAt = now;
    workSinceSync = 0;
  };
  const advance = (dt: number, mem: GuestMemory): void => {
    const work = mem.speed * dt;
    workSinceSync += work;
    workSinceStart += work;
    if (postcopy) workSinceSwitch += work;
    now += dt;
  };
  const totals: SendTotals = { bytes: 0, pages: 0, resent: 0, zeroPages: 0, deltaPages: 0, deltaSaved_bytes: 0 };
  const mem: GuestMemory = {
    totals,
    fidelity: 'fluid',
    pageCount: n,
    costs,
    speed: 1,
    get now_s() {
      return now;
    },
    get dirtyCount() {
      return postcopy ? 0 : dirtyNow();
    },
    get pendingCount() {
      return pending;
    },
    get inPostcopy() {
      return postcopy;
    },
    get absentCount() {
      return absent + inFlight;
    },
    dirtyBytes() {
      return postcopy ? 0 : dirtyNow() * fullPageBytes(costs);
    },
    selectAll() {
      if (postcopy) notInPostcopy('selectAll');
      pending = n;
      pendingZero = zeroPages;
      clearLog();
      return n;
    },
    syncDirty() {
      if (postcopy) notInPostcopy('syncDirty');
      const d = dirtyNow();
      // Dirty pages are assumed non-zero and spread like the working set, not like the selection.
      pending = Math.min(n, pending + d);
      clearLog();
      return pending;
    },
    run(dt) {
      if (postcopy && absent > 0 && mem.speed > 0 && dt > 0) throw new Error('post-copy: the guest may only run inside postcopyTransfer() while pages are absent');
      advance(dt, mem);
    },
    *send(o = {}) {
      if (postcopy) notInPostcopy('send');
      const pages = pending;
      const zeros = pendingZero;
      let bytes = (pages - zeros) * fullPageBytes(costs) + zeros * zeroPageBytes(costs) + (o.extra_bytes ?? 0);
      const firstTime = Math.max(0, Math.min(pages, n - sentOnce));
      const resent = pages - firstTime;
      let cap = o.cap_Bps ?? Infinity;
      let hits = 0;
      let saved = 0;
      const union = workSinceStart > 0 ? Math.min(n, workload.expectedDistinct(start, workSinceStart)) : 0;
      if (o.delta) {
        checkDelta(o.delta);
        const slots = Math.floor(o.delta.cache_bytes / costs.pageSize_bytes);
        const perPage = fullPageBytes(costs) - deltaPageBytes(costs, o.delta);
        if (resent > 0 && union > 0 && perPage > 0) {
          hits = (resent * Math.min(unionAtLastSend, slots)) / union;
          saved = hits * perPage;
          bytes -= saved;
          cap = encodeCap(cap, bytes, (hits * costs.pageSize_bytes) / o.delta.encode_Bps);
        }
      }
      unionAtLastSend = union;
      pending = 0;
      pendingZero = 0;
      zeroPages -= zeros;
      const elapsed: number = yield { kind: 'send', bytes, cap_Bps: cap, newMessage: true };
      sentOnce += firstTime;
      totals.bytes += bytes;
      totals.pages += pages;
      totals.resent += resent;
      totals.zeroPages += zeros;
      totals.deltaPages += hits;
      totals.deltaSaved_bytes += saved;
      advance(elapsed, mem);
      return { pages, zeroPages: zeros, resent, skipped: 0, bytes, duration_s: elapsed };
    },
    mismatchedPages: () => null,
    neverSentPages: () => null,
    switchToPostcopy() {
      if (postcopy) throw new Error('switchToPostcopy: already in post-copy');
      if (mem.speed !== 0) throw new Error('switchToPostcopy: pause the VM first (speed must be 0)');
      // Never sent, plus pending, plus re-dirtied since the last sync (assumed among the sent ones).
      absent = Math.min(n, n - sentOnce + pending + dirtyNow());
      absentZero = Math.min(zeroPages, absent);
      pending = 0;
      pendingZero = 0;
      clearLog();
      postcopy = true;
      switchedAt = now;
      workSinceSwitch = 0;
      return absent;
    },
    *postcopyTransfer(o = {}) {
      if (!postcopy) throw new Error('postcopyTransfer: call switchToPostcopy() first');
      const cap = o.cap_Bps ?? Infinity;
      const chunkPages = o.chunkPages ?? 256;
      if (!(Number.isInteger(chunkPages) && chunkPages >= 1)) throw new RangeError(`chunkPages must be a positive integer, got ${chunkPages}`);
      const full = fullPageBytes(costs);
      const zcost = zeroPageBytes(costs);
      const D = (w: number): number => (w > 0 ? Math.min(n, workload.expectedDistinct(switchedAt, w)) : 0);
      let pushed = 0;
      let faults = 0;
      let faultWait = 0;
      let bytes = 0;
      let duration = 0;
      let first = true;
      let pages = 0;
      let zeros = 0;
      let resent = 0;
      // Sends `k` absent pages; returns their bytes (zero pages in proportion).
      const take = (k: number): number => {
        const z = absent > 0 ? (k * absentZero) / absent : 0;
        // Absent pages never sent before count as first sends, the others as re-sends.
        const fresh = Math.max(0, Math.min(k, n - sentOnce));
        sentOnce += fresh;
        resent += k - fresh;
        absent -= k;
        absentZero -= z;
        zeros += z;
        pages += k;
        return (k - z) * full + z * zcost;
      };
      const eps = 1e-9 * n;
      while (absent > eps) {
        const k = absent - chunkPages <= eps ? absent : chunkPages;
        const chunkBytes = take(k);
        inFlight = k;
        const elapsed: number = yield { kind: 'send', bytes: chunkBytes, cap_Bps: cap, newMessage: first };
        inFlight = 0;
        first = false;
        pushed += k;
        bytes += chunkBytes;
        duration += elapsed;
        const w0 = workSinceSwitch;
        advance(elapsed, mem);
        const touched0 = D(w0);
        const untouched = n - touched0;
        let f = untouched > 0 ? ((D(workSinceSwitch) - touched0) * absent) / untouched : absent;
        f = Math.max(0, Math.min(absent, f));
        if (absent - f <= eps) f = absent;
        if (f > 0 && absent > eps) {
          const faultBytes = take(f);
          const speed = mem.speed;
          mem.speed = 0;
          inFlight = f;
          const wait: number = yield { kind: 'send', bytes: faultBytes, cap_Bps: Infinity, newMessage: false, latencies: 2 * f };
          inFlight = 0;
          advance(wait, mem);
          mem.speed = speed;
          faults += f;
          faultWait += wait;
          bytes += faultBytes;
          duration += wait;
        }
      }
      absent = 0;
      absentZero = 0;
      totals.bytes += bytes;
      totals.pages += pages;
      totals.resent += resent;
      totals.zeroPages += zeros;
      return { pushed, faults, faultWait_s: faultWait, bytes, duration_s: duration };
    },
  };
  return mem;
}
