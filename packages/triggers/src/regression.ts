/**
 * Local regression for overload prediction. simple-statistics has ordinary least squares
 * (`linearRegression`) but no weighted fit, so the weighted line is computed here; tests check
 * it against simple-statistics with unit weights.
 */
import { median } from 'simple-statistics';

/** Intercept and slope of the weighted least-squares line through (x[i], y[i]) with weights w[i]. */
export function weightedLine(x: ArrayLike<number>, y: ArrayLike<number>, w: ArrayLike<number>): { intercept: number; slope: number } {
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < x.length; i++) {
    sw += w[i]!;
    sx += w[i]! * x[i]!;
    sy += w[i]! * y[i]!;
  }
  if (!(sw > 0)) throw new RangeError('weightedLine: the weights sum to 0');
  const mx = sx / sw;
  const my = sy / sw;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i]! - mx;
    sxx += w[i]! * dx * dx;
    sxy += w[i]! * dx * (y[i]! - my);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { intercept: my - slope * mx, slope };
}

/**
 * Tricube weights for n samples at x = 1..n, the newest (x = n) weighing 1: the distance of
 * sample x from the newest, scaled by n, gives w = (1 − (d / n)³)³, so the oldest of 10
 * samples weighs (1 − 0.9³)³ ≈ 0.020 and no weight is 0.
 */
export function tricubeWeights(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = (n - 1 - i) / n;
    w[i] = (1 - d * d * d) ** 3;
  }
  return w;
}

/** Bisquare robustness weights of residuals: (1 − (r / 6s)²)² with s the median absolute residual; 0 beyond 6s. */
export function bisquareWeights(residuals: ArrayLike<number>): Float64Array {
  const abs = Array.from(residuals, Math.abs);
  const s6 = 6 * median(abs);
  const w = new Float64Array(abs.length);
  for (let i = 0; i < abs.length; i++) {
    if (s6 === 0) w[i] = 1;
    else {
      const u = abs[i]! / s6;
      w[i] = u < 1 ? (1 - u * u) ** 2 : 0;
    }
  }
  return w;
}

export type Weighting = 'tricube' | 'none';

/**
 * Fit a line to `y` (oldest first, at x = 1..n) and return its value at `xAt`.
 * `weighting: 'none'` is ordinary least squares — what CloudSim's LR actually computes (its
 * tricube weights are only applied when 40 % of them are ≤ 0, which never happens).
 * `robust` adds one bisquare reweighting step (LRR).
 */
export function predictLine(y: ArrayLike<number>, xAt: number, weighting: Weighting, robust: boolean): number {
  const n = y.length;
  if (weighting === 'none' && !robust) {
    // Ordinary least squares at x = 1..n without allocating (the hot path of CloudSim's LR).
    const mx = (n + 1) / 2;
    let my = 0;
    for (let i = 0; i < n; i++) my += y[i]!;
    my /= n;
    let sxx = 0;
    let sxy = 0;
    for (let i = 0; i < n; i++) {
      const dx = i + 1 - mx;
      sxx += dx * dx;
      sxy += dx * (y[i]! - my);
    }
    const slope = sxx > 0 ? sxy / sxx : 0;
    return my - slope * mx + slope * xAt;
  }
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = i + 1;
  const w = weighting === 'tricube' ? tricubeWeights(n) : new Float64Array(n).fill(1);
  let fit = weightedLine(x, y, w);
  if (robust) {
    const r = new Float64Array(n);
    for (let i = 0; i < n; i++) r[i] = y[i]! - (fit.intercept + fit.slope * x[i]!);
    const b = bisquareWeights(r);
    const w2 = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += w2[i] = w[i]! * b[i]!;
    if (sum > 0) fit = weightedLine(x, y, w2);
  }
  return fit.intercept + fit.slope * xAt;
}
