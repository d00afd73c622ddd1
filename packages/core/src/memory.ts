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
  /**
   * QEMU's encoded size instead of `compressedRatio`: XBZRLE encodes each changed run as a
   * zero-run length, a run length and the changed bytes, so a page written k times since its
   * cached copy, `writeSize_bytes` each at separate places, encodes in k × (writeSize +
   * {@link XBZRLE_RUN_BYTES}) bytes (plus {@link XBZRLE_HEADER_BYTES}); more than a page
   * overflows and goes whole. k: page-exact, the page's writes since its last send; fluid, the
   * workload's expected writes per dirty page over the period since the last sync.
   */
  readonly writeSize_bytes?: number;
  /**
   * QEMU's CACHED_PAGE_LIFETIME (2): a miss does not evict a different page that was cached or
   * hit in the last `lifetime` bitmap syncs (it is then sent whole and not cached). Default 0.
   */
  readonly lifetime?: number;
  /** The final copy (QEMU's last stage): a miss does not insert the page. Default false. */
  readonly lastStage?: boolean;
}

/** Bytes of one changed run in an XBZRLE encoding besides its data: a zero-run length (uleb128, 2 bytes for offsets of 128 B or more) and a run length (1 byte). */
export const XBZRLE_RUN_BYTES = 3;

/** Bytes of a delta-encoded page with `writes` writes since its cached copy, or null if it overflows (sent whole). */
export const xbzrleEncodedBytes = (c: PageCosts, writeSize: number, writes: number): number | null => {
  const enc = Math.max(1, writes) * (writeSize + XBZRLE_RUN_BYTES);
  return enc > c.pageSize_bytes ? null : c.header_bytes + XBZRLE_HEADER_BYTES + enc;
};

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
  /**
   * Send only about this many bytes of the selection and leave the rest selected (page-exact:
   * the page that reaches the budget is the last one; fluid: exactly the budget). A budgeted
   * send scans circularly from where the previous budgeted send stopped, as QEMU's dirty-page
   * search does (`last_seen_block`/`last_page`), and never-sent pages go first on the fluid
   * engine (the first pass's tail lies ahead of the scan). Default: the whole selection, in
   * ascending page order.
   */
  readonly maxBytes?: number;
  /** The transfer continues the previous one's stream: no new message, so no route latency. */
  readonly continued?: boolean;
}

/** A set of pages left to send: how many, and the bytes sending them would take. */
export interface PageBudget {
  readonly pages: number;
  readonly bytes: number;
}

/** Pivots that `bubbling` pre-paging keeps by default (the most recent faults it pushes around). */
export const DEFAULT_PIVOTS = 4;

/** Post-copy transfer: active push of the absent pages while the guest runs and faults. */
export interface PostcopyOptions {
  /** Rate limit of the push (bytes/s); pages sent on demand go at link speed. Default: none. */
  readonly cap_Bps?: number;
  /**
   * Most pages per push message. Page-exact: a message is also cut where a fault's request could
   * reach the source (2 × latency after the guest's next access to a missing page), so a page
   * asked for is sent at the first page boundary after its request arrives. Fluid: the faults
   * of a push window are served after it. Default 256.
   */
  readonly chunkPages?: number;
  /**
   * Push order (page-exact; the fluid engine has no addresses, every order is the same there):
   * - `sequential`: ascending page order, wrapping around;
   * - `around-faults`: after a fault at page p the push goes on from p + 1 (forward only);
   * - `bubbling`: Hines & Gopalan's pre-paging by bubbling with multiple pivots: each fault is
   *   a pivot and the push grows a bubble around it, alternately one page forward and one page
   *   backward (skipping pages already sent); the {@link PostcopyOptions.pivots} most recent
   *   pivots take turns page by page, the newest first; before the first fault, page order.
   */
  readonly pushOrder?: 'sequential' | 'around-faults' | 'bubbling';
  /** `bubbling`: how many recent pivots the push keeps bubbling around. Default {@link DEFAULT_PIVOTS}. */
  readonly pivots?: number;
  /**
   * QEMU's completion in post-copy: once the pages not yet sent × page size fall below this
   * many bytes, the push goes on at {@link PostcopyOptions.completeCap_Bps} (`migration_completion`
   * sends the rest without the rate limit). Default: never.
   */
  readonly completeBelow_bytes?: number;
  /** The push rate after {@link PostcopyOptions.completeBelow_bytes} (bytes/s). Default: none (link speed). */
  readonly completeCap_Bps?: number;
}

/** The push cap when `unsent` pages are left: QEMU's completion lifts the rate limit. */
const pushCap = (o: PostcopyOptions, unsent: number, pageSize: number): number =>
  o.completeBelow_bytes !== undefined && unsent * pageSize < o.completeBelow_bytes ? (o.completeCap_Bps ?? Infinity) : (o.cap_Bps ?? Infinity);

/** What a post-copy transfer did. Counts are expected values on the fluid engine. */
export interface PostcopyStats {
  /** Pages sent by active push. */
  readonly pushed: number;
  /**
   * Network-bound faults: guest accesses to a page that had not arrived and that the source
   * sent on demand (the request reached it before the push had sent the page). Each costs at
   * least a round trip plus the page's transfer.
   */
  readonly faults: number;
  /**
   * Page-exact: guest stalls on a page the push had already sent (in flight) or sent before
   * the request arrived: waits, but no page sent on demand. Fluid: 0.
   */
  readonly pushWaits: number;
  /** Seconds the vCPU was stalled on pages not yet at the destination (faults and push waits). */
  readonly faultWait_s: number;
  readonly bytes: number;
  readonly duration_s: number;
  /**
   * Lost guest work (seconds of full-speed work) that the driver's clock did not see: it counts
   * (1 − speed) of each message, and a stall that starts or ends inside a message is only known
   * after it. The strategy adds it to `app_degradation_s`. 0 on the fluid engine.
   */
  readonly degradationAdjust_s: number;
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
  /** The guest's dirty-page model (its demand under throttling, its write size). */
  readonly workload: Workload;
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
  /** Bytes that sending the current selection ({@link pendingCount} pages) would take. */
  pendingBytes(): number;
  /**
   * What a sync of the dirty log now would leave to send: the selection and the dirty log
   * together, a page in both counted once (QEMU's `migration_dirty_pages` after
   * `migration_bitmap_sync`). Equal to the dirty log when nothing is selected. Fluid: the
   * expected union (see {@link createFluidMemory}).
   */
  remaining(): PageBudget;
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
   * Move every absent page to the destination: push absent pages while the guest runs; a guest
   * access to a page not yet at the destination stalls the vCPU until it arrives. Page-exact:
   * the guest's accesses run in order and it stops at the first missing page; its request
   * reaches the source one latency later, which sends the page next on the same link (after
   * the page on the wire) unless the push has sent it already; the push goes on meanwhile, so
   * a fault costs at least a round trip (2 × latency) plus the page's transfer. Fluid: the
   * faults of a push window are served after it, the push stopped. Ends when no page is absent.
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
  if (d.writeSize_bytes !== undefined && !(d.writeSize_bytes > 0)) throw new RangeError(`delta.writeSize_bytes must be > 0 bytes, got ${d.writeSize_bytes}`);
  if (d.lifetime !== undefined && !(Number.isInteger(d.lifetime) && d.lifetime >= 0)) throw new RangeError(`delta.lifetime must be a whole number of syncs >= 0, got ${d.lifetime}`);
};
/** The send cap that makes a chunk of `bytes` last at least `encode_s` (encoder-bound). */
const encodeCap = (cap: number, bytes: number, encode_s: number): number => (encode_s > 0 && bytes > 0 ? Math.min(cap, bytes / encode_s) : cap);
const notInPostcopy = (what: string): never => {
  throw new Error(`${what}: the memory is in post-copy mode (the destination owns the guest); pre-copy operations are over`);
};

/** A zero profile's shares, checked (each in [0, 1], at least one); undefined when none. */
function checkZeroProfile(p: readonly number[] | undefined): readonly number[] | undefined {
  if (p === undefined) return undefined;
  if (p.length === 0 || !p.every((x) => x >= 0 && x <= 1)) throw new RangeError(`zeroProfile: expected one or more shares in [0, 1], got [${p.join(', ')}]`);
  return p;
}

/** Options of both engines. */
export interface MemoryOptions {
  readonly pageCount: number;
  readonly costs: PageCosts;
  readonly workload: Workload;
  /** Fraction of pages that are all zeros when the migration starts. */
  readonly zeroFraction: number;
  /**
   * Where the zero pages are: memory cut into `zeroProfile.length` equal address segments, the
   * share of zero pages in each (a guest's zero-page map, e.g. measured by `livemig calibrate
   * qemu` from the first pass of a recording). Overrides `zeroFraction`. Default: zero pages at
   * random anywhere, with density `zeroFraction`.
   */
  readonly zeroProfile?: readonly number[];
  readonly start_s?: number;
}

/**
 * The page-exact engine. Pages are sent in ascending order in chunks; a chunk's pages carry the
 * version they have when the chunk starts, and the guest's writes during the chunk are applied
 * after it, so a write either precedes a page's send (the destination gets it) or marks it dirty.
 *
 * Post-copy: a presence bitset. After the switch the source copy is frozen (the VM no longer
 * runs there), so an absent page's source version is the one the guest last wrote. One link
 * carries the push and the pages asked for, message after message (the driver times each);
 * the guest replays the workload's accesses in order, evenly spaced in its work time, and
 * stalls at an access to a page that has not arrived until it does (a page on the wire, or one
 * it asked for: a fault). Push messages end where a request could need the link (2 × latency
 * after the guest's next access to a missing page), so a page asked for goes at the first page
 * boundary after its request reaches the source. Accesses the workload generated for a span
 * in which the guest then stalled run later, shifted by the stall (exact for stationary
 * workloads; a time-varying one sees them at the times they were generated for).
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
  const profile = checkZeroProfile(opts.zeroProfile);
  if (profile) for (let p = 0; p < n; p++) {
    if (opts.rng.next() < profile[Math.min(profile.length - 1, Math.floor((p * profile.length) / n))]!) zero.add(p);
  }
  else for (let p = 0; p < n; p++) if (opts.rng.next() < opts.zeroFraction) zero.add(p);
  let now = opts.start_s ?? 0;
  // Where the next budgeted send's circular scan starts (the page after the last one it sent).
  let scanCursor = 0;
  // XBZRLE cache (direct-mapped): tag[slot] = cached page or -1; the sync generation of its last use.
  let cacheTags: Int32Array | null = null;
  let cacheAge: Int32Array | null = null;
  // Bitmap syncs so far (QEMU's generation for the cache lifetime), and each page's writes since its last send.
  let generation = 0;
  let writesSince: Uint32Array | null = null;
  // Post-copy state: the pages arrived at the destination.
  let postcopy = false;
  let present: PageSet | null = null;
  const write = (p: number): void => {
    srcVersion[p]!++;
    dirty.add(p);
    zero.remove(p);
    if (writesSince) writesSince[p]!++;
  };
  // After the switch the guest runs at the destination: `srcVersion` is the guest's version.
  // It only ever touches pages that have arrived (it stalls at the others): anything else is an engine bug.
  const writeAtDestination = (p: number): void => {
    if (!present!.has(p)) throw new Error(`post-copy: the guest touched page ${p}, which is not at the destination (engine bug)`);
    srcVersion[p]!++;
    dstVersion[p]!++;
    zero.remove(p);
  };
  const guestRuns = (dt: number, mem: GuestMemory): void => {
    if (dt > 0 && mem.speed > 0) {
      if (!postcopy) workload.writes(now, dt, mem.speed, write);
      else {
        if (present!.count < n) throw new Error('post-copy: the guest may only run inside postcopyTransfer() while pages are absent');
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
    workload,
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
      return present ? n - present.count : 0;
    },
    dirtyBytes() {
      let zeros = 0;
      if (costs.elideZeroPages) dirty.forEach((p) => void (zero.has(p) && zeros++));
      return (dirty.count - zeros) * fullPageBytes(costs) + zeros * zeroPageBytes(costs);
    },
    pendingBytes() {
      const zeros = costs.elideZeroPages ? selected.intersectionCount(zero) : 0;
      return (selected.count - zeros) * fullPageBytes(costs) + zeros * zeroPageBytes(costs);
    },
    remaining() {
      // A written page is never a zero page, so the union's zero pages are the selection's.
      const pages = selected.unionCount(dirty);
      const zeros = costs.elideZeroPages ? selected.intersectionCount(zero) : 0;
      return { pages, bytes: (pages - zeros) * fullPageBytes(costs) + zeros * zeroPageBytes(costs) };
    },
    selectAll() {
      if (postcopy) notInPostcopy('selectAll');
      selected.fill();
      dirty.clear();
      return n;
    },
    syncDirty() {
      if (postcopy) notInPostcopy('syncDirty');
      generation++;
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
        if (cacheSlots > 0 && (!cacheTags || cacheTags.length !== cacheSlots)) {
          cacheTags = new Int32Array(cacheSlots).fill(-1);
          cacheAge = new Int32Array(cacheSlots);
        }
        hitBytes = deltaPageBytes(costs, delta);
        // Counting starts with the first XBZRLE send: the pages re-sent first are misses anyway.
        if (delta.writeSize_bytes !== undefined && !writesSince) writesSince = new Uint32Array(n);
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
      // A budgeted send scans circularly from where the last one stopped; a whole send from page 0.
      const budget = o.maxBytes ?? Infinity;
      const circular = o.maxBytes !== undefined;
      if (circular && !(budget >= 0)) throw new RangeError(`maxBytes must be >= 0, got ${budget}`);
      let cursor = circular ? scanCursor : 0;
      const nextSelected = (from: number): number => {
        const p = selected.nextFrom(from);
        return p === -1 && circular && from > 0 ? selected.nextFrom(0) : p;
      };
      while ((first || selected.count > 0) && bytes < budget) {
        let chunkBytes = extra;
        extra = 0;
        let inChunk = 0;
        let hits = 0;
        for (let p = nextSelected(cursor); p !== -1 && inChunk < chunk && bytes + chunkBytes < budget; p = nextSelected(p + 1)) {
          selected.remove(p);
          cursor = p + 1;
          if (o.skipRedirtied && dirty.has(p)) {
            skipped++;
            continue;
          }
          const resend = everSent.has(p);
          let cost = pageCost(p, acc);
          const writes = writesSince ? writesSince[p]! : 0;
          if (writesSince) writesSince[p] = 0;
          if (cacheTags && resend && cacheSlots > 0 && !zero.has(p)) {
            const slot = p % cacheSlots;
            if (cacheTags[slot] === p) {
              cacheAge![slot] = generation;
              const enc = delta!.writeSize_bytes !== undefined ? xbzrleEncodedBytes(costs, delta!.writeSize_bytes, writes) : hitBytes;
              if (enc !== null && enc < cost) {
                hits++;
                deltaSaved += cost - enc;
                cost = enc;
              }
            } else if (!delta!.lastStage && !(cacheTags[slot]! >= 0 && cacheAge![slot]! + (delta!.lifetime ?? 0) > generation)) {
              cacheTags[slot] = p;
              cacheAge![slot] = generation;
            }
          }
          chunkBytes += cost;
          inChunk++;
        }
        if (chunkBytes === 0 && !first) continue;
        const capHere = delta && hits > 0 ? encodeCap(cap, chunkBytes, (hits * costs.pageSize_bytes) / delta.encode_Bps) : cap;
        const elapsed: number = yield { kind: 'send', bytes: chunkBytes, cap_Bps: capHere, newMessage: first && !o.continued };
        first = false;
        pages += inChunk;
        bytes += chunkBytes;
        deltaPages += hits;
        duration += elapsed;
        guestRuns(elapsed, mem);
      }
      if (circular) scanCursor = cursor;
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
      return yield* pageExactPostcopy(o, present);
    },
  };

  /**
   * The page-exact post-copy transfer: a serial link carries the push stream and the pages sent
   * on demand; the guest replays its accesses in order and stalls at the first one to a page
   * that has not arrived. Times below are arrival times at the destination (the driver's clock):
   * a page leaves the source one latency L before it arrives.
   */
  function* pageExactPostcopy(o: PostcopyOptions, have: PageSet): Generator<SendAction, PostcopyStats, number> {
    const cap = o.cap_Bps ?? Infinity;
    const chunkPages = o.chunkPages ?? 256;
    if (!(Number.isInteger(chunkPages) && chunkPages >= 1)) throw new RangeError(`chunkPages must be a positive integer, got ${chunkPages}`);
    const order = o.pushOrder ?? 'sequential';
    const maxPivots = o.pivots ?? DEFAULT_PIVOTS;
    if (!(Number.isInteger(maxPivots) && maxPivots >= 1)) throw new RangeError(`pivots must be a positive integer, got ${maxPivots}`);
    const pageBytes = fullPageBytes(costs);
    const acc = { zeros: 0, resent: 0 };
    const speed = mem.speed; // the guest's speed when it runs (nothing throttles it during post-copy)
    // Pages put on the wire (or at the destination since the switch); `have` holds the arrived ones.
    const sent = new PageSet(n);
    sent.copyFrom(have);
    let pushed = 0;
    let faults = 0;
    let pushWaits = 0;
    let faultWait = 0;
    let bytes = 0;
    let degradationAdjust = 0;
    const t0 = now;

    // --- Push order.
    let cursor = 0;
    const pivots: Array<{ fwd: number; back: number; forward: boolean }> = [];
    let turn = 0;
    const nextSequential = (): number => {
      let p = sent.nextClearFrom(cursor);
      if (p === -1) p = sent.nextClearFrom(0);
      if (p !== -1) cursor = p + 1;
      return p;
    };
    const nextBubbling = (): number => {
      while (pivots.length > 0) {
        if (turn >= pivots.length) turn = 0;
        const pv = pivots[turn]!;
        for (let tries = 0; tries < 2; tries++) {
          const forward = pv.forward;
          pv.forward = !forward;
          if (forward && pv.fwd >= 0) {
            const p = sent.nextClearFrom(pv.fwd);
            if (p !== -1) {
              pv.fwd = p + 1;
              turn++;
              return p;
            }
            pv.fwd = -1; // this side of the bubble reached the end of memory
          } else if (!forward && pv.back >= 0) {
            const p = sent.prevClearFrom(pv.back);
            if (p !== -1) {
              pv.back = p - 1;
              turn++;
              return p;
            }
            pv.back = -1;
          }
        }
        pivots.splice(turn, 1); // both sides done: every page has been sent
      }
      return nextSequential();
    };
    const nextPush = (): number => (order === 'bubbling' ? nextBubbling() : nextSequential());
    /** The source learns of a fault at page p (its request arrived). */
    const pivotAt = (p: number): void => {
      if (order === 'around-faults') cursor = p + 1 >= n ? 0 : p + 1;
      else if (order === 'bubbling') {
        pivots.push({ fwd: p + 1 < n ? p + 1 : -1, back: p - 1, forward: true });
        if (pivots.length > maxPivots) pivots.shift();
        turn = pivots.length - 1;
      }
    };

    // --- The guest: its accesses in order, each at a scheduled work time w (seconds); it reaches
    // access i at wall time w_i + stall, where stall is the time it has spent stalled so far.
    let qPages: number[] = [];
    let qWork: number[] = [];
    let qHead = 0;
    let workGenerated = t0; // work time up to which accesses have been generated
    let stall = 0;
    let stalledOn = -1;
    let stallStart = 0;
    let scanFrom = 0; // queue index before which every queued page is known to be present
    const generate = (until: number): void => {
      const from = workGenerated + stall;
      const dt = until - from;
      if (!(dt > 0)) return;
      const first = qPages.length;
      workload.writes(from, dt, speed, (p) => void qPages.push(p));
      const k = qPages.length - first;
      for (let j = 1; j <= k; j++) qWork.push(workGenerated + (j * dt) / k);
      workGenerated += dt;
    };
    const compact = (): void => {
      if (qHead > 4096 && qHead * 2 > qPages.length) {
        qPages = qPages.slice(qHead);
        qWork = qWork.slice(qHead);
        scanFrom = Math.max(0, scanFrom - qHead);
        qHead = 0;
      }
    };
    /** Time of the first access to a page not yet arrived, looking ahead up to `limit`; Infinity if none. */
    const nextMiss = (limit: number): number => {
      let i = Math.max(qHead, scanFrom);
      for (;;) {
        for (; i < qPages.length; i++) {
          const at = qWork[i]! + stall;
          if (at > limit) return Infinity;
          if (!have.has(qPages[i]!)) {
            scanFrom = i;
            return at;
          }
        }
        scanFrom = i;
        if (workGenerated + stall >= limit || !(speed > 0)) return Infinity;
        generate(limit);
      }
    };

    // --- Requests on their way, in order: the guest faulted on page reqPage[i]; the source
    // handles the request at reqAt[i], the first page boundary after it arrived (2 L after the
    // fault in arrival time): it sends the page then, unless the push has sent it already (the
    // guest then waits for the pushed copy). Only the newest request can be for an unsent page.
    const reqPage: number[] = [];
    const reqAt: number[] = [];
    let latency = 0;
    let rate = NaN; // push rate seen on the last push message (bytes/s)

    /** The guest runs through the window [from, to] in which `msg` pages arrive at `arrive`. */
    const runWindow = (from: number, to: number, msg: readonly number[], arrive: readonly number[], speedSent: number, demand: boolean): void => {
      let a = 0;
      let stalled = 0;
      const arriveUpTo = (t: number): void => {
        for (; a < msg.length && arrive[a]! <= t; a++) have.add(msg[a]!);
      };
      for (;;) {
        if (stalledOn >= 0) {
          let at = Infinity;
          if (sent.has(stalledOn)) {
            // In this message (earlier ones have arrived): its arrival time.
            for (let j = a; j < msg.length; j++)
              if (msg[j] === stalledOn) {
                at = arrive[j]!;
                break;
              }
          }
          if (at > to) {
            stalled += to - Math.max(from, stallStart);
            break;
          }
          arriveUpTo(at);
          stalled += at - Math.max(from, stallStart);
          faultWait += at - stallStart;
          stall += at - stallStart;
          if (!demand) pushWaits++; // the push brought it: a wait, not a page sent on demand
          stalledOn = -1;
          continue; // the faulting access now runs
        }
        if (qHead >= qPages.length) {
          if (workGenerated + stall >= to) break;
          generate(to);
          if (qHead >= qPages.length) break;
        }
        const at = qWork[qHead]! + stall;
        if (at > to) break;
        arriveUpTo(at);
        const p = qPages[qHead]!;
        if (have.has(p)) {
          writeAtDestination(p);
          qHead++;
          continue;
        }
        // The page has not arrived: the guest stalls here; its request goes to the source unless
        // one is on its way already for this page.
        stalledOn = p;
        stallStart = at;
        reqPage.push(p);
        reqAt.push(at + 2 * latency);
      }
      for (; a < msg.length; a++) have.add(msg[a]!);
      // The driver counted (1 − speedSent) of the window as lost work; the truth is (1 − speed)
      // of the running part plus all of the stalled part.
      degradationAdjust += (1 - speed) * (to - from) + speed * stalled - (1 - speedSent) * (to - from);
      compact();
    };

    // The stream's first message: its latency (an empty message answers one latency).
    {
      mem.speed = speed;
      const e: number = yield { kind: 'send', bytes: 0, cap_Bps: cap, newMessage: true };
      latency = e;
      now += e;
      runWindow(now - e, now, [], [], speed, false);
    }
    while (have.count < n) {
      const t = now;
      // A request whose page the push sent first is dropped (no page crosses twice).
      while (reqPage.length > 0 && reqAt[0]! <= t + 1e-15 && sent.has(reqPage[0]!)) {
        pivotAt(reqPage.shift()!);
        reqAt.shift();
      }
      const last = reqPage.length - 1;
      const requested = last >= 0 && !sent.has(reqPage[last]!) ? reqPage[last]! : -1;
      const servedAt = requested === -1 ? Infinity : reqAt[last]!;
      const msg: number[] = [];
      const sizes: number[] = [];
      const arrive: number[] = [];
      let msgBytes = 0;
      let latencies = 0;
      let demand = false;
      const anyToPush = sent.count + (requested !== -1 && !sent.has(requested) ? 1 : 0) < n;
      if (requested !== -1 && !sent.has(requested) && (servedAt <= t + 1e-15 || !anyToPush)) {
        // The requested page goes next, with priority; if nothing else is left to push, the
        // link idles until the request arrives (paid as a fraction of latencies).
        if (servedAt > t && latency > 0) latencies = (servedAt - t) / latency;
        const p = requested;
        sent.add(p);
        msg.push(p);
        msgBytes = pageCost(p, acc);
        sizes.push(msgBytes);
        demand = true;
      } else {
        // Push up to the next moment a request could need the link: the served time of the
        // request on its way, or 2 L after the guest's next access to a missing page.
        let until = reqAt.length > 0 ? reqAt[0]! : Infinity;
        if (stalledOn < 0 && rate > 0) until = Math.min(until, nextMiss(t + (chunkPages * pageBytes) / rate) + 2 * latency);
        let k = chunkPages;
        if (!(rate > 0)) k = 1;
        else if (until < Infinity) k = Math.max(1, Math.min(chunkPages, Math.ceil(((until - t) * rate) / pageBytes - 1e-9)));
        for (let i = 0; i < k; i++) {
          const p = nextPush();
          if (p === -1) break;
          sent.add(p);
          msg.push(p);
          const c = pageCost(p, acc);
          sizes.push(c);
          msgBytes += c;
        }
        if (msg.length === 0) throw new Error('post-copy: nothing left to push while pages are absent (engine bug)');
      }
      // The guest is paused for the whole message if it waits on a page this message does not
      // bring before its end (the driver then counts the message as lost work).
      const stalledThrough = stalledOn >= 0 && (demand ? msg[0] === stalledOn : !msg.includes(stalledOn));
      const speedSent = stalledThrough ? 0 : speed;
      mem.speed = speedSent;
      const e: number = yield { kind: 'send', bytes: msgBytes, cap_Bps: demand ? Infinity : pushCap(o, n - sent.count + msg.length, costs.pageSize_bytes), newMessage: false, latencies };
      mem.speed = speed;
      if (!demand && msgBytes > 0 && e > 0) rate = msgBytes / e;
      // Arrival times: the message's bytes arrive evenly after its idle (latency) part.
      const idle = latencies * latency;
      let cum = 0;
      for (let i = 0; i < msg.length; i++) {
        cum += sizes[i]!;
        arrive.push(t + Math.min(e, idle + (msgBytes > 0 ? ((e - idle) * cum) / msgBytes : e - idle)));
      }
      if (arrive.length > 0) arrive[arrive.length - 1] = t + e;
      now = t + e;
      bytes += msgBytes;
      totals.bytes += msgBytes;
      totals.pages += msg.length;
      if (demand) {
        faults++;
        pivotAt(msg[0]!);
        reqPage.pop();
        reqAt.pop();
      } else pushed += msg.length;
      runWindow(t, now, msg, arrive, speedSent, demand);
    }
    // Accesses generated but not run yet (the guest was stalled) run now: every page is here.
    for (; qHead < qPages.length; qHead++) writeAtDestination(qPages[qHead]!);
    totals.resent += acc.resent;
    totals.zeroPages += acc.zeros;
    return { pushed, faults, pushWaits, faultWait_s: faultWait, bytes, duration_s: now - t0, degradationAdjust_s: degradationAdjust };
  }

  return mem;
}

/**
 * The fluid engine: the dirty log holds the expected number of distinct pages written since
 * the last sync, read off the workload's curve for the guest work done since then.
 *
 * Zero pages: a fraction z of the pages is all zeros at the start, placed at random. A page the
 * guest writes is no longer zero, so a zero page goes as a marker only if the first pass (or a
 * budgeted part of it) reaches it before the guest writes it; re-sent pages are never zero. The
 * first pass goes in address order (never-sent pages are the addresses from `sentOnce` on), so
 * the expected zero markers of pages [a, b) reached after guest work w since the start are
 * z × Σ_(p in [a, b)) P(p untouched after w). That probability comes from the workload's
 * `untouchedProfile(t, work)` when it has one (the models of @livemig/workloads: regions with
 * an offset and buckets; a named layout such as hot/cold's holds its buckets in address order,
 * an even or shuffled one in proportion; overlapping regions multiply), else from the
 * distinct-pages curve with the written pages spread over all of memory: 1 − D(w) ÷ n (uniform
 * writes over a working set of W pages: a page inside it stays zero with probability
 * e^(−r w ÷ W), one outside it stays zero). A send's pages are reached at times spread over the
 * send in proportion to their bytes: a budgeted send lasts about its budget ÷ the rate (the cap,
 * or the last send's measured rate), and a whole send of never-sent pages while the guest runs
 * goes as {@link FIRST_PASS_PIECES} continued transfers, each piece timed by the one before (with
 * no cap and no earlier send, after a small first piece that measures the rate).
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
 * Budgeted sends (QEMU's sync below a threshold) take U at the round's first send.
 *
 * A sync while pages are still selected (QEMU syncs when the remaining bytes fall below a
 * threshold, not at the end of a pass): the selection P and the dirty log B (d pages) overlap,
 * and the new selection is their union, |P| + d − E|P ∩ B|. P holds never-sent pages N (the
 * first pass's tail) and re-dirtied pages R = P − N:
 * - a never-sent page has no address here: it is taken to lie anywhere in memory, so it is in B
 *   with probability d ÷ n (exact for a working set that spans memory);
 * - re-dirtied pages were written in earlier sync periods; they are taken as a random sample of
 *   the pages written in the previous period A (D_A of them). Any page set fixed before B has
 *   E|A ∩ B| = D_A + d − D_(A∪B) (inclusion–exclusion, D_(A∪B) the curve over A and B together),
 *   so a page of A is in B with probability (D_A + d − D_(A∪B)) ÷ D_A. For the uniform model
 *   this is d ÷ W whatever A is, which is exact: R lies in the working set and the writes of B
 *   are independent of it. For hot/cold it weighs hot and cold pages as A does, which a page-
 *   exact scan (hot pages first in address order) only matches on average over scan positions.
 * A budgeted send takes never-sent pages first (page-exact: the scan's tail of the first pass
 * lies ahead of it, the re-dirtied pages behind), their zero pages in proportion.
 */
/** Continued transfers a fluid send of never-sent pages is cut into while the guest runs (zero-page timing). */
export const FIRST_PASS_PIECES = 16;

/** The per-region untouched probabilities a workload may expose (the models of @livemig/workloads). */
interface UntouchedRegion {
  /** 'even' or an object: buckets in proportion; any other string: buckets in address order. */
  readonly layout?: unknown;
  readonly offset: number;
  readonly pages: number;
  readonly counts: ArrayLike<number>;
  readonly untouched: ArrayLike<number>;
}
type Profiler = (t_s: number, work_s: number) => readonly UntouchedRegion[];

export function createFluidMemory(opts: MemoryOptions): GuestMemory {
  return new FluidMemory(opts);
}

/**
 * The fluid engine's state: plain numeric fields and methods on the prototype (one migration
 * keeps one of these alive; closures per instance cost kilobytes of garbage per migration).
 */
class FluidMemory implements GuestMemory {
  readonly totals: SendTotals = { bytes: 0, pages: 0, resent: 0, zeroPages: 0, deltaPages: 0, deltaSaved_bytes: 0 };
  readonly pageCount: number;
  readonly costs: PageCosts;
  speed = 1;
  readonly workload: Workload;
  private readonly hasProfiler: boolean;
  private readonly start: number;
  private readonly zf: number;
  private readonly zeroProfile: readonly number[] | undefined;
  private now: number;
  private syncedAt: number;
  private workSinceSync = 0;
  // The sync period before the current one (for the overlap of a sync with pages still selected).
  private prevSyncedAt: number;
  private prevWork = 0;
  private roundUnion = 0; // budgeted sends with delta: U at the round's first send, and the round before's
  private prevRoundUnion = 0;
  private roundStarted = false;
  private workSinceStart = 0;
  private unionAtLastSend = 0;
  private pending = 0;
  private sentOnce = 0; // pages sent at least once, expected (the first pass's frontier: addresses below it)
  private lastRate = 0; // bytes/s of the last transfer (for timing the zero pages of the next)
  // Post-copy state.
  private postcopy = false;
  private absent = 0;
  private absentZero = 0;
  private switchedAt = 0;
  private workSinceSwitch = 0;
  private inFlight = 0;

  constructor(opts: MemoryOptions) {
    this.pageCount = opts.pageCount;
    this.costs = opts.costs;
    this.workload = opts.workload;
    this.start = opts.start_s ?? 0;
    this.now = this.start;
    this.syncedAt = this.now;
    this.prevSyncedAt = this.now;
    this.zeroProfile = opts.costs.elideZeroPages ? checkZeroProfile(opts.zeroProfile) : undefined;
    this.zf = opts.costs.elideZeroPages ? (this.zeroProfile ? this.zeroProfile.reduce((a, b) => a + b, 0) / this.zeroProfile.length : opts.zeroFraction) : 0;
    this.hasProfiler = typeof (opts.workload as { untouchedProfile?: unknown }).untouchedProfile === 'function';
  }

  get fidelity(): Fidelity {
    return 'fluid';
  }
  get now_s(): number {
    return this.now;
  }
  get dirtyCount(): number {
    return this.postcopy ? 0 : this.dirtyNow();
  }
  get pendingCount(): number {
    return this.pending;
  }
  get inPostcopy(): boolean {
    return this.postcopy;
  }
  get absentCount(): number {
    return this.absent + this.inFlight;
  }

  private dirtyNow(): number {
    return this.workSinceSync > 0 ? Math.min(this.pageCount, this.workload.expectedDistinct(this.syncedAt, this.workSinceSync)) : 0;
  }
  private clearLog(): void {
    this.prevSyncedAt = this.syncedAt;
    this.prevWork = this.workSinceSync;
    this.syncedAt = this.now;
    this.workSinceSync = 0;
    this.roundStarted = false;
  }
  /** Expected pages of the selection ∪ the dirty log (`d` pages); see the engine's comment. */
  private unionWithDirty(d: number): number {
    const n = this.pageCount;
    const pending = this.pending;
    const never = Math.max(0, Math.min(pending, n - this.sentOnce));
    const redirtied = pending - never;
    // The never-sent pages are the addresses from the frontier on: with the workload's
    // per-region profile, those it wrote since the sync are known by address (a working set
    // that the pass has left behind does not overlap them); else spread over all memory.
    let overlap = never > 0 ? (this.hasProfiler && d > 0 ? Math.max(0, Math.min(never, d, never - this.untouchedIn(n - never, n, this.workSinceSync))) : (never * d) / n) : 0;
    if (redirtied > 0 && d > 0) {
      const prevWork = this.prevWork;
      const dA = prevWork > 0 ? Math.min(n, this.workload.expectedDistinct(this.prevSyncedAt, prevWork)) : 0;
      const both = dA > 0 ? Math.min(n, this.workload.expectedDistinct(this.prevSyncedAt, prevWork + this.workSinceSync)) : 0;
      const inB = dA > 0 ? Math.max(0, Math.min(1, (dA + d - both) / dA)) : d / n;
      overlap += redirtied * inB;
    }
    return Math.min(n, pending + d - overlap);
  }
  private bytesOf(pages: number, zeros: number): number {
    return (pages - zeros) * fullPageBytes(this.costs) + zeros * zeroPageBytes(this.costs);
  }
  /** Expected pages of [a, b) that the guest has not written after work `w` since the start. */
  private untouchedIn(a: number, b: number, w: number): number {
    if (!(b > a)) return 0;
    if (!(w > 0)) return b - a;
    const n = this.pageCount;
    if (!this.hasProfiler) {
      const d = this.workload.expectedDistinct(this.start, w);
      return d > 0 ? (b - a) * Math.max(0, 1 - Math.min(n, d) / n) : b - a;
    }
    // Cut [a, b) at the region boundaries; a segment's pages are untouched with the product of
    // the mean untouched probabilities of the regions over it.
    const regions: { lo: number; hi: number; u: number }[] = [];
    for (const r of (this.workload as unknown as { untouchedProfile: Profiler }).untouchedProfile(this.start, w)) {
      if (typeof r.layout === 'string' && r.layout !== 'even') {
        // A named layout places its buckets in address order (hot/cold: the hot set first;
        // unshuffled Zipf: rank k is page k).
        let lo = r.offset;
        for (let i = 0; i < r.counts.length; i++) {
          regions.push({ lo, hi: lo + r.counts[i]!, u: r.untouched[i]! });
          lo += r.counts[i]!;
        }
      } else {
        // One bucket, or buckets placed at random (shuffled Zipf): the mean, page for page.
        let sum = 0;
        for (let i = 0; i < r.counts.length; i++) sum += r.counts[i]! * r.untouched[i]!;
        regions.push({ lo: r.offset, hi: r.offset + r.pages, u: r.pages > 0 ? sum / r.pages : 1 });
      }
    }
    const cuts = [a, b];
    for (const r of regions) for (const x of [r.lo, r.hi]) if (x > a && x < b) cuts.push(x);
    cuts.sort((x, y) => x - y);
    let total = 0;
    for (let i = 0; i + 1 < cuts.length; i++) {
      const lo = cuts[i]!;
      const hi = cuts[i + 1]!;
      if (!(hi > lo)) continue;
      let u = 1;
      for (const r of regions) if (r.lo <= lo && r.hi >= hi) u *= r.u;
      total += (hi - lo) * u;
    }
    return total;
  }
  /**
   * Expected zero markers among the `k` never-sent pages from the frontier, reached while the
   * guest's work since the start goes from w0 to w1 (evenly over the pages, in `m` steps).
   */
  private zerosOver(k: number, w0: number, w1: number, m = 4): number {
    if (!(this.zf > 0) || !(k > 0)) return 0;
    const a = this.sentOnce;
    if (this.zeroProfile) {
      let zp = 0;
      for (let i = 0; i < m; i++) zp += this.zeroUntouchedIn(a + (k * i) / m, a + (k * (i + 1)) / m, w0 + ((w1 - w0) * (i + 0.5)) / m);
      return zp;
    }
    let z = 0;
    for (let i = 0; i < m; i++) z += this.untouchedIn(a + (k * i) / m, a + (k * (i + 1)) / m, w0 + ((w1 - w0) * (i + 0.5)) / m);
    return this.zf * z;
  }
  /** Expected zero pages in [a, b) that the guest has not written after work w since the start. */
  private zeroUntouchedIn(a: number, b: number, w: number): number {
    const prof = this.zeroProfile;
    if (!prof) return this.zf * this.untouchedIn(a, b, w);
    const n = this.pageCount;
    const seg = n / prof.length;
    let z = 0;
    for (let i = Math.max(0, Math.floor(a / seg)); i < prof.length && i * seg < b; i++) {
      const lo = Math.max(a, i * seg);
      const hi = Math.min(b, (i + 1) * seg);
      if (hi > lo && prof[i]! > 0) z += prof[i]! * this.untouchedIn(lo, hi, w);
    }
    return z;
  }
  /** Never-sent pages of the selection (the first pass's tail, from the frontier). */
  private neverPending(): number {
    return Math.max(0, Math.min(this.pending, this.pageCount - this.sentOnce));
  }
  /** Zero markers the selection holds now (its never-sent pages the guest has not written yet). */
  private pendingZeroNow(): number {
    return this.zerosOver(this.neverPending(), this.workSinceStart, this.workSinceStart, 1);
  }
  /** Guest work a transfer of `bytes` adds, at the expected rate (cap, else the last measured one). */
  private workFor(bytes: number, cap: number, speed: number): number {
    const lastRate = this.lastRate;
    const rate = lastRate > 0 ? Math.min(lastRate, cap) : cap;
    return speed > 0 && Number.isFinite(rate) && rate > 0 ? (speed * bytes) / rate : 0;
  }
  /** Zero markers among the next `k` never-sent pages, reached at the expected rate from `w0`. */
  private zerosReaching(k: number, w0: number, cap0: number): number {
    let z = this.zerosOver(k, w0, w0, 1);
    if (z > 0 && this.speed > 0) for (let i = 0; i < 3; i++) z = this.zerosOver(k, w0, w0 + this.workFor(this.bytesOf(k, z), cap0, this.speed));
    return z;
  }
  private advance(dt: number): void {
    const work = this.speed * dt;
    this.workSinceSync += work;
    this.workSinceStart += work;
    if (this.postcopy) this.workSinceSwitch += work;
    this.now += dt;
  }

  dirtyBytes(): number {
    return this.postcopy ? 0 : this.dirtyNow() * fullPageBytes(this.costs);
  }
  pendingBytes(): number {
    return this.bytesOf(this.pending, this.pendingZeroNow());
  }
  remaining(): PageBudget {
    if (this.postcopy) return { pages: 0, bytes: 0 };
    // Written pages are not zero: the union's zero pages are the selection's not written yet.
    const pages = this.unionWithDirty(this.dirtyNow());
    return { pages, bytes: this.bytesOf(pages, this.pendingZeroNow()) };
  }
  selectAll(): number {
    if (this.postcopy) notInPostcopy('selectAll');
    this.pending = this.pageCount;
    this.clearLog();
    return this.pageCount;
  }
  syncDirty(): number {
    if (this.postcopy) notInPostcopy('syncDirty');
    // Dirty pages are assumed non-zero and spread like the working set, not like the selection;
    // with nothing selected (a sync at the end of a pass) the union is the dirty log.
    this.pending = this.unionWithDirty(this.dirtyNow());
    this.clearLog();
    return this.pending;
  }
  run(dt: number): void {
    if (this.postcopy && this.absent > 0 && this.speed > 0 && dt > 0) throw new Error('post-copy: the guest may only run inside postcopyTransfer() while pages are absent');
    this.advance(dt);
  }
  *send(o: SendOptions = {}): Generator<SendAction, SendStats, number> {
    // A small generator over plain methods: the state a send keeps while its transfer runs is
    // one FluidSend record, not the many locals of a large generator's frame.
    if (this.postcopy) notInPostcopy('send');
    const s = this.beginSend(o);
    if (this.chooseSend(s, o)) yield* this.sendPieces(s);
    this.planSend(s, o);
    // After pieces, the rest (re-sent pages, extra bytes) only if there is any.
    if (s.sentPages === 0 || s.bytes > 0) {
      s.elapsed = yield { kind: 'send', bytes: s.bytes, cap_Bps: s.cap, newMessage: s.newMessage };
      if (s.elapsed > 0 && s.bytes > 0) this.lastRate = s.bytes / s.elapsed;
    }
    return this.endSend(s);
  }
  private beginSend(o: SendOptions): FluidSend {
    const n = this.pageCount;
    const cap0 = o.cap_Bps ?? Infinity;
    const union = this.workSinceStart > 0 ? Math.min(n, this.workload.expectedDistinct(this.start, this.workSinceStart)) : 0;
    const w0 = this.workSinceStart;
    return new FluidSend(o.maxBytes !== undefined, cap0, union, w0, this.pending, this.neverPending(), !o.continued);
  }
  /** Picks the pages of a send; true when its never-sent pages go in pieces ({@link sendPieces}). */
  private chooseSend(s: FluidSend, o: SendOptions): boolean {
    const costs = this.costs;
    const cap0 = s.cap0;
    const w0 = s.w0;
    if (s.budgeted) {
      const budget = o.maxBytes!;
      if (!(budget >= 0)) throw new RangeError(`maxBytes must be >= 0, got ${budget}`);
      let firstTime = s.firstTime;
      s.zeros = this.zerosReaching(firstTime, w0, cap0);
      const neverBytes = this.bytesOf(firstTime, s.zeros);
      if (budget < neverBytes + (this.pending - firstTime) * fullPageBytes(costs)) {
        // Never-sent pages first (the selection's zero pages are among them), then re-dirtied
        // ones; whole pages, at least one, so that a pass's sends add up to its pages exactly.
        if (budget < neverBytes) {
          // The most whole never-sent pages that fit the budget (their bytes grow with the count).
          let lo = 1;
          let hi = Math.max(1, Math.floor(firstTime));
          while (lo < hi) {
            const mid = Math.ceil((lo + hi) / 2);
            if (this.bytesOf(mid, this.zerosReaching(mid, w0, cap0)) <= budget) lo = mid;
            else hi = mid - 1;
          }
          const k = Math.min(firstTime, lo);
          s.zeros = this.zerosReaching(k, w0, cap0);
          firstTime = k;
          s.firstTime = k;
          s.pages = k;
        } else {
          // QEMU's XBZRLE: the budget counts the bytes sent, so a re-sent page costs its expected encoded size.
          const q = o.delta?.writeSize_bytes !== undefined ? this.deltaShare(s, o.delta) : null;
          const resentCost = q ? fullPageBytes(costs) - q.share * q.perPage : fullPageBytes(costs);
          s.pages = firstTime + Math.min(this.pending - firstTime, Math.max(firstTime > 0 ? 0 : 1, Math.floor((budget - neverBytes) / resentCost)));
        }
        if (s.pages >= this.pending - 1e-9 * Math.max(1, this.pending)) s.pages = this.pending;
      }
      return false;
    }
    if (s.firstTime > 0 && this.zf > 0 && this.speed > 0) return true;
    s.zeros = this.zerosReaching(s.firstTime, w0, cap0);
    return false;
  }
  /**
   * The guest writes zero pages while the pass goes: send the never-sent pages in pieces, each
   * timed at the rate of the one before (the first at the cap or the last send's rate). Without
   * a rate to go by (no cap, no earlier send), a small first piece measures it.
   */
  private *sendPieces(s: FluidSend): Generator<SendAction, void, number> {
    const cap0 = s.cap0;
    const firstTime = s.firstTime;
    const probe = this.lastRate > 0 || Number.isFinite(cap0) ? 0 : Math.min(firstTime, Math.max(1, firstTime / 1024));
    const pieces = probe > 0 ? FIRST_PASS_PIECES + 1 : FIRST_PASS_PIECES;
    for (let j = 0; j < pieces; j++) {
      const k = j === pieces - 1 ? firstTime - s.sentPages : probe > 0 && j === 0 ? probe : (firstTime - probe) / FIRST_PASS_PIECES;
      if (!(k > 0)) continue;
      const wStart = this.workSinceStart;
      let z = this.zerosOver(k, wStart, wStart, 1);
      for (let i = 0; i < 3; i++) z = this.zerosOver(k, wStart, wStart + this.workFor(this.bytesOf(k, z), cap0, this.speed));
      const b = this.bytesOf(k, z);
      const elapsed: number = yield { kind: 'send', bytes: b, cap_Bps: cap0, newMessage: s.newMessage };
      s.newMessage = false;
      if (elapsed > 0 && b > 0) this.lastRate = b / elapsed;
      this.sentOnce += k;
      this.pending = Math.max(0, this.pending - k);
      s.sentPages = s.sentPages + k;
      s.sentZeros = s.sentZeros + z;
      s.sentBytes = s.sentBytes + b;
      s.sentElapsed = s.sentElapsed + elapsed;
      this.advance(elapsed);
    }
    s.pages -= firstTime;
    s.firstTime = 0;
  }
  /** The bytes of the (rest of the) send, delta compression, and the selection after it. */
  private planSend(s: FluidSend, o: SendOptions): void {
    const costs = this.costs;
    const union = s.union;
    s.bytes = this.bytesOf(s.pages, s.zeros) + (o.extra_bytes ?? 0);
    const resent = s.pages - s.firstTime;
    s.resent = resent;
    s.cap = s.cap0;
    // The cache's expected content: pages written before this round's start (budgeted sends:
    // U at the first send of this round and of the previous one).
    let before = this.unionAtLastSend;
    let atRound = union;
    if (s.budgeted) {
      if (!this.roundStarted) {
        this.prevRoundUnion = this.roundUnion;
        this.roundUnion = union;
        this.roundStarted = true;
      }
      before = this.prevRoundUnion;
      atRound = this.roundUnion;
    }
    if (o.delta) {
      checkDelta(o.delta);
      const slots = Math.floor(o.delta.cache_bytes / costs.pageSize_bytes);
      const perPage = this.deltaSaving(o.delta);
      if (resent > 0 && atRound > 0 && perPage > 0) {
        // (The ratio encoding's expression as it always was, so its results keep every digit.)
        s.hits = o.delta.writeSize_bytes === undefined ? (resent * Math.min(before, slots)) / atRound : resent * this.hitShare(o.delta, before, atRound, slots);
        s.saved = s.hits * perPage;
        s.bytes -= s.saved;
        s.cap = encodeCap(s.cap, s.bytes, (s.hits * costs.pageSize_bytes) / o.delta.encode_Bps);
      }
    }
    this.unionAtLastSend = union;
    if (s.pages >= this.pending) this.pending = 0;
    else this.pending -= s.pages;
  }
  /** Bytes a cache hit saves: against `compressedRatio`, or QEMU's encoding of the expected writes per page of the last sync period. */
  private deltaSaving(d: DeltaCompression): number {
    if (d.writeSize_bytes === undefined) return fullPageBytes(this.costs) - deltaPageBytes(this.costs, d);
    const k = this.prevWork > 0 ? (this.workload.writesPerDirtyPage?.(this.prevSyncedAt, this.prevWork) ?? 1) : 1;
    const enc = xbzrleEncodedBytes(this.costs, d.writeSize_bytes, k);
    return enc === null ? 0 : Math.max(0, fullPageBytes(this.costs) - enc);
  }
  /**
   * The share of re-sent pages that hit the cache: those written before the last round
   * (`before` of the `atRound` pages written so far) that the cache holds. With the `compressedRatio`
   * encoding, the cache holds min(before, slots) of them. With QEMU's (`writeSize_bytes`), the
   * cache is direct-mapped: m = atRound ÷ slots written pages share a slot and the slot holds
   * the one sent last, so a page is still there at its next send if none of its m − 1 mates was
   * sent since; with each page dirtied in a period with probability q (the last period's dirty
   * pages ÷ atRound) and G periods between its sends (geometric), that is
   * E[(1 − q)^((m−1)G)] = q(1 − q)^(m−1) ÷ (1 − (1 − q)^m). QEMU's cache lifetime, which keeps a
   * page cached 2 syncs against its mates, is not in this estimate (the page-exact engine has it).
   */
  private hitShare(d: DeltaCompression, before: number, atRound: number, slots: number): number {
    if (!(atRound > 0)) return 0;
    if (d.writeSize_bytes === undefined) return Math.min(before, slots) / atRound;
    const m = atRound / Math.max(1, slots);
    const cachedBefore = Math.min(1, before / atRound);
    if (m <= 1) return cachedBefore;
    const dA = this.prevWork > 0 ? Math.min(this.pageCount, this.workload.expectedDistinct(this.prevSyncedAt, this.prevWork)) : 0;
    const q = Math.min(1, Math.max(1e-12, dA / atRound));
    const stays = q >= 1 ? 0 : (q * Math.pow(1 - q, m - 1)) / -Math.expm1(m * Math.log1p(-q));
    return cachedBefore * stays;
  }
  /** The expected share of a budgeted send's re-sent pages that hit the cache, as {@link planSend} will count them, and what a hit saves. */
  private deltaShare(s: FluidSend, d: DeltaCompression): { share: number; perPage: number } {
    const slots = Math.floor(d.cache_bytes / this.costs.pageSize_bytes);
    const before = this.roundStarted ? this.prevRoundUnion : this.roundUnion;
    const atRound = this.roundStarted ? this.roundUnion : s.union;
    return { share: Math.min(1, this.hitShare(d, before, atRound, slots)), perPage: this.deltaSaving(d) };
  }
  private endSend(s: FluidSend): SendStats {
    this.sentOnce += s.firstTime;
    const pages = s.pages + s.sentPages;
    const zeros = s.zeros + s.sentZeros;
    const bytes = s.bytes + s.sentBytes;
    const totals = this.totals;
    totals.bytes += bytes;
    totals.pages += pages;
    totals.resent += s.resent;
    totals.zeroPages += zeros;
    totals.deltaPages += s.hits;
    totals.deltaSaved_bytes += s.saved;
    this.advance(s.elapsed);
    return { pages, zeroPages: zeros, resent: s.resent, skipped: 0, bytes, duration_s: s.elapsed + s.sentElapsed };
  }
  mismatchedPages(): number | null {
    return null;
  }
  neverSentPages(): number | null {
    return null;
  }
  switchToPostcopy(): number {
    if (this.postcopy) throw new Error('switchToPostcopy: already in post-copy');
    if (this.speed !== 0) throw new Error('switchToPostcopy: pause the VM first (speed must be 0)');
    const n = this.pageCount;
    // Never sent, plus pending, plus re-dirtied since the last sync (assumed among the sent ones).
    this.absent = Math.min(n, n - this.sentOnce + this.pending + this.dirtyNow());
    // The zero ones are the never-sent pages the guest has not written.
    this.absentZero = Math.min(this.absent, this.zeroUntouchedIn(this.sentOnce, n, this.workSinceStart));
    this.pending = 0;
    this.clearLog();
    this.postcopy = true;
    this.switchedAt = this.now;
    this.workSinceSwitch = 0;
    return this.absent;
  }
  *postcopyTransfer(o: PostcopyOptions = {}): Generator<SendAction, PostcopyStats, number> {
    if (!this.postcopy) throw new Error('postcopyTransfer: call switchToPostcopy() first');
    const n = this.pageCount;
    const costs = this.costs;
    const workload = this.workload;
    const cap = o.cap_Bps ?? Infinity;
    const chunkPages = o.chunkPages ?? 256;
    if (!(Number.isInteger(chunkPages) && chunkPages >= 1)) throw new RangeError(`chunkPages must be a positive integer, got ${chunkPages}`);
    const full = fullPageBytes(costs);
    const zcost = zeroPageBytes(costs);
    const D = (w: number): number => (w > 0 ? Math.min(n, workload.expectedDistinct(this.switchedAt, w)) : 0);
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
      const z = this.absent > 0 ? (k * this.absentZero) / this.absent : 0;
      // Absent pages never sent before count as first sends, the others as re-sends.
      const fresh = Math.max(0, Math.min(k, n - this.sentOnce));
      this.sentOnce += fresh;
      resent += k - fresh;
      this.absent -= k;
      this.absentZero -= z;
      zeros += z;
      pages += k;
      return (k - z) * full + z * zcost;
    };
    const eps = 1e-9 * n;
    while (this.absent > eps) {
      const k = this.absent - chunkPages <= eps ? this.absent : chunkPages;
      const capHere = pushCap(o, this.absent, costs.pageSize_bytes);
      const chunkBytes = take(k);
      this.inFlight = k;
      const elapsed: number = yield { kind: 'send', bytes: chunkBytes, cap_Bps: capHere, newMessage: first };
      this.inFlight = 0;
      first = false;
      pushed += k;
      bytes += chunkBytes;
      duration += elapsed;
      const w0 = this.workSinceSwitch;
      this.advance(elapsed);
      const touched0 = D(w0);
      const untouched = n - touched0;
      const absent = this.absent;
      let f = untouched > 0 ? ((D(this.workSinceSwitch) - touched0) * absent) / untouched : absent;
      f = Math.max(0, Math.min(absent, f));
      if (absent - f <= eps) f = absent;
      if (f > 0 && absent > eps) {
        const faultBytes = take(f);
        const speed = this.speed;
        this.speed = 0;
        this.inFlight = f;
        const wait: number = yield { kind: 'send', bytes: faultBytes, cap_Bps: Infinity, newMessage: false, latencies: 2 * f };
        this.inFlight = 0;
        this.advance(wait);
        this.speed = speed;
        faults += f;
        faultWait += wait;
        bytes += faultBytes;
        duration += wait;
      }
    }
    this.absent = 0;
    this.absentZero = 0;
    const totals = this.totals;
    totals.bytes += bytes;
    totals.pages += pages;
    totals.resent += resent;
    totals.zeroPages += zeros;
    return { pushed, faults, pushWaits: 0, faultWait_s: faultWait, bytes, duration_s: duration, degradationAdjust_s: 0 };
  }
}

/** One fluid send in progress: what it picked, what it sent in pieces, what it costs. */
class FluidSend {
  zeros = 0;
  // Pieces already sent of a whole send of never-sent pages while the guest runs.
  sentPages = 0;
  sentZeros = 0;
  sentBytes = 0;
  sentElapsed = 0;
  bytes = 0;
  resent = 0;
  cap = 0;
  hits = 0;
  saved = 0;
  elapsed = 0;
  constructor(
    readonly budgeted: boolean,
    readonly cap0: number,
    readonly union: number,
    readonly w0: number,
    public pages: number,
    public firstTime: number,
    public newMessage: boolean,
  ) {}
}
