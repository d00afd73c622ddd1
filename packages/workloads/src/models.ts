/** The first-party stationary dirty-page models: idle, uniform, hot/cold, sequential (and its SimGrid alias). */
import { defineWorkload, schemas, z } from '@livemig/core';
import {
  EVEN,
  guestOptions,
  guestTraits,
  pagesPerSecond,
  touched,
  uniformDistinct,
  untouchedAfter,
  workingSetOptions,
  workingSetRegion,
  writeCounter,
  writeRate,
  type ProfiledWorkload,
} from './common.js';

/** A guest that writes nothing: pre-copy converges after one pass. */
export const idle = defineWorkload({
  name: 'idle',
  description: 'writes no page',
  options: z.object({}).strict(),
  create: (): ProfiledWorkload => ({
    writeRate: () => 0,
    expectedDistinct: () => 0,
    writes: () => {},
    untouchedProfile: () => [],
  }),
});

/**
 * Writes spread uniformly over a working set of W pages at r pages/s: the expected distinct
 * pages after t seconds is W·(1 − e^(−r·t/W)) (exactly W·(1 − (1 − 1/W)^(r·t))).
 */
export const uniform = defineWorkload({
  name: 'uniform',
  description: 'writes uniformly at random over a working set',
  options: z
    .object({
      rate: writeRate().prefault(10_000),
      ...workingSetOptions,
      ...guestOptions,
    })
    .strict(),
  create(o, ctx): ProfiledWorkload {
    const { offset, pages: w } = workingSetRegion(o, ctx);
    const r = pagesPerSecond(o.rate, ctx.pageSize_bytes);
    const count = writeCounter();
    return {
      ...guestTraits(o),
      // Writes a dirty page got: Poisson with mean λ = r·work ÷ W, given at least one.
      writesPerDirtyPage: (_t, work) => {
        const lambda = (r * work) / w;
        return lambda > 1e-12 ? lambda / -Math.expm1(-lambda) : 1;
      },
      writeRate: () => r,
      expectedDistinct: (_t, work) => uniformDistinct(w, r * work),
      writes(_t, dt, speed, write) {
        const n = count(r * dt * speed);
        for (let i = 0; i < n; i++) write(offset + ctx.rng.int(w));
      },
      untouchedProfile: (_t, work) => [{ offset, pages: w, layout: EVEN, counts: [w], untouched: [untouchedAfter(1 / w, r * work)] }],
    };
  },
});

/**
 * A hot set of H pages (the first H of the working set) receives a share h of the writes, the
 * rest of the working set the remainder (the writable working set of Clark et al.): the
 * distinct-pages curve rises fast (the hot set saturates), then slowly. Each write goes to the
 * hot set with probability h, so a hot page survives n writes with probability (1 − h/H)^n.
 */
export const hotCold = defineWorkload({
  name: 'hot-cold',
  description: 'a hot set takes most writes, the cold rest of the working set the remainder',
  options: z
    .object({
      rate: writeRate().prefault(10_000),
      ...workingSetOptions,
      hotFraction: z.number().gt(0).lt(1).default(0.1).describe('hot pages as a fraction of the working set'),
      hotWrites: z.number().min(0).max(1).default(0.9).describe('share of writes that go to the hot set'),
    })
    .strict(),
  create(o, ctx): ProfiledWorkload {
    const { offset, pages: w } = workingSetRegion(o, ctx);
    const hot = Math.max(1, Math.min(w - 1, Math.round(o.hotFraction * w)));
    const cold = w - hot;
    // A one-page working set has no cold page: every write goes to the hot one.
    const h = cold === 0 ? 1 : o.hotWrites;
    const pHot = h / hot;
    const pCold = cold === 0 ? 0 : (1 - h) / cold;
    const r = pagesPerSecond(o.rate, ctx.pageSize_bytes);
    const count = writeCounter();
    const layout = `hot-cold:${hot}`;
    return {
      writeRate: () => r,
      expectedDistinct: (_t, work) => touched(hot, pHot, r * work) + touched(cold, pCold, r * work),
      writes(_t, dt, speed, write) {
        const n = count(r * dt * speed);
        for (let i = 0; i < n; i++) write(offset + (ctx.rng.next() < h ? ctx.rng.int(hot) : hot + ctx.rng.int(cold)));
      },
      untouchedProfile: (_t, work) => [
        { offset, pages: w, layout, counts: [hot, cold], untouched: [untouchedAfter(pHot, r * work), untouchedAfter(pCold, r * work)] },
      ],
    };
  },
});

const sequentialOptions = z
  .object({
    rate: writeRate().optional(),
    intensity: z.number().min(0).optional().describe("SimGrid's dirty-page intensity (bytes dirtied per byte of migration speed)"),
    migrationSpeed: schemas.rate().optional().describe("SimGrid's migration speed ('1 Gbit/s'; a number is bytes/s); rate = intensity × speed"),
    ...workingSetOptions,
  })
  .strict();

const sequentialDescription = 'writes the working set in order (SimGrid: min(rate × t, working set) distinct pages)';

function createSequential(o: z.output<typeof sequentialOptions>, ctx: Parameters<typeof uniform.create>[1]): ProfiledWorkload {
  const { offset, pages: w } = workingSetRegion(o, ctx);
  let r: number;
  if (o.rate && (o.intensity !== undefined || o.migrationSpeed !== undefined))
    throw new RangeError('rate: give either rate, or intensity and migrationSpeed, not both');
  if (o.rate) r = pagesPerSecond(o.rate, ctx.pageSize_bytes);
  else if (o.intensity !== undefined && o.migrationSpeed !== undefined) r = (o.intensity * o.migrationSpeed) / ctx.pageSize_bytes;
  else throw new RangeError(`${o.intensity === undefined ? 'intensity' : 'migrationSpeed'}: give either rate, or intensity and migrationSpeed`);
  const count = writeCounter();
  let next = 0;
  return {
    writeRate: () => r,
    expectedDistinct: (_t, work) => Math.min(w, r * work),
    writes(_t, dt, speed, write) {
      const n = count(r * dt * speed);
      for (let i = 0; i < n; i++) {
        write(offset + next);
        next = next + 1 === w ? 0 : next + 1;
      }
    },
    // Where the cursor stands depends on the guest's past speed, which a window does not know:
    // for combining with other phases, every page of the working set is taken as equally likely.
    untouchedProfile: (_t, work) => [{ offset, pages: w, layout: EVEN, counts: [w], untouched: [1 - Math.min(w, r * work) / w] }],
  };
}

/**
 * Writes sweep the working set in order, wrapping around: a window of n writes dirties
 * exactly min(n, W) distinct pages. This is SimGrid's assumption (dirty volume =
 * min(intensity × migration speed × time, working set)); `intensity` and `migrationSpeed`
 * may be given instead of `rate`, as in SimGrid.
 */
export const sequential = defineWorkload({
  name: 'sequential',
  description: sequentialDescription,
  options: sequentialOptions,
  create: createSequential,
});

/**
 * SimGrid's byte-based dirtying: an alias of {@link sequential} (same options), named for
 * experiment files that mirror SimGrid's `dp_intensity` × migration speed, capped by the working set.
 */
export const simgrid = defineWorkload({
  name: 'simgrid',
  description: "SimGrid's byte-based dirtying: min(intensity × migration speed × t, working set) bytes (alias of sequential)",
  options: sequentialOptions,
  create: createSequential,
});
