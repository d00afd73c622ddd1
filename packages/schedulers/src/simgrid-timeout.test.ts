/**
 * SimGrid's concurrent-migration set-up past what the link allows: 8 VMs of 1 GiB, each
 * configured for half the 1.25e8 B/s link and dirtying 0.3 × that, migrate at once. Their
 * fair share (1.5625e7 B/s) is below their dirty rate (1.875e7 B/s), so pre-copy cannot
 * converge: SimGrid runs into its stage-2 budget (1e7 s) and aborts the simulation; livemig
 * ends each migration, not converged, with the reason.
 */
import { describe, expect, it } from 'vitest';
import { createRng, DEFAULT_COSTS, NETWORK_MODELS, resolveOptions, simulateScenario, type StopCondition } from '@livemig/core';
import precopy from '@livemig/strategy-precopy';
import { stopCondition } from '@livemig/stop-conditions';
import { simgrid as simgridWorkload } from '@livemig/workloads';
import { allAtOnce } from './index.js';

const GiB = 2 ** 30;
function run(stop: StopCondition, maxPasses = 10_000) {
  const speed = 6.25e7;
  const strategy = precopy.create(resolveOptions(precopy, { maxBandwidth: speed, finalRateLimited: true, maxPasses }, 'strategy.options'), { rng: () => createRng(1) });
  const vms = Array.from({ length: 8 }, (_, i) => ({
    vm: { id: `vm${i}`, memory_bytes: GiB, pageSize_bytes: 4096, vcpus: 1 },
    host: 0,
    workload: simgridWorkload.create(resolveOptions(simgridWorkload, { intensity: 0.3, migrationSpeed: speed, workingSetFraction: 0.9 }, 'w'), { pageCount: GiB / 4096, pageSize_bytes: 4096, rng: createRng(i + 1) }),
    strategy,
    stop,
    rng: createRng(100 + i),
  }));
  return simulateScenario({
    hosts: [{ id: 'src', nic_Bps: 1.25e8 }, { id: 'dst', nic_Bps: 1.25e8 }],
    topology: { kind: 'star', duplex: 'split', latency_s: 1e-4 },
    model: NETWORK_MODELS.cm02,
    vms,
    requests: vms.map((_, i) => ({ vm: i, to: 1 })),
    scheduler: allAtOnce.create({}, { rng: () => createRng(1) }),
    fidelity: 'fluid',
    costs: DEFAULT_COSTS,
  });
}

describe('8 SimGrid migrations over one link: more than it can carry', () => {
  it("with SimGrid's budget (here 2000 s, SimGrid's is 1e7 s): each ends not converged at the first round end past it, with the reason", () => {
    const r = run(stopCondition({ use: 'simgrid', options: { timeout: '2000 s' } }));
    expect(r.metrics.migrations_nonConverged).toBe(8);
    // A round re-sends the working set (0.9 GiB) at the fair share: 61.8 s; stage 1 takes 68.7 s.
    const round_s = (0.9 * GiB) / (1.25e8 / 8);
    for (const m of r.migrations) {
      expect(m.metrics.status).toBe('completed');
      expect(m.metrics.stop_reason).toMatch(/^simgrid: timeout, 2\d{3}\.\d+ s >= 2000 s with \d+ B > \d+ B left$/);
      expect(m.metrics.precopy_time_s).toBeGreaterThanOrEqual(2000);
      expect(m.metrics.precopy_time_s).toBeLessThan(2000 + round_s * 1.01);
      // Stage 1, then ⌈(2000 − 68.7) ÷ 61.8⌉ = 32 rounds of the working set.
      expect(m.metrics.rounds).toBe(1 + Math.ceil((2000 - GiB / (1.25e8 / 8)) / round_s));
    }
  });
  it('without a budget the strategy’s safety net ends them, also not converged; nothing hangs', () => {
    const r = run(stopCondition('simgrid'), 20);
    expect(r.metrics.migrations_nonConverged).toBe(8);
    for (const m of r.migrations) expect(m.metrics.stop_reason).toBe('safety net: 20 passes');
  });
});
