/** Zipf: the bucketed fluid curve against the exact O(W) sum, and the sampler's rank frequencies. */
import { describe, expect, it } from 'vitest';
import { ZIPF_BUCKET_RATIO, ZIPF_EXACT_RANKS, zipfDistinct } from '../src/zipf.js';
import { make } from './test-util.js';

/** Σ_k (1 − (1 − p_k)^n), p_k = k^−s / H_{W,s}: the definition, summed page by page. */
function exactDistinct(w: number, s: number, ns: readonly number[]): number[] {
  let norm = 0;
  for (let k = w; k >= 1; k--) norm += k ** -s;
  const out = ns.map(() => 0);
  for (let k = w; k >= 1; k--) {
    const l = Math.log1p(-(k ** -s) / norm);
    for (let i = 0; i < ns.length; i++) out[i]! -= Math.expm1(ns[i]! * l);
  }
  return out;
}

describe('zipf fluid curve (bucketed) vs the exact sum over every rank', () => {
  // Measured with ZIPF_EXACT_RANKS = 128 and ZIPF_BUCKET_RATIO = 1.02, over n = 1 … 1e12 writes:
  // largest relative error 1.8e-6 (W = 1000, s = 0.5), 3.9e-6 (1000, 1), 4.6e-6 (64 Ki, 0.8),
  // 6.6e-6 (64 Ki, 1.2), 7.4e-6 (1 Mi, 1), 2.1e-5 (1 Mi, 2). The bound asserted is 1e-4.
  const BOUND = 1e-4;
  it.each([
    [1000, 0.5],
    [1000, 1],
    [65_536, 0.8],
    [65_536, 1.2],
    [1 << 20, 1],
    [1 << 20, 2],
  ])('W = %i, s = %f: relative error < 1e-4 from 1 write to saturation', (w, s) => {
    expect(ZIPF_EXACT_RANKS).toBe(128);
    expect(ZIPF_BUCKET_RATIO).toBe(1.02);
    const ns = [1, 10, 1e3, 1e5, 1e7, 1e9, 1e12];
    const exact = exactDistinct(w, s, ns);
    let worst = 0;
    ns.forEach((n, i) => {
      const rel = Math.abs(zipfDistinct(w, s, n) - exact[i]!) / exact[i]!;
      worst = Math.max(worst, rel);
    });
    if (process.env.SHOW_ERR) console.log(`W=${w} s=${s}: worst relative error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(BOUND);
  });

  it('one write dirties one page; s = 0 is uniform', () => {
    expect(zipfDistinct(5000, 1.1, 1)).toBeCloseTo(1, 12);
    const w = 5000;
    const n = 7000;
    expect(zipfDistinct(w, 0, n)).toBeCloseTo(w * (1 - (1 - 1 / w) ** n), 6);
  });
});

describe('zipf sampling', () => {
  it('unshuffled: rank frequencies follow 1/k (chi-square over the first 20 ranks and the rest)', () => {
    const w = 1000;
    const wl = make('zipf', { rate: 100_000, exponent: 1, shuffle: false, workingSetFraction: 1 }, w, 7);
    const counts = new Float64Array(w);
    wl.writes(0, 1, 1, (p) => counts[p]!++);
    const total = counts.reduce((a, b) => a + b, 0);
    expect(total).toBe(100_000);
    let h = 0;
    for (let k = 1; k <= w; k++) h += 1 / k;
    // 21 cells: ranks 1..20 alone, 21..1000 together; chi-square with 20 degrees of freedom,
    // 99.9 % quantile 45.3.
    let chi = 0;
    let restObs = total;
    let restExp = total;
    for (let k = 1; k <= 20; k++) {
      const e = total / k / h;
      chi += (counts[k - 1]! - e) ** 2 / e;
      restObs -= counts[k - 1]!;
      restExp -= e;
    }
    chi += (restObs - restExp) ** 2 / restExp;
    expect(chi).toBeLessThan(45.3);
  });

  it('shuffled: the hottest page is not page 0 for most seeds, and is the same for the same seed', () => {
    const hottest = (seed: number): number => {
      const counts = new Uint32Array(4096);
      make('zipf', { rate: 20_000, exponent: 1.2 }, 4096, seed).writes(0, 1, 1, (p) => counts[p]!++);
      return counts.indexOf(Math.max(...counts));
    };
    const tops = Array.from({ length: 20 }, (_, s) => hottest(s));
    expect(tops.filter((p) => p === 0).length).toBeLessThanOrEqual(1);
    expect(new Set(tops).size).toBeGreaterThan(15);
    expect(hottest(3)).toBe(tops[3]);
  });
});
