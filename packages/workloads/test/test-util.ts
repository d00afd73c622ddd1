/** Test helpers: build a first-party workload by name (with its fluid profile), plus the test kit's page-exact sampling. */
import { createRng, deriveSeed, resolveOptions, type WorkloadPlugin } from '@livemig/core';
import { isProfiled, type ProfiledWorkload } from '../src/common.js';
import { workloads } from '../src/index.js';

export type WorkloadName = keyof typeof workloads;

/** A VM of `pages` pages of 4 KiB with the named workload, seeded. */
export function make(use: WorkloadName, options: Record<string, unknown>, pages: number, seed: number): ProfiledWorkload {
  const plugin: WorkloadPlugin = workloads[use];
  const w = plugin.create(resolveOptions(plugin, options, 'workload.options') as never, { pageCount: pages, pageSize_bytes: 4096, rng: createRng(deriveSeed(seed, 'workload')) });
  if (!isProfiled(w)) throw new Error(`${use} is not profiled`);
  return w;
}

// The page-exact sampling helpers are the test kit's, shared with plugin authors.
export { CHUNKS, ci99, distinctPageExact } from '@livemig/testkit';
