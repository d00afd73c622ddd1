import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '@livemig/core';
import { ci99, runScenario, scenarioArb, strategyConformance, type Scenario } from '@livemig/testkit';
import { mean } from 'simple-statistics';
import { hybrid, postcopy } from './index.js';

const pushOrderArb = fc.constantFrom('sequential', 'around-faults', 'bubbling');
const postcopyOptionsArb = fc.record(
  { chunkPages: fc.integer({ min: 1, max: 512 }), pushOrder: pushOrderArb, pivots: fc.integer({ min: 1, max: 8 }), maxBandwidth: fc.integer({ min: 1e6, max: 2e9 }) },
  { requiredKeys: [] },
);
strategyConformance(postcopy, { fullCopy: true, imageAt: 'end', eachPageOnce: true, optionsArb: postcopyOptionsArb, numRuns: 80 });
strategyConformance(hybrid, {
  fullCopy: true,
  imageAt: 'end',
  optionsArb: fc.record(
    { rounds: fc.integer({ min: 1, max: 6 }), skipRedirtied: fc.boolean(), chunkPages: fc.integer({ min: 1, max: 512 }), pushOrder: pushOrderArb, pivots: fc.integer({ min: 1, max: 8 }) },
    { requiredKeys: [] },
  ),
  numRuns: 80,
});

const makePost = (o: Record<string, unknown> = {}) => postcopy.create(resolveOptions(postcopy, o, 'strategy.options'), {} as never);
const makeHybrid = (o: Record<string, unknown> = {}) => hybrid.create(resolveOptions(hybrid, o, 'strategy.options'), {} as never);

// 1 000 pages of 4 KiB over a link of 1 000 pages/s: a page takes 1 ms on the wire.
const base: Scenario = {
  pages: 1000,
  pageSize_bytes: 4096,
  bandwidth_Bps: 4096 * 1000,
  latency_s: 0,
  workload: { use: 'idle', options: {} },
  stop: 'xen',
  costs: {},
  header_bytes: 0,
  zeroPage_bytes: 9,
  elideZeroPages: false,
  zeroFraction: 0,
  seed: 3,
};

describe('postcopy', () => {
  it('downtime is the device state transfer + resume + redirect, whatever the workload (property)', () => {
    fc.assert(
      fc.property(scenarioArb({ maxPages: 1024 }), (s) => {
        for (const fidelity of ['page-exact', 'fluid'] as const) {
          const m = runScenario(makePost(), s, fidelity).metrics;
          const device = s.costs.deviceState_bytes ?? 0;
          const expected = s.latency_s + device / s.bandwidth_Bps + (s.costs.resume_s ?? 0) + (s.costs.redirect_s ?? 0);
          expect(m.downtime_s).toBeCloseTo(expected, 9);
          expect(m.rounds).toBe(0);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('an idle guest: no fault; total = setup + device message + one push stream + release (hand-computed)', () => {
    const s: Scenario = { ...base, latency_s: 0.01, costs: { setup_s: 0.5, deviceState_bytes: 40_960, resume_s: 0.02, redirect_s: 0.03, release_s: 0.04 } };
    for (const fidelity of ['page-exact', 'fluid'] as const) {
      const m = runScenario(makePost(), s, fidelity).metrics;
      expect(m.postcopy_faults).toBe(0);
      // setup 0.5 + (latency 0.01 + 10 pages' worth 0.01) + resume 0.02 + push (latency 0.01 + 1 000 pages 1 s) + release 0.04;
      // the redirect (0.03 s) overlaps the push.
      expect(m.total_time_s).toBeCloseTo(0.5 + 0.02 + 0.02 + 1.01 + 0.04, 9);
      expect(m.downtime_s).toBeCloseTo(0.01 + 0.01 + 0.02 + 0.03, 9);
      expect(m.bytes_sent).toBe(1000 * 4096 + 40_960);
      // The guest loses the paused time only: device message + resume.
      expect(m.app_degradation_s).toBeCloseTo(0.04, 9);
    }
  });

  it('a guest that writes ahead of the push stalls on each page until it arrives (page-exact, hand-computed)', () => {
    // Sequential writes at 2 000 pages/s from page 0; the push (also from page 0) brings page i
    // at (i + 1) ms. The guest stalls at each page until it arrives: it trails the push, stalled
    // half of the 1 s, and never needs a page sent on demand (no fault).
    const s: Scenario = { ...base, workload: { use: 'sequential', options: { rate: 2000 } } };
    const m = runScenario(makePost({ chunkPages: 100 }), s, 'page-exact').metrics;
    expect(m.postcopy_faults).toBe(0);
    expect(m.fault_wait_s).toBeCloseTo(0.5, 9);
    expect(m.total_time_s).toBeCloseTo(1.0, 9);
    expect(m.app_degradation_s).toBeCloseTo(0.5, 9);
    expect(m.pages_sent).toBe(1000);
    expect(m.image_mismatch_pages).toBe(0);
    // With 1 ms latency (device message and the stream's first page each pay it once), the
    // guest's first access is at 0.5 ms after resume and page 0 arrives at 2 ms; then it trails
    // the push as before: it loses (1 ms + 1 s) − 0.5 s of work.
    const slow = runScenario(makePost({ chunkPages: 100 }), { ...s, latency_s: 1e-3 }, 'page-exact').metrics;
    expect(slow.postcopy_faults).toBe(0);
    expect(slow.fault_wait_s).toBeCloseTo(0.501, 9);
    // A working set at the end of memory, which the push in page order reaches last: every page
    // of it is sent on demand, one round trip (2 ms) plus a page (1 ms) or a little more each.
    const far: Scenario = { ...s, latency_s: 1e-3, workload: { use: 'sequential', options: { rate: 2000, workingSet: 100 * 4096, offset: 900 } } };
    const m2 = runScenario(makePost({ chunkPages: 100 }), far, 'page-exact').metrics;
    expect(m2.postcopy_faults).toBe(100);
    expect(m2.fault_wait_s / m2.postcopy_faults).toBeGreaterThanOrEqual(3e-3 - 1e-12);
    expect(m2.fault_wait_s / m2.postcopy_faults).toBeLessThanOrEqual(4e-3 + 1e-12);
  });

  it('a guest slower than the push never faults (sequential writes trail the push)', () => {
    const s: Scenario = { ...base, workload: { use: 'sequential', options: { rate: 500 } } };
    expect(runScenario(makePost({ chunkPages: 100 }), s, 'page-exact').metrics.postcopy_faults).toBe(0);
  });

  it('pre-paging around faults cuts the faults of a working set far from page 0', () => {
    // Uniform writes over pages [6 000, 7 000) of 8 192: the sequential push reaches them late.
    const s: Scenario = { ...base, pages: 8192, bandwidth_Bps: 4096 * 20_000, latency_s: 1e-4, workload: { use: 'uniform', options: { rate: 5000, workingSet: 1000 * 4096, offset: 6000 } } };
    const seq = runScenario(makePost(), s, 'page-exact').metrics;
    const around = runScenario(makePost({ pushOrder: 'around-faults' }), s, 'page-exact').metrics;
    expect(around.postcopy_faults).toBeLessThan(0.5 * seq.postcopy_faults);
    expect(around.image_mismatch_pages).toBe(0);
  });

  // The fluid engine assumes that pushes and accesses are independent: true for uniform
  // accesses over all of memory. It lets the guest run through a push window and serves the
  // window's faults after it with the push stopped; the page-exact engine stalls the guest at
  // each fault and pushes meanwhile. The two agree when stalls are a small part of the time
  // (faults rare and a round trip short against a page's transfer): then the fluid value lies
  // in the 99 % CI of the mean of 100 page-exact runs or within 3 % of it. Fault waits are not
  // compared: the page-exact ones also count waits for pushed pages and for the page on the wire.
  it('fluid faults and total time match the page-exact mean when stalls are rare (uniform over memory)', () => {
    const s: Scenario = { ...base, pages: 4096, bandwidth_Bps: 4096 * 20_000, latency_s: 1e-5, workload: { use: 'uniform', options: { rate: 2000 } } };
    const fluid = runScenario(makePost(), s, 'fluid').metrics;
    const runs = Array.from({ length: 100 }, (_, i) => runScenario(makePost(), s, 'page-exact', { seed: 500 + i }).metrics);
    for (const key of ['postcopy_faults', 'total_time_s'] as const) {
      const { mean: mu, half } = ci99(runs.map((m) => m[key]));
      const rel = Math.abs(fluid[key] - mu) / mu;
      expect(Math.abs(fluid[key] - mu) <= half || rel <= 0.03, `${key}: fluid ${fluid[key]} vs page-exact ${mu} ± ${half}`).toBe(true);
    }
  });

  it('when the guest stalls often, the fluid engine over-counts faults (it does not stall the guest): a known gap', () => {
    const s: Scenario = { ...base, pages: 4096, bandwidth_Bps: 4096 * 20_000, latency_s: 2e-4, workload: { use: 'uniform', options: { rate: 8000 } } };
    const fluid = runScenario(makePost(), s, 'fluid').metrics;
    const runs = Array.from({ length: 20 }, (_, i) => runScenario(makePost(), s, 'page-exact', { seed: 500 + i }).metrics);
    const mu = mean(runs.map((m) => m.postcopy_faults));
    expect(fluid.postcopy_faults).toBeGreaterThan(1.5 * mu); // measured: 616 vs 252
    expect(fluid.total_time_s).toBeGreaterThan(mean(runs.map((m) => m.total_time_s)));
  });
});

describe('hybrid', () => {
  it('an idle guest converges in the first pass and finishes as pre-copy: no post-copy, no fault', () => {
    for (const fidelity of ['page-exact', 'fluid'] as const) {
      const r = runScenario(makeHybrid({ rounds: 3 }), base, fidelity, { trace: true });
      expect(r.metrics.rounds).toBe(1);
      expect(r.metrics.postcopy_faults).toBe(0);
      expect(r.trace.some((e) => e.type === 'phase' && e.phase === 'postcopy')).toBe(false);
    }
  });

  it('after k passes only the pages written since their last send are left for post-copy', () => {
    // Sequential writes of 200 pages/s over the first 100 pages; a page takes 1 ms on the wire.
    // Pass 0 sends 1 000 pages in 1 s: the guest writes 200 times, so all 100 pages are dirty.
    // Each later pass sends the dirty pages, d pages in d ms, during which the guest writes 0.2 d
    // pages: 100, then 20, then 4. After k passes post-copy moves what the last pass dirtied.
    const s: Scenario = { ...base, workload: { use: 'sequential', options: { rate: 200, workingSetFraction: 0.1 } }, stop: { use: 'max-rounds', options: { rounds: 100 } } };
    const expected: Record<number, number> = { 1: 1000 + 100, 2: 1000 + 100 + 20, 3: 1000 + 100 + 20 + 4 };
    for (const k of [1, 2, 3]) {
      const m = runScenario(makeHybrid({ rounds: k }), s, 'page-exact').metrics;
      expect(m.rounds).toBe(k);
      expect(m.pages_sent).toBe(expected[k]);
      expect(m.pages_resent).toBe(expected[k]! - 1000);
      expect(m.image_mismatch_pages).toBe(0);
    }
  });

  it('a guest that writes faster than the link: hybrid has the downtime of post-copy, not of a forced stop-and-copy', () => {
    const s: Scenario = { ...base, pages: 4096, bandwidth_Bps: 4096 * 20_000, latency_s: 1e-4, workload: { use: 'uniform', options: { rate: 40_000 } } };
    for (const fidelity of ['page-exact', 'fluid'] as const) {
      const m = runScenario(makeHybrid({ rounds: 5 }), s, fidelity).metrics;
      expect(m.downtime_s).toBeCloseTo(1e-4, 9); // one latency: no device state in this scenario
      expect(m.pages_sent).toBeGreaterThan(4096); // the rounds re-sent pages
      expect(m.postcopy_faults).toBeGreaterThan(0);
    }
  });
});
