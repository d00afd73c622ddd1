import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKernel } from './kernel.js';
import { createNetwork, routeLatency, type Flow, type Link } from './network.js';
import { createReferenceNetwork, progressiveFilling, type ReferenceFlow } from './network.reference.js';

/** Relative tolerance of the checks: the allocation is computed in floating point. */
const TOL = 1e-9;
const link = (bandwidth_Bps: number, id = 'l', latency_s = 0): Link => ({ id, bandwidth_Bps, latency_s });

/** A random topology: link capacities and flows over random subsets of links, some capped, some weighted or with usages. */
const topologyArb = (weighted: boolean) =>
  fc
    .array(fc.oneof(fc.double({ min: 1, max: 1e10, noNaN: true }), fc.integer({ min: 1, max: 100 })), { minLength: 1, maxLength: 8 })
    .chain((capacities) =>
      fc.record({
        capacities: fc.constant(capacities),
        flows: fc.array(
          fc
            .record({
              route: fc.uniqueArray(fc.integer({ min: 0, max: capacities.length - 1 }), { minLength: 1, maxLength: capacities.length }),
              // Caps of at least 1e-3 B/s (or 0): a denormal cap divided by a weight loses its precision.
              cap: fc.oneof(fc.double({ min: 1e-3, max: 2e10, noNaN: true }), fc.constant(0), fc.integer({ min: 0, max: 60 }), fc.constant(Infinity)),
              weight: weighted ? fc.constantFrom(1, 0.5, 2, 3.7) : fc.constant(1),
              usage: weighted ? fc.array(fc.constantFrom(1, 0.05, 1.05), { minLength: 8, maxLength: 8 }) : fc.constant(null),
            })
            .map(({ route, cap, weight, usage }): ReferenceFlow => ({ route, cap_Bps: cap, weight, ...(usage ? { usage: route.map((_, j) => usage[j]!) } : {}) })),
          { maxLength: 12 },
        ),
      }),
    );

/** The rates createNetwork gives to `flows` all started at once (as streams). */
function networkRates(capacities: readonly number[], flows: readonly ReferenceFlow[]): number[] {
  const k = createKernel();
  const net = createNetwork(
    k,
    capacities.map((c, i) => link(c, `l${i}`)),
  );
  const handles = flows.map((f) => net.stream({ ...f, latency_s: 0 }));
  k.run(1);
  return handles.map((h) => h.rate_Bps);
}

/** Per-link load of an allocation. */
function loads(capacities: readonly number[], flows: readonly ReferenceFlow[], rates: readonly number[]): number[] {
  const load = capacities.map(() => 0);
  flows.forEach((f, i) => f.route.forEach((l, j) => (load[l]! += (f.usage?.[j] ?? 1) * rates[i]!)));
  return load;
}
const capOf = (f: ReferenceFlow): number => f.cap_Bps ?? Infinity;
const close = (a: number, b: number, scale: number) => Math.abs(a - b) <= TOL * Math.max(1, Math.abs(b), scale);

describe('createNetwork: rates against the plain progressive-filling solver on random topologies', () => {
  for (const weighted of [false, true]) {
    const what = weighted ? 'with weights and usages' : 'unit weights and usages';
    it(`${what}: rates equal within rounding`, () => {
      fc.assert(
        fc.property(topologyArb(weighted), ({ capacities, flows }) => {
          const got = networkRates(capacities, flows);
          const want = progressiveFilling(capacities, flows);
          const scale = Math.max(...capacities);
          got.forEach((r, i) => expect(close(r, want[i]!, 1e-3 * scale), `flow ${i}: ${r} vs ${want[i]}`).toBe(true));
        }),
        { numRuns: 400 },
      );
    });

    it(`${what}: no link overbooked, no flow above its cap, every flow at its cap or bottlenecked on a full link where no flow has a higher level`, () => {
      fc.assert(
        fc.property(topologyArb(weighted), ({ capacities, flows }) => {
          const rates = networkRates(capacities, flows);
          const load = loads(capacities, flows, rates);
          load.forEach((x, l) => expect(x).toBeLessThanOrEqual(capacities[l]! * (1 + TOL)));
          const level = (i: number) => rates[i]! / (flows[i]!.weight ?? 1);
          flows.forEach((f, i) => {
            expect(rates[i]).toBeGreaterThanOrEqual(0);
            expect(rates[i]).toBeLessThanOrEqual(capOf(f) * (1 + TOL));
            if (rates[i]! >= capOf(f) * (1 - TOL)) return;
            const bottleneck = f.route.find(
              (l) => load[l]! >= capacities[l]! * (1 - 1e-7) && flows.every((g, j) => !g.route.includes(l) || level(j) <= level(i) * (1 + 1e-7) + 1e-7),
            );
            expect(bottleneck, `flow ${i} (rate ${rates[i]}) has no bottleneck`).toBeDefined();
          });
        }),
        { numRuns: 400 },
      );
    });
  }

  it('Pareto-optimal: raising any single flow by a small ε breaks a capacity or its cap', () => {
    fc.assert(
      fc.property(topologyArb(false), ({ capacities, flows }) => {
        const rates = networkRates(capacities, flows);
        flows.forEach((f, i) => {
          const raised = [...rates];
          raised[i]! += 1e-6 * Math.min(...f.route.map((l) => capacities[l]!));
          const load = loads(capacities, flows, raised);
          expect(f.route.some((l) => load[l]! > capacities[l]! * (1 + TOL)) || raised[i]! > capOf(f) * (1 + TOL), `flow ${i} could go faster`).toBe(true);
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe('createNetwork: hand-computed rates', () => {
  it('three links of 10: a long flow over all three, short flows on each (link 2 shared by three)', () => {
    // Link 2 has three flows (A, D, E): 10/3 each, saturated. Links 0 and 1 then have
    // 10 − 10/3 left for B and C alone: 20/3 each.
    const rates = networkRates([10, 10, 10], [{ route: [0, 1, 2] }, { route: [0] }, { route: [1] }, { route: [2] }, { route: [2] }]);
    [10 / 3, 20 / 3, 20 / 3, 10 / 3, 10 / 3].forEach((w, i) => expect(rates[i]).toBeCloseTo(w, 12));
  });

  it('a capped flow leaves its unused share to the others; a zero cap gets nothing', () => {
    expect(networkRates([12], [{ route: [0], cap_Bps: 2 }, { route: [0] }, { route: [0] }])).toEqual([2, 5, 5]);
    expect(networkRates([10], [{ route: [0], cap_Bps: 0 }, { route: [0] }])).toEqual([0, 10]);
  });

  it("SimGrid's cross-traffic: on a shared link a flow's acknowledgements (5 %) take their share, 1/1.05 of it is left", () => {
    const [r] = networkRates([105], [{ route: [0, 0], usage: [1, 0.05] }]);
    expect(r).toBeCloseTo(100, 10);
    // On split links the acknowledgements load the reverse direction only.
    const [a, b] = networkRates([100, 100], [{ route: [0, 1], usage: [1, 0.05] }, { route: [1, 0], usage: [1, 0.05] }]);
    expect(a).toBeCloseTo(100 / 1.05, 10);
    expect(b).toBeCloseTo(100 / 1.05, 10);
  });

  it('weights: a flow of weight 2 gets twice the share of a flow of weight 1 on the link they share', () => {
    expect(networkRates([90], [{ route: [0], weight: 2 }, { route: [0] }])).toEqual([60, 30].map((x) => expect.closeTo(x, 12)));
  });

  it('flows over routes that share only part of their links (star topology, hand-computed)', () => {
    // 0 = host A uplink 100, 1 = core 150, 2 = B downlink 100, 3 = C downlink 100: all four flows cross the core: 37.5 each.
    const rates = networkRates([100, 150, 100, 100], [{ route: [0, 1, 2] }, { route: [0, 1, 3] }, { route: [1, 2] }, { route: [1, 3] }]);
    rates.forEach((r) => expect(r).toBeCloseTo(37.5, 12));
  });

  it('refuses bad links, routes, usages, weights and byte counts, naming the problem', () => {
    const k = createKernel();
    expect(() => createNetwork(k, [link(0)])).toThrow('link l: bandwidth must be > 0 bytes/s, got 0');
    expect(() => createNetwork(k, [link(1, 'l', -1)])).toThrow('link l: latency must be >= 0 s, got -1');
    const net = createNetwork(k, [link(1)]);
    const onDone = () => {};
    expect(() => net.transfer({ route: [2], bytes: 1, onDone })).toThrow('route names link 2, but there are 1 links');
    expect(() => net.transfer({ route: [0], bytes: -1, onDone })).toThrow('transfer: bytes must be a finite number >= 0, got -1');
    expect(() => net.transfer({ route: [0], bytes: 1, usage: [0], onDone })).toThrow(/usage of link 0 must be a finite number > 0/);
    expect(() => net.transfer({ route: [0], bytes: 1, weight: 0, onDone })).toThrow(/weight must be a finite number > 0/);
    expect(() => net.stream({ route: [] })).toThrow('flow crosses no link and has no rate cap');
  });
});

describe('createNetwork: flows over time', () => {
  it('a single transfer finishes after one latency plus bytes / bandwidth, and reports exactly bytes / rate', () => {
    const k = createKernel();
    const net = createNetwork(k, [link(100, 'a', 0.25), link(400, 'b', 0.25)]);
    let doneAt = -1;
    const f: Flow = net.transfer({ route: [0, 1], bytes: 1000, onDone: () => (doneAt = k.now) });
    k.run();
    expect(doneAt).toBeCloseTo(10.5, 12);
    expect(f.transfer_s).toBe(10);
    expect(f.delivered_bytes).toBe(1000);
    expect(net.activeCount).toBe(0);
    expect(routeLatency(net.links, [0, 1])).toBe(0.5);
  });

  it('max-min shares over time: a flow held by a narrow link leaves the rest of the shared link to the other', () => {
    const k = createKernel();
    const net = createNetwork(k, [link(100, 'up0'), link(100, 'down1'), link(40, 'down2')]);
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
    expect(a.transfer_s).toBeCloseTo(13, 12);
  });

  it('a stream takes its share until cancelled; setCap changes its share at once; delivered bytes add up', () => {
    const k = createKernel();
    const net = createNetwork(k, [link(100)]);
    let doneAt = -1;
    const s = net.stream({ route: [0] });
    expect(s.remaining_bytes).toBe(Infinity);
    net.transfer({ route: [0], bytes: 1000, onDone: () => (doneAt = k.now) });
    k.at(4, () => s.setCap(20));
    k.at(10, () => s.cancel());
    k.run();
    // 50 B/s for 4 s (200 B), 80 B/s for 6 s (480 B), then 100 B/s for the last 320 B: 13.2 s.
    expect(doneAt).toBeCloseTo(13.2, 12);
    expect(s.delivered_bytes).toBeCloseTo(4 * 50 + 6 * 20, 9);
    expect(net.activeCount).toBe(0);
  });

  it('cancel: the callback is never called, the others get its share; cancelled during its latency it never starts', () => {
    const k = createKernel();
    const net = createNetwork(k, [link(100, 'l', 1)]);
    let bAt = -1;
    const a = net.transfer({ route: [0], bytes: 1000, onDone: () => expect.unreachable() });
    net.transfer({ route: [0], bytes: 1000, onDone: () => (bAt = k.now) });
    k.at(5, () => a.cancel());
    const c = net.transfer({ route: [0], bytes: 10, onDone: () => expect.unreachable() });
    k.at(0.5, () => c.cancel());
    k.run();
    // b: from t = 1, 200 B in 4 s at 50 B/s, 800 B at 100 B/s → 13.
    expect(bAt).toBeCloseTo(13, 12);
    a.cancel();
    expect(net.activeCount).toBe(0);
  });

  it('onRate is called once per change of the flow’s rate while it runs, after the instant is solved', () => {
    const k = createKernel();
    const net = createNetwork(k, [link(100)]);
    const seen: Array<[number, number]> = [];
    const a: Flow = net.transfer({ route: [0], bytes: 300, onDone: () => {}, onRate: () => seen.push([k.now, a.rate_Bps]) });
    k.at(1, () => net.transfer({ route: [0], bytes: 100, onDone: () => {} }));
    k.run();
    // a alone at 100 (t 0), 50 from t 1, b ends at 3, a alone again.
    expect(seen).toEqual([[0, 100], [1, 50], [expect.closeTo(3, 12), 100]]);
  });

  it('a slack link (an unlimited core switch, two flows capped at half a NIC) does not join flows into one computation', () => {
    const k = createKernel();
    const links = [link(100, 'up0'), link(100, 'down0'), link(100, 'up1'), link(100, 'down1'), link(100, 'up2'), link(100, 'down2'), link(1e18, 'core')];
    const net = createNetwork(k, links);
    const done: number[] = [];
    net.transfer({ route: [0, 6, 3], cap_Bps: 50, bytes: 100, onDone: () => done.push(k.now) });
    k.run(1);
    net.transfer({ route: [0, 6, 5], cap_Bps: 50, bytes: 100, onDone: () => done.push(k.now) });
    k.run();
    expect(done).toEqual([2, 3]);
    // Each start and end solved one flow, never both.
    expect(net.stats.flowsRecomputed).toBe(net.stats.recomputations);
  });

  it('a round that replaces one on the same route keeps its rate, and the other flow is not disturbed', () => {
    const k = createKernel();
    const net = createNetwork(k, [link(100)]);
    const done: Record<string, number> = {};
    net.transfer({ route: [0], bytes: 500, onDone: () => net.transfer({ route: [0], bytes: 300, onDone: () => (done.a = k.now) }) });
    net.transfer({ route: [0], bytes: 1000, onDone: () => (done.b = k.now) });
    k.run();
    expect(done.a).toBeCloseTo(16, 12);
    expect(done.b).toBeCloseTo(18, 12);
    expect(net.stats.inherited).toBe(1);
  });

  /** Random star clusters with chained rounds, caps, weights, cap changes and cancels. */
  const dynamicArb = fc.record({
    hosts: fc.integer({ min: 2, max: 6 }),
    nics: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 6, maxLength: 6 }),
    core: fc.constantFrom(1e18, 150, 300),
    latency: fc.constantFrom(0, 0.5),
    transfers: fc.array(
      fc.record({
        from: fc.nat(5),
        to: fc.nat(5),
        start: fc.integer({ min: 0, max: 20 }),
        cap: fc.constantFrom(Infinity, 50, 80, 100),
        weight: fc.constantFrom(1, 1, 2),
        ack: fc.boolean(),
        rounds: fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 4 }),
        cancelAt: fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 12 },
    ),
    streams: fc.array(fc.record({ from: fc.nat(5), to: fc.nat(5), cap: fc.constantFrom(30, 60), changeAt: fc.integer({ min: 0, max: 40 }), newCap: fc.constantFrom(0, 10, 90) }), {
      maxLength: 3,
    }),
  });

  it('property: completion times equal those of a network that re-solves every flow at every change (random star clusters)', () => {
    fc.assert(
      fc.property(dynamicArb, (s) => {
        const links: Link[] = [];
        for (let h = 0; h < s.hosts; h++) links.push(link(s.nics[h]! * 50, `up${h}`, s.latency), link(s.nics[h]! * 50, `down${h}`));
        const core = links.push(link(s.core, 'core')) - 1;
        const pair = (from: number, to: number) => {
          const a = from % s.hosts;
          return [a, (a + 1 + (to % (s.hosts - 1))) % s.hosts] as const;
        };
        const run = (make: 'incremental' | 'reference'): number[] => {
          const k = createKernel();
          const net = make === 'incremental' ? createNetwork(k, links) : createReferenceNetwork(k, links);
          const ends: number[] = s.transfers.map(() => NaN);
          s.transfers.forEach((t, i) => {
            const [a, b] = pair(t.from, t.to);
            const route = t.ack ? [2 * a, core, 2 * b + 1, 2 * b, core, 2 * a + 1] : [2 * a, core, 2 * b + 1];
            // The acknowledgements (5 %) cross the core a second time: usage 1.05 there.
            const usage = t.ack ? [1, 1, 1, 0.05, 0.05, 0.05] : undefined;
            let current: { cancel(): void } | undefined;
            const next = (r: number): void => {
              if (r === t.rounds.length) {
                ends[i] = k.now;
                return;
              }
              current = net.transfer({ route, ...(usage ? { usage } : {}), cap_Bps: t.cap, weight: t.weight, bytes: t.rounds[r]!, onDone: () => next(r + 1) });
            };
            k.at(t.start, () => next(0));
            if (t.cancelAt !== undefined) k.at(t.start + t.cancelAt, () => current?.cancel());
          });
          for (const st of s.streams) {
            const [a, b] = pair(st.from, st.to);
            const h = net.stream({ route: [2 * a, core, 2 * b + 1], cap_Bps: st.cap });
            k.at(st.changeAt, () => h.setCap(st.newCap));
          }
          k.run(1e6);
          return ends;
        };
        const want = run('reference');
        const got = run('incremental');
        got.forEach((t, i) => {
          if (Number.isNaN(want[i]!)) expect(t).toBeNaN();
          else expect(Math.abs(t - want[i]!)).toBeLessThanOrEqual(1e-9 * Math.max(1, want[i]!));
        });
      }),
      { numRuns: 300 },
    );
  });

  it('property: a round that follows the previous one (same object, rate kept) gives bit-identical completion times', () => {
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
          const net = createNetwork(k, links);
          const ends: number[] = s.transfers.map(() => NaN);
          s.transfers.forEach((t, i) => {
            const a = t.from % s.hosts;
            const b = (a + 1 + (t.to % (s.hosts - 1))) % s.hosts;
            const route = [2 * a, core, 2 * b + 1];
            let prev: Flow | undefined;
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

  it('property: bytes are conserved — each transfer’s delivered bytes equal its size and its time is at least size / bottleneck', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ start: fc.integer({ min: 0, max: 20 }), bytes: fc.integer({ min: 1, max: 5000 }), route: fc.constantFrom([0], [1], [0, 1]) }), { minLength: 1, maxLength: 8 }),
        (specs) => {
          const k = createKernel();
          const links = [link(100, 'a', 0.1), link(70, 'b', 0.05)];
          const net = createNetwork(k, links);
          const flows: Flow[] = [];
          const doneAt = specs.map(() => NaN);
          specs.forEach((s, i) => k.at(s.start, () => void (flows[i] = net.transfer({ route: s.route, bytes: s.bytes, onDone: () => (doneAt[i] = k.now) }))));
          k.run();
          specs.forEach((s, i) => {
            const narrow = Math.min(...s.route.map((l) => links[l]!.bandwidth_Bps));
            expect(flows[i]!.delivered_bytes).toBeCloseTo(s.bytes, 6);
            expect(flows[i]!.transfer_s).toBeGreaterThanOrEqual(s.bytes / narrow - 1e-9);
            expect(doneAt[i]! - s.start - routeLatency(links, s.route)).toBeCloseTo(flows[i]!.transfer_s, 9);
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
