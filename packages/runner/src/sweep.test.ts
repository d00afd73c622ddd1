import { describe, expect, it } from 'vitest';
import { createRng } from '@livemig/core';
import { expandPoints, parseParams, planSize, scaleValue, unitSamples } from './sweep.js';
import { columnName } from './plan.js';
import { canonical, shortHash } from './canonical.js';

describe('grid expansion', () => {
  it('has the product of the list lengths as size, the first parameter varying slowest', () => {
    const defs = parseParams({ method: 'grid', params: { a: [1, 2, 3], b: ['x', 'y'], 'c, d': [[1, 'p'], [2, 'q']] } }, 'f.json');
    const points = expandPoints(defs, 'grid', 1, 7);
    expect(points).toHaveLength(3 * 2 * 2);
    expect(planSize(defs, 'grid', 1)).toBe(12);
    expect(points[0]!.map((p) => p.value)).toEqual([1, 'x', 1, 'p']);
    expect(points[1]!.map((p) => p.value)).toEqual([1, 'x', 2, 'q']);
    expect(points[11]!.map((p) => p.value)).toEqual([3, 'y', 2, 'q']);
    // Every combination exactly once.
    expect(new Set(points.map((p) => canonical(p))).size).toBe(12);
  });

  it('refuses an empty sweep, an empty list, a range in a grid and a missing sample count', () => {
    expect(() => parseParams({ params: {} }, 'f.json')).toThrow(/the sweep is empty/);
    expect(() => parseParams({ params: { a: [] } }, 'f.json')).toThrow(/empty list of values/);
    expect(() => parseParams({ params: { a: { range: [1, 2] } } }, 'f.json')).toThrow(/needs "method": "random" or "lhs"/);
    expect(() => parseParams({ method: 'lhs', params: { a: { range: [1, 2] } } }, 'f.json')).toThrow(/needs "samples"/);
    expect(() => parseParams({ method: 'lhs', samples: 3, params: { a: { range: ['1 GiB', '2 s'] } } }, 'f.json')).toThrow(/different units/);
  });
});

describe('Latin hypercube', () => {
  it('hits each of the n strata exactly once in every dimension', () => {
    for (const n of [1, 5, 17, 64]) {
      const u = unitSamples('lhs', n, 4, createRng(n));
      for (let d = 0; d < 4; d++) {
        const strata = u.map((row) => Math.floor(row[d]! * n)).sort((a, b) => a - b);
        expect(strata).toEqual(Array.from({ length: n }, (_, i) => i));
      }
    }
  });

  it('samples a log range in log strata, crosses lists with the same samples, and is seeded', () => {
    const defs = parseParams({ method: 'lhs', samples: 10, params: { s: ['a', 'b'], bw: { range: ['1 Gbit/s', '100 Gbit/s'], scale: 'log' } } }, 'f.json');
    const points = expandPoints(defs, 'lhs', 10, 3);
    expect(points).toHaveLength(20);
    const si = points.slice(0, 10).map((p) => p[1]!.si!);
    expect(points.slice(10).map((p) => p[1]!.si)).toEqual(si);
    const strata = si.map((v) => Math.floor(Math.log10(v / 125e6) / 2 * 10)).sort((a, b) => a - b);
    expect(strata).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(points[0]![1]!.value).toBe(`${si[0]} B/s`);
    expect(expandPoints(defs, 'lhs', 10, 3)).toEqual(points);
    expect(expandPoints(defs, 'lhs', 10, 4)).not.toEqual(points);
  });

  it('keeps integer ranges inside their bounds', () => {
    const r = { lo: 1, hi: 30, scale: 'linear' as const, integer: true, quantity: null };
    for (const u of [0, 0.5, 0.9999]) {
      const v = scaleValue(u, r);
      expect(Number.isInteger(v) && v >= 1 && v <= 30).toBe(true);
    }
  });
});

describe('ids and columns', () => {
  it('hashes canonical JSON: key order does not matter, values do', () => {
    expect(shortHash({ a: 1, b: [1, 2] })).toBe(shortHash({ b: [1, 2], a: 1 }));
    expect(shortHash({ a: 1 })).not.toBe(shortHash({ a: 2 }));
    expect(shortHash({ a: 1 })).toMatch(/^[0-9a-f]{16}$/);
  });

  it('names columns after the path with the SI unit', () => {
    expect(columnName('scenario.network.bandwidth', 'rate')).toBe('network_bandwidth_Bps');
    expect(columnName('workload.options.rate', 'rate')).toBe('workload_rate_Bps');
    expect(columnName('scenario.vm.memory', 'bytes')).toBe('vm_memory_bytes');
    expect(columnName('stop.options.limit', 'seconds')).toBe('stop_limit_s');
    expect(columnName('strategy.options.maxPasses', null)).toBe('strategy_maxPasses');
  });
});
