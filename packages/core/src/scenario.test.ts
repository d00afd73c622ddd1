import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COSTS, prepare, stopAndCopy, type CopyStrategy } from './migration.js';
import { createRng } from './rng.js';
import type { Scheduler } from './schedule.js';
import { simulateScenario, type ScenarioSetup } from './scenario.js';
import { NETWORK_MODELS } from './topology.js';
import type { Workload } from './workload.js';

const MiB = 2 ** 20;
const copyAll: CopyStrategy = {
  *migrate(m) {
    if (!(yield* prepare(m))) return;
    yield* stopAndCopy(m, { selectAll: true, cap_Bps: Infinity, converged: true, reason: 'stop-and-copy' });
  },
};
const idle: Workload = { writeRate: () => 0, expectedDistinct: () => 0, writes: () => {} };
/** Start every waiting migration (that fits). */
const all: Scheduler = { select: (v) => v.waiting.map((w) => w.id) };
/** One at a time, in request order. */
const oneAtATime: Scheduler = { select: (v) => (v.running.length ? [] : v.waiting.slice(0, 1).map((w) => w.id)) };

function setup(over: Partial<ScenarioSetup> & { n: number; memory?: number[] }): ScenarioSetup {
  const vms = Array.from({ length: over.n }, (_, i) => ({
    vm: { id: `vm${i}`, memory_bytes: over.memory?.[i] ?? 100 * MiB, pageSize_bytes: 4096, vcpus: 1 },
    host: 0,
    workload: idle,
    strategy: copyAll,
    stop: { check: () => null },
    rng: createRng(i + 1),
  }));
  return {
    hosts: [
      { id: 'a', nic_Bps: 100 * MiB },
      { id: 'b', nic_Bps: 100 * MiB },
      { id: 'c', nic_Bps: 100 * MiB },
    ],
    topology: { kind: 'star', duplex: 'split', latency_s: 0 },
    model: NETWORK_MODELS.ideal,
    vms,
    requests: vms.map((_, i) => ({ vm: i, to: 1 })),
    scheduler: all,
    fidelity: 'fluid',
    costs: DEFAULT_COSTS,
    ...over,
  };
}

describe('simulateScenario (hand-computed)', () => {
  it('n stop-and-copy migrations of M bytes at once over one 100 MiB/s NIC all end at n × M ÷ B', () => {
    for (const n of [1, 2, 5]) {
      const r = simulateScenario(setup({ n }));
      for (const m of r.migrations) expect(m.metrics.total_time_s).toBeCloseTo(n, 9);
      expect(r.metrics.makespan_s).toBeCloseTo(n, 9);
      expect(r.metrics.peak_concurrent).toBe(n);
      expect(r.metrics.bytes_sent).toBe(n * 100 * MiB);
    }
  });

  it('one at a time: the k-th migration waits k − 1 seconds, each takes 1 s, the makespan is the same', () => {
    const r = simulateScenario(setup({ n: 3, scheduler: oneAtATime }));
    expect(r.migrations.map((m) => m.start_s)).toEqual([0, 1, 2].map((x) => expect.closeTo(x, 9)));
    expect(r.migrations.map((m) => m.metrics.total_time_s)).toEqual([1, 1, 1].map((x) => expect.closeTo(x, 9)));
    expect(r.metrics.wait_total_s).toBeCloseTo(3, 9);
    expect(r.metrics.makespan_s).toBeCloseTo(3, 9);
    expect(r.metrics.peak_concurrent).toBe(1);
  });

  it('two destinations: migrations from one source share its uplink (2 s each), not the destinations’ downlinks', () => {
    const r = simulateScenario(setup({ n: 2, requests: [{ vm: 0, to: 1 }, { vm: 1, to: 2 }] }));
    for (const m of r.migrations) expect(m.metrics.total_time_s).toBeCloseTo(2, 9);
  });

  it('a small VM finishing frees its share: 50 and 150 MiB at once end at 1 s and 2 s', () => {
    const r = simulateScenario(setup({ n: 2, memory: [50 * MiB, 150 * MiB] }));
    expect(r.migrations[0]!.end_s).toBeCloseTo(1, 9);
    expect(r.migrations[1]!.end_s).toBeCloseTo(2, 9);
  });

  it('a destination without room waits until a VM leaves it (room check), and the wait is reported', () => {
    // b holds 100 MiB; vm1 (on b) leaves for c at 0 s, vm0 goes a → b only once vm1 is gone.
    const s = setup({ n: 2, hosts: [{ id: 'a', nic_Bps: 100 * MiB }, { id: 'b', nic_Bps: 100 * MiB, memory_bytes: 100 * MiB }, { id: 'c', nic_Bps: 100 * MiB }] });
    const vms = [s.vms[0]!, { ...s.vms[1]!, host: 1 }];
    const r = simulateScenario({ ...s, vms, requests: [{ vm: 0, to: 1 }, { vm: 1, to: 2 }] });
    expect(r.migrations[1]!.start_s).toBe(0);
    expect(r.migrations[0]!.start_s).toBeCloseTo(1, 9);
    expect(r.migrations[0]!.wait_s).toBeCloseTo(1, 9);
    expect(r.metrics.makespan_s).toBeCloseTo(2, 9);
  });

  it('service traffic: a VM serving 50 MiB/s on the source uplink leaves 50 MiB/s to the migration of another VM, and loses nothing', () => {
    const s = setup({ n: 2 });
    const vms = [s.vms[0]!, { ...s.vms[1]!, service: { demand_Bps: 50 * MiB } }];
    const r = simulateScenario({ ...s, vms, requests: [{ vm: 0, to: 1 }] });
    // Max-min: the service is capped at 50, the migration takes the other 50 → 2 s.
    expect(r.migrations[0]!.metrics.total_time_s).toBeCloseTo(2, 9);
    expect(r.metrics.service_bytes_lost).toBeCloseTo(0, 0);
  });

  it('a greedy background flow on the path halves the migration rate; the background loses half its bytes meanwhile', () => {
    const r = simulateScenario(setup({ n: 1, background: [{ from: 0, to: 2, rate_Bps: Infinity }] }));
    expect(r.metrics.makespan_s).toBeCloseTo(2, 9);
    expect(r.metrics.background_bytes_lost).toBeCloseTo(100 * MiB, 0);
  });

  it('on/off background (1 s on, 1 s off, greedy) on the uplink: a 200 MiB migration gets 50, 100, 50 MiB/s and ends at 3 s; the background loses the 100 MiB it would have sent', () => {
    const r = simulateScenario(setup({ n: 1, memory: [200 * MiB], background: [{ from: 0, to: 2, rate_Bps: Infinity, onOff: { on_s: 1, off_s: 1 } }] }));
    expect(r.metrics.makespan_s).toBeCloseTo(3, 9);
    expect(r.metrics.background_bytes_lost).toBeCloseTo(100 * MiB, 0);
  });

  it('exponential on/off periods: the same seed gives the same run, another seed another; bad periods are refused', () => {
    const bg = (seed: number) => [{ from: 0, to: 2, rate_Bps: Infinity, onOff: { on_s: 0.5, off_s: 0.5, exponential: true, seed } }];
    const a = simulateScenario(setup({ n: 1, memory: [400 * MiB], background: bg(7) }));
    const b = simulateScenario(setup({ n: 1, memory: [400 * MiB], background: bg(7) }));
    const c = simulateScenario(setup({ n: 1, memory: [400 * MiB], background: bg(8) }));
    expect(b.metrics).toEqual(a.metrics);
    expect(c.metrics.makespan_s).not.toBe(a.metrics.makespan_s);
    // Between alone (4 s) and always shared (8 s).
    expect(a.metrics.makespan_s).toBeGreaterThan(4);
    expect(a.metrics.makespan_s).toBeLessThan(8);
    expect(() => simulateScenario(setup({ n: 1, background: [{ from: 0, to: 2, rate_Bps: 1, onOff: { on_s: 0, off_s: 1 } }] }))).toThrow(/background\[0\]: on and off periods/);
  });

  it('dumbbell: migrations across share the bottleneck (2 s each), migrations within a side do not touch it (1 s each)', () => {
    const hosts = ['a', 'b', 'c', 'd'].map((id) => ({ id, nic_Bps: 100 * MiB }));
    const topology = { kind: 'dumbbell' as const, duplex: 'split' as const, left: ['a', 'b'], bottleneck_Bps: 100 * MiB, latency_s: 0 };
    const s = setup({ n: 2, hosts, topology });
    const vms = [s.vms[0]!, { ...s.vms[1]!, host: 1 }];
    const across = simulateScenario({ ...s, vms, requests: [{ vm: 0, to: 2 }, { vm: 1, to: 3 }] });
    for (const m of across.migrations) expect(m.metrics.total_time_s).toBeCloseTo(2, 9);
    const within = simulateScenario({ ...s, vms: [s.vms[0]!, { ...s.vms[1]!, host: 2 }], requests: [{ vm: 0, to: 1 }, { vm: 1, to: 3 }] });
    for (const m of within.migrations) expect(m.metrics.total_time_s).toBeCloseTo(1, 9);
    // Split duplex: one migration each way across the bottleneck does not share it.
    const ways = simulateScenario({ ...s, vms: [s.vms[0]!, { ...s.vms[1]!, host: 2 }], requests: [{ vm: 0, to: 3 }, { vm: 1, to: 1 }] });
    for (const m of ways.migrations) expect(m.metrics.total_time_s).toBeCloseTo(1, 9);
    const shared = simulateScenario({ ...s, topology: { ...topology, duplex: 'shared' }, vms: [s.vms[0]!, { ...s.vms[1]!, host: 2 }], requests: [{ vm: 0, to: 3 }, { vm: 1, to: 1 }] });
    for (const m of shared.migrations) expect(m.metrics.total_time_s).toBeCloseTo(2, 9);
    expect(() => simulateScenario({ ...s, topology: { ...topology, left: ['a', 'b', 'c', 'd'] } })).toThrow(/both sides/);
    expect(() => simulateScenario({ ...s, topology: { ...topology, left: ['x'] } })).toThrow(/host 'x', which does not exist/);
  });

  it('refuses a migration to its own host, a VM asked twice, and a final placement that does not fit', () => {
    expect(() => simulateScenario(setup({ n: 1, requests: [{ vm: 0, to: 0 }] }))).toThrow(/already runs on a/);
    expect(() => simulateScenario(setup({ n: 1, requests: [{ vm: 0, to: 1 }, { vm: 0, to: 2 }] }))).toThrow(/twice/);
    expect(() => simulateScenario(setup({ n: 2, hosts: [{ id: 'a', nic_Bps: 1 }, { id: 'b', nic_Bps: 1, memory_bytes: 150 * MiB }] }))).toThrow(/host b: .*need/);
  });

  it('property: for random sizes, counts and schedulers, bytes are conserved, downtime ≤ total time, waits ≥ 0, and the makespan is at least Σ memory ÷ uplink', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 12 }), fc.boolean(), (sizes, serial) => {
        const r = simulateScenario(setup({ n: sizes.length, memory: sizes.map((x) => x * MiB), scheduler: serial ? oneAtATime : all }));
        const total = sizes.reduce((a, b) => a + b, 0) * MiB;
        expect(r.metrics.bytes_sent).toBe(total);
        expect(r.metrics.makespan_s).toBeGreaterThanOrEqual((total / (100 * MiB)) * (1 - 1e-12));
        // Alone on the uplink whatever the order: the link is never idle, so the makespan is exactly Σ M ÷ B.
        expect(r.metrics.makespan_s).toBeCloseTo(total / (100 * MiB), 9);
        for (const m of r.migrations) {
          expect(m.metrics.downtime_s).toBeLessThanOrEqual(m.metrics.total_time_s + 1e-12);
          expect(m.wait_s).toBeGreaterThanOrEqual(0);
          expect(m.metrics.status).toBe('completed');
        }
      }),
      { numRuns: 100 },
    );
  });
});
