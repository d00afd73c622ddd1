/** VM selection: which VM to take off an overloaded host next. */
import type { Rng } from '@livemig/core';
import type { Plan } from './plan.js';

export interface VmSelector {
  /** The next VM to take off host h, or -1 when none can move. */
  select(plan: Plan, h: number): number;
}

const movable = (plan: Plan, h: number): number[] => plan.hostVms[h]!.filter((v) => !plan.view.vms[v]!.migrating);

function argmin(vms: readonly number[], key: (v: number) => number): number {
  let best = -1;
  let min = Infinity;
  for (const v of vms) {
    const k = key(v);
    if (k < min) {
      min = k;
      best = v;
    }
  }
  return best;
}

/** Minimum migration time (MMT): the VM with the smallest estimated migration time; the first one on ties. */
export const minimumMigrationTime = (): VmSelector => ({
  select: (plan, h) => argmin(movable(plan, h), (v) => plan.view.vms[v]!.migrationTime_s),
});

/** Minimum utilisation (MU): the VM requesting the fewest MIPS. */
export const minimumUtilisation = (): VmSelector => ({
  select: (plan, h) => argmin(movable(plan, h), (v) => plan.view.vms[v]!.mips),
});

/** Random selection (RS) from a seeded stream. */
export const randomSelection = (rng: Rng): VmSelector => ({
  select(plan, h) {
    const c = movable(plan, h);
    return c.length === 0 ? -1 : c[rng.int(c.length)]!;
  },
});

/** mathjs's `nearlyEqual` with its default tolerances (relTol 1e-12, absTol 1e-15). */
function nearlyEqual(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  if (a === b) return true;
  return Math.abs(a - b) <= Math.max(1e-12 * Math.max(Math.abs(a), Math.abs(b)), 1e-15);
}
/** `nearlyEqual(x, 0)`: |x| ≤ absTol (false for NaN and ±∞). */
const nearZero = (x: number): boolean => Math.abs(x) <= 1e-15;

/**
 * Solve A x = b (A square, given by rows, not modified) as mathjs's `lusolve(A, b)` does for
 * plain arrays — the dense LU with partial pivoting of `lup`, the permutation, then forward and
 * backward substitution — with the same operations in the same order and the same tolerance
 * tests, so the result is bit-identical; `null` where mathjs throws (singular system). Without
 * mathjs's matrix objects and typed dispatch it is two orders of magnitude faster.
 */
export function luSolve(a: readonly (readonly number[])[], b: readonly number[]): number[] | null {
  const n = a.length;
  const data = a.map((row) => row.slice());
  const p: number[] = [];
  for (let i = 0; i < n; i++) p[i] = i;
  for (let j = 0; j < n; j++) {
    if (j > 0) {
      for (let i = 0; i < n; i++) {
        const min = Math.min(i, j);
        let s = 0;
        for (let k = 0; k < min; k++) s = s + data[i]![k]! * data[k]![j]!;
        data[i]![j] = data[i]![j]! - s;
      }
    }
    let pi = j;
    let pabsv = 0;
    let vjj = 0;
    for (let i = j; i < n; i++) {
      const v = data[i]![j]!;
      const absv = Math.abs(v);
      if (absv > pabsv && !nearlyEqual(absv, pabsv)) {
        pi = i;
        pabsv = absv;
        vjj = v;
      }
    }
    if (j !== pi) {
      const t = p[j]!;
      p[j] = p[pi]!;
      p[pi] = t;
      const r = data[j]!;
      data[j] = data[pi]!;
      data[pi] = r;
    }
    for (let i = j + 1; i < n; i++) if (!nearZero(data[i]![j]!)) data[i]![j] = data[i]![j]! / vjj;
  }
  // b permuted: row j of the factorisation is row p[j] of A.
  const y: number[] = [];
  for (let j = 0; j < n; j++) y[j] = b[p[j]!]!;
  // L y' = y (unit diagonal).
  for (let j = 0; j < n; j++) {
    const bj = y[j]! || 0;
    let xj: number;
    if (!nearZero(bj)) {
      xj = bj / 1;
      for (let i = j + 1; i < n; i++) y[i] = (y[i]! || 0) - xj * data[i]![j]!;
    } else xj = 0;
    y[j] = xj;
  }
  // U x = y'.
  const x: number[] = new Array<number>(n);
  for (let j = n - 1; j >= 0; j--) {
    const bj = y[j]! || 0;
    let xj: number;
    if (!nearZero(bj)) {
      const vjj = data[j]![j]!;
      if (nearZero(vjj)) return null;
      xj = bj / vjj;
      for (let i = j - 1; i >= 0; i--) y[i] = (y[i]! || 0) - xj * data[i]![j]!;
    } else xj = 0;
    x[j] = xj;
  }
  return x;
}

/**
 * R² of the least-squares fit of `y` on the columns `xs` with an intercept, or NaN when the
 * system is singular or there are not more samples than coefficients.
 */
export function multipleRSquared(y: readonly number[], xs: readonly (readonly number[])[]): number {
  const m = y.length;
  const p = xs.length + 1;
  if (m <= p) return NaN;
  // Normal equations (XᵀX) b = Xᵀy with X = [1, x1, …, xk].
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
  return rSquaredOf(y, xs, xtx, xty);
}

/** R² from the normal equations of {@link multipleRSquared}. */
function rSquaredOf(y: readonly number[], xs: readonly (readonly number[])[], xtx: number[][], xty: number[]): number {
  const m = y.length;
  const p = xs.length + 1;
  const beta = luSolve(xtx, xty);
  if (beta === null) return NaN;
  let mean = 0;
  for (const v of y) mean += v / m;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < m; i++) {
    let fit = 0;
    for (let j = 0; j < p; j++) fit += beta[j]! * (j === 0 ? 1 : xs[j - 1]![i]!);
    ssRes += (y[i]! - fit) ** 2;
    ssTot += (y[i]! - mean) ** 2;
  }
  if (!(ssTot > 0) || !beta.every(Number.isFinite)) return NaN;
  return 1 - ssRes / ssTot;
}

/**
 * Maximum correlation (MC): the VM whose CPU history is best explained by the other VMs' on the
 * host (largest R² of a multiple linear regression over their common history length). Falls back
 * to `fallback` when there are too few VMs or samples (CloudSim: the same, with MMT).
 */
export const maximumCorrelation = (fallback: VmSelector): VmSelector => ({
  select(plan, h) {
    const c = movable(plan, h);
    if (c.length < 2) return fallback.select(plan, h);
    const histories = c.map((v) => plan.view.vms[v]!.mipsHistory);
    const m = Math.min(...histories.map((x) => x.length));
    const series = histories.map((x) => x.slice(x.length - m));
    const n = c.length;
    // Too few samples for n coefficients: multipleRSquared would give NaN for the first VM.
    if (m <= n) return fallback.select(plan, h);
    // Every regression's normal equations are entries of one Gram matrix of [1, s₀, …, sₙ₋₁]
    // (each entry summed over the samples in the same order as multipleRSquared does, so the
    // systems are bit-identical to building each from scratch).
    const g: number[][] = [];
    for (let a = 0; a <= n; a++) g.push(new Array<number>(n + 1));
    for (let a = 0; a <= n; a++) {
      const xa = a === 0 ? null : series[a - 1]!;
      for (let b = a; b <= n; b++) {
        const xb = b === 0 ? null : series[b - 1]!;
        let s = 0;
        for (let i = 0; i < m; i++) s += (xa ? xa[i]! : 1) * (xb ? xb[i]! : 1);
        g[a]![b] = s;
        g[b]![a] = s;
      }
    }
    let best = -1;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const others = series.filter((_, j) => j !== i);
      const keep: number[] = [0];
      for (let j = 0; j < n; j++) if (j !== i) keep.push(j + 1);
      const xtx = keep.map((a) => keep.map((b) => g[a]![b]!));
      const xty = keep.map((a) => g[a]![i + 1]!);
      const r2 = rSquaredOf(series[i]!, others, xtx, xty);
      if (!Number.isFinite(r2)) return fallback.select(plan, h);
      if (r2 > max) {
        max = r2;
        best = c[i]!;
      }
    }
    return best;
  },
});
