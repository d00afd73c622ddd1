import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKernel } from './kernel.js';

describe('kernel', () => {
  it('runs events in time order and advances the clock to each event', () => {
    const k = createKernel();
    const log: Array<[string, number]> = [];
    k.schedule(3, () => log.push(['c', k.now]));
    k.schedule(1, () => log.push(['a', k.now]));
    k.at(2, () => log.push(['b', k.now]));
    expect(k.pending).toBe(3);
    k.run();
    expect(log).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(k.now).toBe(3);
    expect(k.pending).toBe(0);
  });

  it('events scheduled by an event are relative to its time; zero delay runs after the current time’s earlier events', () => {
    const k = createKernel();
    const log: string[] = [];
    k.schedule(1, () => {
      log.push('first@1');
      k.schedule(0, () => log.push(`child@${k.now}`));
      k.schedule(0.5, () => log.push(`later@${k.now}`));
    });
    k.schedule(1, () => log.push('second@1'));
    k.run();
    expect(log).toEqual(['first@1', 'second@1', 'child@1', 'later@1.5']);
  });

  it('property: the order is a stable sort by time, nested scheduling included (vs a naive reference queue)', () => {
    // A program: top-level events with a delay and children scheduled (with their own delays)
    // when the parent runs. Delays come from a small set so that ties are frequent.
    const delay = fc.constantFrom(0, 0.5, 1, 1, 2, 3);
    const program = fc.array(fc.record({ delay, children: fc.array(delay, { maxLength: 3 }) }), { maxLength: 25 });
    fc.assert(
      fc.property(program, (events) => {
        // Under test.
        const k = createKernel();
        const got: Array<[string, number]> = [];
        events.forEach((e, i) =>
          k.schedule(e.delay, () => {
            got.push([`${i}`, k.now]);
            e.children.forEach((d, j) => k.schedule(d, () => got.push([`${i}.${j}`, k.now])));
          }),
        );
        k.run();

        // Reference: a list scanned for the smallest (time, creation number).
        type Item = { time: number; seq: number; id: string; children: number[] };
        const queue: Item[] = [];
        let seq = 0;
        events.forEach((e, i) => queue.push({ time: e.delay, seq: seq++, id: `${i}`, children: e.children }));
        const want: Array<[string, number]> = [];
        while (queue.length > 0) {
          let best = 0;
          for (let q = 1; q < queue.length; q++) {
            const a = queue[q]!;
            const b = queue[best]!;
            if (a.time < b.time || (a.time === b.time && a.seq < b.seq)) best = q;
          }
          const item = queue.splice(best, 1)[0]!;
          want.push([item.id, item.time]);
          item.children.forEach((d, j) => queue.push({ time: item.time + d, seq: seq++, id: `${item.id}.${j}`, children: [] }));
        }
        expect(got).toEqual(want);
        // Time never goes backwards.
        for (let i = 1; i < got.length; i++) expect(got[i]![1]).toBeGreaterThanOrEqual(got[i - 1]![1]);
      }),
      { numRuns: 300 },
    );
  });

  it('property: cancelled events never run, the others run in stable time order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.boolean()), { maxLength: 40 }), (spec) => {
        const k = createKernel();
        const ran: number[] = [];
        const handles = spec.map(([t], i) => k.at(t, () => ran.push(i)));
        spec.forEach(([, cancel], i) => cancel && k.cancel(handles[i]!));
        k.run();
        const want = spec
          .map(([t, cancel], i) => ({ t, cancel, i }))
          .filter((e) => !e.cancel)
          .sort((a, b) => a.t - b.t) // Array.prototype.sort is stable
          .map((e) => e.i);
        expect(ran).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it('property: many cancellations (the heap is compacted) keep the order and an exact pending count', () => {
    fc.assert(
      fc.property(
        // Most events are cancelled at once (−1) so that the dead events outnumber the live ones
        // and the heap gets rebuilt; others are cancelled by an event at cancelAt, some not at all.
        fc.array(
          fc.record({
            t: fc.integer({ min: 0, max: 50 }),
            cancelAt: fc.oneof(
              { weight: 3, arbitrary: fc.constant(-1) },
              { weight: 1, arbitrary: fc.constant(undefined) },
              { weight: 1, arbitrary: fc.integer({ min: 0, max: 50 }) },
            ),
          }),
          { minLength: 50, maxLength: 400 },
        ),
        (spec) => {
          const k = createKernel();
          const ran: number[] = [];
          const handles = spec.map((e, i) => k.at(e.t, () => ran.push(i)));
          // Cancel some now (cancelAt −1), others from an event at time cancelAt (maybe too late).
          const cancelled = new Set<number>();
          spec.forEach((e, i) => {
            if (e.cancelAt === -1) {
              k.cancel(handles[i]!);
              cancelled.add(i);
            } else if (e.cancelAt !== undefined) {
              k.at(e.cancelAt, () => {
                if (!ran.includes(i)) cancelled.add(i);
                k.cancel(handles[i]!);
              });
            }
          });
          const cancellers = spec.filter((e) => e.cancelAt !== undefined && e.cancelAt >= 0).length;
          expect(k.pending).toBe(spec.length - cancelled.size + cancellers);
          k.run();
          expect(k.pending).toBe(0);
          // What ran is in stable time order, and exactly what was not cancelled before its time.
          const want = spec.map((e, i) => ({ t: e.t, i })).filter(({ i }) => !cancelled.has(i)).sort((a, b) => a.t - b.t).map(({ i }) => i);
          expect(ran).toEqual(want);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('pending counts only live events; cancelling twice or after the run changes nothing', () => {
    const k = createKernel();
    const hs = Array.from({ length: 1000 }, (_, i) => k.at(i, () => {}));
    hs.slice(1).forEach((h) => k.cancel(h));
    hs.slice(1).forEach((h) => k.cancel(h));
    expect(k.pending).toBe(1);
    k.run();
    k.cancel(hs[0]!);
    expect(k.pending).toBe(0);
    k.schedule(1, () => {});
    expect(k.pending).toBe(1);
  });

  it('an event can cancel a later one, including one at the same time', () => {
    const k = createKernel();
    const log: string[] = [];
    const b = k.at(1, () => log.push('b'));
    k.at(0.5, () => k.cancel(b));
    k.at(1, () => log.push('c'));
    k.run();
    expect(log).toEqual(['c']);
  });

  it('run(until) stops after the events at `until` and moves the clock to it', () => {
    const k = createKernel();
    const log: number[] = [];
    for (const t of [1, 2, 3]) k.at(t, () => log.push(t));
    k.run(2);
    expect(log).toEqual([1, 2]);
    expect(k.now).toBe(2);
    expect(k.pending).toBe(1);
    k.run(2.5);
    expect(log).toEqual([1, 2]);
    expect(k.now).toBe(2.5);
    // Scheduling is relative to the new time.
    k.schedule(0.25, () => log.push(k.now));
    k.run();
    expect(log).toEqual([1, 2, 2.75, 3]);
    expect(k.now).toBe(3);
  });

  it('run(until) with an empty queue just moves the clock; never backwards', () => {
    const k = createKernel();
    k.run(10);
    expect(k.now).toBe(10);
    k.run(5);
    expect(k.now).toBe(10);
  });

  it('scheduling in the past, with a negative or NaN delay throws a RangeError naming the times', () => {
    const k = createKernel();
    k.run(5);
    expect(() => k.at(4, () => {})).toThrow(RangeError);
    expect(() => k.at(4, () => {})).toThrow('at: time 4 s is before now (5 s)');
    expect(() => k.schedule(-1, () => {})).toThrow('schedule: delay must be >= 0 seconds, got -1');
    expect(() => k.schedule(NaN, () => {})).toThrow(RangeError);
    expect(() => k.at(NaN, () => {})).toThrow(RangeError);
    expect(k.pending).toBe(0);
    // Now itself is fine.
    let ran = false;
    k.at(5, () => (ran = true));
    k.run();
    expect(ran).toBe(true);
  });
});
