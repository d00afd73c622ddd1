/**
 * Fluid post-copy and hybrid migrations per second: one 4 GiB VM, uniform writes of
 * 200 MiB/s over a 1 GiB working set, 10 Gbit/s, 0.1 ms latency, default 256-page push messages
 * (4 096 push steps) and with 16 384-page messages (64 steps).
 * Measured (2 shared cores, `npx vitest bench --run --project @livemig/strategy-postcopy`):
 * 256-page pushes ≈ 760 migrations/s, 16 384-page pushes ≈ 27 000/s, hybrid ≈ 3 200/s.
 */
import { bench, describe } from 'vitest';
import { createRng, resolveOptions, simulateMigration, type CopyStrategy } from '@livemig/core';
import { stopCondition } from '@livemig/stop-conditions';
import { uniform } from '@livemig/workloads';
import { hybrid, postcopy } from './index.js';

const xen = stopCondition('xen');
const wlOptions = resolveOptions(uniform, { rate: '200 MiB/s', workingSet: '1 GiB' }, 'w');
const strategies: Record<string, CopyStrategy> = {
  'postcopy, 256-page pushes': postcopy.create(resolveOptions(postcopy, {}, 's'), {} as never),
  'postcopy, 16 384-page pushes': postcopy.create(resolveOptions(postcopy, { chunkPages: 16_384 }, 's'), {} as never),
  'hybrid, 1 pass then post-copy': hybrid.create(resolveOptions(hybrid, {}, 's'), {} as never),
};

let sink = 0;
function migrate(strategy: CopyStrategy) {
  const memory_bytes = 4 * 2 ** 30;
  const pageSize_bytes = 4096;
  const workload = uniform.create(wlOptions, { pageCount: memory_bytes / pageSize_bytes, pageSize_bytes, rng: createRng(1) });
  return simulateMigration({
    vm: { id: 'vm', memory_bytes, pageSize_bytes, vcpus: 1 },
    strategy, stop: xen, workload, fidelity: 'fluid', bandwidth_Bps: 1.25e9, latency_s: 1e-4, pageCosts: { header_bytes: 8 }, rng: createRng(2),
  }).metrics;
}

describe('fluid post-copy, 4 GiB VM, uniform 200 MiB/s over 1 GiB, 10 Gbit/s', () => {
  for (const [name, s] of Object.entries(strategies)) bench(name, () => void (sink += migrate(s).total_time_s));
});
export { sink };
