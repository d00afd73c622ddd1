/** The first-party dirty-page models. */
import { defineWorkload, z } from '@livemig/core';
import { pagesPerSecond, uniformDistinct, workingSetOptions, workingSetPages, writeCounter, writeRate } from './common.js';

/** A guest that writes nothing: pre-copy converges after one pass. */
export const idle = defineWorkload({
  name: 'idle',
  description: 'writes no page',
  options: z.object({}).strict(),
  create: () => ({
    writeRate: () => 0,
    expectedDistinct: () => 0,
    writes: () => {},
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
      offset: z.number().int().min(0).default(0).describe('first page of the working set'),
    })
    .strict(),
  create(o, ctx) {
    const w = workingSetPages(o, ctx);
    if (o.offset + w > ctx.pageCount) throw new RangeError(`offset + workingSet (${o.offset + w} pages) exceeds memory (${ctx.pageCount} pages)`);
    const r = pagesPerSecond(o.rate, ctx.pageSize_bytes);
    const count = writeCounter();
    return {
      writeRate: () => r,
      expectedDistinct: (_t, work) => uniformDistinct(w, r * work),
      writes(_t, dt, speed, write) {
        const n = count(r * dt * speed);
        for (let i = 0; i < n; i++) write(o.offset + ctx.rng.int(w));
      },
    };
  },
});

/**
 * A hot set of H pages receives a share h of the writes, the rest of the working set the
 * remainder (the writable working set of Clark et al.): the distinct-pages curve rises fast
 * (the hot set saturates), then slowly.
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
  create(o, ctx) {
    const w = workingSetPages(o, ctx);
    const hot = Math.max(1, Math.min(w - 1, Math.round(o.hotFraction * w)));
    const cold = w - hot;
    const r = pagesPerSecond(o.rate, ctx.pageSize_bytes);
    const count = writeCounter();
    return {
      writeRate: () => r,
      expectedDistinct: (_t, work) => uniformDistinct(hot, r * work * o.hotWrites) + uniformDistinct(cold, r * work * (1 - o.hotWrites)),
      writes(_t, dt, speed, write) {
        const n = count(r * dt * speed);
        for (let i = 0; i < n; i++) write(ctx.rng.next() < o.hotWrites ? ctx.rng.int(hot) : hot + ctx.rng.int(cold));
      },
    };
  },
});

/**
 * Writes sweep the working set in order, wrapping around: a window of n writes dirties
 * exactly min(n, W) distinct pages. This is SimGrid's assumption (dirty volume =
 * min(intensity × migration speed × time, working set)); `intensity` and `migrationSpeed`
 * may be given instead of `rate`, as in SimGrid.
 */
export const sequential = defineWorkload({
  name: 'sequential',
  description: 'writes the working set in order (SimGrid: min(rate × t, working set) distinct pages)',
  options: z
    .object({
      rate: writeRate().optional(),
      intensity: z.number().min(0).optional().describe("SimGrid's dirty-page intensity (bytes dirtied per byte of migration speed)"),
      migrationSpeed: z.union([z.number(), z.string()]).optional().describe("SimGrid's migration speed ('1 Gbit/s'); rate = intensity × speed"),
      ...workingSetOptions,
    })
    .strict(),
  create(o, ctx) {
    const w = workingSetPages(o, ctx);
    let r: number;
    if (o.rate) r = pagesPerSecond(o.rate, ctx.pageSize_bytes);
    else if (o.intensity !== undefined && o.migrationSpeed !== undefined) {
      const speed = writeRate().parse(o.migrationSpeed);
      r = (o.intensity * pagesPerSecond(speed, ctx.pageSize_bytes));
    } else throw new RangeError('sequential: give either rate, or intensity and migrationSpeed');
    const count = writeCounter();
    let next = 0;
    return {
      writeRate: () => r,
      expectedDistinct: (_t, work) => Math.min(w, r * work),
      writes(_t, dt, speed, write) {
        const n = count(r * dt * speed);
        for (let i = 0; i < n; i++) {
          write(next);
          next = next + 1 === w ? 0 : next + 1;
        }
      },
    };
  },
});
