/**
 * Host overload detectors (Beloglazov & Buyya 2012, as implemented in CloudSim 4.0). Each looks
 * at the planning state, so it can be asked again after a VM is taken off or tried on a host.
 */
import { interquartileRange, medianAbsoluteDeviation } from 'simple-statistics';
import type { Plan } from './plan.js';
import { predictLine, type Weighting } from './regression.js';

export interface OverloadDetector {
  /** Whether host h is overloaded with the VMs the plan puts on it now. */
  overloaded(plan: Plan, h: number): boolean;
}

/** Static threshold: overloaded when requested MIPS ÷ capacity > threshold. */
export function staticThreshold(threshold: number): OverloadDetector {
  return { overloaded: (plan, h) => plan.utilisation(h) > threshold };
}

/** Leading non-zero samples of a newest-first history (CloudSim's `countNonZeroBeginning`). */
function nonZeroBeginning(hist: Float64Array): number {
  let n = 0;
  while (n < hist.length && hist[n] !== 0) n++;
  return n;
}

/**
 * Adaptive threshold from the spread of the host's history: overloaded when utilisation >
 * 1 − safety × spread(history). Falls back to `fallback` while fewer than `minHistory` leading
 * samples are non-zero (CloudSim: 12).
 */
export function spreadThreshold(spread: (data: number[]) => number, safety: number, fallback: OverloadDetector, minHistory: number): OverloadDetector {
  return {
    overloaded(plan, h) {
      const hist = plan.history(h);
      if (nonZeroBeginning(hist) < minHistory) return fallback.overloaded(plan, h);
      const upper = 1 - safety * spread(Array.from(hist));
      return plan.utilisation(h) > upper;
    },
  };
}

/** Inter-quartile range threshold (IQR): 1 − safety × IQR of the host's history. */
export const iqrThreshold = (safety: number, fallback: OverloadDetector, minHistory = 12): OverloadDetector =>
  spreadThreshold(interquartileRange, safety, fallback, minHistory);

/** Median absolute deviation threshold (MAD): 1 − safety × MAD of the host's history. */
export const madThreshold = (safety: number, fallback: OverloadDetector, minHistory = 12): OverloadDetector =>
  spreadThreshold(medianAbsoluteDeviation, safety, fallback, minHistory);

/**
 * Local regression (LR) or robust local regression (LRR): a line through the last `window`
 * samples of the host's history, projected ceil(longest migration time of its VMs ÷ interval)
 * intervals past the newest sample; overloaded when safety × prediction ≥ 1. Falls back while
 * the history is shorter than `minHistory` (CloudSim: the window, 10).
 */
export function localRegression(o: {
  safety: number;
  window: number;
  minHistory: number;
  weighting: Weighting;
  robust: boolean;
  fallback: OverloadDetector;
}): OverloadDetector {
  const y = new Float64Array(o.window);
  return {
    overloaded(plan, h) {
      const hist = plan.history(h);
      if (hist.length < Math.max(o.minHistory, o.window)) return o.fallback.overloaded(plan, h);
      for (let i = 0; i < o.window; i++) y[i] = hist[o.window - 1 - i]!;
      let longest = 0;
      for (const v of plan.hostVms[h]!) longest = Math.max(longest, plan.view.vms[v]!.migrationTime_s);
      const ahead = Math.max(1, Math.ceil(longest / plan.view.interval_s));
      const predicted = predictLine(y, o.window + ahead, o.weighting, o.robust);
      return o.safety * predicted >= 1;
    },
  };
}
