/**
 * @livemig/strategy-precopy — iterative pre-copy (Xen, KVM/QEMU, SimGrid). Round 0 sends every
 * page; each later round re-sends the pages written during the previous one (dirty bitmap
 * synced at each round start) while the guest keeps writing; a stop condition ends the rounds,
 * then the VM is paused and the rest is sent with the device state.
 * @packageDocumentation
 */
import { defineStrategy, prepare, schemas, stopAndCopy, syncBitmap, z, type StopVerdict } from '@livemig/core';

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
      for (let pass = 1; ; pass++) {
        const stats = yield* m.memory.send({ cap_Bps: cap, skipRedirtied: o.skipRedirtied, ...(delta ? { delta } : {}) });
        let verdict: StopVerdict = m.endRound(stats);
        if (!verdict && ac && m.memory.dirtyBytes() > ac.threshold * stats.bytes && ++highPeriods >= ac.periods) {
          // QEMU's mig_throttle_guest_down: start at `initial`, then add `increment`, up to `max`.
          highPeriods = 0;
          throttle = throttle === 0 ? ac.initial : Math.min(ac.max, throttle + ac.increment);
          m.throttle(1 - throttle);
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
