import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createNetwork, createKernel, type Link } from '@livemig/core';
import { createClusterNetwork, type ClusterFlow } from './network.js';

const link = (bandwidth_Bps: number, id = 'l', latency_s = 0): Link => ({ id, bandwidth_Bps, latency_s });

describe('createClusterNetwork', () => {
  it('max-min shares: a flow held by a narrow link leaves the rest of the shared link to the other', () => {
    const k = createKernel();
    // up0 100 B/s shared; b's down link is 40 B/s, so b gets 40 and a the other 60.
    const net = createClusterNetwork(k, [link(100, 'up0'), link(100, 'down1'), link(40, 'down2')]);
    const done: Record<string, number> = {};
    const a = net.transfer({ route: [0, 1], bytes: 900, onDone: () => (done.a = k.now) });
    net.transfer({ route: [0, 2], bytes: 400, onDone: () => (done.b = k.now) });
    k.run(5);
    expect(a.rate_Bps).toBe(60);
    expect(a.remaining_bytes).toBeCloseTo(900 - 5 * 60, 9);
    k.run();
    // b: 400 / 40 = 10 s; a: 600 B by then, its last 300 B alone at 100 B/s: 13 s.
    expect(done.b).toBeCloseTo(10, 12);
    expect(done.a).toBeCloseTo(13, 12);
  });

  it('a round that replaces one on the same route keeps its rate, and the other flow is not disturbed', () => {
    const k = createKernel();
    const net = createClusterNetwork(k, [link(100)]);
    const done: Record<string, number> = {};
    net.transfer({ route: [0], bytes: 500, onDone: () => net.transfer({ route: [0], bytes: 300, onDone: () => (done.a = k.now) }) });
    net.transfer({ route: [0], bytes: 1000, onDone: () => (done.b = k.now) });
    k.run();
    // Both at 50 B/s: a's first 500 B end at 10 s, its 300 B at 16 s; b has 200 B left then, alone: 18 s.
    expect(done.a).toBeCloseTo(16, 12);
    expect(done.b).toBeCloseTo(18, 12);
    expect(net.stats.inherited).toBe(1);
  });

  it('a slack link (an unlimited core switch, two flows capped at half a NIC) does not join flows into one computation', () => {
    const k = createKernel();
    // NIC up/down links of 3 hosts and a core of 1e18 B/s.
    const links = [link(100, 'up0'), link(100, 'down0'), link(100, 'up1'), link(100, 'down1'), link(100, 'up2'), link(100, 'down2'), link(1e18, 'core')];
    const net = createClusterNetwork(k, links);
    const done: number[] = [];
    // 0→1 and 0→2 capped at 50: up0 carries exactly 100 at most, it binds no one.
    net.transfer({ route: [0, 6, 3], cap_Bps: 50, bytes: 100, onDone: () => done.push(k.now) });
    k.run(1);
    net.transfer({ route: [0, 6, 5], cap_Bps: 50, bytes: 100, onDone: () => done.push(k.now) });
    k.run();
    expect(done).toEqual([2, 3]);
    // Each start and end solved one flow, never both.
    expect(net.stats.flowsRecomputed).toBe(net.stats.recomputations);
  });

  it('cancel stops a flow without onDone and speeds up the others', () => {
    const k = createKernel();
    const net = createClusterNetwork(k, [link(100)]);
    let bDone = -1;
    const a = net.transfer({ route: [0], bytes: 1000, onDone: () => expect.unreachable() });
    net.transfer({ route: [0], bytes: 1000, onDone: () => (bDone = k.now) });
    k.run(4);
    a.cancel();
    k.run();
    // b: 200 B by 4 s at 50 B/s, then 800 B at 100 B/s: 12 s.
    expect(bDone).toBeCloseTo(12, 12);
    expect(net.activeCount).toBe(0);
  });

  it("gives core's createNetwork completion times on random star clusters with chained rounds and caps", () => {
    const scenario = fc.record({
      hosts: fc.integer({ min: 2, max: 6 }),
      nics: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 6, maxLength: 6 }),
      core: fc.constantFrom(1e18, 150, 300),
      transfers: fc.array(
        fc.record({
          from: fc.nat(5),
          to: fc.nat(5),
          start: fc.integer({ min: 0, max: 20 }),
          cap: fc.constantFrom(Infinity, 50, 80, 100),
          rounds: fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 4 }),
        }),
        { minLength: 1, maxLength: 12 },
      ),
    });
    fc.assert(
      fc.property(scenario, (s) => {
        const links: Link[] = [];
        for (let h = 0; h < s.hosts; h++) links.push(link(s.nics[h]! * 50, `up${h}`), link(s.nics[h]! * 50, `down${h}`));
        const core = links.push(link(s.core, 'core')) - 1;
        const run = (make: 'core' | 'cluster'): number[] => {
          const k = createKernel();
          const net = make === 'core' ? createNetwork(k, links) : createClusterNetwork(k, links);
          const ends: number[] = s.transfers.map(() => NaN);
          s.transfers.forEach((t, i) => {
            const a = t.from % s.hosts;
            const b = (a + 1 + (t.to % (s.hosts - 1))) % s.hosts;
            const route = [2 * a, core, 2 * b + 1];
            const next = (r: number): void => {
              if (r === t.rounds.length) {
                ends[i] = k.now;
                return;
              }
              net.transfer({ route, cap_Bps: t.cap, bytes: t.rounds[r]!, onDone: () => next(r + 1) });
            };
            k.at(t.start, () => next(0));
          });
          k.run();
          return ends;
        };
        const want = run('core');
        const got = run('cluster');
        got.forEach((t, i) => expect(Math.abs(t - want[i]!)).toBeLessThanOrEqual(1e-9 * Math.max(1, want[i]!)));
      }),
      { numRuns: 200 },
    );
  });

  it('a round that follows the previous one (same object, rate kept) gives bit-identical completion times', () => {
    const scenario = fc.record({
      hosts: fc.integer({ min: 2, max: 5 }),
      nics: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 5, maxLength: 5 }),
      core: fc.constantFrom(1e18, 150),
      transfers: fc.array(
        fc.record({
          from: fc.nat(4),
          to: fc.nat(4),
          start: fc.integer({ min: 0, max: 20 }),
          cap: fc.constantFrom(Infinity, 50, 100),
          // some rounds at another cap: those cannot take the previous round's place
          capChange: fc.boolean(),
          rounds: fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 6 }),
        }),
        { minLength: 1, maxLength: 14 },
      ),
    });
    fc.assert(
      fc.property(scenario, (s) => {
        const links: Link[] = [];
        for (let h = 0; h < s.hosts; h++) links.push(link(s.nics[h]! * 50, `up${h}`), link(s.nics[h]! * 50, `down${h}`));
        const core = links.push(link(s.core, 'core')) - 1;
        const run = (follow: boolean): number[] => {
          const k = createKernel();
          const net = createClusterNetwork(k, links);
          const ends: number[] = s.transfers.map(() => NaN);
          s.transfers.forEach((t, i) => {
            const a = t.from % s.hosts;
            const b = (a + 1 + (t.to % (s.hosts - 1))) % s.hosts;
            const route = [2 * a, core, 2 * b + 1];
            let prev: ClusterFlow | undefined;
            const next = (r: number): void => {
              if (r === t.rounds.length) {
                ends[i] = k.now;
                return;
              }
              const cap = t.capChange && r % 3 === 2 ? t.cap / 2 : t.cap;
              prev = net.transfer({ route, cap_Bps: cap, bytes: t.rounds[r]!, onDone: () => next(r + 1), ...(follow ? { follows: prev } : {}) });
            };
            k.at(t.start, () => next(0));
          });
          k.run();
          expect(net.activeCount).toBe(0);
          return ends;
        };
        expect(run(true)).toEqual(run(false));
      }),
      { numRuns: 300 },
    );
  });
});
