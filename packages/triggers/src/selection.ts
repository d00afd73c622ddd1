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
  const flat = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) flat[i * n + j] = a[i]![j]!;
  const x = new Float64Array(n);
  if (!luSolveInPlace(n, flat, Float64Array.from(b), new Int32Array(n), x)) return null;
  return Array.from(x);
}

/**
 * {@link luSolve} on a row-major n × n matrix `a` and right side `b`, both overwritten (rows of
 * `a` swapped in place as mathjs swaps its row arrays; `p`, length ≥ n, gets the permutation).
 * The solution goes to `x`; false when singular.
 */
function luSolveInPlace(n: number, a: Float64Array, b: Float64Array, p: Int32Array, x: Float64Array): boolean {
  for (let i = 0; i < n; i++) p[i] = i;
  for (let j = 0; j < n; j++) {
    if (j > 0) {
      for (let i = 0; i < n; i++) {
        const ri = i * n;
        const min = i < j ? i : j;
        let s = 0;
        for (let k = 0; k < min; k++) s = s + a[ri + k]! * a[k * n + j]!;
        a[ri + j] = a[ri + j]! - s;
      }
    }
    let pi = j;
    let pabsv = 0;
    let vjj = 0;
    for (let i = j; i < n; i++) {
      const v = a[i * n + j]!;
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
      for (let k = 0, rj = j * n, rp = pi * n; k < n; k++) {
        const v = a[rj + k]!;
        a[rj + k] = a[rp + k]!;
        a[rp + k] = v;
      }
    }
    for (let i = j + 1; i < n; i++) {
      const idx = i * n + j;
      if (!nearZero(a[idx]!)) a[idx] = a[idx]! / vjj;
    }
  }
  // b permuted (row j of the factorisation is row p[j] of the system), into x as the work vector.
  for (let j = 0; j < n; j++) x[j] = b[p[j]!]!;
  // L y = P b (unit diagonal).
  for (let j = 0; j < n; j++) {
    const bj = x[j]! || 0;
    let xj: number;
    if (!nearZero(bj)) {
      xj = bj / 1;
      for (let i = j + 1; i < n; i++) x[i] = (x[i]! || 0) - xj * a[i * n + j]!;
    } else xj = 0;
    x[j] = xj;
  }
  // U x = y, solved in place from the last row up.
  for (let j = n - 1; j >= 0; j--) {
    const bj = x[j]! || 0;
    let xj: number;
    if (!nearZero(bj)) {
      const vjj = a[j * n + j]!;
      if (nearZero(vjj)) return false;
      xj = bj / vjj;
      for (let i = j - 1; i >= 0; i--) x[i] = (x[i]! || 0) - xj * a[i * n + j]!;
    } else xj = 0;
    x[j] = xj;
  }
  return true;
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
export const maximumCorrelation = (fallback: VmSelector): VmSelector => {
  // Scratch, grown on demand: the Gram matrix, one system, its permutation and solution.
  let g = new Float64Array(0);
  let a = new Float64Array(0);
  let rhs = new Float64Array(0);
  let perm = new Int32Array(0);
  let beta = new Float64Array(0);
  let keep = new Int32Array(0);
  let series = new Float64Array(0);
  return {
    select(plan, h) {
      const c = movable(plan, h);
      if (c.length < 2) return fallback.select(plan, h);
      const histories = c.map((v) => plan.view.vms[v]!.mipsHistory);
      const m = Math.min(...histories.map((x) => x.length));
      const n = c.length;
      // Too few samples for n coefficients: multipleRSquared would give NaN for the first VM.
      if (m <= n) return fallback.select(plan, h);
      // The last m samples of each history, VM j's at series[j·m …].
      if (series.length < n * m) series = new Float64Array(2 * n * m);
      for (let j = 0; j < n; j++) {
        const x = histories[j]!;
        for (let t = 0, o = x.length - m; t < m; t++) series[j * m + t] = x[o + t]!;
      }
      // Every regression's normal equations are entries of one Gram matrix of [1, s₀, …, sₙ₋₁]
      // (each entry summed over the samples in the order multipleRSquared uses, and products
      // commute, so each system is bit-identical to building it from scratch).
      const w = n + 1;
      if (g.length < w * w) {
        g = new Float64Array(w * w);
        a = new Float64Array(n * n);
        rhs = new Float64Array(n);
        perm = new Int32Array(n);
        beta = new Float64Array(n);
        keep = new Int32Array(n);
      }
      for (let r = 0; r <= n; r++) {
        const oa = (r - 1) * m;
        for (let q = r; q <= n; q++) {
          const ob = (q - 1) * m;
          let s = 0;
          if (r === 0 && q === 0) for (let i = 0; i < m; i++) s += 1 * 1;
          else if (r === 0) for (let i = 0; i < m; i++) s += 1 * series[ob + i]!;
          else for (let i = 0; i < m; i++) s += series[oa + i]! * series[ob + i]!;
          g[r * w + q] = s;
          g[q * w + r] = s;
        }
      }
      let best = -1;
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        // The regression of sᵢ on [1, the others in order]: p = n coefficients.
        keep[0] = 0;
        for (let j = 0, q = 1; j < n; j++) if (j !== i) keep[q++] = j + 1;
        for (let r = 0; r < n; r++) {
          for (let q = 0; q < n; q++) a[r * n + q] = g[keep[r]! * w + keep[q]!]!;
          rhs[r] = g[keep[r]! * w + i + 1]!;
        }
        let r2 = NaN;
        if (luSolveInPlace(n, a, rhs, perm, beta)) {
          const oy = i * m;
          let mean = 0;
          for (let t = 0; t < m; t++) mean += series[oy + t]! / m;
          for (let j = 1; j < n; j++) keep[j] = (keep[j]! - 1) * m; // offsets of the regressors
          let ssRes = 0;
          let ssTot = 0;
          for (let t = 0; t < m; t++) {
            let fit = 0;
            fit += beta[0]! * 1;
            for (let j = 1; j < n; j++) fit += beta[j]! * series[keep[j]! + t]!;
            const y = series[oy + t]!;
            ssRes += (y - fit) ** 2;
            ssTot += (y - mean) ** 2;
          }
          let finite = true;
          for (let j = 0; j < n; j++) if (!Number.isFinite(beta[j]!)) finite = false;
          if (ssTot > 0 && finite) r2 = 1 - ssRes / ssTot;
        }
        if (!Number.isFinite(r2)) return fallback.select(plan, h);
        if (r2 > max) {
          max = r2;
          best = c[i]!;
        }
      }
      return best;
    },
  };
};
