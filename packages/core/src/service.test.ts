import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from './rng.js';
import { prepare, simulateMigration, stopAndCopy, syncBitmap, type CopyStrategy, type MigrationSetup } from './migration.js';
import { serviceDemand, type ServiceModel } from './service.js';
import type { StopCondition } from './stop.js';
import type { Workload } from './workload.js';

/** A small pre-copy: `passes` rounds at `cap_Bps`, then stop-and-copy (enough to exercise the driver). */
const precopy = (cap_Bps: number, passes: number): CopyStrategy => ({
  *migrate(m) {
    if (!(yield* prepare(m))) return;
    m.phase('precopy');
    m.memory.selectAll();
    for (let pass = 1; ; pass++) {
      const stats = yield* m.memory.send({ cap_Bps });
      m.endRound(stats);
      if (pass >= passes) break;
      yield* syncBitmap(m);
    }
    yield* stopAndCopy(m, { selectAll: false, converged: true, reason: 'passes' });
  },
});
const never: StopCondition = { check: () => null };
const idle: Workload = { writeRate: () => 0, expectedDistinct: () => 0, writes: () => {} };
/** Uniform writes at r pages/s over w pages (fluid curve only). */
const uniform = (r: number, w: number): Workload => ({
  writeRate: () => r,
  expectedDistinct: (_t, work) => w * -Math.expm1((-r * work) / w),
  writes: () => {},
});

const base = (over: Partial<MigrationSetup> = {}): MigrationSetup => ({
  vm: { id: 'vm', memory_bytes: 1e6, pageSize_bytes: 1e3, vcpus: 1 },
  strategy: precopy(Infinity, 1),
  stop: never,
  workload: idle,
  fidelity: 'fluid',
  bandwidth_Bps: 100e3,
  latency_s: 0,
  costs: { deviceState_bytes: 10e3, resume_s: 0.05, redirect_s: 0.05 },
  rng: createRng(1),
  ...over,
});

describe('service traffic on the source NIC', () => {
  it('shares the NIC max-min fairly, stops while paused and counts the bytes lost (hand-computed)', () => {
    // NIC = path = 100 kB/s; service demand 80 kB/s, migration uncapped: fair share 50 / 50.
    // Round 0: 1 MB at 50 kB/s = 20 s (service 50 kB/s). Pause: 10 kB of state at the whole
    // 100 kB/s = 0.1 s, resume 0.05 s, redirect 0.05 s (service 0 for 0.2 s = the downtime).
    const r = simulateMigration(base({ service: { demand_Bps: 80e3 }, timeline: true }));
    expect(r.metrics.total_time_s).toBeCloseTo(20.2, 9);
    expect(r.metrics.downtime_s).toBeCloseTo(0.2, 9);
    // Lost: 80 kB/s × 20.2 s − 50 kB/s × 20 s = 616 kB.
    expect(r.metrics.service_bytes_lost).toBeCloseTo(616e3, 3);
    expect(r.timeline.map((s) => [s.phase, s.service_Bps, s.migration_Bps])).toEqual([
      ['precopy', 50e3, 50e3],
      ['stop-and-copy', 0, 100e3],
      ['commit', 0, 0],
      ['redirect', 0, 0],
    ]);
    expect(r.timeline[0]!.duration_s).toBeCloseTo(20, 9);
  });

  it('a capped migration leaves the rest of the NIC to the service; CPU cost and tracking overhead lower it further', () => {
    // Cap 30 kB/s: migration 30, service min(80, 100 − 30) = 70 kB/s; 1 MB takes 33.33 s.
    const r = simulateMigration(base({ strategy: precopy(30e3, 1), service: { demand_Bps: 80e3 }, timeline: true }));
    expect(r.timeline[0]).toMatchObject({ service_Bps: 70e3, migration_Bps: 30e3 });
    expect(r.metrics.total_time_s).toBeCloseTo(1e6 / 30e3 + 0.2, 9);
    // Demand 50 kB/s × (1 − 0.1 tracking) = 45 kB/s, below its share 70: minus 0.5 × 30 kB/s of CPU = 30 kB/s.
    const t = simulateMigration(
      base({ strategy: precopy(30e3, 1), service: { demand_Bps: 50e3, trackingOverhead: 0.1, cpuCostPerMigrationByte: 0.5 }, timeline: true }),
    );
    expect(t.timeline[0]!.migration_Bps).toBeCloseTo(30e3, 6);
    expect(t.timeline[0]!.service_Bps).toBeCloseTo(30e3, 6);
    // A throttled guest serves in proportion to its speed; a paused or redirecting one not at all.
    expect(serviceDemand({ demand_Bps: 50e3 }, 'source', 0.4)).toBeCloseTo(20e3, 9);
    expect(serviceDemand({ demand_Bps: 50e3, scalesWithGuestSpeed: false }, 'source', 0.4)).toBe(50e3);
    expect(serviceDemand({ demand_Bps: 50e3 }, 'paused', 1)).toBe(0);
    expect(serviceDemand({ demand_Bps: 50e3 }, 'destination-redirecting', 1)).toBe(0);
    expect(serviceDemand({ demand_Bps: 80e3 }, 'destination', 1)).toBe(80e3);
  });

  it('at the destination the service has its own NIC again while post-copy still sends over the source NIC', () => {
    // A strategy that resumes at the destination first, then sends the memory: the service (80 of
    // a 100 kB/s NIC) no longer shares with the migration, which gets the whole path.
    const postcopyLike: CopyStrategy = {
      *migrate(m) {
        if (!(yield* prepare(m))) return;
        m.suspend();
        m.resumeAtDestination();
        yield* m.wait(0.05);
        m.memory.selectAll();
        const stats = yield* m.memory.send({ cap_Bps: Infinity });
        m.endRound(stats);
        m.release(true, 'sent');
      },
    };
    const r = simulateMigration(base({ strategy: postcopyLike, costs: { redirect_s: 0.05 }, service: { demand_Bps: 80e3 }, timeline: true }));
    const sending = r.timeline.find((s) => s.migration_Bps > 0)!;
    expect(sending).toMatchObject({ service_Bps: 80e3, migration_Bps: 100e3 });
  });

  it('rejects a bad service model', () => {
    expect(() => simulateMigration(base({ service: { demand_Bps: -1 } }))).toThrow(/demand_Bps/);
    expect(() => simulateMigration(base({ service: { demand_Bps: 1, nic_Bps: 0 } }))).toThrow(/nic_Bps/);
    expect(() => simulateMigration(base({ service: { demand_Bps: 1, trackingOverhead: 1 } }))).toThrow(/trackingOverhead/);
  });

  const scenario = fc.record({
    demand: fc.double({ min: 0, max: 300e3, noNaN: true }),
    nicFactor: fc.double({ min: 0.5, max: 2, noNaN: true }),
    cap: fc.oneof(fc.constant(Infinity), fc.double({ min: 5e3, max: 200e3, noNaN: true })),
    cpu: fc.double({ min: 0, max: 1, noNaN: true }),
    tracking: fc.double({ min: 0, max: 0.5, noNaN: true }),
    rate: fc.double({ min: 0, max: 200, noNaN: true }),
    passes: fc.integer({ min: 1, max: 4 }),
    latency: fc.double({ min: 0, max: 0.01, noNaN: true }),
  });

  it('property: the two rates never exceed the NIC, the service is 0 exactly during the downtime, the timeline covers the migration', () => {
    fc.assert(
      fc.property(scenario, (p) => {
        const nic = 100e3 * p.nicFactor;
        const service: ServiceModel = { demand_Bps: p.demand, nic_Bps: nic, cpuCostPerMigrationByte: p.cpu, trackingOverhead: p.tracking };
        const r = simulateMigration(base({ strategy: precopy(p.cap, p.passes), workload: uniform(p.rate, 500), latency_s: p.latency, service, timeline: true }));
        let covered = 0;
        let zero = 0;
        let t = 0;
        for (const s of r.timeline) {
          expect(s.t_s).toBeCloseTo(t, 6);
          t = s.t_s + s.duration_s;
          covered += s.duration_s;
          expect(s.service_Bps).toBeGreaterThanOrEqual(0);
          expect(s.service_Bps + s.migration_Bps).toBeLessThanOrEqual(nic * (1 + 1e-9));
          if (['stop-and-copy', 'commit', 'redirect'].includes(s.phase)) expect(s.service_Bps).toBe(0);
          if (s.service_Bps === 0) zero += s.duration_s;
        }
        expect(covered).toBeCloseTo(r.metrics.total_time_s, 6);
        // The service is 0 at least during the whole downtime (also elsewhere if the CPU cost eats it).
        expect(zero).toBeGreaterThanOrEqual(r.metrics.downtime_s - 1e-6);
        if (p.demand > 0 && p.cpu === 0 && p.tracking === 0) expect(zero).toBeCloseTo(r.metrics.downtime_s, 6);
        expect(r.metrics.service_bytes_lost!).toBeGreaterThanOrEqual(-1e-6 * Math.max(1, p.demand * r.metrics.total_time_s));
      }),
      { numRuns: 150 },
    );
  });

  it('property: without service traffic (or with zero demand) the metrics are those of the plain driver', () => {
    fc.assert(
      fc.property(scenario, (p) => {
        const setup = base({ strategy: precopy(p.cap, p.passes), workload: uniform(p.rate, 500), latency_s: p.latency });
        const plain = simulateMigration(setup).metrics;
        const zero = simulateMigration({ ...setup, service: { demand_Bps: 0 } }).metrics;
        expect(plain.service_bytes_lost).toBeNull();
        expect(zero.service_bytes_lost).toBe(0);
        expect({ ...zero, service_bytes_lost: null }).toEqual(plain);
      }),
      { numRuns: 100 },
    );
  });

  it('property: more service demand never speeds up the migration', () => {
    fc.assert(
      fc.property(scenario, fc.double({ min: 0, max: 300e3, noNaN: true }), (p, more) => {
        const run = (demand: number) =>
          simulateMigration(base({ strategy: precopy(p.cap, p.passes), workload: idle, service: { demand_Bps: demand, nic_Bps: 100e3 * p.nicFactor } })).metrics;
        expect(run(p.demand + more).total_time_s).toBeGreaterThanOrEqual(run(p.demand).total_time_s * (1 - 1e-12));
      }),
      { numRuns: 100 },
    );
  });
});
