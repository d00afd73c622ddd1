/** The trigger plugins: one per overload detector, plus evacuation only. */
import { defineTrigger, schemas, z } from '@livemig/core';
import { iqrThreshold, localRegression, madThreshold, staticThreshold, type OverloadDetector } from './detectors.js';
import { consolidationPolicy, makePlacer, makeSelector, type ConsolidationOptions } from './policy.js';

const common = {
  selection: z.enum(['mmt', 'mc', 'mu', 'rs']).default('mmt').describe('VM selection: minimum migration time, maximum correlation, minimum utilisation, random'),
  placement: z.enum(['pabfd', 'first-fit', 'nic-aware']).default('pabfd').describe('placement: power-aware best fit decreasing, first fit, PABFD avoiding busy NICs'),
  consolidation: z.boolean().default(true).describe('empty under-loaded hosts when all their VMs fit elsewhere'),
  checkMemory: z.boolean().default(true).describe('require free memory at the destination (CloudSim PlanetLab: false)'),
  excludeOverloadTargets: z
    .boolean()
    .default(true)
    .describe("don't consider hosts that just received VMs as under-loaded (CloudSim: false, its VMs may then move twice)"),
  placementLoad: z
    .enum(['planned', 'measured'])
    .default('planned')
    .describe("load PABFD adds a VM to: the plan's (default) or the host's measured utilisation (CloudSim 4.0)"),
  evacuationLead: schemas.seconds().default(0).describe('evacuate a host whose failure is announced at most this long ahead (0: off)'),
  fallbackThreshold: z.number().min(0).max(1).default(0.7).describe('static threshold used while the history is too short'),
};

type Common = { [K in keyof typeof common]: z.output<(typeof common)[K]> };

const consolidationOf = (o: Common): ConsolidationOptions => ({
  selection: o.selection,
  placement: o.placement,
  consolidation: o.consolidation,
  checkMemory: o.checkMemory,
  excludeOverloadTargets: o.excludeOverloadTargets,
  placementLoad: o.placementLoad,
  evacuationLead_s: o.evacuationLead,
});

function build(name: string, detector: OverloadDetector, o: Common, rng: (s: string) => import('@livemig/core').Rng) {
  return consolidationPolicy(name, detector, makeSelector(o.selection, () => rng(`${name}:selection`)), makePlacer(o.placement), consolidationOf(o));
}

/** THR: overloaded when requested CPU ÷ capacity exceeds a static threshold (default 0.8). */
export const thr = defineTrigger({
  name: 'thr',
  description: 'static CPU threshold overload detection with VM selection, placement and consolidation',
  options: z.object({ threshold: z.number().min(0).max(1).default(0.8), ...common }).strict(),
  create: (o, ctx) => build('thr', staticThreshold(o.threshold), o, ctx.rng),
});

/** IQR: adaptive threshold 1 − safety × inter-quartile range of the host's history (default safety 1.5). */
export const iqr = defineTrigger({
  name: 'iqr',
  description: 'inter-quartile-range adaptive threshold',
  options: z.object({ safety: z.number().min(0).default(1.5), minHistory: z.number().int().min(1).default(12), ...common }).strict(),
  create: (o, ctx) => build('iqr', iqrThreshold(o.safety, staticThreshold(o.fallbackThreshold), o.minHistory), o, ctx.rng),
});

/** MAD: adaptive threshold 1 − safety × median absolute deviation of the host's history (default safety 2.5). */
export const mad = defineTrigger({
  name: 'mad',
  description: 'median-absolute-deviation adaptive threshold',
  options: z.object({ safety: z.number().min(0).default(2.5), minHistory: z.number().int().min(1).default(12), ...common }).strict(),
  create: (o, ctx) => build('mad', madThreshold(o.safety, staticThreshold(o.fallbackThreshold), o.minHistory), o, ctx.rng),
});

const regression = {
  safety: z.number().min(0).default(1.2).describe('overloaded when safety × predicted utilisation ≥ 1'),
  window: z.number().int().min(3).default(10).describe('samples in the regression'),
  minHistory: z.number().int().min(1).default(10).describe('use the fallback threshold below this many samples (CloudSim: 10)'),
  weighting: z.enum(['tricube', 'none']).default('tricube').describe("tricube (loess) or none (ordinary least squares: what CloudSim's code computes)"),
  ...common,
};

/** LR: local regression of the host's last samples, projected one migration ahead; overloaded when safety × prediction ≥ 1. */
export const lr = defineTrigger({
  name: 'lr',
  description: 'local-regression overload prediction',
  options: z.object(regression).strict(),
  create: (o, ctx) =>
    build('lr', localRegression({ ...o, robust: false, fallback: staticThreshold(o.fallbackThreshold) }), o, ctx.rng),
});

/** LRR: LR with one bisquare robustness reweighting step (applied, unlike CloudSim's). */
export const lrr = defineTrigger({
  name: 'lrr',
  description: 'robust local-regression overload prediction (bisquare reweighting)',
  options: z.object(regression).strict(),
  create: (o, ctx) =>
    build('lrr', localRegression({ ...o, robust: true, fallback: staticThreshold(o.fallbackThreshold) }), o, ctx.rng),
});

/** Evacuation only: move every VM off a host whose failure is announced within `evacuationLead`; no consolidation. */
export const evacuate = defineTrigger({
  name: 'evacuate',
  description: 'evacuate hosts before a predicted failure',
  options: z
    .object({
      evacuationLead: schemas.seconds({ positive: true }).default(600),
      placement: common.placement,
      checkMemory: common.checkMemory,
    })
    .strict(),
  create: (o) =>
    consolidationPolicy('evacuate', { overloaded: () => false }, { select: () => -1 }, makePlacer(o.placement), {
      selection: 'mmt',
      placement: o.placement,
      consolidation: false,
      checkMemory: o.checkMemory,
      excludeOverloadTargets: true,
      placementLoad: 'planned',
      evacuationLead_s: o.evacuationLead,
    }),
});

/** Every trigger plugin of this package by name. */
export const triggers = { thr, iqr, mad, lr, lrr, evacuate } as const;
