/**
 * The invariant suite of stop conditions (round thresholds): on any valid round history the
 * condition never throws, returns `null` or `{ converged: boolean, reason: non-empty string }`,
 * is deterministic (two fresh instances fed the same rounds agree) and reads no clock or
 * `Math.random`.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { resolveOptions, type RoundRecord, type RoundView, type StopCondition, type StopConditionPlugin, type StopSpec, type StopVerdict } from '@livemig/core';
import { stopCondition } from '@livemig/stop-conditions';

/**
 * A valid history of pre-copy rounds as stop conditions see it: consecutive rounds, each
 * starting when the previous ended, bandwidth = bytes ÷ duration, dirty bytes = dirty pages ×
 * page cost; `bytesSent` and `elapsed_s` at least the rounds' own. Includes zero-length rounds,
 * idle guests (0 dirty pages) and guests dirtying everything.
 */
export const roundViewArb = (opts: { maxRounds?: number } = {}): fc.Arbitrary<RoundView> =>
  fc
    .record({
      pageCount: fc.integer({ min: 1, max: 1 << 22 }),
      pageSize: fc.constantFrom(4096, 2048, 65536),
      header: fc.constantFrom(0, 8),
      setup_s: fc.double({ min: 0, max: 2, noNaN: true }),
      extraSent: fc.integer({ min: 0, max: 1 << 20 }),
      rounds: fc.array(
        fc.record({
          duration_s: fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 100, noNaN: true })),
          sentFraction: fc.double({ min: 0, max: 1, noNaN: true }),
          dirtyFraction: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
        }),
        { minLength: 1, maxLength: opts.maxRounds ?? 40 },
      ),
    })
    .map(({ pageCount, pageSize, header, setup_s, extraSent, rounds: raw }) => {
      const rounds: RoundRecord[] = [];
      let t = setup_s;
      let sent = 0;
      for (const [i, r] of raw.entries()) {
        // The first pass sends every page; later rounds send what the previous one dirtied.
        const pagesSent = i === 0 ? pageCount : Math.round((rounds[i - 1]!.dirtyPages) * r.sentFraction);
        const bytesSent = pagesSent * (pageSize + header);
        const dirtyPages = Math.round(pageCount * r.dirtyFraction);
        rounds.push({
          round: i,
          startedAt_s: t,
          duration_s: r.duration_s,
          pagesSent,
          bytesSent,
          bandwidth_Bps: r.duration_s > 0 ? bytesSent / r.duration_s : 0,
          dirtyPages,
          dirtyBytes: dirtyPages * (pageSize + header),
        });
        t += r.duration_s;
        sent += bytesSent;
      }
      return { rounds, last: rounds.at(-1)!, memory_bytes: pageCount * pageSize, pageCount, bytesSent: sent + extraSent, elapsed_s: t };
    });

/** The views a condition sees during one migration: after round 1, after rounds 1–2, … */
export const prefixesOf = (v: RoundView): RoundView[] =>
  v.rounds.map((_, i) => {
    const rounds = v.rounds.slice(0, i + 1);
    const last = rounds.at(-1)!;
    const sentBefore = v.rounds.slice(i + 1).reduce((s, r) => s + r.bytesSent, 0);
    return { ...v, rounds, last, bytesSent: v.bytesSent - sentBefore, elapsed_s: last.startedAt_s + last.duration_s };
  });

/** Why a verdict is malformed, or null. */
export function checkVerdict(v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'object' || v === undefined) return `verdict ${String(v)} is neither null nor an object`;
  const o = v as Record<string, unknown>;
  if (typeof o.converged !== 'boolean') return `verdict.converged is ${JSON.stringify(o.converged)}, expected a boolean`;
  if (typeof o.reason !== 'string' || o.reason.trim() === '') return `verdict.reason is ${JSON.stringify(o.reason)}, expected a non-empty string (it goes to the CSV)`;
  return null;
}

export interface StopConditionConformanceOptions {
  /** Raw option objects to test (default: `[{}]`, the schema's defaults). */
  readonly options?: ReadonlyArray<Record<string, unknown>>;
  /** fast-check runs per property (default 200). */
  readonly numRuns?: number;
}

/**
 * Register the conformance suite of a stop condition plugin in the calling vitest file:
 * `stopConditionConformance(maxRounds)`. Children of `any`/`all`-style conditions are built
 * with @livemig/stop-conditions.
 */
export function stopConditionConformance(plugin: StopConditionPlugin, opts: StopConditionConformanceOptions = {}): void {
  const cases = opts.options ?? [{}];
  const numRuns = opts.numRuns ?? 200;
  const make = (raw: Record<string, unknown>): StopCondition =>
    plugin.create(resolveOptions(plugin, raw, 'stop.options'), {
      rng: () => {
        throw new Error('stop conditions draw no random numbers');
      },
      build: (spec: unknown, path: string) => stopCondition(spec as StopSpec, path),
    });
  const replay = (raw: Record<string, unknown>, v: RoundView): StopVerdict[] => {
    const c = make(raw);
    return prefixesOf(v).map((p) => c.check(p));
  };
  describe(`${plugin.name}: stop-condition conformance`, () => {
    it('has the plugin shape and its options parse', () => {
      expect(plugin.kind).toBe('stop-condition');
      expect(plugin.name).toMatch(/^[a-z0-9-]+$/);
      expect(plugin.description.length).toBeGreaterThan(0);
      for (const raw of cases) expect(() => make(raw)).not.toThrow();
    });
    it.each(cases.map((raw) => [JSON.stringify(raw), raw] as const))('options %s: never throws on valid views; verdicts are null or { converged, reason }', (_, raw) => {
      fc.assert(
        fc.property(roundViewArb(), (v) => {
          for (const verdict of replay(raw, v)) expect(checkVerdict(verdict)).toBeNull();
        }),
        { numRuns },
      );
    });
    it.each(cases.map((raw) => [JSON.stringify(raw), raw] as const))('options %s: deterministic, no Math.random or wall clock', (_, raw) => {
      const random = vi.spyOn(Math, 'random');
      const now = vi.spyOn(Date, 'now');
      const perf = vi.spyOn(performance, 'now');
      try {
        fc.assert(
          fc.property(roundViewArb({ maxRounds: 15 }), (v) => {
            expect(replay(raw, v)).toEqual(replay(raw, v));
          }),
          { numRuns: Math.ceil(numRuns / 4) },
        );
        expect(random).not.toHaveBeenCalled();
        expect(now).not.toHaveBeenCalled();
        expect(perf).not.toHaveBeenCalled();
      } finally {
        random.mockRestore();
        now.mockRestore();
        perf.mockRestore();
      }
    });
  });
}
