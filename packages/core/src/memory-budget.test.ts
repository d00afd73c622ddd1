// Budgeted sends (QEMU's sync below a threshold) and remaining() on both memory engines: a
// budgeted send sends about its budget and scans circularly; remaining() is the selection ∪ the
// dirty log (page-exact: exactly; fluid: its expected value, against page-exact runs).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFluidMemory, createPageExactMemory, type GuestMemory, type SendAction, type SendOptions, type SendStats } from './memory.js';
import { createRng } from './rng.js';
import type { Workload } from './workload.js';

const PAGE = 4096;
const costs = { pageSize_bytes: PAGE, header_bytes: 8, zeroPage_bytes: 9, elideZeroPages: true };
const full = PAGE + 8;

/** Uniform writes at `rate` pages/s over `ws` pages from `offset`. */
function uniform(rate: number, ws: number, seed: number, offset = 0): Workload {
  const rng = createRng(seed);
  let carry = 0;
  return {
    writeRate: () => rate,
    expectedDistinct: (_t, work) => ws * -Math.expm1(rate * work * Math.log1p(-1 / ws)),
    writes(_t, dt, speed, write) {
      const x = rate * dt * speed + carry;
      const k = Math.floor(x + 1e-9);
      carry = x - k;
      for (let i = 0; i < k; i++) write(offset + rng.int(ws));
    },
  };
}

/** Drive a send at `link` bytes/s, no latency; returns its stats and the sizes of its transfers. */
function drive(mem: GuestMemory, o: SendOptions, link = 1e8): { stats: SendStats; actions: SendAction[] } {
  const it = mem.send(o);
  const actions: SendAction[] = [];
  let answer = 0;
  for (;;) {
    const s = it.next(answer);
    if (s.done) return { stats: s.value, actions };
    actions.push(s.value);
    answer = s.value.bytes / Math.min(link, s.value.cap_Bps);
  }
}

describe('budgeted sends', () => {
  it('page-exact: about the budget (one page more at most), the rest stays selected, the scan wraps around', () => {
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 3000 }), fc.double({ min: 0.01, max: 0.6, noNaN: true }), fc.double({ min: 0, max: 0.5, noNaN: true }), fc.integer({ min: 1, max: 1000 }), (n, budgetFraction, zeroFraction, seed) => {
        const mem = createPageExactMemory({ pageCount: n, costs, workload: uniform(0, 1, seed), zeroFraction, rng: createRng(seed), chunkPages: 64 });
        mem.selectAll();
        const budget = budgetFraction * n * full;
        let sent = 0;
        let rounds = 0;
        while (mem.pendingCount > 0) {
          const before = mem.pendingCount;
          const { stats, actions } = drive(mem, { maxBytes: budget, continued: rounds > 0 });
          expect(stats.bytes).toBeLessThanOrEqual(budget + full);
          if (mem.pendingCount > 0) expect(stats.bytes).toBeGreaterThanOrEqual(budget);
          expect(before - mem.pendingCount).toBe(stats.pages);
          // A continued send opens no new message.
          if (rounds > 0) expect(actions.every((a) => !a.newMessage)).toBe(true);
          sent += stats.pages;
          rounds++;
        }
        expect(sent).toBe(n);
        expect(mem.totals.pages).toBe(n);
        // Nothing written: the image is complete after one pass in budgets.
        expect(mem.neverSentPages()).toBe(0);
        expect(mem.mismatchedPages()).toBe(0);
      }),
      { numRuns: 80 },
    );
  });

  it('page-exact: the scan goes on from where it stopped; pages re-selected behind it go after the wrap', () => {
    const n = 256;
    let writes: number[] = [];
    const w: Workload = { writeRate: () => 0, expectedDistinct: () => 0, writes: (_t, _dt, _s, write) => void (writes.forEach(write), (writes = [])) };
    const mem = createPageExactMemory({ pageCount: n, costs, workload: w, zeroFraction: 0, rng: createRng(1), chunkPages: 1 });
    mem.selectAll();
    drive(mem, { maxBytes: 100 * full - 1 }); // pages 0–99
    expect(mem.neverSentPages()).toBe(n - 100);
    writes = [5, 200];
    mem.run(1);
    mem.syncDirty(); // selected: 5 and 100–255
    expect(mem.pendingCount).toBe(n - 100 + 1);
    drive(mem, { maxBytes: 2 * full - 1, continued: true }); // 100 and 101, not 5
    expect(mem.neverSentPages()).toBe(n - 102);
    drive(mem, { maxBytes: Infinity, continued: true }); // 102–255, then 5 after the wrap
    expect(mem.pendingCount).toBe(0);
    expect(mem.neverSentPages()).toBe(0);
    expect(mem.mismatchedPages()).toBe(0);
    expect(mem.totals.resent).toBe(1); // page 5 (200 had not been sent when it was written)
  });

  it('fluid: budgets add up to the selection exactly; never-sent pages first', () => {
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 100_000 }), fc.double({ min: 0.001, max: 0.6, noNaN: true }), fc.double({ min: 0, max: 0.5, noNaN: true }), (n, budgetFraction, zeroFraction) => {
        const mem = createFluidMemory({ pageCount: n, costs, workload: uniform(0, 1, 1), zeroFraction });
        mem.selectAll();
        const budget = budgetFraction * n * full;
        let rounds = 0;
        while (mem.pendingCount > 0) {
          const { stats } = drive(mem, { maxBytes: budget, continued: rounds > 0 });
          expect(stats.bytes).toBeLessThanOrEqual(budget + full);
          expect(stats.resent).toBe(0);
          rounds++;
          expect(rounds).toBeLessThan(2 / budgetFraction + 3);
        }
        expect(mem.totals.pages).toBe(n);
        expect(mem.totals.zeroPages).toBeCloseTo(n * zeroFraction, 6);
      }),
      { numRuns: 80 },
    );
  });
});

describe('remaining(): the selection ∪ the dirty log', () => {
  it('with nothing selected it is the dirty log, on both engines', () => {
    for (const make of [
      () => createPageExactMemory({ pageCount: 2000, costs, workload: uniform(5000, 1500, 3), zeroFraction: 0.2, rng: createRng(3) }),
      () => createFluidMemory({ pageCount: 2000, costs, workload: uniform(5000, 1500, 3), zeroFraction: 0.2 }),
    ]) {
      const mem = make();
      mem.selectAll();
      drive(mem, {}, 2000 * full * 4);
      expect(mem.pendingCount).toBe(0);
      expect(mem.remaining()).toEqual({ pages: mem.dirtyCount, bytes: mem.dirtyBytes() });
    }
  });

  it('page-exact: exactly |selected ∪ dirty|, and the next sync selects that many', () => {
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 3000 }), fc.double({ min: 0.05, max: 0.9, noNaN: true }), fc.integer({ min: 1, max: 1000 }), (n, budgetFraction, seed) => {
        const mem = createPageExactMemory({ pageCount: n, costs, workload: uniform(n * 3, Math.max(1, Math.floor(n / 2)), seed), zeroFraction: 0.3, rng: createRng(seed) });
        mem.selectAll();
        drive(mem, { maxBytes: budgetFraction * n * full }, n * full);
        const r = mem.remaining();
        expect(r.pages).toBeGreaterThanOrEqual(Math.max(mem.pendingCount, mem.dirtyCount));
        expect(r.pages).toBeLessThanOrEqual(mem.pendingCount + mem.dirtyCount);
        expect(mem.syncDirty()).toBe(r.pages);
        expect(mem.pendingBytes()).toBe(r.bytes);
      }),
      { numRuns: 80 },
    );
  });

  it('fluid: the expected union matches the mean of page-exact runs (uniform writes over all of memory, mid-pass and later syncs)', () => {
    const n = 4000;
    const link = 20_000 * full; // 20 000 pages/s
    const run = (mem: GuestMemory): number[] => {
      mem.selectAll();
      const out: number[] = [];
      // Two mid-pass syncs: 60 % of memory sent, sync; then 50 % of the new selection, sync.
      drive(mem, { maxBytes: 0.6 * n * full }, link);
      out.push(mem.remaining().pages);
      mem.syncDirty();
      drive(mem, { maxBytes: 0.5 * mem.pendingBytes(), continued: true }, link);
      out.push(mem.remaining().pages);
      mem.syncDirty();
      return out;
    };
    const fluid = run(createFluidMemory({ pageCount: n, costs, workload: uniform(12_000, n, 1), zeroFraction: 0 }));
    const runs = Array.from({ length: 60 }, (_, i) => run(createPageExactMemory({ pageCount: n, costs, workload: uniform(12_000, n, 100 + i), zeroFraction: 0, rng: createRng(i) })));
    for (let k = 0; k < fluid.length; k++) {
      const xs = runs.map((r) => r[k]!);
      const mu = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mu) ** 2, 0) / (xs.length - 1));
      const half = (2.576 * sd) / Math.sqrt(xs.length);
      // Page-exact chunks end on whole pages: allow one page per sync besides the sampling error.
      expect(Math.abs(fluid[k]! - mu), `sync ${k}: fluid ${fluid[k]} vs page-exact ${mu} ± ${half}`).toBeLessThanOrEqual(half + 2);
    }
  });
});
