import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng, resolveOptions, simulateMigration } from '@livemig/core';
import { runScenario, scenarioArb, strategyConformance } from '@livemig/testkit';
import { stopAndCopy } from './index.js';

strategyConformance(stopAndCopy, {
  fullCopy: true,
  optionsArb: fc.record({ maxBandwidth: fc.integer({ min: 100_000, max: 1e9 }) }, { requiredKeys: [] }),
});

const make = (o = {}) => stopAndCopy.create(resolveOptions(stopAndCopy, o, 'strategy.options'), {} as never);

describe('stop-and-copy', () => {
  it('sends each page exactly once; downtime = copy time + resume + redirect', () => {
    fc.assert(
      fc.property(scenarioArb({ maxPages: 2048 }), (s) => {
        for (const fidelity of ['page-exact', 'fluid'] as const) {
          const m = runScenario(make(), s, fidelity).metrics;
          expect(m.status).toBe('completed');
          expect(m.pages_sent).toBeCloseTo(s.pages, 6);
          expect(m.pages_resent).toBeCloseTo(0, 9);
          expect(m.rounds).toBe(0);
          // Copy time from first principles: one message (one latency), all bytes at link rate.
          const copy_s = s.latency_s + m.bytes_sent / s.bandwidth_Bps;
          const expected = copy_s + (s.costs.resume_s ?? 0) + (s.costs.redirect_s ?? 0);
          expect(m.downtime_s).toBeCloseTo(expected, 9);
          const total = (s.costs.setup_s ?? 0) + expected + (s.costs.release_s ?? 0);
          expect(m.total_time_s).toBeCloseTo(total, 9);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a rate cap stretches the copy to bytes / cap', () => {
    const s = { pages: 1000, pageSize_bytes: 4096, bandwidth_Bps: 1e9, latency_s: 0, workload: { use: 'idle' as const, options: {} }, stop: 'xen' as const, costs: {}, header_bytes: 0, zeroPage_bytes: 9, elideZeroPages: false, zeroFraction: 0, seed: 1 };
    const m = runScenario(make({ maxBandwidth: '4096000 B/s' }), s, 'page-exact').metrics;
    expect(m.downtime_s).toBeCloseTo(1, 12); // 1000 pages × 4096 B ÷ 4 096 000 B/s
  });

  it('refuses a destination without room: a failed result, not a crash', () => {
    const r = simulateMigration({
      vm: { id: 'vm', memory_bytes: 1 << 20, pageSize_bytes: 4096, vcpus: 1 },
      strategy: make(),
      stop: { check: () => null },
      workload: { writeRate: () => 0, expectedDistinct: () => 0, writes: () => {} },
      fidelity: 'page-exact',
      bandwidth_Bps: 1e9,
      latency_s: 0,
      destinationFree_bytes: 1 << 19,
      rng: createRng(1),
      trace: true,
    });
    expect(r.metrics.status).toBe('failed');
    expect(r.metrics.stop_reason).toMatch(/destination has 524288 bytes free, the VM needs 1048576/);
    expect(r.metrics.bytes_sent).toBe(0);
    expect(r.trace.some((e) => e.type === 'state')).toBe(false); // the VM never left 'active'
  });
});
