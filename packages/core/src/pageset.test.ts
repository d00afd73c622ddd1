import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PageSet } from './pageset.js';

/** Sizes that are and are not multiples of 32, and the edges around a word. */
const sizeArb = fc.oneof(fc.constantFrom(0, 1, 31, 32, 33, 63, 64, 65, 96, 100), fc.integer({ min: 0, max: 300 }));

type Op =
  | { op: 'add' | 'remove' | 'has' | 'nextFrom'; at: number }
  | { op: 'clear' | 'fill' }
  | { op: 'union' | 'copyFrom' | 'swap'; pages: number[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constantFrom('add' as const, 'remove' as const, 'has' as const, 'nextFrom' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('clear' as const, 'fill' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('union' as const, 'copyFrom' as const, 'swap' as const), pages: fc.array(fc.nat(), { maxLength: 40 }) }) },
);

const reference = {
  nextFrom(set: Set<number>, from: number): number {
    let best = -1;
    for (const p of set) if (p >= from && (best === -1 || p < best)) best = p;
    return best;
  },
};

/** Everything a PageSet says about itself equals the reference set. */
function expectSame(ps: PageSet, ref: Set<number>): void {
  const sorted = [...ref].sort((a, b) => a - b);
  expect(ps.count).toBe(ref.size);
  const seen: number[] = [];
  ps.forEach((p) => seen.push(p));
  expect(seen).toEqual(sorted);
  expect([...ps]).toEqual(sorted);
  for (let p = 0; p < ps.size; p++) if (ps.has(p) !== ref.has(p)) throw new Error(`has(${p}) is ${ps.has(p)}, reference ${ref.has(p)}`);
  expect(ps.has(ps.size)).toBe(false);
  expect(ps.nextFrom(ps.size)).toBe(-1);
}

describe('PageSet', () => {
  it('property: every operation agrees with a Set<number>', () => {
    fc.assert(
      fc.property(sizeArb, fc.array(opArb, { maxLength: 60 }), (size, ops) => {
        const ps = new PageSet(size);
        const ref = new Set<number>();
        for (const o of ops) {
          switch (o.op) {
            case 'add':
            case 'remove':
            case 'has': {
              if (size === 0) break;
              const p = Math.floor(o.at * size);
              if (o.op === 'add') {
                expect(ps.add(p)).toBe(!ref.has(p));
                ref.add(p);
              } else if (o.op === 'remove') {
                expect(ps.remove(p)).toBe(ref.has(p));
                ref.delete(p);
              } else expect(ps.has(p)).toBe(ref.has(p));
              break;
            }
            case 'nextFrom': {
              const from = Math.floor(o.at * (size + 2)); // beyond the end too
              expect(ps.nextFrom(from)).toBe(reference.nextFrom(ref, from));
              break;
            }
            case 'clear':
              ps.clear();
              ref.clear();
              break;
            case 'fill':
              ps.fill();
              for (let p = 0; p < size; p++) ref.add(p);
              break;
            default: {
              const otherRef = new Set(size === 0 ? [] : o.pages.map((p) => p % size));
              const other = new PageSet(size);
              for (const p of otherRef) other.add(p);
              if (o.op === 'union') for (const p of otherRef) ref.add(p);
              if (o.op === 'copyFrom') {
                ref.clear();
                for (const p of otherRef) ref.add(p);
              }
              if (o.op === 'swap') {
                const mine = new Set(ref);
                ref.clear();
                for (const p of otherRef) ref.add(p);
                ps.swap(other);
                expectSame(other, mine);
              } else ps[o.op](other);
              if (o.op !== 'swap') expectSame(other, otherRef); // the argument is not modified
            }
          }
          expect(ps.count).toBe(ref.size);
        }
        expectSame(ps, ref);
      }),
      { numRuns: 400 },
    );
  });

  it('unionCount and intersectionCount count |a ∪ b| and |a ∩ b| without changing either set', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }).chain((size) => fc.tuple(fc.constant(size), fc.uniqueArray(fc.nat(Math.max(0, size - 1)), { maxLength: size }), fc.uniqueArray(fc.nat(Math.max(0, size - 1)), { maxLength: size }))), ([size, xs, ys]) => {
        const a = new PageSet(size);
        const b = new PageSet(size);
        if (size > 0) {
          xs.forEach((p) => a.add(p));
          ys.forEach((p) => b.add(p));
        }
        const A = new Set(size > 0 ? xs : []);
        const B = new Set(size > 0 ? ys : []);
        expect(a.unionCount(b)).toBe(new Set([...A, ...B]).size);
        expect(a.intersectionCount(b)).toBe([...A].filter((p) => B.has(p)).length);
        expect(a.count).toBe(A.size);
        expect(b.count).toBe(B.size);
      }),
      { numRuns: 200 },
    );
    expect(() => new PageSet(32).unionCount(new PageSet(33))).toThrow('PageSet sizes differ: 32 vs 33');
  });

  it('fill sets exactly [0, size) and no bit past the end, for sizes around word boundaries', () => {
    for (const size of [0, 1, 31, 32, 33, 64, 95, 96, 97]) {
      const ps = new PageSet(size);
      ps.fill();
      expect(ps.count).toBe(size);
      expect([...ps]).toEqual(Array.from({ length: size }, (_, i) => i));
      // The unused high bits of the last word stay clear (they would be counted by union).
      const other = new PageSet(size);
      other.union(ps);
      expect(other.count).toBe(size);
      expect(ps.words.length).toBe(Math.ceil(size / 32));
    }
  });

  it('pages outside [0, size) are refused by add/remove and absent for has', () => {
    const ps = new PageSet(40);
    for (const bad of [40, 63, 64, 1000, -1, 1.5, NaN]) {
      expect(() => ps.add(bad), `add(${bad})`).toThrow(RangeError);
      expect(() => ps.remove(bad), `remove(${bad})`).toThrow(/not an integer in \[0, 40\)/);
      expect(ps.has(bad)).toBe(false);
    }
    expect(ps.count).toBe(0);
    ps.add(1);
    expect(ps.has(1.5)).toBe(false);
  });

  it('nextFrom clamps a negative or fractional start', () => {
    const ps = new PageSet(70);
    ps.add(0);
    ps.add(33);
    ps.add(69);
    expect(ps.nextFrom(-5)).toBe(0);
    expect(ps.nextFrom(0.5)).toBe(33);
    expect(ps.nextFrom(34)).toBe(69);
    expect(ps.nextFrom(70)).toBe(-1);
  });

  it('operations between sets of different sizes are refused', () => {
    const a = new PageSet(32);
    const b = new PageSet(33);
    expect(() => a.union(b)).toThrow('PageSet sizes differ: 32 vs 33');
    expect(() => a.copyFrom(b)).toThrow(RangeError);
    expect(() => a.swap(b)).toThrow(RangeError);
  });

  it('a size that is not a non-negative integer is refused', () => {
    expect(() => new PageSet(-1)).toThrow(RangeError);
    expect(() => new PageSet(2.5)).toThrow('PageSet size must be a non-negative integer, got 2.5');
  });
});

describe('PageSet.nextClearFrom / prevClearFrom', () => {
  it('find the nearest page not in the set, like a scan (property)', () => {
    fc.assert(
      fc.property(sizeArb, fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })), fc.integer({ min: -40, max: 340 }), (size, fracs, from) => {
        const ps = new PageSet(size);
        const model = new Set<number>();
        for (const f of fracs) {
          const p = Math.floor(f * size);
          if (size > 0) {
            ps.add(p);
            model.add(p);
          }
        }
        if (fracs.length % 3 === 0 && size > 0) {
          ps.fill();
          for (let p = 0; p < size; p++) model.add(p);
          const p = Math.floor((fracs[0] ?? 0.5) * size);
          ps.remove(p);
          model.delete(p);
        }
        let next = -1;
        for (let p = Math.max(0, from); p < size; p++) if (!model.has(p)) { next = p; break; }
        let prev = -1;
        for (let p = Math.min(size - 1, from); p >= 0; p--) if (!model.has(p)) { prev = p; break; }
        expect(ps.nextClearFrom(from)).toBe(next);
        expect(ps.prevClearFrom(from)).toBe(prev);
      }),
      { numRuns: 500 },
    );
  });
});
