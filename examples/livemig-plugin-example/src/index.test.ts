import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runScenario, strategyConformance, type Scenario } from '@livemig/testkit';
import { resolveOptions } from '@livemig/core';
import fixedRounds from './index.js';

// The whole @livemig/testkit invariant suite, over random scenarios and random round counts.
strategyConformance(fixedRounds, { fullCopy: true, optionsArb: fc.record({ rounds: fc.integer({ min: 0, max: 8 }) }) });

describe('fixed-rounds', () => {
  const scenario: Scenario = {
    pages: 1024,
    pageSize_bytes: 4096,
    bandwidth_Bps: 1000 * 4096,
    latency_s: 0,
    workload: { use: 'uniform', options: { rate: 200, workingSetFraction: 0.5 } },
    stop: { use: 'max-rounds', options: { rounds: 100 } },
    costs: {},
    header_bytes: 0,
    zeroPage_bytes: 9,
    elideZeroPages: false,
    zeroFraction: 0,
    seed: 7,
  };
  const make = (raw: Record<string, unknown>) => fixedRounds.create(resolveOptions(fixedRounds, raw, 'strategy.options'), { rng: () => { throw new Error('unused'); } });

  it('runs exactly the requested rounds when the stop condition does not stop it, then a forced stop', () => {
    for (const rounds of [1, 3, 6]) {
      const r = runScenario(make({ rounds }), scenario, 'fluid');
      expect(r.metrics.rounds).toBe(rounds);
      expect(r.metrics.converged).toBe(false);
    }
  });

  it('with 0 rounds it is stop-and-copy: each page once, downtime = memory / bandwidth', () => {
    const r = runScenario(make({ rounds: 0 }), scenario, 'page-exact');
    expect(r.metrics.rounds).toBe(0);
    expect(r.metrics.pages_sent).toBe(1024);
    expect(r.metrics.downtime_s).toBeCloseTo(1024 / 1000, 9);
  });

  it('more rounds shrink the downtime while the guest dirties less than the link sends', () => {
    const downtime = [1, 2, 4].map((rounds) => runScenario(make({ rounds }), scenario, 'fluid').metrics.downtime_s);
    expect(downtime[1]).toBeLessThan(downtime[0]!);
    expect(downtime[2]).toBeLessThan(downtime[1]!);
  });

  it('rejects options outside the schema, naming the field', () => {
    expect(() => make({ rounds: -1 })).toThrow(/strategy\.options\.rounds/);
    expect(() => make({ round: 3 })).toThrow(/round/);
  });
});
