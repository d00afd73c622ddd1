/** Test helpers (not part of the package's API): build a workload, run it page-exactly, compare with the fluid curve. */
import { createRng, deriveSeed, resolveOptions, type WorkloadPlugin } from '@livemig/core';
import { mean, probit, sampleStandardDeviation } from 'simple-statistics';
import { isProfiled, type ProfiledWorkload } from './common.js';
import { workloads } from './index.js';

export type WorkloadName = keyof typeof workloads;

/** A VM of `pages` pages of 4 KiB with the named workload, seeded. */
export function make(use: WorkloadName, options: Record<string, unknown>, pages: number, seed: number): ProfiledWorkload {
  const plugin: WorkloadPlugin = workloads[use];
  const w = plugin.create(resolveOptions(plugin, options, 'workload.options') as never, { pageCount: pages, pageSize_bytes: 4096, rng: createRng(deriveSeed(seed, 'workload')) });
  if (!isProfiled(w)) throw new Error(`${use} is not profiled`);
  return w;
}

/** Irregular chunk fractions, like the page-exact engine's network chunks (they sum to 1). */
export const CHUNKS = [0.13, 0.21, 0.05, 0.3, 0.07, 0.24];

/**
 * Distinct pages written in [t0, t0 + window) at `speed`, through writes() called chunk by chunk;
 * the guest runs (unrecorded) from 0 to t0 first, so phase and carry state are as in a real run.
 */
export function distinctPageExact(w: ProfiledWorkload, pages: number, t0: number, window: number, speed = 1, marks = new Uint8Array(pages)): number {
  marks.fill(0);
  if (t0 > 0) w.writes(0, t0, speed, () => {});
  let distinct = 0;
  let t = t0;
  for (const f of CHUNKS) {
    const dt = f * window;
    w.writes(t, dt, speed, (p) => {
      if (marks[p] === 0) {
        marks[p] = 1;
        distinct++;
      }
    });
    t += dt;
  }
  return distinct;
}

/** Two-sided 99 % normal quantile (n ≥ 100 seeds, so the normal stands in for Student's t). */
export const Z99 = probit(0.995);

/** Mean, standard deviation and 99 % CI half-width of a sample. */
export function ci99(xs: number[]): { mean: number; sd: number; half: number } {
  const m = mean(xs);
  const sd = sampleStandardDeviation(xs);
  return { mean: m, sd, half: (Z99 * sd) / Math.sqrt(xs.length) };
}
