import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKernel } from './kernel.js';
import { createFlowNetwork, maxMinFairRates, routeLatency, type FlowDemand, type Link } from './network.js';

/** Relative tolerance of the checks: the allocation is computed in floating point. */
const TOL = 1e-9;

/** A random topology: link capacities and flows over random subsets of links, some capped. */
const topologyArb = fc
  .array(fc.oneof(fc.double({ min: 1, max: 1e10, noNaN: true }), fc.integer({ min: 1, max: 100 })), { minLength: 1, maxLength: 8 })
  .chain((capacities) =>
    fc.record({
      capacities: fc.constant(capacities),
      flows: fc.array(
        fc.record(
          {
            route: fc.uniqueArray(fc.integer({ min: 0, max: capacities.length - 1 }), { minLength: 1, maxLength: capacities.length }),
            cap_Bps: fc.oneof(fc.double({ min: 0, max: 2e10, noNaN: true }), fc.integer({ min: 0, max: 60 }), fc.constant(Infinity)),
          },
          { requiredKeys: ['route'] },
        ),
        { maxLength: 12 },
      ),
    }),
  );

const capOf = (f: FlowDemand): number => f.cap_Bps ?? Infinity;

/** Per-link load of an allocation. */
function loads(capacities: readonly number[], flows: readonly FlowDemand[], rates: ArrayLike<number>): number[] {
  const load = capacities.map(() => 0);
  flows.forEach((f, i) => f.route.forEach((l) => (load[l]! += rates[i]!)));
  return load;
}

const saturated = (load: number, capacity: number): boolean => load >= capacity * (1 - TOL);
const atCap = (rate: number, cap: number): boolean => rate >= cap * (1 - TOL);

describe('maxMinFairRates: properties over random topologies', () => {
  it('(1) feasible: no link carries more than its capacity, no flow exceeds its cap, no rate is negative', () => {
    fc.assert(
      fc.property(topologyArb, ({ capacities, flows }) => {
        const rates = maxMinFairRates(capacities, flows);
        expect(rates.length).toBe(flows.length);
        loads(capacities, flows, rates).forEach((load, l) => expect(load).toBeLessThanOrEqual(capacities[l]! * (1 + TOL)));
        flows.forEach((f, i) => {
          expect(rates[i]).toBeGreaterThanOrEqual(0);
          expect(rates[i]).toBeLessThanOrEqual(capOf(f) * (1 + TOL));
        });
      }),
      { numRuns: 500 },
    );
  });

  it('(2) max-min fair: each flow is at its cap or has a saturated bottleneck link on which no flow is faster', () => {
    fc.assert(
      fc.property(topologyArb, ({ capacities, flows }) => {
        const rates = maxMinFairRates(capacities, flows);
        const load = loads(capacities, flows, rates);
        flows.forEach((f, i) => {
          if (atCap(rates[i]!, capOf(f))) return;
          const bottleneck = f.route.find(
            (l) =>
              saturated(load[l]!, capacities[l]!) &&
              flows.every((g, j) => !g.route.includes(l) || rates[j]! <= rates[i]! * (1 + TOL) + TOL * capacities[l]!),
          );
          expect(bottleneck, `flow ${i} (rate ${rates[i]}) has no bottleneck`).toBeDefined();
        });
      }),
      { numRuns: 500 },
    );
  });

  it('(3) Pareto-optimal: raising any single flow by a small ε breaks a capacity or its cap', () => {
    fc.assert(
      fc.property(topologyArb, ({ capacities, flows }) => {
        const rates = maxMinFairRates(capacities, flows);
        flows.forEach((f, i) => {
          const raised = Float64Array.from(rates);
          // ε: 1e-6 of the smallest capacity on the route, well above the 1e-9 tolerance.
          const eps = 1e-6 * Math.min(...f.route.map((l) => capacities[l]!));
          raised[i]! += eps;
          const load = loads(capacities, flows, raised);
          const breaksLink = f.route.some((l) => load[l]! > capacities[l]! * (1 + TOL));
          const breaksCap = raised[i]! > capOf(f) * (1 + TOL);
          expect(breaksLink || breaksCap, `flow ${i} could go faster`).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('the result does not depend on the order of the flows', () => {
    fc.assert(
      fc.property(topologyArb, fc.integer(), ({ capacities, flows }, seed) => {
        const order = flows.map((_, i) => i).sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
        const rates = maxMinFairRates(capacities, flows);
        const permuted = maxMinFairRates(capacities, order.map((i) => flows[i]!));
        order.forEach((i, k) => expect(permuted[k]).toBeCloseTo(rates[i]!, 6));
      }),
      { numRuns: 200 },
    );
  });
});

describe('maxMinFairRates: hand-computed examples', () => {
  it('three links of 10: a long flow over all three, short flows on each (link 2 shared by three)', () => {
    // Link 2 has three flows (A, D, E): 10/3 each, saturated. Links 0 and 1 then have
    // 10 − 10/3 left for B and C alone: 20/3 each.
    const rates = maxMinFairRates([10, 10, 10], [{ route: [0, 1, 2] }, { route: [0] }, { route: [1] }, { route: [2] }, { route: [2] }]);
    const want = [10 / 3, 20 / 3, 20 / 3, 10 / 3, 10 / 3];
    want.forEach((w, i) => expect(rates[i]).toBeCloseTo(w, 12));
  });

  it('two links of different capacity: the narrow one decides the flow that crosses both', () => {
    // Link 1 (30) is shared by P and R: 15 each. Link 0 (100) then has 85 left for Q.
    const rates = maxMinFairRates([100, 30], [{ route: [0, 1] }, { route: [0] }, { route: [1] }]);
    expect(Array.from(rates)).toEqual([15, 85, 15].map((x) => expect.closeTo(x, 12)));
  });

  it('a capped flow leaves its unused share to the others', () => {
    const rates = maxMinFairRates([12], [{ route: [0], cap_Bps: 2 }, { route: [0] }, { route: [0] }]);
    expect(Array.from(rates)).toEqual([2, 5, 5].map((x) => expect.closeTo(x, 12)));
  });

  it('a flow with a zero cap gets nothing; a flow crossing no link gets its cap', () => {
    const rates = maxMinFairRates([10], [{ route: [0], cap_Bps: 0 }, { route: [0] }, { route: [], cap_Bps: 7 }]);
    expect(Array.from(rates)).toEqual([0, 10, 7]);
  });

  it('no flows: an empty result', () => {
    expect(maxMinFairRates([5], []).length).toBe(0);
  });

  it('refuses inputs that have no meaningful answer, naming the flow or link', () => {
    expect(() => maxMinFairRates([10], [{ route: [] }])).toThrow('flow 0 crosses no link and has no rate cap');
    expect(() => maxMinFairRates([10], [{ route: [0] }, { route: [3] }])).toThrow(/flow 1: route names link 3, but there are 1 links/);
    expect(() => maxMinFairRates([10], [{ route: [0], cap_Bps: NaN }])).toThrow(/flow 0: cap must be >= 0 bytes\/s/);
    expect(() => maxMinFairRates([-1], [{ route: [0] }])).toThrow(/link 0: capacity must be >= 0 bytes\/s/);
  });
});

describe('createFlowNetwork', () => {
  const link = (bandwidth_Bps: number, latency_s = 0, id = 'l'): Link => ({ id, bandwidth_Bps, latency_s });

  it('a single transfer finishes after one latency plus bytes / bandwidth', () => {
    const k = createKernel();
    const net = createFlowNetwork(k, [link(100, 0.25, 'a'), link(400, 0.25, 'b')]);
    let doneAt = -1;
    net.transfer({ route: [0, 1], bytes: 1000, onDone: () => (doneAt = k.now) });
    k.run();
    // Latency 0.25 + 0.25; bottleneck 100 B/s → 10 s.
    expect(doneAt).toBeCloseTo(10.5, 12);
    expect(net.active.length).toBe(0);
    expect(routeLatency(net.links, [0, 1])).toBe(0.5);
  });

  it('two transfers share a link, and the survivor speeds up when the first ends', () => {
    const k = createKernel();
    const net = createFlowNetwork(k, [link(100, 1)]);
    const done: Record<string, number> = {};
    net.transfer({ route: [0], bytes: 1000, onDone: () => (done.a = k.now) });
    net.transfer({ route: [0], bytes: 500, onDone: () => (done.b = k.now) });
    k.run();
    // Both start at t = 1 at 50 B/s; b's 500 B end at 1 + 10 = 11, when a has 500 B left,
    // which it sends alone at 100 B/s: 11 + 5 = 16.
    expect(done.b).toBeCloseTo(11, 12);
    expect(done.a).toBeCloseTo(16, 12);
  });

  it('a transfer that starts later slows the running one from then on', () => {
    const k = createKernel();
    const net = createFlowNetwork(k, [link(100)]);
    const done: Record<string, number> = {};
    net.transfer({ route: [0], bytes: 1000, onDone: () => (done.a = k.now) });
    k.at(4, () => net.transfer({ route: [0], bytes: 300, onDone: () => (done.b = k.now) }));
    k.run();
    // a alone for 4 s: 400 B, 600 left. Then 50 B/s each: b done at 4 + 6 = 10, a has 300
    // left then, alone again: 10 + 3 = 13.
    expect(done.b).toBeCloseTo(10, 12);
    expect(done.a).toBeCloseTo(13, 12);
  });

  it('remaining_bytes and rate_Bps are current at any time, not only at events', () => {
    const k = createKernel();
    const net = createFlowNetwork(k, [link(100)]);
    const a = net.transfer({ route: [0], bytes: 1000, onDone: () => {} });
    k.run(2.5);
    expect(a.rate_Bps).toBe(100);
    expect(a.remaining_bytes).toBeCloseTo(750, 9);
    k.run();
    expect(k.now).toBeCloseTo(10, 12);
    expect(a.rate_Bps).toBe(0);
    expect(a.remaining_bytes).toBe(0);
  });

  it('a stream takes its share until cancelled; a rate cap is respected', () => {
    const k = createKernel();
    const net = createFlowNetwork(k, [link(100)]);
    let doneAt = -1;
    const s = net.stream({ route: [0] });
    expect(s.remaining_bytes).toBe(Infinity);
    net.transfer({ route: [0], bytes: 1000, onDone: () => (doneAt = k.now) });
    k.at(10, () => s.cancel());
    k.run();
    // 50 B/s for 10 s (500 B), then 100 B/s for the other 500 B: 15 s.
    expect(doneAt).toBeCloseTo(15, 12);
    expect(net.active.length).toBe(0);

    const k2 = createKernel();
    const net2 = createFlowNetwork(k2, [link(100)]);
    let capped = -1;
    net2.transfer({ route: [0], bytes: 1000, cap_Bps: 40, onDone: () => (capped = k2.now) });
    const st = net2.stream({ route: [0] });
    k2.run(1);
    expect(st.rate_Bps).toBeCloseTo(60, 12); // the stream takes what the capped transfer leaves
    k2.run();
    expect(capped).toBeCloseTo(25, 12);
  });

  it('cancel: the callback is never called, the flow leaves, the others get its share', () => {
    const k = createKernel();
    const net = createFlowNetwork(k, [link(100)]);
    let aDone = false;
    let bAt = -1;
    const a = net.transfer({ route: [0], bytes: 1000, onDone: () => (aDone = true) });
    net.transfer({ route: [0], bytes: 1000, onDone: () => (bAt = k.now) });
    k.at(4, () => a.cancel());
    k.run();
    expect(aDone).toBe(false);
    // b: 200 B in 4 s at 50 B/s, 800 B at 100 B/s → 4 + 8 = 12.
    expect(bAt).toBeCloseTo(12, 12);
    a.cancel(); // twice is harmless

    // Cancelled during its latency: it never starts.
    const k2 = createKernel();
    const net2 = createFlowNetwork(k2, [link(100, 1)]);
    let called = false;
    const c = net2.transfer({ route: [0], bytes: 10, onDone: () => (called = true) });
    k2.at(0.5, () => c.cancel());
    k2.run();
    expect(called).toBe(false);
    expect(net2.active.length).toBe(0);
  });

  it('onChange fires after every recomputation, with the new rates in place', () => {
    const k = createKernel();
    const net = createFlowNetwork(k, [link(100)]);
    const seen: Array<[number, number[]]> = [];
    net.onChange(() => seen.push([k.now, net.active.map((f) => f.rate_Bps)]));
    net.transfer({ route: [0], bytes: 100, onDone: () => {} });
    net.transfer({ route: [0], bytes: 300, onDone: () => {} });
    k.run();
    // Start a (100 alone), start b (50/50), a ends at t = 2 (100 B at 50 B/s), b alone at 100
    // B/s with 200 B left, b ends at 4.
    expect(seen.map(([t]) => t)).toEqual([0, 0, expect.closeTo(2, 12), expect.closeTo(4, 12)]);
    expect(seen.map(([, r]) => r)).toEqual([[100], [50, 50], [100], []]);
  });

  it('flows over routes that share only part of their links (star topology, hand-computed)', () => {
    // Links: 0 = host A uplink 100, 1 = core 150, 2 = host B downlink 100, 3 = host C downlink 100.
    // A→B and A→C share A's uplink, X→B and Y→C come from elsewhere; each downlink and the
    // uplink would allow 50 per flow, but all four cross the core: 150 / 4 = 37.5 each.
    const k = createKernel();
    const net = createFlowNetwork(k, [link(100), link(150), link(100), link(100)]);
    const flows = [net.stream({ route: [0, 1, 2] }), net.stream({ route: [0, 1, 3] }), net.stream({ route: [1, 2] }), net.stream({ route: [1, 3] })];
    k.run(1);
    flows.forEach((f) => expect(f.rate_Bps).toBeCloseTo(37.5, 12));
  });

  it('refuses bad links, bad routes and negative byte counts, naming the problem', () => {
    const k = createKernel();
    expect(() => createFlowNetwork(k, [link(0)])).toThrow('link l: bandwidth must be > 0 bytes/s, got 0');
    expect(() => createFlowNetwork(k, [link(1, -1)])).toThrow('link l: latency must be >= 0 s, got -1');
    const net = createFlowNetwork(k, [link(1)]);
    expect(() => net.transfer({ route: [2], bytes: 1, onDone: () => {} })).toThrow('route names link 2, but there are 1 links');
    expect(() => net.transfer({ route: [0], bytes: -1, onDone: () => {} })).toThrow('transfer: bytes must be >= 0, got -1');
  });

  it('property: bytes are conserved — each transfer ends exactly when the integral of its rate reaches its size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ start: fc.integer({ min: 0, max: 20 }), bytes: fc.integer({ min: 0, max: 5000 }), route: fc.constantFrom([0], [1], [0, 1]) }), { minLength: 1, maxLength: 8 }),
        (specs) => {
          const k = createKernel();
          const net = createFlowNetwork(k, [link(100, 0.1), link(70, 0.05)]);
          const sent = specs.map(() => 0);
          const doneAt = specs.map(() => NaN);
          const handles: Array<{ rate_Bps: number } | undefined> = specs.map(() => undefined);
          // Integrate every flow's rate between recomputations.
          let last = 0;
          let rates: number[] = specs.map(() => 0);
          const integrate = () => {
            rates.forEach((r, i) => (sent[i]! += r * (k.now - last)));
            last = k.now;
          };
          net.onChange(() => {
            integrate();
            rates = handles.map((h) => (h && net.active.includes(h as never) ? h.rate_Bps : 0));
          });
          specs.forEach((s, i) =>
            k.at(s.start, () => {
              handles[i] = net.transfer({ route: s.route, bytes: s.bytes, onDone: () => (doneAt[i] = k.now) });
            }),
          );
          k.run();
          specs.forEach((s, i) => {
            expect(doneAt[i]).toBeGreaterThanOrEqual(s.start + routeLatency(net.links, s.route) - 1e-12);
            expect(sent[i]).toBeCloseTo(s.bytes, 6);
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
