/**
 * The invariants every copy strategy must satisfy, as a plain checker (returns the list of
 * violations) and as a vitest suite a plugin author registers in one line.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { resolveOptions, type MigrationResult, type StrategyPlugin } from '@livemig/core';
import { scenarioArb } from './arbitraries.js';
import { runScenario, vmOf, type Scenario } from './scenario.js';

export interface InvariantOptions {
  /** The strategy sends every page at least once (stop-and-copy, pre-copy, post-copy). */
  readonly fullCopy: boolean;
  /**
   * When the destination image must equal the source's: at `resume` (pre-copy, stop-and-copy;
   * the default) or at the `end` of the migration (post-copy and hybrid: pages still arrive
   * after the VM resumed; `image_mismatch_pages` is then measured when the last one has).
   */
  readonly imageAt?: 'resume' | 'end';
  /** Every page crosses the network exactly once (pure post-copy): pages_sent = memory pages, none re-sent. */
  readonly eachPageOnce?: boolean;
}

const close = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));

/** Check one finished migration; returns human-readable violations (empty when all hold). */
export function checkMigration(result: MigrationResult, s: Scenario, opts: InvariantOptions): string[] {
  const m = result.metrics;
  const bad: string[] = [];
  const vm = vmOf(s);
  if (m.status === 'failed') bad.push(`status failed (${m.stop_reason}) although the destination has room`);
  if (!(m.total_time_s >= 0 && Number.isFinite(m.total_time_s))) bad.push(`total_time_s = ${m.total_time_s}`);
  if (!(m.downtime_s >= 0)) bad.push(`downtime_s = ${m.downtime_s} < 0`);
  if (m.downtime_s > m.total_time_s * (1 + 1e-12)) bad.push(`downtime ${m.downtime_s} s > total time ${m.total_time_s} s`);
  if (!(m.bytes_sent >= 0)) bad.push(`bytes_sent = ${m.bytes_sent}`);
  if (m.pages_resent > m.pages_sent) bad.push(`pages_resent ${m.pages_resent} > pages_sent ${m.pages_sent}`);
  if (m.status !== 'completed') return bad;
  if (m.vm_lost) bad.push('vm_lost although no failure was injected');
  // Post-copy faults: each is a page on the wire and costs at least a round trip of waiting.
  if (m.postcopy_faults > m.pages_sent * (1 + 1e-9)) bad.push(`postcopy_faults ${m.postcopy_faults} > pages_sent ${m.pages_sent}`);
  if (m.fault_wait_s + 1e-12 < m.postcopy_faults * 2 * s.latency_s * (1 - 1e-9))
    bad.push(`fault_wait_s ${m.fault_wait_s} < faults × 2 × latency = ${m.postcopy_faults * 2 * s.latency_s}`);
  // The guest loses at least the paused time (downtime without the redirect, during which it runs) and its fault stalls.
  const lostAtLeast = m.downtime_s - (s.costs.redirect_s ?? 0) + m.fault_wait_s;
  if (m.app_degradation_s < lostAtLeast * (1 - 1e-9) - 1e-12) bad.push(`app_degradation_s ${m.app_degradation_s} < paused time + fault waits = ${lostAtLeast}`);
  if (opts.eachPageOnce && !(close(m.pages_sent, s.pages, 1e-9) && Math.abs(m.pages_resent) <= 1e-9 * s.pages))
    bad.push(`each page must cross once: pages_sent ${m.pages_sent} (memory ${s.pages}), pages_resent ${m.pages_resent}`);
  if ((opts.imageAt ?? 'resume') === 'resume' && result.trace.some((e) => e.type === 'phase' && e.phase === 'postcopy'))
    bad.push('a post-copy phase moved pages after the resume, but the suite was told the image is complete at resume (use imageAt: "end")');
  if (m.image_mismatch_pages !== null && m.image_mismatch_pages !== 0)
    bad.push(`destination image differs from the source in ${m.image_mismatch_pages} pages at resume`);
  if (opts.fullCopy) {
    if (m.image_mismatch_pages !== null && m.pages_sent !== s.pages + m.pages_resent)
      bad.push(`pages not conserved: pages_sent ${m.pages_sent} != memory pages ${s.pages} + resent ${m.pages_resent}`);
    if (!s.elideZeroPages && m.bytes_sent < vm.memory_bytes) bad.push(`bytes_sent ${m.bytes_sent} < memory ${vm.memory_bytes} for a full copy`);
  }
  // Byte accounting from first principles: every sent page costs page + header, zero pages the marker.
  const device = s.costs.deviceState_bytes ?? 0;
  const zeroCost = s.elideZeroPages ? s.zeroPage_bytes : s.pageSize_bytes + s.header_bytes;
  // Delta compression (XBZRLE) sends some re-sent pages smaller: its saving is reported apart.
  const expected = (m.pages_sent - m.zero_pages_sent) * (s.pageSize_bytes + s.header_bytes) + m.zero_pages_sent * zeroCost + device - m.delta_saved_bytes;
  if (!close(m.bytes_sent, expected, 1e-9)) bad.push(`bytes_sent ${m.bytes_sent} != pages × page cost + device state − delta savings = ${expected}`);
  if (m.delta_saved_bytes < 0) bad.push(`delta_saved_bytes ${m.delta_saved_bytes} < 0`);
  const fixed = (s.costs.resume_s ?? 0) + (s.costs.redirect_s ?? 0);
  if (m.downtime_s + 1e-12 < fixed) bad.push(`downtime ${m.downtime_s} s is below the fixed resume + redirect costs ${fixed} s`);
  // Lifecycle from the trace, when recorded: source ends inactive, destination active.
  const states = result.trace.filter((e) => e.type === 'state');
  if (states.length > 0) {
    const last = (side: string) => [...states].reverse().find((e) => e.type === 'state' && e.side === side);
    const src = last('source');
    const dst = last('destination');
    if (src?.type === 'state' && src.state !== 'inactive') bad.push(`source ends ${src.state}, expected inactive`);
    if (dst?.type === 'state' && dst.state !== 'active') bad.push(`destination ends ${dst.state}, expected active`);
    const rounds = result.trace.filter((e) => e.type === 'round').length;
    if (rounds !== m.rounds) bad.push(`trace has ${rounds} rounds, metrics say ${m.rounds}`);
  }
  return bad;
}

/**
 * Register the conformance suite of a copy strategy plugin in the calling vitest file:
 * `strategyConformance(precopy, { fullCopy: true })`. Options are drawn from `optionsArb`
 * (default: the plugin's defaults only).
 */
export function strategyConformance(
  plugin: StrategyPlugin,
  opts: InvariantOptions & { optionsArb?: fc.Arbitrary<Record<string, unknown>>; numRuns?: number; maxPages?: number },
): void {
  const optionsArb = opts.optionsArb ?? fc.constant({});
  const numRuns = opts.numRuns ?? 150;
  const make = (raw: Record<string, unknown>) => plugin.create(resolveOptions(plugin, raw, 'strategy.options'), { rng: () => { throw new Error('unused'); } } as never);
  describe(`${plugin.name}: conformance`, () => {
    it('has the plugin shape', () => {
      expect(plugin.kind).toBe('strategy');
      expect(plugin.name).toMatch(/^[a-z0-9-]+$/);
      expect(typeof plugin.description).toBe('string');
      expect(() => resolveOptions(plugin, {}, 'strategy.options')).not.toThrow();
    });
    it('page-exact: every invariant holds on random scenarios', () => {
      fc.assert(
        fc.property(scenarioArb({ maxPages: opts.maxPages }), optionsArb, (s, raw) => {
          const r = runScenario(make(raw), s, 'page-exact', { trace: true });
          expect(checkMigration(r, s, opts)).toEqual([]);
        }),
        { numRuns },
      );
    });
    it('fluid: every invariant holds on random scenarios', () => {
      fc.assert(
        fc.property(scenarioArb({ maxPages: opts.maxPages }), optionsArb, (s, raw) => {
          const r = runScenario(make(raw), s, 'fluid', { trace: true });
          expect(checkMigration(r, s, opts)).toEqual([]);
        }),
        { numRuns },
      );
    });
    it('is deterministic and draws no Math.random or wall-clock time', () => {
      const random = vi.spyOn(Math, 'random');
      const now = vi.spyOn(Date, 'now');
      try {
        fc.assert(
          fc.property(scenarioArb({ maxPages: 1024 }), optionsArb, (s, raw) => {
            for (const fidelity of ['page-exact', 'fluid'] as const) {
              const a = runScenario(make(raw), s, fidelity);
              const b = runScenario(make(raw), s, fidelity);
              expect(b.metrics).toEqual(a.metrics);
            }
          }),
          { numRuns: 30 },
        );
        expect(random).not.toHaveBeenCalled();
        expect(now).not.toHaveBeenCalled();
      } finally {
        random.mockRestore();
        now.mockRestore();
      }
    });
  });
}
