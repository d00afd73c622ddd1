import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paretoConfigs } from './index.js';
import { dominates, paretoFront } from './pareto.js';
import type { ConfigSummary } from './summary.js';

describe('dominates', () => {
  it('needs ≤ on every objective and < on one', () => {
    expect(dominates([1, 1, 1], [1, 1, 2])).toBe(true);
    expect(dominates([1, 1, 1], [1, 1, 1])).toBe(false); // equal points do not dominate
    expect(dominates([1, 2, 1], [2, 1, 1])).toBe(false); // a trade-off
    expect(dominates([2, 2, 2], [1, 1, 1])).toBe(false);
  });
});

describe('paretoFront', () => {
  it('keeps the known front of a hand-made set, ties included', () => {
    const points = [
      [1, 5, 5], // 0: best downtime
      [5, 1, 5], // 1: best bytes
      [5, 5, 1], // 2: best total time
      [1, 5, 5], // 3: tie with 0 → kept
      [2, 5, 5], // 4: dominated by 0
      [5, 5, 5], // 5: dominated by 0, 1, 2
      [1, 5, 6], // 6: equal to 0 on two objectives, worse on one → dominated
      [3, 3, 3], // 7: a compromise nobody beats on all three → kept
    ];
    expect(paretoFront(points)).toEqual([0, 1, 2, 3, 7]);
    expect(paretoFront([])).toEqual([]);
  });

  it('property: the front is exactly the undominated points', () => {
    // small integer coordinates so that ties and duplicates are common
    const point = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }));
    fc.assert(
      fc.property(fc.array(point, { maxLength: 25 }), (points) => {
        const front = paretoFront(points);
        const onFront = new Set(front);
        // no front point is dominated by any configuration
        for (const i of front) for (const q of points) expect(dominates(q, points[i]!)).toBe(false);
        // every excluded configuration is dominated by some front point
        points.forEach((p, j) => {
          if (!onFront.has(j)) expect(front.some((i) => dominates(points[i]!, p))).toBe(true);
        });
        if (points.length > 0) expect(front.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});

function config(configId: string, downtime: number, bytes: number, total: number, n = 2, nCompleted = n): ConfigSummary {
  const m = (mean: number) => ({ count: n, mean, min: mean, max: mean });
  return {
    configId,
    params: {},
    labels: {},
    n,
    nCompleted,
    metrics: { downtime_s: m(downtime), bytes_sent: m(bytes), total_time_s: m(total) },
  };
}

describe('paretoConfigs', () => {
  const metrics = ['downtime_s', 'total_time_s', 'bytes_sent'];

  it('sorts the front by downtime, then bytes, then total time, then first appearance', () => {
    const front = paretoConfigs(
      [
        config('slow-cheap', 9, 1, 9),
        config('fast', 1, 9, 9),
        config('dominated', 2, 9, 9),
        config('middle', 5, 5, 5),
        config('middle-twin', 5, 5, 5),
        config('middle-fewer-bytes', 5, 4, 6),
      ],
      metrics,
    );
    expect(front.map((c) => c.configId)).toEqual(['fast', 'middle-fewer-bytes', 'middle', 'middle-twin', 'slow-cheap']);
  });

  it('leaves out configurations with a run that did not complete, and with a missing mean', () => {
    const noDowntime = config('no-downtime', 0, 0, 0);
    noDowntime.metrics['downtime_s'] = { count: 0 };
    const front = paretoConfigs([config('ok', 5, 5, 5), config('one-failed', 1, 1, 1, 3, 2), noDowntime], metrics);
    expect(front.map((c) => c.configId)).toEqual(['ok']);
  });
});
