import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lusolve } from 'mathjs';
import { createRng } from '@livemig/core';
import { luSolve, maximumCorrelation, multipleRSquared, type VmSelector } from './selection.js';
import type { Plan } from './plan.js';

/** mathjs's answer, or null where it throws. */
function mathjsSolve(a: number[][], b: number[]): number[] | null {
  try {
    return (lusolve(a, b) as number[][]).map((r) => r[0]!);
  } catch {
    return null;
  }
}

/** The R² of multipleRSquared as it was written with mathjs (the reference of MC). */
function referenceRSquared(y: readonly number[], xs: readonly (readonly number[])[]): number {
  const m = y.length;
  const p = xs.length + 1;
  if (m <= p) return NaN;
  const col = (j: number, i: number): number => (j === 0 ? 1 : xs[j - 1]![i]!);
  const xtx: number[][] = [];
  const xty: number[] = [];
  for (let a = 0; a < p; a++) {
    const row: number[] = [];
    for (let b = 0; b < p; b++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += col(a, i) * col(b, i);
      row.push(s);
    }
    xtx.push(row);
    let s = 0;
    for (let i = 0; i < m; i++) s += col(a, i) * y[i]!;
    xty.push(s);
  }
  const beta = mathjsSolve(xtx, xty);
  if (beta === null) return NaN;
  let mean = 0;
  for (const v of y) mean += v / m;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < m; i++) {
    let fit = 0;
    for (let j = 0; j < p; j++) fit += beta[j]! * col(j, i);
    ssRes += (y[i]! - fit) ** 2;
    ssTot += (y[i]! - mean) ** 2;
  }
  if (!(ssTot > 0) || !beta.every(Number.isFinite)) return NaN;
  return 1 - ssRes / ssTot;
}

/** Bit-identical, NaN included. */
const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe('luSolve', () => {
  it('is bit-identical to mathjs lusolve, singular systems included', () => {
    const rng = createRng(7);
    const value = (): number => {
      const r = rng.next();
      // zeros, tiny values below mathjs's tolerance, repeated values and ordinary ones
      if (r < 0.15) return 0;
      if (r < 0.2) return (rng.next() - 0.5) * 1e-15;
      if (r < 0.3) return 1;
      return Math.round((rng.next() - 0.5) * 2000) / (r < 0.6 ? 1 : 7);
    };
    for (let trial = 0; trial < 3000; trial++) {
      const n = 1 + rng.int(7);
      const a = Array.from({ length: n }, () => Array.from({ length: n }, value));
      if (trial % 5 === 0 && n > 1) a[n - 1] = a[0]!.map((x) => 2 * x); // dependent rows
      const b = Array.from({ length: n }, value);
      const ours = luSolve(a, b);
      const ref = mathjsSolve(a, b);
      if (ref === null) expect(ours).toBeNull();
      else {
        expect(ours).not.toBeNull();
        for (let i = 0; i < n; i++) expect(same(ours![i]!, ref[i]!), `trial ${trial}, x[${i}]: ${ours![i]} vs ${ref[i]}`).toBe(true);
      }
    }
  });
  it('gives R² bit-identical to the mathjs-based computation', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((k) =>
          fc.integer({ min: 1, max: 30 }).chain((m) =>
            fc.array(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 }).map((u) => u * 25), fc.double({ min: 0, max: 2500, noNaN: true })), { minLength: m, maxLength: m }), {
              minLength: k + 1,
              maxLength: k + 1,
            }),
          ),
        ),
        (cols) => {
          const [y, ...xs] = cols;
          return same(multipleRSquared(y!, xs), referenceRSquared(y!, xs));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('maximum correlation', () => {
  it('picks what a regression per VM built from scratch picks', () => {
    const fallback: VmSelector = { select: () => -2 };
    const mc = maximumCorrelation(fallback);
    const rng = createRng(11);
    for (let trial = 0; trial < 500; trial++) {
      const n = 2 + rng.int(6);
      const vms = Array.from({ length: n }, () => {
        const len = rng.int(31);
        const hist = Array.from({ length: len }, () => (rng.next() < 0.2 ? 0 : rng.int(101) * 10));
        return { mipsHistory: hist, migrating: rng.next() < 0.1 };
      });
      const plan = { hostVms: [vms.map((_, i) => i)], view: { vms } } as unknown as Plan;
      // the reference: MC as written before, each regression from scratch with mathjs
      const c = vms.map((_, i) => i).filter((v) => !vms[v]!.migrating);
      let expected: number;
      if (c.length < 2) expected = -2;
      else {
        const hs = c.map((v) => vms[v]!.mipsHistory);
        const m = Math.min(...hs.map((x) => x.length));
        const series = hs.map((x) => x.slice(x.length - m));
        expected = -1;
        let max = -Infinity;
        for (let i = 0; i < c.length; i++) {
          const r2 = referenceRSquared(series[i]!, series.filter((_, j) => j !== i));
          if (!Number.isFinite(r2)) {
            expected = -2;
            break;
          }
          if (r2 > max) {
            max = r2;
            expected = c[i]!;
          }
        }
      }
      expect(mc.select(plan, 0)).toBe(expected);
    }
  });
});
