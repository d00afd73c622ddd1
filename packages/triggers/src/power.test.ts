import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hpProLiantMl110G4, hpProLiantMl110G5, linearPowerModel, tablePowerModel } from './power.js';

describe('power models', () => {
  it('hit the SPECpower table points and interpolate linearly between them', () => {
    expect(hpProLiantMl110G4.power_W(0)).toBe(86);
    expect(hpProLiantMl110G4.power_W(1)).toBe(117);
    expect(hpProLiantMl110G5.power_W(0.5)).toBeCloseTo(116, 12);
    // 25 %: halfway between 20 % (92.6 W) and 30 % (96 W) = 94.3 W
    expect(hpProLiantMl110G4.power_W(0.25)).toBeCloseTo(94.3, 12);
    // 95 %: halfway between 133 W and 135 W
    expect(hpProLiantMl110G5.power_W(0.95)).toBeCloseTo(134, 12);
    expect(linearPowerModel(100, 200).power_W(0.3)).toBeCloseTo(130, 12);
  });
  it('is monotone for tables that are, and refuses utilisations outside [0, 1]', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        return hpProLiantMl110G5.power_W(lo) <= hpProLiantMl110G5.power_W(hi) + 1e-12;
      }),
    );
    expect(() => hpProLiantMl110G4.power_W(1.2)).toThrow(/utilisation must be in \[0, 1\]/);
    expect(() => tablePowerModel('x', [1])).toThrow(/at least 2 points/);
  });
});
