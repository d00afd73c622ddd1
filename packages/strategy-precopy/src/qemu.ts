/**
 * `qemu`: pre-copy (and post-copy) as QEMU 7.2's migration thread runs it
 * (migration/migration.c `migration_thread`, `migration_iteration_run`, `migration_rate_limit`,
 * `migration_update_counters`; migration/ram.c `ram_save_pending`, `ram_save_iterate`,
 * `migration_bitmap_sync`, `migration_trigger_throttle`, `mig_throttle_guest_down`;
 * softmmu/cpu-throttle.c). The thread loops:
 *
 * 1. unless the rate-limit window's budget (`max-bandwidth` ÷ 10 bytes per 100 ms window) is
 *    used up: compare the pending RAM — dirty *pages* × page size, zero pages counted whole — with
 *    the threshold (the bandwidth measured over the last window × `downtime-limit`); below it,
 *    sync the dirty bitmap (which costs `scenario.costs.bitmapSyncPerGiB` × the RAM while the
 *    guest runs) and compare again: still below, complete (stop the VM, a last sync, the rest at
 *    the paused copy's speed — the link, not rate-limited — with the device state). Else send
 *    until the budget is used, the pass ends (then check again at once) or 50 ms have gone by;
 *    pages go at `host.sendRate`, the thread's own speed while the guest runs;
 * 2. when 100 ms have passed since the window began, measure the window's bandwidth, set the
 *    threshold and open a new window; if the budget is used, sleep until the window ends.
 *
 * The first window begins before the setup (`update_iteration_initial_status` is called before
 * `qemu_savevm_state_setup`), so a setup longer than 100 ms is followed by two budgets at once.
 * The setup ends with the first bitmap sync (`ram_init_bitmaps`), so it grows with the RAM.
 * `cancel-after` is the user's `migrate_cancel`, acted on mid-pass: a send stops and a sleep ends
 * at that time. Auto-converge: at a sync more than 1 s after the last period began, the period
 * is "high" if the pages new to the bitmap × page size exceed `throttle-trigger-threshold` % of
 * the bytes sent in it; every second high period raises the throttle (`cpu-throttle-initial`,
 * then + `cpu-throttle-increment`, up to `max-cpu-throttle`); the guest's speed under it is the
 * workload's (`demand`). Post-copy (`postcopy-ram` and `start-postcopy`): at the first check
 * after the request the VM stops, the bitmap is synced, the device state goes and the guest
 * resumes at the destination; the source streams the rest at `max-postcopy-bandwidth` (0: no
 * limit), serving the destination's page requests first, until the pages left are below the
 * threshold, then sends them without limit.
 * @packageDocumentation
 */
import { defineStrategy, finish, prepare, schemas, throttledSpeed, z, type DeltaCompression, type Migration, type MigrationAction, type SendStats, type StopVerdict } from '@livemig/core';

/** migration.c BUFFER_DELAY: the rate-limit window (s). */
export const BUFFER_DELAY_S = 0.1;
/** migration.c XFER_LIMIT_RATIO: windows per second the budget is divided into. */
export const XFER_LIMIT_RATIO = 10;
/** ram.c MAX_WAIT: longest a `ram_save_iterate` call sends before the thread checks again (s). */
export const MAX_WAIT_S = 0.05;
/** cpu-throttle.c CPU_THROTTLE_TIMESLICE_NS: the vCPU runs this long between throttle sleeps (s). */
export const THROTTLE_TIMESLICE_S = 0.01;
/** ram.c migration_bitmap_sync: the auto-converge / dirty-rate period (s). */
export const SYNC_PERIOD_S = 1;

const pct = (d: number) => z.number().min(0).max(100).default(d);

const options = z
  .object({
    'max-bandwidth': schemas.rate().prefault('128 MiB/s').describe("QEMU max-bandwidth: the rate limit of the iterations ('64 MiB/s'); 0 = none; QEMU 7.2's default 128 MiB/s"),
    'downtime-limit': schemas.seconds().prefault('300 ms').describe("QEMU downtime-limit: complete when pending RAM ÷ the measured bandwidth is below it ('300 ms')"),
    'cancel-after': schemas.seconds({ positive: true }).optional().describe("the user's migrate_cancel this long after the migrate command ('30 s'); the VM stays on the source"),
    'auto-converge': z.boolean().default(false).describe('QEMU capability auto-converge: throttle the vCPU while the guest dirties faster than the migration sends'),
    'cpu-throttle-initial': pct(20).describe('first throttle, % of vCPU time'),
    'cpu-throttle-increment': pct(10).describe('added at each further step, %'),
    'max-cpu-throttle': pct(99).describe('highest throttle, %'),
    'throttle-trigger-threshold': pct(50).describe('a period is high when its dirty bytes exceed this % of the bytes sent in it'),
    xbzrle: z.boolean().default(false).describe('QEMU capability xbzrle: re-sent pages delta-encoded against a page cache'),
    'xbzrle-cache-size': schemas.bytes().prefault('64 MiB').describe("XBZRLE cache ('64 MiB')"),
    'postcopy-ram': z.boolean().default(false).describe('QEMU capability postcopy-ram'),
    'start-postcopy': z
      .object({ 'after-syncs': z.number().int().min(1).describe('migrate-start-postcopy once dirty-sync-count reaches this (2: after the first pass)') })
      .strict()
      .optional()
      .describe('when the user sends migrate-start-postcopy (needs postcopy-ram); default: never'),
    'max-postcopy-bandwidth': schemas.rate().prefault(0).describe('QEMU max-postcopy-bandwidth: rate limit of the post-copy stream; 0 = none'),
    maxSyncs: z.number().int().min(1).default(10_000).describe('safety net: cancel after this many bitmap syncs (QEMU iterates for ever)'),
    host: z
      .object({
        sendRate: schemas
          .rate({ positive: true })
          .optional()
          .describe("the migration thread's own speed while the guest runs, in bytes on the wire per second (livemig calibrate qemu fits it); default: the link"),
      })
      .strict()
      .prefault({})
      .describe('host constants (measured, e.g. by livemig calibrate qemu)'),
  })
  .strict();

export type QemuOptions = z.output<typeof options>;

type Period = { pages: number; zeroPages: number; resent: number; skipped: number; bytes: number; duration_s: number };
const emptyPeriod = (): Period => ({ pages: 0, zeroPages: 0, resent: 0, skipped: 0, bytes: 0, duration_s: 0 });
const addSend = (p: Period, s: SendStats): void => {
  p.pages += s.pages;
  p.zeroPages += s.zeroPages;
  p.resent += s.resent;
  p.skipped += s.skipped;
  p.bytes += s.bytes;
};

/** Seconds of one bitmap sync: scanning the dirty log of all of RAM. */
const syncSeconds = (m: Migration): number => (m.costs.bitmapSyncPerGiB_s * m.vm.memory_bytes) / 2 ** 30;

export const qemu = defineStrategy({
  name: 'qemu',
  description: "QEMU 7.2's migration thread: rate-limit windows, threshold on dirty pages, bitmap syncs that cost time, auto-converge, XBZRLE, post-copy, cancel",
  options,
  create: (o) => {
    if (o['start-postcopy'] && !o['postcopy-ram']) throw new RangeError("start-postcopy: needs the postcopy-ram capability: add 'postcopy-ram': true (or remove start-postcopy)");
    return qemuThread(o);
  },
});

/** The migration thread of one migration with options `o`. */
const qemuThread = (o: QemuOptions) => ({
  *migrate(m: Migration): Generator<MigrationAction, void, number> {
    const t0 = m.now_s;
    const pageSize = m.memory.costs.pageSize_bytes;
    const bw = o['max-bandwidth'];
    const budget = bw > 0 ? bw / XFER_LIMIT_RATIO : Infinity;
    const sendRate = o.host.sendRate ?? Infinity;
    const cancelAt = o['cancel-after'] === undefined ? Infinity : t0 + o['cancel-after'];
    const dl = o['downtime-limit'];
    const writeSize = m.memory.workload.writeSize_bytes;
    if (o.xbzrle && writeSize === undefined) throw new RangeError("xbzrle: QEMU's encoded size follows from the guest's writes: give workload.options.writeSize (bytes one write changes, e.g. '8 B')");
    // QEMU 7.2 xbzrle: direct-mapped cache (page_cache.c), CACHED_PAGE_LIFETIME 2, encoded runs.
    const delta = o.xbzrle ? { cache_bytes: o['xbzrle-cache-size'], compressedRatio: 1, encode_Bps: Infinity, writeSize_bytes: writeSize!, lifetime: 2 } : undefined;
    // The window: its start, the bytes at its start, the budget used; the threshold it measured.
    let iterStart = t0;
    let iterBytes = 0;
    let used = 0;
    let threshold = 0;
    const bytes = () => m.memory.totals.bytes;
    const sleepUntil = function* (t: number): Generator<MigrationAction, void, number> {
      const until = Math.min(t, cancelAt);
      if (until > m.now_s) yield* m.wait(until - m.now_s);
    };
    // Setup, then the first sync (ram_init_bitmaps): every page is dirty, nothing pending yet.
    if (!(yield* prepare(m))) return;
    if (syncSeconds(m) > 0) yield* m.wait(syncSeconds(m));
    m.phase('precopy');
    m.memory.selectAll();
    let syncs = 1;
    let period = emptyPeriod();
    let periodStart = m.now_s;
    // Auto-converge state (ram.c: time_last_bitmap_sync, num_dirty_pages_period, bytes_xfer_prev, dirty_rate_high_cnt).
    let acStart = m.now_s;
    let acDirty = 0;
    let acBytes = bytes();
    let high = 0;
    let throttle = 0;
    let postcopyAsked = false;
    let started = false;
    const view = (): { pages: number; bytes: number } => ({ pages: m.memory.pendingCount, bytes: m.memory.pendingCount * pageSize });
    const periodStats = (): Period => ({ ...period, duration_s: m.now_s - periodStart });
    /** migration_bitmap_sync while the guest runs; returns the stop condition's verdict. */
    const sync = function* (): Generator<MigrationAction, StopVerdict, number> {
      const before = m.memory.pendingCount;
      // ram_save_pending takes the iothread lock, then fetches the log: the guest's writes while
      // the thread waits are in this sync.
      if (syncSeconds(m) > 0) yield* m.wait(syncSeconds(m));
      const after = m.memory.syncDirty();
      syncs++;
      acDirty += Math.max(0, after - before);
      if (o['auto-converge'] && m.now_s > acStart + SYNC_PERIOD_S) {
        const sent = bytes() - acBytes;
        if (acDirty * pageSize > (sent * o['throttle-trigger-threshold']) / 100 && ++high >= 2) {
          high = 0;
          throttle = throttle === 0 ? o['cpu-throttle-initial'] : Math.min(o['max-cpu-throttle'], throttle + o['cpu-throttle-increment']);
          const x = Math.min(throttle, 99.999) / 100;
          m.throttle(Math.max(1e-9, throttledSpeed(m.memory.workload, x, THROTTLE_TIMESLICE_S)), x);
        }
      }
      if (m.now_s > acStart + SYNC_PERIOD_S) {
        acStart = m.now_s;
        acDirty = 0;
        acBytes = bytes();
      }
      if (o['start-postcopy'] && syncs >= o['start-postcopy']['after-syncs']) postcopyAsked = true;
      const verdict = m.endRound(periodStats(), view());
      period = emptyPeriod();
      periodStart = m.now_s;
      return verdict;
    };
    for (;;) {
      if (m.now_s >= cancelAt) {
        m.cancel(`migrate_cancel at ${o['cancel-after']} s`);
        return;
      }
      if (used < budget) {
        // migration_iteration_run
        let pending = m.memory.pendingCount * pageSize;
        if (pending < threshold || m.memory.pendingCount === 0) {
          const verdict = yield* sync();
          if (verdict && !verdict.converged) {
            m.cancel(verdict.reason);
            return;
          }
          if (syncs >= o.maxSyncs) {
            m.cancel(`safety net: ${o.maxSyncs} bitmap syncs`);
            return;
          }
          pending = m.memory.pendingCount * pageSize;
          if (verdict?.converged || pending < threshold || (pending === 0 && threshold === 0)) {
            const reason = verdict?.converged ? verdict.reason : `downtime-limit: ${pending} B pending < ${threshold.toFixed(0)} B (measured bandwidth × ${dl} s)`;
            yield* complete(m, reason, delta);
            return;
          }
        }
        if (postcopyAsked) {
          yield* postcopy(m, o, dl);
          return;
        }
        // ram_save_iterate: up to the budget left, 50 ms of sending, or the end of the pass.
        let maxBytes = Math.min(budget - used, sendRate * MAX_WAIT_S);
        if (Number.isFinite(cancelAt) && Number.isFinite(sendRate)) maxBytes = Math.min(maxBytes, Math.max(0, (cancelAt - m.now_s) * sendRate));
        if (!Number.isFinite(maxBytes)) maxBytes = Number.MAX_VALUE;
        const s = yield* m.memory.send({ cap_Bps: sendRate, maxBytes: Math.max(pageSize, maxBytes), continued: started, ...(delta ? { delta } : {}) });
        started = true;
        addSend(period, s);
        used += s.bytes;
        // QEMU sends until the budget is exceeded: the page that crosses it is the last. The
        // fluid engine stops short of it by less than a page; the window's budget is used all the same.
        if (budget - used < pageSize + m.memory.costs.header_bytes && m.memory.pendingCount > 0) used = Math.max(used, budget);
      }
      // migration_rate_limit → migration_update_counters
      const now = m.now_s;
      if (now >= iterStart + BUFFER_DELAY_S - 1e-12) {
        threshold = ((bytes() - iterBytes) / (now - iterStart)) * dl;
        iterStart = now;
        iterBytes = bytes();
        used = 0;
      }
      if (used >= budget) yield* sleepUntil(iterStart + BUFFER_DELAY_S);
    }
  },
});

/**
 * migration_completion: stop the VM, sync the bitmap (while stopped: its cost is in the paused
 * copy's measured speed), send the rest at the link's speed with the device state, resume at
 * the destination.
 */
function* complete(m: Migration, reason: string, delta: DeltaCompression | undefined): Generator<MigrationAction, void, number> {
  m.phase('stop-and-copy');
  m.suspend();
  m.memory.syncDirty();
  yield* m.memory.send({ cap_Bps: Infinity, extra_bytes: m.costs.deviceState_bytes, ...(delta ? { delta: { ...delta, lastStage: true } } : {}) });
  yield* finish(m, true, reason);
}

/**
 * postcopy_start and the post-copy iterations: stop, sync, device state, resume at the
 * destination; then the stream at `max-postcopy-bandwidth` until the pages left are below the
 * threshold (that rate × `downtime-limit`), the rest without limit.
 */
function* postcopy(m: Migration, o: QemuOptions, dl: number): Generator<MigrationAction, void, number> {
  if (m.costs.deviceState_bytes > 0) throw new RangeError("qemu post-copy: scenario.costs.deviceState is not modelled here (the paused copy's measured speed includes it); set it to 0");
  m.phase('stop-and-copy');
  m.suspend();
  // ram_postcopy_send_discard_bitmap syncs the bitmap while the VM is stopped (its cost is in
  // the measured downtime); the pages pending and dirty are what post-copy sends.
  m.memory.switchToPostcopy();
  m.phase('commit');
  if (m.costs.resume_s > 0) yield* m.wait(m.costs.resume_s);
  m.resumeAtDestination();
  m.phase('postcopy');
  const rate = o['max-postcopy-bandwidth'] > 0 ? o['max-postcopy-bandwidth'] : Infinity;
  const stats = yield* m.memory.postcopyTransfer({ cap_Bps: rate, completeBelow_bytes: rate * dl, completeCap_Bps: Infinity, chunkPages: 256 });
  m.count('postcopy_faults', stats.faults);
  m.count('fault_wait_s', stats.faultWait_s);
  m.count('app_degradation_s', stats.degradationAdjust_s);
  m.phase('release');
  if (m.costs.release_s > 0) yield* m.wait(m.costs.release_s);
  m.release(true, 'postcopy');
}
