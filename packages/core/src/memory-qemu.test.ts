/**
 * Engine features the QEMU model needs: the zero-page map, the union of the never-sent tail
 * with the dirty log, QEMU's XBZRLE encoding and cache lifetime, and post-copy's completion
 * without the rate limit. Each expected value is worked out from the rule.
 */
import { describe, expect, it } from 'vitest';
import { createFluidMemory, createPageExactMemory, xbzrleEncodedBytes, type GuestMemory, type SendOptions } from './memory.js';
import { createRng } from './rng.js';
import type { Workload } from './workload.js';
import { throttledSpeed } from './workload.js';

const PAGE = 4096;
const costs = { pageSize_bytes: PAGE, header_bytes: 8, zeroPage_bytes: 9, elideZeroPages: true };
const still: Workload = { writeRate: () => 0, expectedDistinct: () => 0, writes: () => {} };

function drive<T>(it: Generator<{ bytes: number; cap_Bps: number }, T, number>, link: number): T {
  let answer = 0;
  for (;;) {
    const s = it.next(answer);
    if (s.done) return s.value;
    answer = s.value.bytes / Math.min(link, s.value.cap_Bps);
  }
}
const send = (m: GuestMemory, o: SendOptions = {}, link = 1e9) => drive(m.send(o), link);

describe('zeroProfile: zero pages by address segment', () => {
  for (const engine of ['page-exact', 'fluid'] as const) {
    it(`${engine}: a map [1, 0, 0.5, 0] puts n/4 + n/8 zero markers in the first pass, where the map says`, () => {
      const n = 8000;
      const o = { pageCount: n, costs, workload: still, zeroFraction: 0, zeroProfile: [1, 0, 0.5, 0] };
      const m = engine === 'page-exact' ? createPageExactMemory({ ...o, rng: createRng(3) }) : createFluidMemory(o);
      m.selectAll();
      // The first quarter: all zero. A budget of the quarter's markers (2 000 × 9 B) takes exactly it.
      const q1 = send(m, { maxBytes: 2000 * 9 });
      expect(q1.zeroPages).toBe(2000);
      expect(q1.pages).toBe(2000);
      send(m);
      // Third quarter at 0.5: 1 000 in expectation (the page-exact draw: within 4 sd = 4 × √(2000/4)).
      const zeros = m.totals.zeroPages;
      if (engine === 'fluid') expect(zeros).toBeCloseTo(3000, 6);
      else expect(Math.abs(zeros - 3000)).toBeLessThan(4 * Math.sqrt(500));
    });
  }
  it('rejects a share outside [0, 1]', () => {
    expect(() => createFluidMemory({ pageCount: 10, costs, workload: still, zeroFraction: 0, zeroProfile: [1.5] })).toThrow(/zeroProfile/);
  });
});

describe('fluid: the never-sent tail and the dirty log', () => {
  it('a working set the pass has left behind does not overlap the unsent tail', () => {
    // Uniform writes over pages [0, 1000) of 4 000; the pass has sent [0, 3000); 1 000 never-sent
    // pages are left. The guest then writes 500 distinct pages, all inside [0, 1000): the union
    // is 1 000 + 500, not 1 000 + 500 × (1 − 1 000/4 000) as for writes spread over memory.
    const W = 1000;
    const r = 2000;
    const profiled: Workload & { untouchedProfile(t: number, w: number): unknown[] } = {
      writeRate: () => r,
      expectedDistinct: (_t, w) => W * -Math.expm1((-r * w) / W),
      writes: () => {},
      untouchedProfile: (_t, w) => [{ offset: 0, pages: W, layout: 'even', counts: [W], untouched: [Math.exp((-r * w) / W)] }],
    };
    const m = createFluidMemory({ pageCount: 4000, costs, workload: profiled, zeroFraction: 0 });
    m.speed = 0;
    m.selectAll();
    send(m, { maxBytes: 3000 * 4104 });
    expect(m.pendingCount).toBeCloseTo(1000, 9);
    m.speed = 1;
    const w = -Math.log(0.5) * (W / r); // work after which D = W/2
    m.run(w);
    expect(m.remaining().pages).toBeCloseTo(1500, 6);
  });
});

describe("QEMU's XBZRLE", () => {
  it('encoded size: header + flag/length + writes × (write size + 3), or null past a page', () => {
    expect(xbzrleEncodedBytes(costs, 8, 1)).toBe(8 + 3 + 11);
    expect(xbzrleEncodedBytes(costs, 8, 2)).toBe(8 + 3 + 22);
    expect(xbzrleEncodedBytes(costs, 8, 373)).toBeNull(); // 373 × 11 = 4 103 > 4 096
  });
  it('page-exact: the cache lifetime keeps a page cached against a mate for 2 syncs', () => {
    // Two pages share slot 0 of a 1-slot cache: p = 0 and its mate 1. Both are written and
    // re-sent each period (0 before 1). Without the lifetime the mate's miss evicts 0 and 0's
    // re-send is always a miss: no hits. With it, the page cached at generation g keeps the slot
    // until g + 2, so page 0, hit and refreshed each period, is never evicted: a hit every period.
    const both: Workload = {
      writeRate: () => 2,
      expectedDistinct: () => 2,
      writes: (_t, _dt, _s, write) => {
        write(0);
        write(1);
      },
    };
    const hits = (lifetime: number) => {
      const m = createPageExactMemory({ pageCount: 2, costs, workload: both, zeroFraction: 0, rng: createRng(1) });
      const delta = { cache_bytes: PAGE, compressedRatio: 1, encode_Bps: Infinity, writeSize_bytes: 8, lifetime };
      m.selectAll();
      send(m, { delta });
      for (let period = 0; period < 6; period++) {
        m.run(0.01);
        m.syncDirty();
        send(m, { delta });
      }
      return m.totals.deltaPages;
    };
    expect(hits(0)).toBe(0);
    expect(hits(2)).toBe(5);
  });
});

describe('post-copy completion without the rate limit', () => {
  for (const engine of ['page-exact', 'fluid'] as const) {
    it(`${engine}: below completeBelow_bytes of pages left the push goes at completeCap`, () => {
      // 10 000 absent pages, push capped at 10 MB/s, link 1 GB/s, no guest activity: capped, the
      // push takes 10 000 × 4 104 B ÷ 10 MB/s = 4.104 s. Completing below 5 000 pages × 4 096 B:
      // the first 5 000 (or the chunk reaching below) at the cap, the rest at the link.
      const o = { pageCount: 10000, costs, workload: still, zeroFraction: 0 };
      const run = (opts: Record<string, number>) => {
        const m = engine === 'page-exact' ? createPageExactMemory({ ...o, rng: createRng(2) }) : createFluidMemory(o);
        m.speed = 0;
        m.switchToPostcopy();
        m.speed = 1;
        return drive(m.postcopyTransfer({ cap_Bps: 10e6, chunkPages: 100, ...opts }), 1e9).duration_s;
      };
      expect(run({})).toBeCloseTo(4.104, 3);
      const fast = run({ completeBelow_bytes: 5000 * PAGE, completeCap_Bps: Infinity });
      expect(fast).toBeGreaterThan(2.0);
      expect(fast).toBeLessThan(2.1 + (5100 * 4104) / 1e9);
    });
  }
});

describe('throttledSpeed', () => {
  it('CPU-bound by default: 1 − throttle', () => {
    expect(throttledSpeed(still, 0.3, 0.01)).toBeCloseTo(0.7, 12);
  });
  it("the workload's own answer otherwise, clamped to [0, 1]", () => {
    expect(throttledSpeed({ ...still, throttledSpeed: () => 2 }, 0.3, 0.01)).toBe(1);
  });
});
