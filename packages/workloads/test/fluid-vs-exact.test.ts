/**
 * The fluid curve of every workload against the mean of page-exact runs: for each window,
 * 200 seeds are run through writes() chunk by chunk (as the page-exact engine calls it) and the
 * fluid expectedDistinct must lie within the 99 % confidence interval of their mean
 * (half-width probit(0.995) × sd / √200; the normal quantile stands in for Student's t at
 * n = 200). Windows are chosen so that the number of writes is a whole number, so the only
 * slack is 1e-6 pages of float rounding (deterministic models have sd = 0).
 */
import { describe, expect, it } from 'vitest';
import { ci99, distinctPageExact, make, type WorkloadName } from './test-util.js';

const SEEDS = 200;
const PAGES = 4096;

interface Case {
  readonly use: WorkloadName;
  readonly options: Record<string, unknown>;
  readonly t0: number;
  /** Window lengths (s), from unsaturated to saturated. */
  readonly windows: readonly number[];
}

const cases: Record<string, Case> = {
  idle: { use: 'idle', options: {}, t0: 0, windows: [1, 100] },
  uniform: { use: 'uniform', options: { rate: 1000, workingSetFraction: 0.5, offset: 1000 }, t0: 0, windows: [0.2, 2, 10] },
  'hot-cold': { use: 'hot-cold', options: { rate: 1000, hotFraction: 0.1, hotWrites: 0.9 }, t0: 0, windows: [0.1, 1, 5, 40] },
  zipf: { use: 'zipf', options: { rate: 2000, exponent: 1 }, t0: 0, windows: [0.05, 1, 10, 60] },
  'zipf unshuffled s=1.5': { use: 'zipf', options: { rate: 2000, exponent: 1.5, shuffle: false, workingSetFraction: 0.25 }, t0: 0, windows: [0.05, 1, 20] },
  sequential: { use: 'sequential', options: { rate: 1000, workingSetFraction: 0.5 }, t0: 0.5, windows: [0.2, 1, 5] },
  trace: { use: 'trace', options: { interval: '1 s', dirtyPages: [100, 500, 0, 2000, 50], workingSetFraction: 0.75 }, t0: 0.5, windows: [0.5, 2.5, 7, 30] },
  'phased (same set, disjoint sets, repeat)': {
    use: 'phased',
    options: {
      phases: [
        { duration: '2 s', workload: { use: 'uniform', options: { rate: 500, workingSetFraction: 0.5 } } },
        { duration: '1 s', workload: { use: 'zipf', options: { rate: 2000, exponent: 1, workingSetFraction: 0.5 } } },
        { duration: '2 s', workload: { use: 'hot-cold', options: { rate: 1000, workingSetFraction: 0.5, offset: 2048 } } },
        { duration: '1 s', workload: { use: 'hot-cold', options: { rate: 1000, workingSetFraction: 0.5, offset: 2048 } } },
      ],
    },
    t0: 1.5,
    windows: [0.4, 1, 2, 4, 10],
  },
  'phased (hold)': {
    use: 'phased',
    options: {
      after: 'hold',
      phases: [
        { duration: '1 s', workload: { use: 'idle' } },
        { duration: '1 s', workload: { use: 'trace', options: { dirtyPages: [300, 100], interval: '0.5 s' } } },
        { duration: '1 s', workload: { use: 'zipf', options: { rate: 1000, exponent: 0.8 } } },
      ],
    },
    t0: 0.5,
    windows: [1, 2, 10],
  },
};

describe('fluid expectedDistinct = mean of page-exact runs (99 % CI, 200 seeds)', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(name, () => {
      const marks = new Uint8Array(PAGES);
      const fluidModel = make(c.use, c.options, PAGES, 1);
      for (const window of c.windows) {
        const runs: number[] = [];
        for (let seed = 0; seed < SEEDS; seed++) runs.push(distinctPageExact(make(c.use, c.options, PAGES, 1000 + seed), PAGES, c.t0, window, 1, marks));
        const fluid = fluidModel.expectedDistinct(c.t0, window);
        const { mean, half } = ci99(runs);
        if (process.env.SHOW_CI) console.log(`${name} w=${window}: fluid ${fluid.toFixed(2)} exact ${mean.toFixed(2)} ± ${half.toFixed(2)}`);
        expect(Math.abs(fluid - mean), `${name}, window ${window} s: fluid ${fluid.toFixed(3)} vs page-exact ${mean.toFixed(3)} ± ${half.toFixed(3)}`).toBeLessThanOrEqual(half + 1e-6);
      }
    });
  }
});

describe('throttled guest: the fluid curve of the work done = page-exact at speed 0.5 over twice the wall time (99 % CI)', () => {
  // Stationary models depend only on the work, so this is exact for them (phased and trace are
  // not stationary: their fluid curve lays the work on [t, t + work], see phased.ts).
  it.each([
    ['uniform', { rate: 1000, workingSetFraction: 0.5 }],
    ['hot-cold', { rate: 1000 }],
    ['zipf', { rate: 2000, exponent: 1.1 }],
  ] as const)('%s', (use, options) => {
    const marks = new Uint8Array(PAGES);
    for (const work of [0.5, 4]) {
      const runs: number[] = [];
      for (let seed = 0; seed < SEEDS; seed++) runs.push(distinctPageExact(make(use, options, PAGES, 5000 + seed), PAGES, 0, 2 * work, 0.5, marks));
      const fluid = make(use, options, PAGES, 1).expectedDistinct(0, work);
      const { mean, half } = ci99(runs);
      expect(Math.abs(fluid - mean), `${use}, work ${work} s: fluid ${fluid} vs ${mean} ± ${half}`).toBeLessThanOrEqual(half + 1e-6);
    }
  });
});
