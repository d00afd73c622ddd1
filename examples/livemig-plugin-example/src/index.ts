/**
 * livemig-plugin-example: a third-party copy strategy for livemig. It runs a fixed number of
 * pre-copy rounds (the first sends every page, each next one the pages dirtied during the
 * previous), then pauses the VM and copies what is left. The experiment's stop condition may
 * end the rounds earlier; the final copy may be rate-limited separately.
 */
import { defineStrategy, prepare, schemas, stopAndCopy, syncBitmap, z } from '@livemig/core';

/** Options: validated and defaulted by zod; rates are unit strings in experiment files. */
export const options = z
  .object({
    rounds: z.number().int().min(0).max(1000).default(5).describe('pre-copy rounds before the stop-and-copy phase (0 = plain stop-and-copy)'),
    roundBandwidth: schemas.rate({ positive: true }).optional().describe("rate cap of the pre-copy rounds ('500 Mbit/s'); default: none"),
  })
  .strict();

export const fixedRounds = defineStrategy({
  name: 'fixed-rounds',
  description: 'a fixed number of pre-copy rounds (or fewer, if the stop condition says so), then stop-and-copy',
  options,
  create: (o) => ({
    *migrate(m) {
      if (!(yield* prepare(m))) return;
      if (o.rounds === 0) {
        yield* stopAndCopy(m, { selectAll: true, converged: true, reason: 'fixed-rounds: no pre-copy round' });
        return;
      }
      m.phase('precopy');
      m.memory.selectAll();
      for (let round = 1; ; round++) {
        const stats = yield* m.memory.send({ cap_Bps: o.roundBandwidth ?? Infinity });
        const verdict = m.endRound(stats);
        if (verdict || round >= o.rounds) {
          yield* stopAndCopy(m, { selectAll: false, converged: verdict?.converged ?? false, reason: verdict?.reason ?? `fixed-rounds: ${o.rounds} rounds` });
          return;
        }
        yield* syncBitmap(m);
      }
    },
  }),
});

export default fixedRounds;
