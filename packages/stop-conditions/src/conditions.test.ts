import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RoundRecord, RoundView } from '@livemig/core';
import { stopCondition, stopConditions } from './index.js';

const MiB = 2 ** 20;
/** A view after `dirty.length` rounds of 1 s each at `bw` B/s, with 4 KiB pages. */
function view(dirty: number[], o: { bw?: number; memory?: number; sent?: number; elapsed?: number } = {}): RoundView {
  const bw = o.bw ?? 100 * MiB;
  const rounds: RoundRecord[] = dirty.map((d, i) => ({
    round: i,
    startedAt_s: i,
    duration_s: 1,
    pagesSent: bw / 4096,
    bytesSent: bw,
    bandwidth_Bps: bw,
    dirtyPages: d,
    dirtyBytes: d * 4096,
  }));
  const memory_bytes = o.memory ?? 1024 * MiB;
  return { rounds, last: rounds.at(-1)!, memory_bytes, pageCount: memory_bytes / 4096, bytesSent: o.sent ?? bw * dirty.length, elapsed_s: o.elapsed ?? dirty.length };
}

describe('stop conditions', () => {
  it('max-rounds stops at exactly N passes, as a forced (non-converged) stop', () => {
    const c = stopCondition({ use: 'max-rounds', options: { rounds: 3 } });
    expect(c.check(view([9, 9]))).toBeNull();
    expect(c.check(view([9, 9, 9]))).toMatchObject({ converged: false });
  });
  it('dirty-pages-below is strict and converged', () => {
    const c = stopCondition({ use: 'dirty-pages-below', options: { pages: 50 } });
    expect(c.check(view([50]))).toBeNull();
    expect(c.check(view([49]))).toMatchObject({ converged: true });
  });
  it('sent-above compares bytes sent with k × memory', () => {
    const c = stopCondition({ use: 'sent-above', options: { factor: 3 } });
    expect(c.check(view([1], { sent: 3 * 1024 * MiB }))).toBeNull();
    expect(c.check(view([1], { sent: 3 * 1024 * MiB + 1 }))).toMatchObject({ converged: false });
  });
  it('downtime-limit (QEMU): remaining bytes / measured bandwidth <= limit', () => {
    const c = stopCondition({ use: 'downtime-limit', options: { limit: '300 ms' } });
    // 100 MiB/s × 0.3 s = 30 MiB = 7680 pages.
    expect(c.check(view([7681]))).toBeNull();
    expect(c.check(view([7680]))).toMatchObject({ converged: true });
    expect(stopCondition('qemu').check(view([7680]))).toMatchObject({ converged: true });
    expect(stopCondition('qemu').check(view([7681]))).toBeNull();
  });
  it('simgrid: remaining bytes <= bandwidth × 0.03 s', () => {
    const c = stopCondition('simgrid');
    // 100 MiB/s × 0.03 s = 3 MiB = 768 pages.
    expect(c.check(view([769]))).toBeNull();
    expect(c.check(view([768]))).toMatchObject({ converged: true });
    // No budget by default; with SimGrid's 1e7 s, a migration still above the threshold gives up there.
    expect(c.check(view([769], { elapsed: 2e7 }))).toBeNull();
    const t = stopCondition({ use: 'simgrid', options: { timeout: '1e7 s' } });
    expect(t.check(view([769], { elapsed: 9.99e6 }))).toBeNull();
    expect(t.check(view([769], { elapsed: 1e7 }))).toMatchObject({ converged: false, reason: expect.stringMatching(/simgrid: timeout, 1\.00000e\+7 s >= 10000000 s/) });
    expect(t.check(view([768], { elapsed: 1e7 }))).toMatchObject({ converged: true });
  });
  it('no-progress gives up after k rounds that shrank less than x', () => {
    const c = stopCondition({ use: 'no-progress', options: { minShrink: 0.1, rounds: 2 } });
    expect(c.check(view([1000, 800, 790]))).toBeNull(); // 800 shrank 20 %
    expect(c.check(view([1000, 800, 790, 780]))).toMatchObject({ converged: false });
    expect(c.check(view([1000, 950, 940, 700]))).toBeNull();
  });
  it('time-limit gives up once the migration ran for the limit', () => {
    const c = stopCondition({ use: 'time-limit', options: { limit: '2 min' } });
    expect(c.check(view([5], { elapsed: 119 }))).toBeNull();
    expect(c.check(view([5], { elapsed: 120 }))).toMatchObject({ converged: false });
  });
  it("xen = any of Xen's three defaults (50 pages, 30 passes, 3 × memory)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 5000 }), (dirty, sentMiB) => {
        const v = view(dirty, { sent: sentMiB * MiB });
        const expected = dirty.at(-1)! < 50 || dirty.length >= 30 || sentMiB * MiB > 3 * 1024 * MiB;
        expect(stopCondition('xen').check(v) !== null).toBe(expected);
      }),
    );
  });
  it('any/all combine verdicts; all converges only if every child did', () => {
    const both = stopCondition({ all: [{ use: 'dirty-pages-below', options: { pages: 100 } }, { use: 'max-rounds', options: { rounds: 2 } }] });
    expect(both.check(view([10]))).toBeNull();
    expect(both.check(view([500, 10]))).toMatchObject({ converged: false });
    const either = stopCondition({ any: [{ use: 'dirty-pages-below', options: { pages: 100 } }, { use: 'max-rounds', options: { rounds: 5 } }] });
    expect(either.check(view([10]))).toMatchObject({ converged: true });
  });
  it('rejects unknown conditions and bad options with the path and the choices', () => {
    expect(() => stopCondition({ use: 'nope' })).toThrow(/stop: unknown stop condition 'nope'; choose one of max-rounds, dirty-pages-below/);
    expect(() => stopCondition({ any: [{ use: 'downtime-limit', options: { limit: '5 GiB' } }] })).toThrow(/stop\.any\[0\]\.options\.limit: .*duration/);
    expect(() => stopCondition({ use: 'max-rounds', options: { rounds: 0 } })).toThrow(/stop\.options\.rounds/);
    expect(() => stopCondition({ use: 'max-rounds', options: { round: 3 } })).toThrow(/round/);
  });
  it('every condition has a name, description and defaults that validate', () => {
    for (const [name, p] of Object.entries(stopConditions)) {
      expect(p.name).toBe(name);
      expect(p.description.length).toBeGreaterThan(10);
      expect(() => stopCondition(name)).not.toThrow();
    }
  });
});
