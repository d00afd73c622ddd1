/** Overload detectors and VM selection on small hand-made planning states. */
import { describe, expect, it } from 'vitest';
import { createRng } from '@livemig/core';
import { interquartileRange, medianAbsoluteDeviation } from 'simple-statistics';
import { hpProLiantMl110G5, iqrThreshold, localRegression, madThreshold, Plan, randomSelection, staticThreshold, type SimClusterView } from './index.js';

const CAP = 5320; // one G5 host: 2 × 2660 MIPS

/** One G5 host holding one VM per entry; `history` is oldest first, as fractions of the host. */
function view(vms: Array<{ now: number; history: number[]; migrationTime_s?: number }>): SimClusterView {
  return {
    now_s: 0,
    interval_s: 300,
    hosts: [
      {
        index: 0,
        on: true,
        failed: false,
        mips: CAP,
        memory_bytes: 4096e6,
        utilisation: [],
        vms: vms.map((_, i) => i),
        mipsPerCore: 2660,
        cores: 2,
        nic_Bps: 125e6,
        power_W: (u) => hpProLiantMl110G5.power_W(u),
        utilisationNow: vms.reduce((s, v) => s + v.now, 0),
        nicMigrations: 0,
      },
    ],
    vms: vms.map((v, i) => ({
      index: i,
      host: 0,
      memory_bytes: 613e6,
      mips: v.now * CAP,
      mipsHistory: v.history.map((u) => u * CAP),
      migrating: false,
      maxMips: 2660,
      vcpus: 1,
      migrationTime_s: v.migrationTime_s ?? 10,
    })),
  };
}

// Twelve samples, six at 0.2 and six at 0.4: every quantile convention gives Q1 = 0.2, Q3 = 0.4,
// so IQR = 0.2; the median is 0.3 and every absolute deviation 0.1, so MAD = 0.1.
const history = [0.2, 0.4, 0.2, 0.4, 0.2, 0.4, 0.2, 0.4, 0.2, 0.4, 0.2, 0.4];

describe('IQR and MAD thresholds', () => {
  it('simple-statistics agrees with the hand-computed spreads', () => {
    expect(interquartileRange(history)).toBeCloseTo(0.2, 12);
    expect(medianAbsoluteDeviation(history)).toBeCloseTo(0.1, 12);
  });
  it('IQR (safety 1.5): overloaded above 1 − 1.5 × 0.2 = 0.70', () => {
    const d = iqrThreshold(1.5, staticThreshold(0.99));
    expect(d.overloaded(new Plan(view([{ now: 0.71, history }])), 0)).toBe(true);
    expect(d.overloaded(new Plan(view([{ now: 0.69, history }])), 0)).toBe(false);
  });
  it('MAD (safety 2.5): overloaded above 1 − 2.5 × 0.1 = 0.75', () => {
    const d = madThreshold(2.5, staticThreshold(0.99));
    expect(d.overloaded(new Plan(view([{ now: 0.76, history }])), 0)).toBe(true);
    expect(d.overloaded(new Plan(view([{ now: 0.74, history }])), 0)).toBe(false);
  });
  it('fall back to the static threshold with fewer than 12 samples', () => {
    const short = history.slice(1);
    const d = madThreshold(2.5, staticThreshold(0.5));
    expect(d.overloaded(new Plan(view([{ now: 0.6, history: short }])), 0)).toBe(true); // 0.6 > 0.5, though < 0.75
  });
  it('overloadedWith equals adding the VM and asking (IQR, with a second VM)', () => {
    const plan = new Plan(view([{ now: 0.3, history }, { now: 0.41, history: history.map((u) => u / 2) }]));
    plan.remove(1, 0);
    const d = iqrThreshold(1.5, staticThreshold(0.99));
    const without = d.overloadedWith!(plan, 0, 1);
    plan.add(1, 0);
    expect(d.overloaded(plan, 0)).toBe(without);
  });
});

describe('LR and LRR with an outlier', () => {
  // Ten samples at 0.7 except the second newest at 1.7. Ordinary least squares over x = 1..10:
  // mean 0.8, Sxy = 3.5 · 0.9 + 0.1 · 3.5 = 3.5, Sxx = 82.5 → slope 0.042424, intercept 0.566667;
  // one interval ahead (x = 11): 1.033333, × 1.2 = 1.24 ≥ 1 → LR says overloaded. The outlier's
  // residual (0.751) is beyond 6 median absolute residuals, so bisquare gives it weight 0 and the
  // other nine (all 0.7) fit a flat 0.7: × 1.2 = 0.84 < 1 → LRR says not overloaded.
  const spiky = [0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 1.7, 0.7];
  const make = (robust: boolean) => localRegression({ safety: 1.2, window: 10, minHistory: 10, weighting: 'none', robust, fallback: staticThreshold(0.7) });
  it('LR is pulled over 1 by the spike, LRR is not', () => {
    const plan = new Plan(view([{ now: 0.7, history: spiky }]));
    expect(make(false).overloaded(plan, 0)).toBe(true);
    expect(make(true).overloaded(plan, 0)).toBe(false);
  });
});

describe('random selection (RS)', () => {
  const tenVms = () => new Plan(view(Array.from({ length: 10 }, () => ({ now: 0.05, history: [0.05] }))));
  const picks = (seed: number): number[] => {
    const plan = tenVms();
    const rs = randomSelection(createRng(seed));
    const out: number[] = [];
    for (let i = 0; i < 6; i++) {
      const v = rs.select(plan, 0);
      out.push(v);
      plan.remove(v, 0);
    }
    return out;
  };
  it('is reproducible for a seed and differs between seeds', () => {
    expect(picks(7)).toEqual(picks(7));
    expect(picks(7)).not.toEqual(picks(8));
    expect(new Set(picks(7)).size).toBe(6); // never picks a VM already taken off
  });
});
