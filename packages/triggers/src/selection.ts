/** VM selection: which VM to take off an overloaded host next. */
import type { Rng } from '@livemig/core';
import { lusolve } from 'mathjs';
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
  let beta: number[];
  try {
    beta = (lusolve(xtx, xty) as number[][]).map((r) => r[0]!);
  } catch {
    return NaN;
  }
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
    let best = -1;
    let max = -Infinity;
    for (let i = 0; i < c.length; i++) {
      const r2 = multipleRSquared(series[i]!, series.filter((_, j) => j !== i));
      if (!Number.isFinite(r2)) return fallback.select(plan, h);
      if (r2 > max) {
        max = r2;
        best = c[i]!;
      }
    }
    return best;
  },
});
