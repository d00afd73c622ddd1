/** Properties every model must have, over random options, chunkings and seeds (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { make, type WorkloadName } from './test-util.js';

/** A workload spec that fits a VM of `pages` pages, with the region its pages must fall in. */
interface Spec {
  use: WorkloadName;
  options: Record<string, unknown>;
  /** [first, end) of the pages it may write. */
  region: [number, number];
  /** Writes per second at full speed, for stationary models; undefined otherwise. */
  rate?: number;
}

const specArb = (pages: number): fc.Arbitrary<Spec> =>
  fc
    .record({
      rate: fc.integer({ min: 0, max: 20_000 }),
      ws: fc.integer({ min: 1, max: pages }),
      offsetFrac: fc.double({ min: 0, max: 1, noNaN: true }),
      kind: fc.constantFrom<WorkloadName>('uniform', 'hot-cold', 'zipf', 'sequential', 'simgrid', 'trace', 'phased'),
      hotFraction: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
      hotWrites: fc.double({ min: 0, max: 1, noNaN: true }),
      exponent: fc.double({ min: 0, max: 3, noNaN: true }),
      shuffle: fc.boolean(),
      trace: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
    })
    .map(({ rate, ws, offsetFrac, kind, hotFraction, hotWrites, exponent, shuffle, trace }) => {
      const offset = Math.floor(offsetFrac * (pages - ws));
      const region: [number, number] = [offset, offset + ws];
      const base = { workingSet: ws * 4096, offset };
      switch (kind) {
        case 'uniform':
        case 'sequential':
        case 'simgrid':
          return { use: kind, options: { ...base, rate }, region, rate };
        case 'hot-cold':
          return { use: kind, options: { ...base, rate, hotFraction, hotWrites }, region, rate };
        case 'zipf':
          return { use: kind, options: { ...base, rate, exponent, shuffle }, region, rate };
        case 'trace':
          return { use: kind, options: { ...base, interval: '0.25 s', dirtyPages: trace.map((f) => Math.floor(f * ws)) }, region };
        default:
          return {
            use: 'phased' as const,
            options: {
              phases: [
                { duration: '0.3 s', workload: { use: 'zipf', options: { ...base, rate, exponent, shuffle } } },
                { duration: '0.2 s', workload: { use: 'hot-cold', options: { ...base, rate, hotFraction, hotWrites } } },
                { duration: '0.1 s', workload: { use: 'trace', options: { ...base, interval: '0.05 s', dirtyPages: trace.map((f) => Math.floor(f * ws)) } } },
              ],
            },
            region,
          };
      }
    });

/** Chunk lengths (s) that sum to a run. */
const chunksArb = fc.array(fc.double({ min: 1e-4, max: 0.4, noNaN: true }), { minLength: 1, maxLength: 12 });

function run(spec: Spec, pages: number, seed: number, chunks: readonly number[], speed = 1): number[] {
  const w = make(spec.use, spec.options, pages, seed);
  const out: number[] = [];
  let t = 0;
  for (const dt of chunks) {
    w.writes(t, dt, speed, (p) => out.push(p));
    t += dt;
  }
  return out;
}

const PAGES = 3000;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('every model', () => {
  it('writes only pages of its working set, inside memory', () => {
    fc.assert(
      fc.property(specArb(PAGES), chunksArb, fc.integer(), fc.double({ min: 0.01, max: 1, noNaN: true }), (spec, chunks, seed, speed) => {
        const outside = run(spec, PAGES, seed, chunks, speed).filter((p) => !(Number.isInteger(p) && p >= spec.region[0] && p < spec.region[1]));
        expect(outside).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('stationary models: writes over a run = rate × time (±1), at any chunking; speed 0.5 halves them (±1)', () => {
    fc.assert(
      fc.property(specArb(PAGES).filter((s) => s.rate !== undefined), chunksArb, fc.integer(), (spec, chunks, seed) => {
        const T = sum(chunks);
        expect(Math.abs(run(spec, PAGES, seed, chunks).length - spec.rate! * T)).toBeLessThanOrEqual(1);
        expect(Math.abs(run(spec, PAGES, seed, chunks, 0.5).length - (spec.rate! * T) / 2)).toBeLessThanOrEqual(1);
        expect(make(spec.use, spec.options, PAGES, seed).writeRate(T)).toBe(spec.rate);
      }),
      { numRuns: 150 },
    );
  });

  it('a lower speed never writes more (every model)', () => {
    fc.assert(
      fc.property(specArb(PAGES), chunksArb, fc.integer(), fc.double({ min: 0, max: 1, noNaN: true }), (spec, chunks, seed, speed) => {
        expect(run(spec, PAGES, seed, chunks, speed).length).toBeLessThanOrEqual(run(spec, PAGES, seed, chunks, 1).length);
      }),
      { numRuns: 150 },
    );
  });

  it('same seed → same pages; different seed → different pages (random models, ≥ 50 writes over ≥ 64 pages)', () => {
    fc.assert(
      fc.property(
        specArb(PAGES).filter((s) => s.use !== 'sequential' && s.use !== 'simgrid' && s.region[1] - s.region[0] >= 64),
        chunksArb,
        // Non-negative seeds: core's deriveSeed maps -1 and 0 (and any number whose two 32-bit
        // halves are equal) to the same stream, see the package report.
        fc.nat(),
        (spec, chunks, seed) => {
          const a = run(spec, PAGES, seed, chunks);
          expect(run(spec, PAGES, seed, chunks)).toEqual(a);
          fc.pre(a.length >= 50);
          // A hot-cold guest that sends (almost) all writes to a tiny hot set may repeat itself; require a real spread.
          fc.pre(new Set(a).size >= 10);
          expect(run(spec, PAGES, seed + 1, chunks)).not.toEqual(a);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('trace', () => {
  it('at full speed each interval dirties exactly its count of distinct pages; a pass writes Σ dirtyPages', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 8 }), chunksArb, fc.nat(), (dirty, chunks, seed) => {
        const L = 0.5;
        const w = make('trace', { interval: `${L} s`, dirtyPages: dirty, workingSet: 500 * 4096, after: 'idle' }, 1000, seed);
        const fractions = chunks.map((c) => c / sum(chunks));
        let writes = 0;
        for (let j = 0; j <= dirty.length; j++) {
          // The interval is run in irregular chunks that stay inside it.
          const pages: number[] = [];
          let t = j * L;
          for (const f of fractions) {
            w.writes(t, f * L, 1, (p) => pages.push(p));
            t += f * L;
          }
          writes += pages.length;
          expect(new Set(pages).size).toBe(pages.length);
          expect(pages.length).toBe(dirty[j] ?? 0);
        }
        expect(writes).toBe(sum(dirty));
      }),
      { numRuns: 100 },
    );
  });

  it('writeRate follows the intervals and repeats', () => {
    const w = make('trace', { interval: '2 s', dirtyPages: [10, 30] }, 100, 1);
    expect([w.writeRate(0), w.writeRate(2.5), w.writeRate(4.1), w.writeRate(7.9)]).toEqual([5, 15, 5, 15]);
    const held = make('trace', { interval: '2 s', dirtyPages: [10, 30], after: 'hold' }, 100, 1);
    expect(held.writeRate(100)).toBe(15);
  });
});

describe('uniform', () => {
  it('fluid curve = closed form W·(1 − e^(−r·t/W)) within 0.1 %', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 1 << 22 }), fc.double({ min: 1, max: 1e6, noNaN: true }), fc.double({ min: 1e-3, max: 100, noNaN: true }), (w, r, t) => {
        const pages = w;
        const d = make('uniform', { rate: r }, pages, 1).expectedDistinct(0, t);
        const closed = w * (1 - Math.exp((-r * t) / w));
        expect(Math.abs(d - closed) / closed).toBeLessThan(1e-3);
      }),
      { numRuns: 200 },
    );
  });
});

describe('phased', () => {
  it('writeRate and writes follow the phase at time t, then repeat or hold', () => {
    const phases = [
      { duration: '1 s', workload: { use: 'uniform', options: { rate: 100, workingSetFraction: 0.5 } } },
      { duration: '2 s', workload: { use: 'uniform', options: { rate: 300, workingSetFraction: 0.5, offset: 500 } } },
    ];
    const w = make('phased', { phases }, 1000, 1);
    expect([0, 0.5, 1, 2.9, 3, 3.5, 4.2].map((t) => w.writeRate(t))).toEqual([100, 100, 300, 300, 100, 100, 300]);
    const held = make('phased', { phases, after: 'hold' }, 1000, 1);
    expect(held.writeRate(1000)).toBe(300);
    // [0.5, 1.5): half a second of phase 1 (pages < 500), half a second of phase 2 (pages ≥ 500).
    const low: number[] = [];
    const high: number[] = [];
    make('phased', { phases }, 1000, 2).writes(0.5, 1, 1, (p) => (p < 500 ? low : high).push(p));
    expect(low.length).toBe(50);
    expect(high.length).toBe(150);
  });

  it('a window inside one phase equals that phase alone', () => {
    const phases = [
      { duration: '10 s', workload: { use: 'hot-cold', options: { rate: 1000 } } },
      { duration: '10 s', workload: { use: 'zipf', options: { rate: 1000 } } },
    ];
    const w = make('phased', { phases }, 4096, 1);
    expect(w.expectedDistinct(12, 5)).toBeCloseTo(make('zipf', { rate: 1000 }, 4096, 1).expectedDistinct(0, 5), 6);
    expect(w.expectedDistinct(1, 5)).toBeCloseTo(make('hot-cold', { rate: 1000 }, 4096, 1).expectedDistinct(0, 5), 6);
  });

  it('phases nest: a phased phase runs on its own local clock', () => {
    const inner = { phases: [{ duration: '1 s', workload: { use: 'uniform', options: { rate: 10 } } }, { duration: '1 s', workload: { use: 'uniform', options: { rate: 20 } } }] };
    const w = make('phased', { phases: [{ duration: '3 s', workload: { use: 'idle' } }, { duration: '4 s', workload: { use: 'phased', options: inner } }] }, 100, 1);
    expect([1, 3.5, 4.5, 5.5, 6.5, 7.5].map((t) => w.writeRate(t))).toEqual([0, 10, 20, 10, 20, 0]);
    // [3, 5): 10 + 20 writes over 100 pages, independent: 100·(1 − (0.99)^30)
    expect(w.expectedDistinct(3, 2)).toBeCloseTo(100 * (1 - 0.99 ** 30), 9);
  });
});
