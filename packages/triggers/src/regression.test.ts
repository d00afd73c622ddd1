import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { linearRegression } from 'simple-statistics';
import { bisquareWeights, predictLine, tricubeWeights, weightedLine } from './regression.js';

describe('weighted regression', () => {
  it('equals ordinary least squares (simple-statistics) with unit weights', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 30 }), (y) => {
        const x = y.map((_, i) => i + 1);
        const ours = weightedLine(x, y, y.map(() => 1));
        const ref = linearRegression(x.map((xi, i) => [xi, y[i]!]));
        return Math.abs(ours.slope - ref.m) < 1e-9 && Math.abs(ours.intercept - ref.b) < 1e-9;
      }),
    );
  });
  it('recovers an exact line whatever the weights', () => {
    const y = Array.from({ length: 10 }, (_, i) => 0.2 + 0.05 * (i + 1));
    // one interval past the newest sample (x = 11): 0.2 + 0.55 = 0.75
    expect(predictLine(y, 11, 'tricube', false)).toBeCloseTo(0.75, 12);
    expect(predictLine(y, 11, 'none', true)).toBeCloseTo(0.75, 12);
  });
  it('tricube weighs the newest sample 1 and the oldest of 10 (1 − 0.9³)³', () => {
    const w = tricubeWeights(10);
    expect(w[9]).toBe(1);
    expect(w[0]).toBeCloseTo((1 - 0.729) ** 3, 12);
  });
  it('bisquare gives 0 weight beyond 6 median absolute residuals', () => {
    // |r| = 1,1,1,10: median 1, 6s = 6 → the 10 weighs 0, a residual of 1 weighs (1 − 1/36)²
    const w = bisquareWeights([1, -1, 1, 10]);
    expect(w[3]).toBe(0);
    expect(w[0]).toBeCloseTo((1 - 1 / 36) ** 2, 12);
  });
  it('robust regression (LRR) ignores an outlier that drags plain LR', () => {
    const y = Array.from({ length: 10 }, () => 0.5);
    y[4] = 1.5; // one spike in the middle
    const plain = predictLine(y, 11, 'none', false);
    const robust = predictLine(y, 11, 'none', true);
    expect(Math.abs(robust - 0.5)).toBeLessThan(1e-9);
    expect(Math.abs(plain - 0.5)).toBeGreaterThan(0.01);
  });
});
