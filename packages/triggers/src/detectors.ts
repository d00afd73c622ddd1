/**
 * Host overload detectors (Beloglazov & Buyya 2012, as implemented in CloudSim 4.0). Each looks
 * at the planning state, so it can be asked again after a VM is taken off or tried on a host.
 */
import { interquartileRange, medianAbsoluteDeviation } from 'simple-statistics';
import { HISTORY_LENGTH, type Plan } from './plan.js';
import { predictLine, type Weighting } from './regression.js';

export interface OverloadDetector {
  /** Whether host h is overloaded with the VMs the plan puts on it now. */
  overloaded(plan: Plan, h: number): boolean;
  /**
   * Whether host h would be overloaded with VM v added (v is not on h), without changing the plan.
   * Optional: placement falls back to adding v, asking {@link overloaded} and removing it.
   */
  overloadedWith?(plan: Plan, h: number, v: number): boolean;
}

/** Requested MIPS ÷ capacity of host h with VM v added. */
const utilisationWith = (plan: Plan, h: number, v: number): number => (plan.requested[h]! + plan.view.vms[v]!.mips) / plan.capacity[h]!;

/** Static threshold: overloaded when requested MIPS ÷ capacity > threshold. */
export function staticThreshold(threshold: number): OverloadDetector {
  return {
    overloaded: (plan, h) => plan.utilisation(h) > threshold,
    overloadedWith: (plan, h, v) => utilisationWith(plan, h, v) > threshold,
  };
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
  const tmp = new Float64Array(HISTORY_LENGTH);
  const decide = (hist: Float64Array, utilisation: number, fall: () => boolean): boolean => {
    if (nonZeroBeginning(hist) < minHistory) return fall();
    return utilisation > 1 - safety * spread(Array.from(hist));
  };
  return {
    overloaded: (plan, h) => decide(plan.history(h), plan.utilisation(h), () => fallback.overloaded(plan, h)),
    overloadedWith(plan, h, v) {
      const n = plan.historyWith(h, v, tmp);
      return decide(tmp.subarray(0, n), utilisationWith(plan, h, v), () => fallbackWith(fallback, plan, h, v));
    },
  };
}

/** `detector.overloadedWith`, or add v, ask and take it off again. */
export function fallbackWith(detector: OverloadDetector, plan: Plan, h: number, v: number): boolean {
  if (detector.overloadedWith) return detector.overloadedWith(plan, h, v);
  const home = plan.vmHost[v]!;
  plan.add(v, h);
  const over = detector.overloaded(plan, h);
  plan.remove(v, h);
  plan.vmHost[v] = home;
  return over;
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
  const tmp = new Float64Array(HISTORY_LENGTH);
  const predictOver = (plan: Plan, hist: Float64Array, longest_s: number): boolean => {
    for (let i = 0; i < o.window; i++) y[i] = hist[o.window - 1 - i]!;
    const ahead = Math.max(1, Math.ceil(longest_s / plan.view.interval_s));
    const predicted = predictLine(y, o.window + ahead, o.weighting, o.robust);
    return o.safety * predicted >= 1;
  };
  const longestOn = (plan: Plan, h: number): number => {
    let longest = 0;
    for (const v of plan.hostVms[h]!) longest = Math.max(longest, plan.view.vms[v]!.migrationTime_s);
    return longest;
  };
  const minLength = Math.max(o.minHistory, o.window);
  return {
    overloaded(plan, h) {
      const hist = plan.history(h);
      if (hist.length < minLength) return o.fallback.overloaded(plan, h);
      return predictOver(plan, hist, longestOn(plan, h));
    },
    overloadedWith(plan, h, v) {
      const n = plan.historyWith(h, v, tmp);
      if (n < minLength) return fallbackWith(o.fallback, plan, h, v);
      return predictOver(plan, tmp, Math.max(longestOn(plan, h), plan.view.vms[v]!.migrationTime_s));
    },
  };
}
