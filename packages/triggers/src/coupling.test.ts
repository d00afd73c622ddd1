/**
 * The cluster runs the same copy-strategy engine as a single migration: a migration alone on its
 * links, with a constant-utilisation VM, must give what `simulateMigration` gives for that VM at
 * bandwidth = share × NIC — downtime, bytes, total time and convergence — for any utilisation,
 * memory size, dirty-rate mapping and stop condition (property). So contention is the only thing
 * the cluster adds.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRng, deriveSeed, resolveOptions, simulateMigration, type StopSpec, type TriggerPolicy } from '@livemig/core';
import { precopy } from '@livemig/strategy-precopy';
import { stopCondition } from '@livemig/stop-conditions';
import { uniform } from '@livemig/workloads';
import { CLOUDSIM_MB, cloudsimHosts, simulateCluster, type ClusterHost } from './index.js';

const ctx = { rng: () => { throw new Error('no rng needed'); } } as never;
const g5 = (n: number): ClusterHost[] => cloudsimHosts(2 * n).filter((_, i) => i % 2 === 1);
// Relative 1e-9, or 1e-9 absolute for values near 0 (the cluster's clock starts at the decision, 300 s in).
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1);

describe('a lone migration in the cluster = simulateMigration', () => {
  it('same downtime, bytes, total time and convergence (fluid pre-copy, QEMU within 120 s or Xen, any utilisation)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom(613, 870, 1740),
        fc.constantFrom(5_000, 20_000, 40_000),
        // QEMU's own rule never gives up on a guest that out-writes the link: bound it as the experiments do.
        fc.constantFrom<StopSpec>({ any: ['qemu', { use: 'time-limit', options: { limit: '120 s' } }] }, 'xen'),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.constantFrom(0.25, 0.5, 1),
        (u, ram_MB, maxRate, stopSpec, wsf, share) => {
          const strategy = precopy.create(resolveOptions(precopy, {}, 'strategy'), ctx);
          const stop = stopCondition(stopSpec);
          const trigger: TriggerPolicy = { decide: (v) => (v.now_s === 300 ? [{ vm: 0, to: 1, reason: 't' }] : []) };
          const memory_bytes = ram_MB * CLOUDSIM_MB;
          const hosts = g5(2);
          const r = simulateCluster({
            hosts,
            vms: [{ id: 'v', mips: 500, vcpus: 1, memory_bytes, utilisation: new Float64Array(12).fill(u) }],
            trigger,
            placement: [0],
            recordMigrations: true,
            migration: { mode: 'strategy', strategy, stop, maxDirtyRate_pages_s: maxRate, workingSetFraction: wsf, bandwidthShare: share },
          });
          expect(r.migrations).toHaveLength(1);
          const c = r.migrations[0]!;
          const vm = { id: 'v', memory_bytes, pageSize_bytes: 4096, vcpus: 1 };
          const rng = createRng(deriveSeed(1, 'alone'));
          const workload = uniform.create(resolveOptions(uniform, { rate: u * maxRate, workingSetFraction: wsf }, 'w'), {
            pageCount: Math.ceil(memory_bytes / 4096),
            pageSize_bytes: 4096,
            rng,
          });
          const alone = simulateMigration({ vm, strategy, stop, workload, fidelity: 'fluid', bandwidth_Bps: share * hosts[0]!.nic_Bps, latency_s: 0, rng }).metrics;
          expect(c.status).toBe(alone.status);
          expect(c.converged).toBe(alone.converged);
          expect(rel(c.downtime_s, alone.downtime_s)).toBeLessThan(1e-9);
          expect(rel(c.bytes, alone.bytes_sent)).toBeLessThan(1e-9);
          expect(rel(c.end_s - c.start_s, alone.total_time_s)).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 60 },
    );
  });
});
