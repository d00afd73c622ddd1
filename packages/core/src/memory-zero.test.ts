// Zero pages while the guest writes (issue #7): a zero page is sent as a marker only if the pass
// reaches it before the guest writes it. Page-exact: a written page is never a zero marker, and the
// destination ends up equal to the source. Fluid: the expected zero markers of the first pass
// (whole or in budgeted sends) match the mean of page-exact runs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFluidMemory, createPageExactMemory, type GuestMemory, type SendOptions } from './memory.js';
import { createRng } from './rng.js';
import type { Workload } from './workload.js';

const PAGE = 4096;
const costs = { pageSize_bytes: PAGE, header_bytes: 8, zeroPage_bytes: 9, elideZeroPages: true };

type Profiled = Workload & { untouchedProfile(t: number, work: number): { offset: number; pages: number; layout: unknown; counts: number[]; untouched: number[] }[] };

/** Steady writes: `k` per window, carried over (as @livemig/workloads' writeCounter). */
function counter(): (x: number) => number {
  let carry = 0;
  return (x) => {
    const t = x + carry;
    const k = Math.floor(t + 1e-9);
    carry = t - k;
    return k;
  };
}
const survive = (p: number, writes: number): number => (writes <= 0 ? 1 : Math.exp(writes * Math.log1p(-Math.min(1, p))));

/** Uniform writes at `rate` pages/s over `ws` pages from `offset` (the shape of @livemig/workloads' uniform). */
function uniform(rate: number, ws: number, offset: number, seed: number, profiled = true): Workload {
  const rng = createRng(seed);
  const count = counter();
  const w: Workload = {
    writeRate: () => rate,
    expectedDistinct: (_t, work) => ws * (1 - survive(1 / ws, rate * work)),
    writes(_t, dt, speed, write) {
      for (let i = count(rate * dt * speed); i > 0; i--) write(offset + rng.int(ws));
    },
  };
  if (!profiled) return w;
  return { ...w, untouchedProfile: (_t: number, work: number) => [{ offset, pages: ws, layout: 'even', counts: [ws], untouched: [survive(1 / ws, rate * work)] }] } as Profiled;
}

/** Hot/cold: the first `hot` pages of the working set take a share `h` of the writes. */
function hotCold(rate: number, ws: number, hot: number, h: number, offset: number, seed: number): Profiled {
  const rng = createRng(seed);
  const count = counter();
  const cold = ws - hot;
  return {
    writeRate: () => rate,
    expectedDistinct: (_t, work) => hot * (1 - survive(h / hot, rate * work)) + cold * (1 - survive((1 - h) / cold, rate * work)),
    writes(_t, dt, speed, write) {
      for (let i = count(rate * dt * speed); i > 0; i--) write(offset + (rng.next() < h ? rng.int(hot) : hot + rng.int(cold)));
    },
    untouchedProfile: (_t, work) => [{ offset, pages: ws, layout: `hot-cold:${hot}`, counts: [hot, cold], untouched: [survive(h / hot, rate * work), survive((1 - h) / cold, rate * work)] }],
  };
}

/** Drive a send at `link` bytes/s (no latency). */
function drive(mem: GuestMemory, o: SendOptions, link: number): void {
  const it = mem.send(o);
  let answer = 0;
  for (;;) {
    const s = it.next(answer);
    if (s.done) return;
    answer = s.value.bytes / Math.min(link, s.value.cap_Bps);
  }
}

/** Setup time, then the first pass (whole, or budgeted sends of 0.1 s at the cap); its zero markers and bytes. */
function firstPass(mem: GuestMemory, link: number, budgeted: boolean, cap = Infinity): { zeros: number; bytes: number } {
  mem.run(0.2);
  mem.selectAll();
  if (!budgeted) drive(mem, { cap_Bps: cap }, link);
  else for (let started = false; mem.pendingCount > 1e-9; started = true) drive(mem, { cap_Bps: cap, maxBytes: cap * 0.1, continued: started }, link);
  return { zeros: mem.totals.zeroPages, bytes: mem.totals.bytes };
}

const n = 4000;
const link = 8e6; // a pass of about 1.4 s
const zeroFraction = 0.3;
const cases: [string, (seed: number) => Workload][] = [
  ['uniform over a working set at the start of memory', (s) => uniform(1500, 1500, 0, s)],
  ['uniform over a working set in the middle', (s) => uniform(2000, 1200, 1800, s)],
  ['uniform over all memory, no profile (distinct-pages curve)', (s) => uniform(3000, n, 0, s, false)],
  ['hot-cold (hot set first)', (s) => hotCold(2500, 2400, 240, 0.9, 400, s)],
];

describe('zero pages the guest writes before the pass reaches them', () => {
  for (const [name, make] of cases)
    for (const budgeted of [false, true])
      it(`fluid = mean of page-exact runs within their 99 % CI: ${name}, ${budgeted ? 'budgeted sends at a cap' : 'one whole send'}`, () => {
        const cap = budgeted ? 6e6 : Infinity;
        const fluid = firstPass(createFluidMemory({ pageCount: n, costs, workload: make(1), zeroFraction }), link, budgeted, cap);
        const runs = Array.from({ length: 150 }, (_, i) =>
          firstPass(createPageExactMemory({ pageCount: n, costs, workload: make(500 + i), zeroFraction, rng: createRng(900 + i), chunkPages: 16 }), link, budgeted, cap),
        );
        // Without the guest's writes every zero page would be a marker: the effect is large.
        expect(fluid.zeros).toBeLessThan(0.95 * n * zeroFraction);
        for (const key of ['zeros', 'bytes'] as const) {
          const xs = runs.map((r) => r[key]);
          const mu = xs.reduce((a, b) => a + b, 0) / xs.length;
          const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mu) ** 2, 0) / (xs.length - 1));
          const half = (2.576 * sd) / Math.sqrt(xs.length);
          // Slack: page-exact sends a chunk's pages as they were at the chunk's start.
          const slack = key === 'zeros' ? 2 : 2 * PAGE;
          expect(Math.abs(fluid[key] - mu), `${key}: fluid ${fluid[key]} vs page-exact ${mu} ± ${half}`).toBeLessThanOrEqual(half + slack);
        }
      });

  it('page-exact: a page the guest wrote is never sent as a zero marker, and the destination equals the source', () => {
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 600 }), fc.double({ min: 0.05, max: 0.9, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true }), fc.integer({ min: 1, max: 1000 }), (pages, zf, writeFactor, seed) => {
        const ws = Math.max(1, Math.floor(pages / 2));
        const written = new Set<number>();
        const inner = uniform(writeFactor * pages * 100, ws, pages - ws, seed);
        const workload: Workload = { ...inner, writes: (t, dt, speed, write) => inner.writes(t, dt, speed, (p) => (written.add(p), write(p))) };
        // One page per transfer: the first pass's k-th transfer is page k.
        const mem = createPageExactMemory({ pageCount: pages, costs, workload, zeroFraction: zf, rng: createRng(seed), chunkPages: 1 });
        mem.run(0.001);
        mem.selectAll();
        let k = 0;
        let markers = 0;
        const it = mem.send();
        for (let s = it.next(0); !s.done; k++) {
          if (s.value.bytes === costs.zeroPage_bytes) {
            markers++;
            expect(written.has(k), `page ${k} was written before the pass reached it`).toBe(false);
          } else expect(s.value.bytes).toBe(PAGE + 8);
          s = it.next(s.value.bytes / 4e8);
        }
        expect(mem.totals.zeroPages).toBe(markers);
        // Pause, send what was re-dirtied: the destination is the source.
        mem.speed = 0;
        mem.syncDirty();
        const before = mem.totals.zeroPages;
        const g = mem.send();
        for (let s = g.next(0); !s.done; s = g.next(s.value.bytes / 4e8)) void 0;
        expect(mem.totals.zeroPages).toBe(before); // re-sent pages were written: never zero
        expect(mem.mismatchedPages()).toBe(0);
        expect(mem.neverSentPages()).toBe(0);
      }),
      { numRuns: 80 },
    );
  });
});
