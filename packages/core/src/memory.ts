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
}

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
}

const fullPageBytes = (c: PageCosts) => c.pageSize_bytes + c.header_bytes;
const zeroPageBytes = (c: PageCosts) => (c.elideZeroPages ? c.zeroPage_bytes : fullPageBytes(c));

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
  const write = (p: number): void => {
    srcVersion[p]!++;
    dirty.add(p);
    zero.remove(p);
  };
  const guestRuns = (dt: number, mem: GuestMemory): void => {
    if (dt > 0 && mem.speed > 0) workload.writes(now, dt, mem.speed, write);
    now += dt;
  };
  const totals: SendTotals = { bytes: 0, pages: 0, resent: 0, zeroPages: 0 };
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
    dirtyBytes() {
      let zeros = 0;
      if (costs.elideZeroPages) dirty.forEach((p) => void (zero.has(p) && zeros++));
      return (dirty.count - zeros) * fullPageBytes(costs) + zeros * zeroPageBytes(costs);
    },
    selectAll() {
      selected.fill();
      dirty.clear();
      return n;
    },
    syncDirty() {
      selected.union(dirty);
      dirty.clear();
      return selected.count;
    },
    run(dt) {
      guestRuns(dt, mem);
    },
    *send(o = {}) {
      const cap = o.cap_Bps ?? Infinity;
      let pages = 0;
      let zeros = 0;
      let resent = 0;
      let skipped = 0;
      let bytes = 0;
      let duration = 0;
      let extra = o.extra_bytes ?? 0;
      let first = true;
      let cursor = 0;
      while (first || selected.count > 0) {
        let chunkBytes = extra;
        extra = 0;
        let inChunk = 0;
        for (let p = selected.nextFrom(cursor); p !== -1 && inChunk < chunk; p = selected.nextFrom(p + 1)) {
          selected.remove(p);
          cursor = p + 1;
          if (o.skipRedirtied && dirty.has(p)) {
            skipped++;
            continue;
          }
          dstVersion[p] = srcVersion[p]!;
          if (zero.has(p)) {
            zeros++;
            chunkBytes += zeroPageBytes(costs);
          } else chunkBytes += fullPageBytes(costs);
          if (!everSent.add(p)) resent++;
          inChunk++;
        }
        if (chunkBytes === 0 && !first) continue;
        const elapsed: number = yield { kind: 'send', bytes: chunkBytes, cap_Bps: cap, newMessage: first };
        first = false;
        pages += inChunk;
        bytes += chunkBytes;
        duration += elapsed;
        guestRuns(elapsed, mem);
      }
      totals.bytes += bytes;
      totals.pages += pages;
      totals.resent += resent;
      totals.zeroPages += zeros;
      return { pages, zeroPages: zeros, resent, skipped, bytes, duration_s: duration };
    },
    mismatchedPages() {
      let bad = 0;
      for (let p = 0; p < n; p++) if (srcVersion[p] !== dstVersion[p] || !everSent.has(p)) bad++;
      return bad;
    },
    neverSentPages() {
      return n - everSent.count;
    },
  };
  return mem;
}

/**
 * The fluid engine: the dirty log holds the expected number of distinct pages written since
 * the last sync, read off the workload's curve for the guest work done since then. Zero pages
 * are sent as markers in the first full pass; pages written since are assumed non-zero.
 */
export function createFluidMemory(opts: MemoryOptions): GuestMemory {
  const { pageCount: n, costs, workload } = opts;
  let now = opts.start_s ?? 0;
  let syncedAt = now;
  let workSinceSync = 0;
  let pending = 0;
  let pendingZero = 0;
  let zeroPages = n * opts.zeroFraction;
  let sentOnce = 0; // pages sent at least once, expected
  const dirtyNow = (): number => (workSinceSync > 0 ? Math.min(n, workload.expectedDistinct(syncedAt, workSinceSync)) : 0);
  const clearLog = (): void => {
    syncedAt = now;
    workSinceSync = 0;
  };
  const advance = (dt: number, mem: GuestMemory): void => {
    workSinceSync += mem.speed * dt;
    now += dt;
  };
  const totals: SendTotals = { bytes: 0, pages: 0, resent: 0, zeroPages: 0 };
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
      return dirtyNow();
    },
    get pendingCount() {
      return pending;
    },
    dirtyBytes() {
      return dirtyNow() * fullPageBytes(costs);
    },
    selectAll() {
      pending = n;
      pendingZero = zeroPages;
      clearLog();
      return n;
    },
    syncDirty() {
      const d = dirtyNow();
      // Dirty pages are assumed non-zero and spread like the working set, not like the selection.
      pending = Math.min(n, pending + d);
      clearLog();
      return pending;
    },
    run(dt) {
      advance(dt, mem);
    },
    *send(o = {}) {
      const pages = pending;
      const zeros = pendingZero;
      const bytes = (pages - zeros) * fullPageBytes(costs) + zeros * zeroPageBytes(costs) + (o.extra_bytes ?? 0);
      const firstTime = Math.max(0, Math.min(pages, n - sentOnce));
      pending = 0;
      pendingZero = 0;
      zeroPages -= zeros;
      const elapsed: number = yield { kind: 'send', bytes, cap_Bps: o.cap_Bps ?? Infinity, newMessage: true };
      sentOnce += firstTime;
      totals.bytes += bytes;
      totals.pages += pages;
      totals.resent += pages - firstTime;
      totals.zeroPages += zeros;
      advance(elapsed, mem);
      return { pages, zeroPages: zeros, resent: pages - firstTime, skipped: 0, bytes, duration_s: elapsed };
    },
    mismatchedPages: () => null,
    neverSentPages: () => null,
  };
  return mem;
}
