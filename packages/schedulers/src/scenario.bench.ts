/**
 * N identical pre-copy migrations at once over one link (SimGrid's concurrent_fair_mig_speed set-up
 * scaled up: 1 GiB VMs, 1.25e8 B/s split-duplex link, each capped at its fair share and dirtying
 * 0.3 × it): CPU per scenario; divide by N for the cost per migration.
 */
import { bench, describe } from 'vitest';
import { createRng, DEFAULT_COSTS, NETWORK_MODELS, resolveOptions, simulateScenario } from '@livemig/core';
import precopy from '@livemig/strategy-precopy';
import { simgrid as simgridStop } from '@livemig/stop-conditions';
import { simgrid as simgridWorkload } from '@livemig/workloads';
import { allAtOnce } from './index.js';

const GiB = 2 ** 30;
const LAT = Number(process.env.BENCH_LATENCY ?? 1e-4);
function run(n: number): void {
  const share = 1.25e8 / n;
  const strategy = precopy.create(resolveOptions(precopy, { maxBandwidth: share, finalRateLimited: true }, 's'), { rng: () => createRng(1) });
  const stop = simgridStop.create(resolveOptions(simgridStop, {}, 'stop'), { rng: () => createRng(1), build: () => ({ check: () => null }) } as never);
  const vms = Array.from({ length: n }, (_, i) => ({
    vm: { id: `vm${i}`, memory_bytes: GiB, pageSize_bytes: 4096, vcpus: 1 },
    host: 0,
    workload: simgridWorkload.create(resolveOptions(simgridWorkload, { intensity: 0.3, migrationSpeed: share, workingSetFraction: 0.9 }, 'w'), { pageCount: GiB / 4096, pageSize_bytes: 4096, rng: createRng(i) }),
    strategy,
    stop,
    rng: createRng(100 + i),
  }));
  simulateScenario({
    hosts: [{ id: 'src', nic_Bps: 1.25e8 }, { id: 'dst', nic_Bps: 1.25e8 }],
    topology: { kind: 'star', duplex: 'split', latency_s: LAT },
    model: NETWORK_MODELS.cm02,
    vms,
    requests: vms.map((_, i) => ({ vm: i, to: 1 })),
    scheduler: allAtOnce.create({}, { rng: () => createRng(1) }),
    fidelity: 'fluid',
    costs: DEFAULT_COSTS,
  });
}

describe('N concurrent pre-copy migrations over one link (fluid, CM02)', () => {
  for (const n of [1, 8, 64, 512, 4096]) bench(`N = ${n}`, () => run(n), { iterations: n >= 4096 ? 3 : 10, time: 0 });
});
