import { describe, expect, it } from 'vitest';
import { createRng, resolveOptions, type SchedulerPlugin, type SchedulerView, type WaitingMigration } from '@livemig/core';
import { schedulerConformance } from '@livemig/testkit';
import { allAtOnce, kubevirt, limited, limitedScheduler, schedulers, sequential } from './index.js';

for (const p of Object.values(schedulers))
  schedulerConformance(p, p === limited ? { options: [{ total: 3, perSourceHost: 1, order: 'shortest-estimate' }, { perHost: 2, perLink: 1, backfill: false, order: 'priority' }, { perDestinationHost: 1, order: 'most-dirty' }] } : {});

const w = (id: number, from: number, to: number, extra: Partial<WaitingMigration> = {}): WaitingMigration => ({
  id,
  vm: `vm${id}`,
  fromHost: from,
  toHost: to,
  from: `h${from}`,
  to: `h${to}`,
  memory_bytes: 2 ** 30,
  dirtyRate_Bps: 0,
  requested_s: 0,
  route: [2 * from, 2 * to + 1],
  estimate_s: 1,
  fits: true,
  priority: 0,
  ...extra,
});
const view = (waiting: WaitingMigration[], running: SchedulerView['running'] = []): SchedulerView => ({ now_s: 0, waiting, running, hostCount: 4 });
const ctx = { rng: () => createRng(1) };
const make = (p: SchedulerPlugin, o: unknown) => p.create(resolveOptions(p, o, "scheduler.options"), ctx);

describe('schedulers (hand-computed picks)', () => {
  const queue = [w(0, 0, 1), w(1, 0, 2), w(2, 0, 3), w(3, 1, 2), w(4, 1, 3), w(5, 2, 3), w(6, 2, 0)];
  it('all-at-once starts everything that fits; sequential one', () => {
    expect(make(allAtOnce, {}).select(view([...queue, w(9, 3, 0, { fits: false })]))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(make(sequential, {}).select(view(queue))).toEqual([0]);
    expect(make(sequential, {}).select(view(queue, [{ id: 99, vm: 'x', fromHost: 3, toHost: 0, started_s: 0, route: [6, 1] }]))).toEqual([]);
  });
  it("KubeVirt's defaults: 2 outbound per node, 5 in the cluster, in creation order, a blocked one skipped", () => {
    // Host 0 has three waiting: the third is skipped; host 1 two; then host 2 fills the fifth slot.
    expect(make(kubevirt, {}).select(view(queue))).toEqual([0, 1, 3, 4, 5]);
    // With 4 running (two from host 0), one slot is left, and host 0's migrations cannot take it.
    const running = [0, 0, 1, 3].map((from, i) => ({ id: 50 + i, vm: `r${i}`, fromHost: from, toHost: (from + 1) % 4, started_s: 0, route: [2 * from, 2 * ((from + 1) % 4) + 1] }));
    expect(make(kubevirt, {}).select(view(queue, running))).toEqual([3]);
  });
  it('orderings and backfill: smallest memory first; a blocked head stops the queue without backfill', () => {
    const sized = [w(0, 0, 1, { memory_bytes: 3 }), w(1, 0, 2, { memory_bytes: 1 }), w(2, 1, 2, { memory_bytes: 2 })];
    expect(limitedScheduler({ order: 'smallest-memory', total: 2, backfill: true }).select(view(sized))).toEqual([1, 2]);
    expect(limitedScheduler({ order: 'fifo', perSourceHost: 1, backfill: true }).select(view(sized))).toEqual([0, 2]);
    expect(limitedScheduler({ order: 'fifo', perSourceHost: 1, backfill: false }).select(view(sized))).toEqual([0]);
    expect(limitedScheduler({ order: 'shortest-estimate', backfill: true, total: 1 }).select(view([w(0, 0, 1, { estimate_s: Infinity }), w(1, 0, 1, { estimate_s: 5 })]))).toEqual([1]);
  });
  it('per-host counts a host’s inbound and outbound migrations together; per-link counts routes crossing a link', () => {
    expect(limitedScheduler({ order: 'fifo', perHost: 1, backfill: true }).select(view([w(0, 0, 1), w(1, 1, 2), w(2, 2, 3), w(3, 3, 0)]))).toEqual([0, 2]);
    // Routes 0→1 and 0→2 share host 0's uplink (link 0); 1→2 and 0→2 share host 2's downlink (link 5).
    expect(limitedScheduler({ order: 'fifo', perLink: 1, backfill: true }).select(view([w(0, 0, 1), w(1, 0, 2), w(2, 1, 2)]))).toEqual([0, 2]);
  });
});
