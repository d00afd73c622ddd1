/**
 * @livemig/strategy-stop-and-copy — the cold migration: suspend, send every page (zero pages
 * as markers when elision is on) with the CPU and device state, resume at the destination.
 * Downtime ≈ total time ≈ memory ÷ bandwidth; the fewest bytes of any strategy.
 * @packageDocumentation
 */
import { defineStrategy, prepare, schemas, stopAndCopy as copyAll, z } from '@livemig/core';

export const stopAndCopy = defineStrategy({
  name: 'stop-and-copy',
  description: 'suspend, copy every page and the device state, resume',
  options: z
    .object({
      maxBandwidth: schemas.rate({ positive: true }).optional().describe("rate cap of the copy ('1 Gbit/s'); default: none"),
    })
    .strict(),
  create: (o) => ({
    *migrate(m) {
      if (!(yield* prepare(m))) return;
      yield* copyAll(m, { selectAll: true, cap_Bps: o.maxBandwidth ?? Infinity, converged: true, reason: 'stop-and-copy' });
    },
  }),
});

export default stopAndCopy;
