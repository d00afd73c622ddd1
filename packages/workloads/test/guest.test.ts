// The guest options of the models: demand under a vCPU throttle and the write size.
import { describe, expect, it } from 'vitest';
import { createRng, resolveOptions } from '@livemig/core';
import { uniform } from '../src/index.js';

const make = (o: Record<string, unknown>) => uniform.create(resolveOptions(uniform, { rate: '64 MiB/s', workingSet: '1 MiB', ...o }, 'workload.options'), { pageCount: 1024, pageSize_bytes: 4096, rng: createRng(1) });

describe('demand under a throttle', () => {
  it('cpu-bound (default): no throttledSpeed, so core uses 1 − throttle', () => {
    expect(make({}).throttledSpeed).toBeUndefined();
  });
  it("rate-controlled with a 50 ms backlog under QEMU's 10 ms slices: full rate while the sleep is at most 50 ms, then (10 + 50) ms per cycle", () => {
    // Sleep 10 ms × x ÷ (1 − x): 2.5 ms at 20 %, 40 ms at 80 %, 90 ms at 90 % (cycle 100 ms: 60 ms of writes), 990 ms at 99 % (cycle 1 s).
    const w = make({ demand: 'rate-controlled', maxBacklog: '50 ms' });
    expect(w.throttledSpeed!(0.2, 0.01)).toBe(1);
    expect(w.throttledSpeed!(0.8, 0.01)).toBe(1);
    expect(w.throttledSpeed!(0.9, 0.01)).toBeCloseTo(0.6, 12);
    expect(w.throttledSpeed!(0.99, 0.01)).toBeCloseTo(0.06, 12);
  });
  it('rate-controlled without a backlog is CPU-bound in effect; cpuShare caps the speed at (1 − x) ÷ cpuShare', () => {
    expect(make({ demand: 'rate-controlled' }).throttledSpeed!(0.5, 0.01)).toBeCloseTo(0.5, 12);
    expect(make({ demand: 'rate-controlled', maxBacklog: '1 s', cpuShare: 0.8 }).throttledSpeed!(0.5, 0.01)).toBeCloseTo(0.625, 12);
  });
  it('maxBacklog without rate-controlled demand is an error naming the fix', () => {
    expect(() => make({ maxBacklog: '50 ms' })).toThrow(/demand: 'rate-controlled'/);
  });
});

describe('write size and writes per dirty page', () => {
  it('writeSize is carried to the workload', () => {
    expect(make({ writeSize: '8 B' }).writeSize_bytes).toBe(8);
  });
  it('uniform: a dirty page got λ ÷ (1 − e^−λ) writes, λ = r·t ÷ W', () => {
    // 16 384 writes/s over 256 pages for 10 ms: λ = 0.64.
    const w = make({});
    expect(w.writesPerDirtyPage!(0, 0.01)).toBeCloseTo(0.64 / (1 - Math.exp(-0.64)), 12);
    expect(w.writesPerDirtyPage!(0, 0)).toBe(1);
  });
});
