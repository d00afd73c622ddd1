/**
 * The invariant suite of workloads (dirty-page models): the fluid curve `expectedDistinct`
 * equals the mean number of distinct pages of page-exact runs within a 99 % confidence
 * interval, written pages are integers in [0, pageCount), a throttled guest never writes more,
 * and the same seed gives the same writes, with no clock or `Math.random`.
 */
import fc from 'fast-check';
import { mean, probit, sampleStandardDeviation } from 'simple-statistics';
import { describe, expect, it, vi } from 'vitest';
import { createRng, deriveSeed, resolveOptions, type Workload, type WorkloadPlugin } from '@livemig/core';

/** Irregular chunk fractions (they sum to 1), as the page-exact engine splits a window at network events. */
export const CHUNKS: readonly number[] = [0.13, 0.21, 0.05, 0.3, 0.07, 0.24];

/** Build a workload instance for a VM of `pages` pages with the run seed `seed`. */
export function makeWorkload(plugin: WorkloadPlugin, raw: Record<string, unknown>, pages: number, seed: number, pageSize_bytes = 4096): Workload {
  return plugin.create(resolveOptions(plugin, raw, 'workload.options'), { pageCount: pages, pageSize_bytes, rng: createRng(deriveSeed(seed, 'workload')) });
}

/**
 * Distinct pages written in [t0, t0 + window) at `speed`, through writes() called chunk by
 * chunk; the guest runs (unrecorded) from 0 to t0 first, so phase and carry state are as in a run.
 */
export function distinctPageExact(w: Workload, pages: number, t0: number, window: number, speed = 1, marks = new Uint8Array(pages)): number {
  marks.fill(0);
  if (t0 > 0) w.writes(0, t0, speed, () => {});
  let distinct = 0;
  let t = t0;
  for (const f of CHUNKS) {
    const dt = f * window;
    w.writes(t, dt, speed, (p) => {
      if (marks[p] === 0) {
        marks[p] = 1;
        distinct++;
      }
    });
    t += dt;
  }
  return distinct;
}

/** Mean and two-sided 99 % confidence half-width (normal quantile; use n ≥ 100). */
export function ci99(xs: readonly number[]): { mean: number; sd: number; half: number } {
  const m = mean(xs as number[]);
  const sd = xs.length > 1 ? sampleStandardDeviation(xs as number[]) : 0;
  return { mean: m, sd, half: (probit(0.995) * sd) / Math.sqrt(xs.length) };
}

export interface WorkloadConformanceOptions {
  /** Raw option objects to test (default: `[{}]`). */
  readonly options?: ReadonlyArray<Record<string, unknown>>;
  /** Pages of the test VM (default 4096). */
  readonly pages?: number;
  /** Start of the measured window, s (default 0.5: the guest has run before). */
  readonly t0?: number;
  /** Window lengths, s, from unsaturated to saturated (default 0.05, 0.5, 5). */
  readonly windows?: readonly number[];
  /** Seeds per window for the confidence interval (default 100). */
  readonly seeds?: number;
  /**
   * Pages of slack beside the CI half-width (default 1): writes over a window are rate × time
   * rounded, so a window whose write count is fractional may differ by one write.
   */
  readonly slack?: number;
  /** fast-check runs per property (default 60). */
  readonly numRuns?: number;
}

/**
 * Register the conformance suite of a workload plugin in the calling vitest file:
 * `workloadConformance(zipf, { options: [{ rate: 2000, exponent: 1 }] })`.
 */
export function workloadConformance(plugin: WorkloadPlugin, opts: WorkloadConformanceOptions = {}): void {
  const cases = opts.options ?? [{}];
  const pages = opts.pages ?? 4096;
  const t0 = opts.t0 ?? 0.5;
  const windows = opts.windows ?? [0.05, 0.5, 5];
  const seeds = opts.seeds ?? 100;
  const slack = opts.slack ?? 1;
  const numRuns = opts.numRuns ?? 60;
  const each = cases.map((raw) => [JSON.stringify(raw), raw] as const);
  const chunksArb = fc.array(fc.double({ min: 0, max: 2, noNaN: true }), { minLength: 1, maxLength: 8 });
  const run = (raw: Record<string, unknown>, seed: number, start: number, chunks: readonly number[], speed: number): number[] => {
    const w = makeWorkload(plugin, raw, pages, seed);
    const out: number[] = [];
    let t = 0;
    if (start > 0) w.writes(0, start, speed, () => {});
    t = start;
    for (const dt of chunks) {
      w.writes(t, dt, speed, (p) => out.push(p));
      t += dt;
    }
    return out;
  };

  describe(`${plugin.name}: workload conformance`, () => {
    it('has the plugin shape and its options parse', () => {
      expect(plugin.kind).toBe('workload');
      expect(plugin.name).toMatch(/^[a-z0-9-]+$/);
      expect(plugin.description.length).toBeGreaterThan(0);
      for (const [, raw] of each) expect(() => makeWorkload(plugin, raw, pages, 1)).not.toThrow();
    });

    it.each(each)(`options %s: fluid expectedDistinct = mean of page-exact runs (99 percent confidence interval over ${seeds} seeds)`, (_, raw) => {
      const marks = new Uint8Array(pages);
      const fluidModel = makeWorkload(plugin, raw, pages, 1);
      for (const window of windows) {
        const runs: number[] = [];
        for (let seed = 0; seed < seeds; seed++) runs.push(distinctPageExact(makeWorkload(plugin, raw, pages, 1000 + seed), pages, t0, window, 1, marks));
        const fluid = fluidModel.expectedDistinct(t0, window);
        const { mean: m, half } = ci99(runs);
        expect(Number.isFinite(fluid) && fluid >= 0 && fluid <= pages, `expectedDistinct(${t0}, ${window}) = ${fluid}`).toBe(true);
        expect(Math.abs(fluid - m), `window ${window} s: fluid ${fluid.toFixed(3)} vs page-exact ${m.toFixed(3)} ± ${half.toFixed(3)}`).toBeLessThanOrEqual(half + slack + 1e-6);
      }
    });

    it.each(each)('options %s: pages written are integers in [0, pageCount); rates and curves are finite, non-negative', (_, raw) => {
      fc.assert(
        fc.property(fc.integer(), fc.double({ min: 0, max: 3, noNaN: true }), chunksArb, fc.double({ min: 0.01, max: 1, noNaN: true }), (seed, start, chunks, speed) => {
          const bad = run(raw, seed, start, chunks, speed).filter((p) => !(Number.isInteger(p) && p >= 0 && p < pages));
          expect(bad.slice(0, 5)).toEqual([]);
          const w = makeWorkload(plugin, raw, pages, seed);
          const rate = w.writeRate(start);
          const d = w.expectedDistinct(start, chunks[0]!);
          expect(Number.isFinite(rate) && rate >= 0, `writeRate(${start}) = ${rate}`).toBe(true);
          expect(d >= 0 && d <= pages, `expectedDistinct(${start}, ${chunks[0]}) = ${d}`).toBe(true);
        }),
        { numRuns },
      );
    });

    it.each(each)('options %s: throttling never raises writes (page-exact counts, fluid curve of the work done)', (_, raw) => {
      fc.assert(
        fc.property(fc.integer(), chunksArb, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }), (seed, chunks, speed, work) => {
          expect(run(raw, seed, 0, chunks, speed).length).toBeLessThanOrEqual(run(raw, seed, 0, chunks, 1).length);
          const w = makeWorkload(plugin, raw, pages, seed);
          expect(w.expectedDistinct(0, work * speed)).toBeLessThanOrEqual(w.expectedDistinct(0, work) * (1 + 1e-12) + 1e-9);
        }),
        { numRuns },
      );
    });

    it.each(each)('options %s: the same seed gives the same writes; no Math.random or wall clock', (_, raw) => {
      const random = vi.spyOn(Math, 'random');
      const now = vi.spyOn(Date, 'now');
      try {
        fc.assert(
          fc.property(fc.integer(), fc.double({ min: 0, max: 2, noNaN: true }), chunksArb, fc.double({ min: 0.01, max: 1, noNaN: true }), (seed, start, chunks, speed) => {
            expect(run(raw, seed, start, chunks, speed)).toEqual(run(raw, seed, start, chunks, speed));
            expect(makeWorkload(plugin, raw, pages, seed).expectedDistinct(start, 1)).toBe(makeWorkload(plugin, raw, pages, seed).expectedDistinct(start, 1));
          }),
          { numRuns: Math.ceil(numRuns / 2) },
        );
        expect(random).not.toHaveBeenCalled();
        expect(now).not.toHaveBeenCalled();
      } finally {
        random.mockRestore();
        now.mockRestore();
      }
    });
  });
}
