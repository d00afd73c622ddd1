/**
 * Failure injection: a host or the link fails at time t of a migration. The outcome table
 * (MODEL.md: a host failure makes its VMs inactive; post-copy needs both hosts):
 *
 * | when the failure strikes                          | source   | destination | link     |
 * | ------------------------------------------------- | -------- | ----------- | -------- |
 * | before the VM resumes at the destination          | VM lost  | aborted     | aborted  |
 * | post-copy transfer (pages still at the source)    | VM lost  | VM lost     | VM lost  |
 * | after resume, every page at the destination       | no effect| VM lost     | no effect|
 * | after the migration ended                         | no effect| no effect   | no effect|
 *
 * "aborted": the VM keeps (or resumes) running on the source, the bytes sent are wasted.
 * A source failure before the switch loses the VM: the destination holds an incomplete image
 * (livemig models no checkpoint to restart from).
 * The expected outcome is read off the trace of the same run without a failure (runs are
 * deterministic, so the two are identical up to t).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng, drawFailureTime, resolveOptions, runStream, type CopyStrategy, type FailureComponent, type TraceEvent } from '@livemig/core';
import { precopy } from '@livemig/strategy-precopy';
import { stopAndCopy } from '@livemig/strategy-stop-and-copy';
import { runScenario, scenarioArb, type Scenario } from '@livemig/testkit';
import { hybrid, postcopy } from './index.js';

const strategies: Record<string, CopyStrategy> = {
  precopy: precopy.create(resolveOptions(precopy, {}, 's'), {} as never),
  'stop-and-copy': stopAndCopy.create(resolveOptions(stopAndCopy, {}, 's'), {} as never),
  postcopy: postcopy.create(resolveOptions(postcopy, {}, 's'), {} as never),
  hybrid: hybrid.create(resolveOptions(hybrid, { rounds: 2 }, 's'), {} as never),
};

type Outcome = 'completed' | 'aborted' | 'lost';

function expectedOutcome(trace: readonly TraceEvent[], total_s: number, t: number, c: FailureComponent): Outcome {
  if (t >= total_s) return 'completed';
  const resumed = trace.find((e) => e.type === 'state' && e.side === 'destination' && e.state === 'active');
  if (!resumed || t < resumed.t) return c === 'source' ? 'lost' : 'aborted';
  const pcStart = trace.find((e) => e.type === 'phase' && e.phase === 'postcopy');
  const pcEnd = pcStart && trace.find((e) => e.type === 'phase' && e.phase === 'redirect' && e.t >= pcStart.t);
  if (pcStart && pcEnd && t >= pcStart.t && t < pcEnd.t) return 'lost';
  return c === 'destination' ? 'lost' : 'completed';
}

describe('failure injection: the outcome table holds at every injection point (property)', () => {
  for (const [name, strategy] of Object.entries(strategies)) {
    for (const fidelity of ['page-exact', 'fluid'] as const) {
      it(`${name}, ${fidelity}`, () => {
        fc.assert(
          fc.property(scenarioArb({ maxPages: 512 }), fc.double({ min: 0, max: 1.1, noNaN: true }), fc.constantFrom<FailureComponent>('source', 'destination', 'link'), (s: Scenario, u, component) => {
            const base = runScenario(strategy, s, fidelity, { trace: true });
            const at_s = u * base.metrics.total_time_s;
            const r = runScenario(strategy, s, fidelity, { trace: true, failure: { component, at_s } });
            const want = expectedOutcome(base.trace, base.metrics.total_time_s, at_s, component);
            const m = r.metrics;
            const got: Outcome = m.vm_lost ? 'lost' : m.status === 'aborted' ? 'aborted' : m.status === 'completed' ? 'completed' : (m.status as Outcome);
            expect(got, `failure of ${component} at ${at_s} s of ${base.metrics.total_time_s} s`).toBe(want);
            if (want === 'lost') expect(m.status).toBe('failed');
            if (want === 'completed') expect(m).toEqual(base.metrics);
            if (want !== 'completed') {
              // Cut short at the failure: no more time, no more bytes than the full run.
              expect(m.total_time_s).toBeCloseTo(at_s, 9);
              expect(m.bytes_sent).toBeLessThanOrEqual(base.metrics.bytes_sent * (1 + 1e-12));
            }
            if (want === 'aborted') {
              const src = r.trace.filter((e) => e.type === 'state' && e.side === 'source').at(-1);
              expect(src).toMatchObject({ state: 'active' }); // the VM runs on the source
              expect(m.vm_lost).toBe(false);
            }
          }),
          { numRuns: 60 },
        );
      });
    }
  }
});

describe('failure injection: examples', () => {
  const s: Scenario = {
    pages: 1000, pageSize_bytes: 4096, bandwidth_Bps: 4096 * 1000, latency_s: 0, workload: { use: 'idle', options: {} },
    stop: 'xen', costs: {}, header_bytes: 0, zeroPage_bytes: 9, elideZeroPages: false, zeroFraction: 0, seed: 1,
  };
  it('a link failure half-way through the first pre-copy pass wastes the 500 pages sent', () => {
    const m = runScenario(strategies.precopy!, s, 'page-exact', { failure: { component: 'link', at_s: 0.5 } }).metrics;
    expect(m.status).toBe('aborted');
    expect(m.bytes_sent).toBeCloseTo(500 * 4096, 6);
    expect(m.downtime_s).toBe(0);
  });
  it('post-copy loses the VM when the source fails half-way through the push', () => {
    const m = runScenario(strategies.postcopy!, s, 'fluid', { failure: { component: 'source', at_s: 0.5 } }).metrics;
    expect(m.status).toBe('failed');
    expect(m.vm_lost).toBe(true);
  });
  it('failure times: fixed, or drawn from the run’s seeded stream (same seed, same time)', () => {
    expect(drawFailureTime(3, createRng(1))).toBe(3);
    const stream = runStream(42, 0, 'failure');
    const exp = Array.from({ length: 4000 }, () => drawFailureTime({ distribution: 'exponential', mean_s: 10 }, stream));
    const mean = exp.reduce((a, b) => a + b, 0) / exp.length;
    // Standard error of the mean of 4 000 exponential draws: 10 / √4000 ≈ 0.16 s; allow 4 of them.
    expect(Math.abs(mean - 10)).toBeLessThan(0.64);
    const u = drawFailureTime({ distribution: 'uniform', min_s: 2, max_s: 5 }, createRng(9));
    expect(u).toBeGreaterThanOrEqual(2);
    expect(u).toBeLessThan(5);
    expect(drawFailureTime({ distribution: 'uniform', min_s: 2, max_s: 5 }, createRng(9))).toBe(u);
    expect(() => drawFailureTime({ distribution: 'exponential', mean_s: 0 }, createRng(1))).toThrow(/mean_s/);
  });
});
