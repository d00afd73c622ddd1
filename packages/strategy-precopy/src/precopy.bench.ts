/**
 * Benchmarks of issue 3 (numbers in BENCHMARKS.md):
 * - fluid pre-copy of one 4 GiB VM with a hot/cold workload (goal: >= 200 000 migrations/s);
 * - page-exact pre-copy of a 16 GiB VM: 4 Mi pages, 30 rounds, heavy writes (goal: < 1 s).
 */
import { bench, describe } from 'vitest';
import { createRng, resolveOptions, simulateMigration, type Fidelity } from '@livemig/core';
import { stopCondition } from '@livemig/stop-conditions';
import { hotCold, uniform } from '@livemig/workloads';
import { precopy } from './index.js';

const strategy = precopy.create(resolveOptions(precopy, {}, 'strategy'), {} as never);
const xen = stopCondition('xen');

// Options are validated once, as the runner does per configuration; instances are made per run.
const hotColdOptions = resolveOptions(hotCold, { rate: '200 MiB/s', workingSet: '1 GiB' }, 'w');
const heavyOptions = resolveOptions(uniform, { rate: '1 GiB/s', workingSet: '4 GiB' }, 'w');

function migrate(memory_bytes: number, fidelity: Fidelity, workload: 'hot-cold' | 'heavy', stop = xen, seed = 1) {
  const pageSize_bytes = 4096;
  const pageCount = memory_bytes / pageSize_bytes;
  const ctx = { pageCount, pageSize_bytes, rng: createRng(seed) };
  const wl =
    workload === 'hot-cold'
      ? hotCold.create(hotColdOptions, ctx)
      : uniform.create(heavyOptions, ctx);
  return simulateMigration({
    vm: { id: 'vm', memory_bytes, pageSize_bytes, vcpus: 1 },
    strategy,
    stop,
    workload: wl,
    fidelity,
    bandwidth_Bps: 1.25e9,
    latency_s: 1e-4,
    pageCosts: { header_bytes: 8 },
    rng: createRng(seed + 1),
  }).metrics;
}

let sink = 0;
describe('fluid pre-copy, 4 GiB VM, hot/cold 200 MiB/s over 1 GiB, 10 Gbit/s, xen', () => {
  bench('one migration', () => {
    sink += migrate(4 * 2 ** 30, 'fluid', 'hot-cold').total_time_s;
  });
});

describe('page-exact pre-copy, 16 GiB VM (4 Mi pages), uniform 1 GiB/s over 4 GiB, 30 rounds', () => {
  const thirty = stopCondition({ use: 'max-rounds', options: { rounds: 30 } });
  bench(
    'one migration',
    () => {
      sink += migrate(16 * 2 ** 30, 'page-exact', 'heavy', thirty).total_time_s;
    },
    { iterations: 3, warmupIterations: 1, time: 0 },
  );
});
export { sink };
