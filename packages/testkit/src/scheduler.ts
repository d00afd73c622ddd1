/**
 * The invariant suite of migration schedulers: on any view (random hosts, waiting and running
 * migrations, some that do not fit) the scheduler returns only ids of waiting migrations, each
 * once, never one that does not fit, the same answer for the same view, without a clock or
 * `Math.random`; and in a scenario it never leaves the migrations waiting forever: asked again
 * when nothing runs, it starts at least one that fits (so every scenario ends).
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { checkPluginShape, resolveOptions, type SchedulerPlugin, type SchedulerView, type WaitingMigration } from '@livemig/core';

/** A random scheduler view: up to 8 hosts, up to 30 waiting and 10 running migrations. */
export const schedulerViewArb = (): fc.Arbitrary<SchedulerView> =>
  fc.integer({ min: 2, max: 8 }).chain((hostCount) => {
    const host = fc.integer({ min: 0, max: hostCount - 1 });
    const pair = fc.tuple(host, host).filter(([a, b]) => a !== b);
    const route = (a: number, b: number): number[] => [2 * a, 2 * b + 1];
    return fc.record({
      now_s: fc.double({ min: 0, max: 1e4, noNaN: true }),
      hostCount: fc.constant(hostCount),
      waiting: fc
        .array(
          fc.record({
            pair,
            memory: fc.integer({ min: 1, max: 64 }),
            dirty: fc.double({ min: 0, max: 1e9, noNaN: true }),
            estimate: fc.oneof(fc.double({ min: 0, max: 1e4, noNaN: true }), fc.constant(Infinity)),
            fits: fc.boolean(),
            priority: fc.integer({ min: -2, max: 2 }),
          }),
          { maxLength: 30 },
        )
        .map((ws) =>
          ws.map(
            (w, i): WaitingMigration => ({
              id: 100 + i,
              vm: `vm${i}`,
              fromHost: w.pair[0],
              toHost: w.pair[1],
              from: `h${w.pair[0]}`,
              to: `h${w.pair[1]}`,
              memory_bytes: w.memory * 2 ** 30,
              dirtyRate_Bps: w.dirty,
              requested_s: 0,
              route: route(w.pair[0], w.pair[1]),
              estimate_s: w.estimate,
              fits: w.fits,
              priority: w.priority,
            }),
          ),
        ),
      running: fc.array(pair, { maxLength: 10 }).map((ps) => ps.map(([a, b], i) => ({ id: i, vm: `r${i}`, fromHost: a, toHost: b, started_s: 0, route: route(a, b) }))),
    });
  });

export interface SchedulerConformanceOptions {
  /** Option sets to check besides the defaults. */
  readonly options?: readonly unknown[];
  readonly numRuns?: number;
}

/** Register the conformance suite of a scheduler plugin (call inside a vitest file). */
export function schedulerConformance(plugin: SchedulerPlugin, opts: SchedulerConformanceOptions = {}): void {
  const optionSets = [{}, ...(opts.options ?? [])];
  describe(`${plugin.name}: scheduler conformance`, () => {
    it('has the plugin shape and its options parse', () => {
      expect(checkPluginShape(plugin)).toBeNull();
      expect(plugin.kind).toBe('scheduler');
      for (const o of optionSets) expect(() => resolveOptions(plugin, o, 'scheduler.options')).not.toThrow();
    });
    for (const raw of optionSets) {
      const make = () => plugin.create(resolveOptions(plugin, raw, 'scheduler.options'), { rng: () => { throw new Error('schedulers draw no random numbers here'); } } as never);
      it(`options ${JSON.stringify(raw)}: picks waiting ids once each, only ones that fit, the same for the same view, without clock or Math.random`, () => {
        const random = vi.spyOn(Math, 'random');
        const now = vi.spyOn(Date, 'now');
        try {
          fc.assert(
            fc.property(schedulerViewArb(), (view) => {
              const picked = make().select(view);
              const waiting = new Map(view.waiting.map((w) => [w.id, w]));
              expect(new Set(picked).size).toBe(picked.length);
              for (const id of picked) {
                expect(waiting.has(id), `id ${id} is not waiting`).toBe(true);
                expect(waiting.get(id)!.fits, `id ${id} does not fit`).toBe(true);
              }
              expect(make().select(view)).toEqual(picked);
            }),
            { numRuns: opts.numRuns ?? 300 },
          );
          expect(random).not.toHaveBeenCalled();
          expect(now).not.toHaveBeenCalled();
        } finally {
          random.mockRestore();
          now.mockRestore();
        }
      });
      it(`options ${JSON.stringify(raw)}: with nothing running and some migration that fits, it starts one (a scenario always ends)`, () => {
        fc.assert(
          fc.property(schedulerViewArb(), (view) => {
            const idle = { ...view, running: [] };
            if (!idle.waiting.some((w) => w.fits)) return;
            expect(make().select(idle).length).toBeGreaterThan(0);
          }),
          { numRuns: opts.numRuns ?? 300 },
        );
      });
    }
  });
}
