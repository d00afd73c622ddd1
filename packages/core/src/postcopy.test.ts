// The page-exact post-copy engine: the guest stalls at the access to a page that has not
// arrived; the push goes on while a fault is served and shares the link with the page asked
// for; push orders 'sequential', 'around-faults' and 'bubbling'. Properties over random
// memories, links, access patterns and push options, driven as simulateMigration drives them
// (a message takes latencies × L + bytes ÷ min(bandwidth, cap)).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPageExactMemory, latenciesOf, type PostcopyOptions, type PostcopyStats, type SendAction } from './memory.js';
import { createRng } from './rng.js';
import type { Workload } from './workload.js';

interface Case {
  pages: number;
  /** Pages per second on the link (4 KiB pages, no header). */
  linkPages: number;
  latency_s: number;
  /** Guest accesses per second, as a multiple of the link's page rate. */
  rateFactor: number;
  pattern: 'uniform' | 'sequential';
  wsFraction: number;
  offsetFraction: number;
  zeroFraction: number;
  /** Pages sent (and kept) before the switch, as a fraction (a hybrid's pre-copy pass). */
  presentFraction: number;
  opts: PostcopyOptions;
  seed: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  pages: fc.integer({ min: 1, max: 400 }),
  linkPages: fc.integer({ min: 100, max: 100_000 }),
  latency_s: fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 1e-2, noNaN: true })),
  rateFactor: fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 50, noNaN: true })),
  pattern: fc.constantFrom('uniform' as const, 'sequential' as const),
  wsFraction: fc.double({ min: 0.01, max: 1, noNaN: true }),
  offsetFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  zeroFraction: fc.constantFrom(0, 0.3),
  presentFraction: fc.constantFrom(0, 0, 0.5),
  opts: fc.record(
    {
      chunkPages: fc.integer({ min: 1, max: 300 }),
      pushOrder: fc.constantFrom('sequential' as const, 'around-faults' as const, 'bubbling' as const),
      pivots: fc.integer({ min: 1, max: 6 }),
      cap_Bps: fc.double({ min: 4096 * 50, max: 4096 * 200_000, noNaN: true }),
    },
    { requiredKeys: [] },
  ),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});

/** A steady-rate workload over a working set that records every page it writes. */
function recordingWorkload(c: Case, rate: number, touched: Set<number>, recording: { on: boolean }): Workload {
  const ws = Math.max(1, Math.round(c.wsFraction * c.pages));
  const offset = Math.min(c.pages - ws, Math.floor(c.offsetFraction * c.pages));
  const rng = createRng(c.seed ^ 0x5eed);
  let carry = 0;
  let next = 0;
  return {
    writeRate: () => rate,
    expectedDistinct: (_t, work) => Math.min(ws, rate * work),
    writes(_t, dt, speed, write) {
      const total = rate * dt * speed + carry;
      const k = Math.floor(total + 1e-9);
      carry = total - k;
      for (let i = 0; i < k; i++) {
        const p = offset + (c.pattern === 'uniform' ? rng.int(ws) : next);
        next = next + 1 === ws ? 0 : next + 1;
        if (recording.on) touched.add(p);
        write(p);
      }
    },
  };
}

interface Outcome {
  stats: PostcopyStats;
  touched: number;
  /** Lost work the driver's clock counted: Σ (1 − speed at the yield) × answer. */
  clockLost_s: number;
  mem: ReturnType<typeof createPageExactMemory>;
  bandwidth_Bps: number;
  absentAtSwitch: number;
}

function run(c: Case): Outcome {
  const bandwidth = c.linkPages * 4096;
  const touched = new Set<number>();
  const recording = { on: false };
  const workload = recordingWorkload(c, c.rateFactor * c.linkPages, touched, recording);
  const mem = createPageExactMemory({
    pageCount: c.pages,
    costs: { pageSize_bytes: 4096, header_bytes: 0, zeroPage_bytes: 9, elideZeroPages: c.zeroFraction > 0 },
    workload,
    zeroFraction: c.zeroFraction,
    rng: createRng(c.seed),
  });
  const answer = (a: SendAction): number =>
    latenciesOf(a) * c.latency_s + a.bytes / Math.min(bandwidth, a.cap_Bps);
  if (c.presentFraction > 0) {
    // One pre-copy pass over the whole memory, the guest writing meanwhile, then the switch:
    // the pages written since their send are absent again.
    mem.selectAll();
    const send = mem.send();
    for (let r = send.next(0); !r.done; r = send.next(answer(r.value)));
  }
  mem.speed = 0;
  const absentAtSwitch = mem.switchToPostcopy();
  mem.speed = 1;
  recording.on = true;
  const it = mem.postcopyTransfer(c.opts);
  let clockLost = 0;
  let r = it.next(0);
  while (!r.done) {
    const a = answer(r.value);
    clockLost += (1 - mem.speed) * a;
    r = it.next(a);
  }
  return { stats: r.value, touched: touched.size, clockLost_s: clockLost, mem, bandwidth_Bps: bandwidth, absentAtSwitch };
}

describe('page-exact post-copy: the guest stalls at a fault, the push goes on (properties)', () => {
  it('every absent page crosses once, the image matches, faults ≤ pages touched, the link is never overbooked, stalls = Σ waits', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { stats, touched, clockLost_s, mem, bandwidth_Bps, absentAtSwitch } = run(c);
        // Each absent page crossed exactly once (pushed or sent on demand); the image matches.
        expect(stats.pushed + stats.faults).toBe(absentAtSwitch);
        expect(mem.absentCount).toBe(0);
        expect(mem.neverSentPages()).toBe(0);
        expect(mem.mismatchedPages()).toBe(0);
        if (c.presentFraction === 0) expect(mem.totals.resent).toBe(0);
        // A fault is a first access to a page after the switch: at most the pages touched.
        expect(stats.faults + stats.pushWaits).toBeLessThanOrEqual(touched);
        // Pushed and demanded pages share one link: bytes ≤ bandwidth × time.
        expect(stats.bytes).toBeLessThanOrEqual(bandwidth_Bps * stats.duration_s * (1 + 1e-9) + 1e-6);
        // A page sent on demand costs at least a round trip and its transfer.
        expect(stats.faultWait_s).toBeGreaterThanOrEqual(stats.faults * (2 * c.latency_s + 9 / bandwidth_Bps) * (1 - 1e-9));
        // The guest's stalled time is the sum of its waits: the lost work the clock counted plus
        // the engine's correction (speed 1 outside stalls).
        expect(clockLost_s + stats.degradationAdjust_s).toBeCloseTo(stats.faultWait_s, 9);
        expect(stats.faultWait_s).toBeLessThanOrEqual(stats.duration_s * (1 + 1e-9));
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic: the same case gives the same stats', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        expect(run(c).stats).toEqual(run(c).stats);
      }),
      { numRuns: 30 },
    );
  });
});

describe('page-exact post-copy: hand-computed cases', () => {
  const base: Case = {
    pages: 1000,
    linkPages: 1000, // a page takes 1 ms on the wire
    latency_s: 0,
    rateFactor: 2, // 2 000 accesses/s
    pattern: 'sequential',
    wsFraction: 1,
    offsetFraction: 0,
    zeroFraction: 0,
    presentFraction: 0,
    opts: { chunkPages: 100 },
    seed: 1,
  };

  it('a sequential guest twice as fast as the push from page 0 waits for every page, never faults', () => {
    // Page i arrives at (i + 1) ms; the guest wants it 0.5 ms after the previous one: it trails
    // the push, stalled half of the time (0.5 s of 1 s), and never needs a page sent on demand.
    const { stats } = run(base);
    expect(stats.faults).toBe(0);
    expect(stats.pushWaits).toBe(1000);
    expect(stats.duration_s).toBeCloseTo(1, 9);
    expect(stats.faultWait_s).toBeCloseTo(0.5, 9);
  });

  it('a working set the push reaches last: every page of it is sent on demand at one round trip + one page each', () => {
    // Working set = the last 100 pages, push in page order, latency 1 ms: the guest faults on
    // page 900 at once; each demand page waits 2 ms (round trip) plus up to 1 ms behind the
    // pushed page on the wire plus its own 1 ms, so the guest gets through ≤ 1 page per 3 ms
    // while the push needs 900 ms to reach page 900: all 100 pages are faults.
    const c: Case = { ...base, latency_s: 1e-3, wsFraction: 0.1, offsetFraction: 0.9, opts: { chunkPages: 100, pushOrder: 'sequential' } };
    const { stats } = run(c);
    expect(stats.faults).toBe(100);
    expect(stats.pushWaits).toBe(0);
    // Around faults: after the first fault the push runs ahead of the guest: 1 fault only.
    const around = run({ ...c, opts: { chunkPages: 100, pushOrder: 'around-faults' } }).stats;
    expect(around.faults).toBe(1);
    expect(around.pushWaits).toBe(99);
    // Bubbling also sends backward, so the guest waits longer for its pages, but still one fault.
    const bubble = run({ ...c, opts: { chunkPages: 100, pushOrder: 'bubbling', pivots: 1 } }).stats;
    expect(bubble.faults).toBe(1);
    expect(bubble.faultWait_s).toBeGreaterThan(around.faultWait_s);
  });

  it('bubbling pushes backward too: a guest walking down from its first fault waits but does not fault again', () => {
    // The guest writes pages 500, 499, 498, … at 2 000 pages/s over a 1 000 pages/s link with
    // 1 ms latency. Around-faults pushes forward from the fault only: every page below it is a
    // fault. Bubbling (one pivot) sends 501, 499, 502, 498, …: the pages below arrive at half
    // the link rate, ahead of the guest's requests.
    const walkDown = (opts: PostcopyOptions): PostcopyStats => {
      let carry = 0;
      let next = 500;
      const mem = createPageExactMemory({
        pageCount: 1000,
        costs: { pageSize_bytes: 4096, header_bytes: 0, zeroPage_bytes: 9, elideZeroPages: false },
        workload: {
          writeRate: () => 2000,
          expectedDistinct: (_t, w) => Math.min(501, 2000 * w),
          writes(_t, dt, speed, write) {
            const total = 2000 * dt * speed + carry;
            const k = Math.floor(total + 1e-9);
            carry = total - k;
            for (let i = 0; i < k; i++) {
              write(next);
              next = next === 0 ? 500 : next - 1;
            }
          },
        },
        zeroFraction: 0,
        rng: createRng(1),
      });
      mem.speed = 0;
      mem.switchToPostcopy();
      mem.speed = 1;
      const it = mem.postcopyTransfer(opts);
      let r = it.next(0);
      while (!r.done) r = it.next(latenciesOf(r.value) * 1e-3 + r.value.bytes / 4096e3);
      expect(mem.mismatchedPages()).toBe(0);
      return r.value;
    };
    expect(walkDown({ pushOrder: 'around-faults' }).faults).toBeGreaterThan(100);
    const bubble = walkDown({ pushOrder: 'bubbling', pivots: 1 });
    expect(bubble.faults).toBe(1);
    // Until the first request reaches the source (one round trip, 2 ms) the push goes in page
    // order: pages 0 and 1 are there before the guest walks down to them; it waits for the 498 others.
    expect(bubble.pushWaits).toBe(498);
  });
});
