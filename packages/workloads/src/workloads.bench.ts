/**
 * Page-exact writes per second (uniform and Zipf over 4 Mi pages: 16 GiB of 4 KiB pages) and
 * fluid expectedDistinct calls per second (Zipf, 4 Mi pages). Each page-exact iteration writes
 * 100 000 pages, so writes/s = 100 000 × the iterations/s vitest reports.
 */
import { bench, describe } from 'vitest';
import { createRng, resolveOptions, type WorkloadPlugin } from '@livemig/core';
import { workloads } from './index.js';

const PAGES = 4 * 1024 * 1024;
const WRITES = 100_000;
const RATE = 1_000_000; // pages/s, so a 0.1 s window is 100 000 writes

const make = (use: keyof typeof workloads, options: Record<string, unknown>) => {
  const plugin: WorkloadPlugin = workloads[use];
  return plugin.create(resolveOptions(plugin, options, 'bench'), { pageCount: PAGES, pageSize_bytes: 4096, rng: createRng(42) });
};

let sink = 0;
const write = (p: number) => {
  sink ^= p;
};

describe('page-exact writes, 4 Mi pages (×100 000 writes per iteration)', () => {
  const uniform = make('uniform', { rate: RATE });
  const zipf = make('zipf', { rate: RATE, exponent: 1 });
  const zipfPlain = make('zipf', { rate: RATE, exponent: 1, shuffle: false });
  // Build the tables and the permutation before timing.
  zipf.writes(0, 1e-6, 1, write);
  zipfPlain.writes(0, 1e-6, 1, write);
  let t = 0;
  bench('uniform', () => {
    uniform.writes(t, WRITES / RATE, 1, write);
    t += WRITES / RATE;
  });
  bench('zipf s=1 (shuffled)', () => {
    zipf.writes(t, WRITES / RATE, 1, write);
    t += WRITES / RATE;
  });
  bench('zipf s=1 (unshuffled)', () => {
    zipfPlain.writes(t, WRITES / RATE, 1, write);
    t += WRITES / RATE;
  });
});

describe('fluid expectedDistinct, 4 Mi pages (1 call per iteration)', () => {
  const zipf = make('zipf', { rate: RATE, exponent: 1 });
  const uniform = make('uniform', { rate: RATE });
  let work = 0;
  bench('zipf s=1', () => {
    work = (work + 0.37) % 50;
    sink += zipf.expectedDistinct(0, work + 1e-3);
  });
  bench('uniform', () => {
    work = (work + 0.37) % 50;
    sink += uniform.expectedDistinct(0, work + 1e-3);
  });
});
