/**
 * @livemig/strategy-precopy — iterative pre-copy (Xen, KVM/QEMU, SimGrid). Round 0 sends every
 * page; each later round re-sends the pages written during the previous one (dirty bitmap
 * synced at each round start) while the guest keeps writing; a stop condition ends the rounds,
 * then the VM is paused and the rest is sent with the device state.
 *
 * `sync: 'below-threshold'` is QEMU's (≥ 2.x) timing of the bitmap syncs instead (migration.c
 * `migration_iteration_run`, ram.c `ram_save_pending` up to 7.2, `ram_state_pending_exact`
 * since 8.0): every `checkInterval` of sending (QEMU: each 100 ms rate-limit window) the
 * migration thread compares the bytes still to send in the current bitmap with its threshold,
 * and only when they are below it syncs the bitmap — the unsent pages and the pages dirtied
 * since the last sync make the new remainder — and completes if that is below the threshold
 * too. Here the threshold is the stop condition's: a sync happens when the stop condition
 * would stop, converged, on the unsent remainder (QEMU's `downtime-limit`: remaining bytes <
 * bandwidth × downtime limit), else at the end of a pass (remainder empty); each sync ends a
 * round, which the stop condition then judges on the union. The scan goes on from where it
 * stopped and wraps around, as QEMU's dirty-page search does.
 * @packageDocumentation
 */
import { defineStrategy, prepare, schemas, stopAndCopy, syncBitmap, throttledSpeed, z, type SendStats, type StopVerdict } from '@livemig/core';
import { THROTTLE_TIMESLICE_S } from './qemu.js';

const options = z
  .object({
    skipRedirtied: z.boolean().default(false).describe("Xen: don't send a page already re-dirtied during the current round (it goes next round)"),
    maxBandwidth: schemas.rate({ positive: true }).optional().describe("static rate cap of the rounds (QEMU max-bandwidth, '1 Gbit/s'); default: none"),
    finalRateLimited: z
      .boolean()
      .default(false)
      .describe('whether the final copy while paused obeys maxBandwidth (QEMU: no, it runs at link speed)'),
    dynamicRate: z
      .object({
        min: schemas.rate({ positive: true }).describe('rate of the first round'),
        max: schemas.rate({ positive: true }).describe('highest rate; the final copy runs at it'),
        increment: schemas.rate().describe('added to the previous round’s dirty rate'),
        stopAtMax: z.boolean().default(true).describe('Clark et al.: end pre-copy when the rate needed exceeds max'),
      })
      .strict()
      .optional()
      .describe('Clark et al. dynamic rate limiting: each round at the previous round’s dirty rate + increment, within [min, max]'),
    onNonConvergence: z
      .enum(['stop-and-copy', 'cancel'])
      .default('stop-and-copy')
      .describe('when the stop condition gives up: force the final copy (Xen) or cancel and stay on the source (QEMU)'),
    // Both optional without a schema default, so that experiments without them resolve to the
    // same options (and config ids) as before they existed.
    sync: z
      .enum(['end-of-pass', 'below-threshold'])
      .optional()
      .describe("when the dirty bitmap is synced: 'end-of-pass' (default) after each full pass over the selection (classic rounds), or 'below-threshold' when the unsent remainder falls below the stop condition's threshold (QEMU >= 2.x)"),
    checkInterval: schemas
      .seconds({ positive: true })
      .optional()
      .describe("sync 'below-threshold': sending time between two threshold checks ('100 ms' default, QEMU's rate-limit window); the budget is maxBandwidth × this, or the measured rate × this without a cap"),
    maxPasses: z.number().int().min(1).default(10_000).describe('safety net: give up after this many passes whatever the stop condition says'),
    autoConverge: z
      .object({
        initial: z.number().gt(0).lt(1).default(0.2).describe('first vCPU throttle (QEMU cpu-throttle-initial 20 %)'),
        increment: z.number().gt(0).lt(1).default(0.1).describe('added at each further trigger (QEMU cpu-throttle-increment 10 %)'),
        max: z.number().gt(0).lt(1).default(0.99).describe('highest throttle (QEMU max-cpu-throttle 99 %)'),
        threshold: z.number().gt(0).default(0.5).describe('a sync period is "high" when its dirty bytes exceed this fraction of the bytes sent in it (QEMU throttle-trigger-threshold 50 %)'),
        periods: z.number().int().min(1).default(2).describe('high periods that trigger one throttle step (QEMU: 2)'),
      })
      .strict()
      .optional()
      .describe('QEMU auto-converge: throttle the vCPUs step by step while the guest dirties faster than the migration sends'),
    xbzrle: z
      .object({
        cacheSize: schemas.bytes().default(64 * 2 ** 20).describe("XBZRLE page cache ('64 MiB', QEMU's default)"),
        compressedRatio: schemas.fraction().default(0.25).describe('encoded size of a cached re-sent page, as a fraction of the page size'),
        encodeRate: schemas.rate({ positive: true }).default(1 * 2 ** 30).describe("encoder throughput in page bytes per second ('1 GiB/s'); bounds the send rate"),
      })
      .strict()
      .optional()
      .describe('XBZRLE-like delta compression of re-sent pages against a page cache (QEMU)'),
  })
  .strict();

export const precopy = defineStrategy({
  name: 'precopy',
  description: 'iterative pre-copy with pluggable stop conditions, Xen skip, dynamic or static rate limiting',
  options,
  create: (o) => ({
    *migrate(m) {
      if (!(yield* prepare(m))) return;
      m.phase('precopy');
      m.memory.selectAll();
      const dyn = o.dynamicRate;
      if (dyn && dyn.min > dyn.max) throw new RangeError(`dynamicRate: min (${dyn.min} B/s) is above max (${dyn.max} B/s)`);
      let cap = dyn ? dyn.min : (o.maxBandwidth ?? Infinity);
      const ac = o.autoConverge;
      if (ac && ac.initial > ac.max) throw new RangeError(`autoConverge: initial (${ac.initial}) is above max (${ac.max})`);
      let throttle = 0; // current throttle percentage as a fraction; 0 = off
      let highPeriods = 0;
      const delta = o.xbzrle ? { cache_bytes: o.xbzrle.cacheSize, compressedRatio: o.xbzrle.compressedRatio, encode_Bps: o.xbzrle.encodeRate } : undefined;
      const belowThreshold = o.sync === 'below-threshold';
      const checkInterval = o.checkInterval ?? 0.1;
      let measured_Bps = 0; // below-threshold without a cap: the rate of the last budgeted send
      let started = false;
      // The options of a whole-pass send, made again only when the cap changes (the engines only read them).
      let passOptions: { cap_Bps: number; skipRedirtied: boolean; delta?: typeof delta } | null = null;
      for (let pass = 1; ; pass++) {
        let stats: SendStats;
        let verdict: StopVerdict;
        if (!belowThreshold) {
          if (passOptions === null || passOptions.cap_Bps !== cap) passOptions = { cap_Bps: cap, skipRedirtied: o.skipRedirtied, ...(delta ? { delta } : {}) };
          stats = yield* m.memory.send(passOptions);
          verdict = m.endRound(stats);
        } else {
          // Send budgets of checkInterval until the remainder is below the stop condition's
          // threshold (or empty), then sync: the round ends with the remainder ∪ the dirty log.
          let period = { pages: 0, zeroPages: 0, resent: 0, skipped: 0, bytes: 0, duration_s: 0 };
          for (;;) {
            const page = m.memory.costs.pageSize_bytes + m.memory.costs.header_bytes;
            const rate = Number.isFinite(cap) ? cap : measured_Bps;
            const maxBytes = Math.max(page, rate * checkInterval);
            const s = yield* m.memory.send({ cap_Bps: cap, skipRedirtied: o.skipRedirtied, maxBytes, continued: started, ...(delta ? { delta } : {}) });
            started = true;
            if (s.bytes > 0 && s.duration_s > 0) measured_Bps = s.bytes / s.duration_s;
            period = {
              pages: period.pages + s.pages,
              zeroPages: period.zeroPages + s.zeroPages,
              resent: period.resent + s.resent,
              skipped: period.skipped + s.skipped,
              bytes: period.bytes + s.bytes,
              duration_s: period.duration_s + s.duration_s,
            };
            if (!(m.memory.pendingCount > 0)) break;
            if (m.peekRound(period, { pages: m.memory.pendingCount, bytes: m.memory.pendingBytes() })?.converged) break;
          }
          stats = period;
          verdict = m.endRound(stats, m.memory.remaining());
        }
        if (!verdict && ac && m.memory.dirtyBytes() > ac.threshold * stats.bytes && ++highPeriods >= ac.periods) {
          // QEMU's mig_throttle_guest_down: start at `initial`, then add `increment`, up to `max`.
          highPeriods = 0;
          throttle = throttle === 0 ? ac.initial : Math.min(ac.max, throttle + ac.increment);
          // The guest's demand decides what the throttle costs it (a CPU-bound guest: 1 − throttle).
          if (m.memory.workload.throttledSpeed) m.throttle(Math.max(1e-9, throttledSpeed(m.memory.workload, throttle, THROTTLE_TIMESLICE_S)), throttle);
          else m.throttle(1 - throttle);
        }
        if (!verdict && dyn) {
          const dirtyRate = stats.duration_s > 0 ? m.memory.dirtyBytes() / stats.duration_s : 0;
          const wanted = dirtyRate + dyn.increment;
          if (wanted > dyn.max && dyn.stopAtMax) verdict = { converged: false, reason: `dynamic-rate: ${wanted.toFixed(0)} B/s needed > max ${dyn.max} B/s` };
          cap = Math.min(dyn.max, Math.max(dyn.min, wanted));
        }
        if (!verdict && pass >= o.maxPasses) verdict = { converged: false, reason: `safety net: ${o.maxPasses} passes` };
        if (verdict) {
          if (!verdict.converged && o.onNonConvergence === 'cancel') {
            m.cancel(verdict.reason);
            return;
          }
          const finalCap = dyn ? dyn.max : o.finalRateLimited ? (o.maxBandwidth ?? Infinity) : Infinity;
          yield* stopAndCopy(m, { selectAll: false, cap_Bps: finalCap, converged: verdict.converged, reason: verdict.reason, ...(delta ? { delta } : {}) });
          return;
        }
        yield* syncBitmap(m);
      }
    },
  }),
});

export default precopy;
export { qemu } from './qemu.js';
