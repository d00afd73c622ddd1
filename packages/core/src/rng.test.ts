import fc from 'fast-check';
import { chiSquaredDistributionTable, mean, sampleCorrelation, variance } from 'simple-statistics';
import { describe, expect, it, vi } from 'vitest';
import { createRng, deriveSeed, runStream, type Rng } from './rng.js';

const draws = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.next());

describe('determinism', () => {
  it('the same seed gives the same sequence, for every kind of draw', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const a = createRng(seed);
        const b = createRng(seed);
        for (let i = 0; i < 50; i++) {
          expect(b.next()).toBe(a.next());
          expect(b.int(1000)).toBe(a.int(1000));
          expect(b.exponential(3)).toBe(a.exponential(3));
          expect(b.normal()).toBe(a.normal());
        }
      }),
      { numRuns: 100 },
    );
  });

  it('runStream(seed, run, name) is the same stream every time', () => {
    expect(draws(runStream(42, 7, 'dirty-pages'), 100)).toEqual(draws(runStream(42, 7, 'dirty-pages'), 100));
  });

  it('deriveSeed is a pure function: same inputs, same seed, across calls and across fresh module instances', async () => {
    const inputs: Array<Array<number | string>> = [[42, 7, 'dirty-pages'], [0], ['memory'], [1, 2, 3], [2 ** 40 + 5, 'x'], []];
    const first = inputs.map((p) => deriveSeed(...p));
    for (let i = 0; i < 3; i++) expect(inputs.map((p) => deriveSeed(...p))).toEqual(first);
    vi.resetModules();
    const fresh = await import('./rng.js');
    expect(inputs.map((p) => fresh.deriveSeed(...p))).toEqual(first);
    for (const s of first) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });

  it('deriveSeed regression pin: these values seed every published result; changing them changes every run', () => {
    // Recorded from the implementation when it was first released (not an independent
    // computation): the point of this test is that they never change silently.
    expect(deriveSeed(42, 7, 'dirty-pages')).toBe(PINNED['42,7,dirty-pages']);
    expect(deriveSeed(1, 0, 'memory')).toBe(PINNED['1,0,memory']);
  });

  it('deriveSeed depends on every part, its order, and the split between names', () => {
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(2, 1));
    expect(deriveSeed('ab')).not.toBe(deriveSeed('a', 'b'));
    expect(deriveSeed(1)).not.toBe(deriveSeed('1'));
    // The high 32 bits of a seed count too (experiment seeds may exceed 2^32).
    expect(deriveSeed(5)).not.toBe(deriveSeed(2 ** 32 + 5));
    // Numbers whose two 32-bit halves are equal must not collide with 0 (found by a property test).
    expect(deriveSeed(-1)).not.toBe(deriveSeed(0));
    expect(deriveSeed(2 ** 32 + 1)).not.toBe(deriveSeed(0));
    // 2 000 (run, name) pairs give 2 000 distinct seeds (a random 32-bit collision among them
    // has probability ≈ 2000² / 2^33 ≈ 5e-4, so a collision would point at a weak mix).
    const seeds = new Set<number>();
    for (let run = 0; run < 1000; run++) for (const name of ['dirty-pages', 'memory']) seeds.add(deriveSeed(42, run, name));
    expect(seeds.size).toBe(2000);
  });
});

describe('independence of streams', () => {
  const N = 20_000;
  // Sample correlation of N independent pairs has standard deviation ≈ 1/√N ≈ 0.0071;
  // 5 standard deviations: a false alarm has probability < 1e-6.
  const CORR_BOUND = 5 / Math.sqrt(N);

  it.each([
    ['another run index', runStream(42, 0, 'dirty-pages'), runStream(42, 1, 'dirty-pages')],
    ['another stream name', runStream(42, 0, 'dirty-pages'), runStream(42, 0, 'memory')],
    ['another experiment seed', runStream(1, 0, 'x'), runStream(2, 0, 'x')],
    ['adjacent raw seeds', createRng(1000), createRng(1001)],
  ])('%s gives a different, uncorrelated sequence', (_what, a, b) => {
    const xs = draws(a, N);
    const ys = draws(b, N);
    expect(xs.slice(0, 10)).not.toEqual(ys.slice(0, 10));
    expect(Math.abs(sampleCorrelation(xs, ys))).toBeLessThan(CORR_BOUND);
    // Lag-1 autocorrelation within a stream as well.
    expect(Math.abs(sampleCorrelation(xs.slice(1), xs.slice(0, -1)))).toBeLessThan(CORR_BOUND);
  });

  it('pairs of draws from two streams fill the unit square uniformly (chi-square, 10×10 cells)', () => {
    const a = runStream(7, 3, 'a');
    const b = runStream(7, 3, 'b');
    const cells = new Array(100).fill(0);
    const n = 50_000;
    for (let i = 0; i < n; i++) cells[Math.floor(a.next() * 10) * 10 + Math.floor(b.next() * 10)]++;
    const expected = n / 100;
    const chi2 = cells.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    // 99 degrees of freedom. Critical value at p = 0.005 by the Wilson–Hilferty approximation
    // (≈ 139.0; the tabulated 100-df value is 140.17, so this is the stricter of the two).
    const k = 99;
    const z = 2.5758; // standard normal quantile of 0.995
    const critical = k * (1 - 2 / (9 * k) + z * Math.sqrt(2 / (9 * k))) ** 3;
    expect(critical).toBeGreaterThan(138.5);
    expect(critical).toBeLessThan(chiSquaredDistributionTable[100]['0.005']);
    expect(chi2).toBeLessThan(critical);
  });
});

describe('distributions', () => {
  it('next() is uniform on [0, 1): chi-square over 100 bins below the p = 0.005 critical value', () => {
    const rng = createRng(deriveSeed(2024, 'uniformity'));
    const bins = new Array(101).fill(0);
    const n = 101_000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.next();
      if (!(x >= 0 && x < 1)) outside++;
      bins[Math.floor(x * 101)]++;
    }
    expect(outside).toBe(0);
    const e = n / 101;
    const chi2 = bins.reduce((s, o) => s + (o - e) ** 2 / e, 0);
    // 101 bins → 100 degrees of freedom.
    expect(chi2).toBeLessThan(chiSquaredDistributionTable[100]['0.005']);
  });

  it('int(n) is an integer in [0, n) and reaches both ends', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 ** 30 }), (seed, n) => {
        const rng = createRng(seed);
        for (let i = 0; i < 200; i++) {
          const k = rng.int(n);
          if (!(Number.isInteger(k) && k >= 0 && k < n)) throw new Error(`int(${n}) gave ${k}`);
        }
      }),
      { numRuns: 200 },
    );
    const rng = createRng(5);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(rng.int(7));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('exponential(rate): mean 1/rate and variance 1/rate² within 5 standard errors', () => {
    const n = 100_000;
    for (const rate of [0.5, 2, 100]) {
      const rng = createRng(deriveSeed(9, 'exp', rate));
      const xs = Array.from({ length: n }, () => rng.exponential(rate));
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
      // Standard error of the mean: (1/rate)/√n. Of the variance: √(μ4 − σ⁴)/√n = √8/rate²/√n.
      expect(Math.abs(mean(xs) - 1 / rate)).toBeLessThan((5 / rate) / Math.sqrt(n));
      expect(Math.abs(variance(xs) - 1 / rate ** 2)).toBeLessThan((5 * Math.sqrt(8)) / rate ** 2 / Math.sqrt(n));
    }
  });

  it('normal(): mean 0, variance 1 within 5 standard errors, and symmetric', () => {
    const n = 100_000;
    const rng = createRng(deriveSeed(9, 'normal'));
    const xs = Array.from({ length: n }, () => rng.normal());
    // Standard errors: mean 1/√n, variance √2/√n.
    expect(Math.abs(mean(xs))).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance(xs) - 1)).toBeLessThan((5 * Math.SQRT2) / Math.sqrt(n));
    // Share within one standard deviation: 0.682689; binomial standard error √(p(1−p)/n) ≈ 0.00147.
    const within = xs.filter((x) => Math.abs(x) < 1).length / n;
    expect(Math.abs(within - 0.682689)).toBeLessThan(5 * 0.00147);
    // The two variates of one polar-method pair are uncorrelated.
    const even = xs.filter((_, i) => i % 2 === 0);
    const odd = xs.filter((_, i) => i % 2 === 1);
    expect(Math.abs(sampleCorrelation(even, odd))).toBeLessThan(5 / Math.sqrt(n / 2));
  });
});

/** See the regression-pin test above. */
const PINNED = {
  // Re-pinned when deriveSeed stopped xor-ing the two halves of a number (0 and -1 collided).
  '42,7,dirty-pages': 3714533682,
  '1,0,memory': 249886091,
};
