import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed, deltaPageBytes, resolveOptions, simulateMigration, type CopyStrategy, type WorkloadPlugin } from '@livemig/core';
import { uniform, workloads } from '@livemig/workloads';
import { stopCondition } from '@livemig/stop-conditions';
import { ci99, runScenario, scenarioArb, strategyConformance, type Scenario } from '@livemig/testkit';
import { precopy } from './index.js';

/**
 * The fluid engine's downtime, total time and bytes lie within the 99 % CI of the mean of 120
 * page-exact runs (seeds 1000…1119) plus `tolerance` × that mean.
 */
function expectFluidInPageExactCi(
  name: string,
  make: () => CopyStrategy,
  s: Scenario,
  tolerance: Readonly<Record<'downtime_s' | 'total_time_s' | 'bytes_sent', number>>,
): void {
  const fluid = runScenario(make(), s, 'fluid').metrics;
  const runs = Array.from({ length: 120 }, (_, i) => runScenario(make(), s, 'page-exact', { seed: 1000 + i }).metrics);
  for (const key of ['downtime_s', 'total_time_s', 'bytes_sent'] as const) {
    const { mean: mu, half } = ci99(runs.map((m) => m[key]));
    const rel = Math.abs(fluid[key] - mu) / Math.max(Math.abs(mu), 1e-12);
    expect(Math.abs(fluid[key] - mu) <= half + tolerance[key] * Math.abs(mu), `${name} ${key}: fluid ${fluid[key]} vs page-exact ${mu} ± ${half} (rel ${rel})`).toBe(true);
  }
}

const optionsArb = fc.record(
  {
    skipRedirtied: fc.boolean(),
    maxBandwidth: fc.integer({ min: 1_000_000, max: 2e9 }),
    finalRateLimited: fc.boolean(),
    onNonConvergence: fc.constantFrom('stop-and-copy', 'cancel'),
    dynamicRate: fc.record({ min: fc.integer({ min: 1e6, max: 1e8 }), max: fc.integer({ min: 1e8, max: 2e9 }), increment: fc.integer({ min: 0, max: 5e7 }), stopAtMax: fc.boolean() }),
    autoConverge: fc.record({ initial: fc.constantFrom(0.1, 0.2, 0.5), increment: fc.constantFrom(0.05, 0.1, 0.3), max: fc.constantFrom(0.5, 0.9, 0.99) }, { requiredKeys: [] }),
    xbzrle: fc.record({ cacheSize: fc.integer({ min: 0, max: 1 << 24 }), compressedRatio: fc.double({ min: 0, max: 1, noNaN: true }), encodeRate: fc.integer({ min: 1e6, max: 1e10 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

strategyConformance(precopy, { fullCopy: true, optionsArb, numRuns: 120 });

const make = (o: Record<string, unknown> = {}) => precopy.create(resolveOptions(precopy, o, 'strategy.options'), {} as never);

const base: Scenario = {
  pages: 4096,
  pageSize_bytes: 4096,
  bandwidth_Bps: 4096 * 20_000, // 20 000 pages/s
  latency_s: 1e-4,
  workload: { use: 'idle', options: {} },
  stop: 'xen',
  costs: {},
  header_bytes: 0,
  zeroPage_bytes: 9,
  elideZeroPages: false,
  zeroFraction: 0,
  seed: 7,
};

describe('precopy', () => {
  it('an idle guest needs one pass and only the fixed costs of downtime', () => {
    fc.assert(
      fc.property(scenarioArb({ zeroPages: false }), (s0) => {
        const s = { ...s0, workload: { use: 'idle' as const, options: {} }, stop: 'xen' as const };
        for (const fidelity of ['page-exact', 'fluid'] as const) {
          const m = runScenario(make(), s, fidelity).metrics;
          expect(m.rounds).toBe(1);
          expect(m.pages_sent).toBeCloseTo(s.pages, 9);
          const device = s.costs.deviceState_bytes ?? 0;
          // The final dirty-bitmap sync happens while paused, so its cost is part of the downtime.
          const sync = ((s.costs.bitmapSyncPerGiB_s ?? 0) * s.pages * s.pageSize_bytes) / 2 ** 30;
          const expected = sync + s.latency_s + device / s.bandwidth_Bps + (s.costs.resume_s ?? 0) + (s.costs.redirect_s ?? 0);
          expect(m.downtime_s).toBeCloseTo(expected, 9);
          expect(m.converged).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('round k re-sends what was written during round k-1 (sequential workload, hand-computed)', () => {
    // 20 000 pages/s link, writes 5 000 pages/s in order over 2 048 pages: round 0 takes
    // 4096/20000 + 1e-4 s = 0.2049 s and dirties 1024.5 → 1024 pages (whole writes), round 1 sends them.
    const s: Scenario = { ...base, latency_s: 1e-4, workload: { use: 'sequential', options: { rate: 5000, workingSetFraction: 0.5 } }, stop: { use: 'max-rounds', options: { rounds: 2 } } };
    const r = runScenario(make(), s, 'page-exact', { trace: true });
    const rounds = r.trace.flatMap((e) => (e.type === 'round' ? [e.record] : []));
    expect(rounds[0]!.pagesSent).toBe(4096);
    expect(rounds[0]!.duration_s).toBeCloseTo(4096 / 20_000 + 1e-4, 12);
    expect(rounds[1]!.pagesSent).toBe(Math.floor(5000 * (4096 / 20_000 + 1e-4)));
    expect(r.metrics.converged).toBe(false); // max-rounds is a forced stop
    expect(r.metrics.image_mismatch_pages).toBe(0);
  });

  it('a guest that writes faster than the link never converges: Xen forces the copy, QEMU-style cancels', () => {
    const s: Scenario = { ...base, workload: { use: 'uniform', options: { rate: 40_000 } }, stop: { any: [{ use: 'downtime-limit', options: { limit: '10 ms' } }, { use: 'max-rounds', options: { rounds: 10 } }] } };
    for (const fidelity of ['page-exact', 'fluid'] as const) {
      const forced = runScenario(make(), s, fidelity).metrics;
      expect(forced.status).toBe('completed');
      expect(forced.converged).toBe(false);
      expect(forced.stop_reason).toMatch(/max-rounds/);
      const cancelled = runScenario(make({ onNonConvergence: 'cancel' }), s, fidelity, { trace: true });
      expect(cancelled.metrics.status).toBe('cancelled');
      expect(cancelled.metrics.downtime_s).toBe(0);
      const last = cancelled.trace.filter((e) => e.type === 'state').at(-1);
      expect(last).toMatchObject({ side: 'destination', state: 'inactive' });
      const src = cancelled.trace.filter((e) => e.type === 'state' && e.side === 'source').at(-1);
      expect(src).toMatchObject({ state: 'active' }); // the VM stays on the source
    }
  });

  it('Xen skip sends fewer pages than plain pre-copy on a hot workload and keeps the image exact', () => {
    const s: Scenario = { ...base, workload: { use: 'hot-cold', options: { rate: 15_000, hotFraction: 0.05, hotWrites: 0.95 } } };
    const plain = runScenario(make(), s, 'page-exact').metrics;
    const skip = runScenario(make({ skipRedirtied: true }), s, 'page-exact').metrics;
    expect(skip.pages_sent).toBeLessThan(plain.pages_sent);
    expect(skip.image_mismatch_pages).toBe(0);
  });

  it('dynamic rate limiting: round 0 runs at the minimum rate, the final copy at the maximum', () => {
    const s: Scenario = { ...base, latency_s: 0, workload: { use: 'uniform', options: { rate: 2000 } }, stop: { use: 'max-rounds', options: { rounds: 3 } } };
    const min = 4096 * 5000;
    const max = 4096 * 20_000;
    const r = runScenario(make({ dynamicRate: { min, max, increment: 4096 * 1000, stopAtMax: false } }), s, 'fluid', { trace: true });
    const rounds = r.trace.flatMap((e) => (e.type === 'round' ? [e.record] : []));
    expect(rounds[0]!.bandwidth_Bps).toBeCloseTo(min, 3);
    // Round 1's rate = round 0's dirty rate + increment, within [min, max].
    const wanted = rounds[0]!.dirtyBytes / rounds[0]!.duration_s + 4096 * 1000;
    expect(rounds[1]!.bandwidth_Bps).toBeCloseTo(Math.min(max, Math.max(min, wanted)), 3);
  });

  // The property holds for stop conditions that are monotone in the round state: max-rounds,
  // dirty-pages-below, downtime-limit (qemu) and simgrid. A faster link makes every round shorter
  // and dirties no more pages, so these fire no later. It is false for three others, each with a
  // counterexample found by fast-check:
  // - time-limit: a faster link fits more rounds before the limit and can end later;
  // - no-progress: 1 724 pages, uniform 254 000 pages/s over 5 %, bandwidth × 1.01 → 3 % longer;
  // - sent-above (so Xen's preset): 4 087 pages of 2 KiB, 290 000 pages/s over a 445-page working
  //   set, bandwidth × 1.01 → fewer bytes per round, the 3 × memory limit fires a round later
  //   (0.0684 s vs 0.0678 s).
  const monotoneStop = (s: Scenario) => !/time-limit|no-progress|sent-above|"xen"/.test(JSON.stringify(s.stop));
  it('fluid: more bandwidth never increases total time for the same workload', () => {
    fc.assert(
      fc.property(scenarioArb({ zeroPages: false }).filter(monotoneStop), fc.double({ min: 1.01, max: 10, noNaN: true }), (s, factor) => {
        const slow = runScenario(make(), s, 'fluid').metrics;
        const fast = runScenario(make(), { ...s, bandwidth_Bps: s.bandwidth_Bps * factor }, 'fluid').metrics;
        expect(fast.total_time_s).toBeLessThanOrEqual(slow.total_time_s * (1 + 1e-9));
      }),
      { numRuns: 300 },
    );
  });
});

describe('fluid engine vs page-exact engine', () => {
  // The fluid engine predicts expected values; page-exact runs over 120 seeds give a sample.
  // Pass if the fluid value lies in the 99 % confidence interval of the page-exact mean
  // (normal quantile, n = 120) or within a stated tolerance of it: 1 % for total time and
  // bytes, 5 % for downtime. Downtime is the last round alone, and a page-exact run stops one
  // round earlier or later when its dirty count lands on the other side of a threshold (e.g.
  // Xen's 50 pages), so its mean mixes two outcomes the expected-value model does not split.
  // The model tolerance and the sampling error add up: pass if |fluid − mean| <= CI half-width
  // + tolerance × mean. Measured for 'hot-cold' over 2 000 seeds: fluid 2.4295 ms vs page-exact
  // mean 2.3122 ms (5.1 %; page-exact averages 5.12 rounds, fluid 5), and the 120-seed sample
  // (seeds changed with deriveSeed in 0afe233) lies 2 CI half-widths further.
  const tolerance = { downtime_s: 0.05, total_time_s: 0.01, bytes_sent: 0.01 } as const;
  const cases: Array<[string, Scenario]> = [
    ['uniform, converging', { ...base, workload: { use: 'uniform', options: { rate: 6000, workingSetFraction: 0.5 } } }],
    ['uniform, xen limits', { ...base, workload: { use: 'uniform', options: { rate: 30_000 } } }],
    ['hot-cold', { ...base, workload: { use: 'hot-cold', options: { rate: 12_000, hotFraction: 0.1, hotWrites: 0.9 } } }],
    ['sequential, qemu', { ...base, workload: { use: 'sequential', options: { rate: 8000, workingSetFraction: 0.3 } }, stop: { any: ['qemu', { use: 'max-rounds', options: { rounds: 30 } }] } }],
    ['uniform, simgrid, zero pages', { ...base, zeroFraction: 0.3, elideZeroPages: true, header_bytes: 8, workload: { use: 'uniform', options: { rate: 5000, workingSetFraction: 0.25 } }, stop: { any: ['simgrid', { use: 'max-rounds', options: { rounds: 30 } }] } }],
  ];
  for (const [name, s] of cases) {
    it(name, () => expectFluidInPageExactCi(name, () => make(), s, tolerance));
  }
});

describe('auto-converge (QEMU)', () => {
  // QEMU's expected-downtime stop with a 10 ms limit (200 pages at 20 000 pages/s); the guest
  // dirties about 3 500 distinct pages per 0.2 s round: without throttling it never converges.
  const hot: Scenario = { ...base, workload: { use: 'uniform', options: { rate: 40_000 } }, stop: { any: [{ use: 'downtime-limit', options: { limit: '10 ms' } }, { use: 'max-rounds', options: { rounds: 200 } }] } };

  it('a migration that never converges converges with auto-converge', () => {
    for (const fidelity of ['page-exact', 'fluid'] as const) {
      const plain = runScenario(make(), hot, fidelity).metrics;
      expect(plain.converged).toBe(false);
      expect(plain.stop_reason).toMatch(/max-rounds/);
      const ac = runScenario(make({ autoConverge: {} }), hot, fidelity).metrics;
      expect(ac.converged).toBe(true);
      expect(ac.stop_reason).toMatch(/downtime/);
      expect(ac.throttle_max).toBeGreaterThanOrEqual(0.2 - 1e-12);
      expect(ac.throttle_max).toBeLessThanOrEqual(0.99 + 1e-12);
      // Throttled time is lost work on top of the downtime.
      expect(ac.app_degradation_s).toBeGreaterThan(ac.downtime_s);
    }
  });

  it('throttle steps follow QEMU: initial, then + increment every 2 high periods, up to max', () => {
    const r = runScenario(make({ autoConverge: { initial: 0.2, increment: 0.3, max: 0.9 } }), hot, 'fluid', { trace: true });
    const speeds = r.trace.flatMap((e) => (e.type === 'throttle' ? [e.speed] : []));
    const expected = [0.8, 0.5, 0.2, 0.1]; // throttle 20 %, 50 %, 80 %, then capped at 90 %
    expect(speeds.length).toBeGreaterThanOrEqual(1);
    speeds.forEach((v, i) => expect(v).toBeCloseTo(expected[Math.min(i, 3)]!, 12));
    // A throttle event follows every second round while the guest out-dirties the link.
    const rounds = r.trace.filter((e) => e.type === 'round').length;
    expect(speeds.length).toBeLessThanOrEqual(Math.floor(rounds / 2));
  });

  it('throttling never raises the dirty rate: each round dirties at most what a full-speed guest would (fluid, property)', () => {
    fc.assert(
      fc.property(scenarioArb({ maxPages: 2048 }), (s) => {
        const r = runScenario(make({ autoConverge: { initial: 0.3 } }), s, 'fluid', { trace: true });
        const plugin = workloads[s.workload.use] as WorkloadPlugin;
        const wl = plugin.create(resolveOptions(plugin, s.workload.options, 'w') as never, { pageCount: s.pages, pageSize_bytes: s.pageSize_bytes, rng: createRng(deriveSeed(s.seed, 'workload')) });
        for (const e of r.trace) {
          if (e.type !== 'round') continue;
          const full = Math.min(s.pages, wl.expectedDistinct(e.record.startedAt_s, e.record.duration_s));
          expect(e.record.dirtyPages).toBeLessThanOrEqual(full * (1 + 1e-9) + 1e-9);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('page-exact: a throttled guest writes fewer pages than an unthrottled one in the same round', () => {
    // The first pass (0.2 s here) is identical; auto-converge then slows the guest to 80 %.
    const plain = runScenario(make(), hot, 'page-exact', { trace: true });
    const ac = runScenario(make({ autoConverge: { periods: 1 } }), hot, 'page-exact', { trace: true });
    const r1 = (t: typeof plain.trace) => t.flatMap((e) => (e.type === 'round' ? [e.record] : []));
    const a = r1(ac.trace)[1]!;
    const p = r1(plain.trace)[1]!;
    expect(a.duration_s).toBeCloseTo(p.duration_s, 12);
    expect(a.dirtyPages / a.duration_s).toBeLessThan(p.dirtyPages / p.duration_s);
  });
});

describe('XBZRLE delta compression', () => {
  // 1 000 pages, 1 ms per page on the wire, sequential writes of 200 pages/s over pages 0–99.
  const s: Scenario = { ...base, pages: 1000, bandwidth_Bps: 4096 * 1000 + 8 * 1000, latency_s: 0, header_bytes: 8, workload: { use: 'sequential', options: { rate: 200, workingSetFraction: 0.1 } }, stop: { use: 'max-rounds', options: { rounds: 3 } } };
  const hitBytes = 8 + 3 + 1024; // header + XBZRLE flag and length + 25 % of the page

  it('re-sent pages hit the cache from their second re-send on (page-exact, hand-computed)', () => {
    // Round 0 sends 1 000 pages (1 s; the guest writes pages 0–99 twice). Round 1 re-sends the
    // 100 pages: first re-sends, cache misses (now cached). The guest writes 20 pages (0–19)
    // in 0.1 s. Round 2 re-sends them: 20 hits; it lasts 20 × 1 035 B ÷ 4 104 000 B/s ≈ 5 ms,
    // in which the guest writes 1 page (20), cached in round 1: the final copy is 1 more hit.
    const m = runScenario(make({ xbzrle: { compressedRatio: 0.25, encodeRate: 1e15 } }), s, 'page-exact').metrics;
    expect(m.delta_pages).toBe(21);
    expect(m.delta_saved_bytes).toBe(21 * (4104 - hitBytes));
    expect(m.image_mismatch_pages).toBe(0);
    // A 10-page cache (direct-mapped, slot = page mod 10): round 1 leaves pages 90–99 in it,
    // round 2's pages 0–19 all miss, and page 20's slot then holds page 10: no hit at all.
    const small = runScenario(make({ xbzrle: { cacheSize: 10 * 4096, encodeRate: 1e15 } }), s, 'page-exact').metrics;
    expect(small.delta_pages).toBe(0);
  });

  it('compression never sends more bytes than the uncompressed pages plus headers (property)', () => {
    fc.assert(
      fc.property(
        scenarioArb({ maxPages: 1024 }),
        fc.record({ cacheSize: fc.integer({ min: 0, max: 1 << 22 }), compressedRatio: fc.double({ min: 0, max: 1, noNaN: true }), encodeRate: fc.integer({ min: 1e5, max: 1e10 }) }),
        (sc, xbzrle) => {
          for (const fidelity of ['page-exact', 'fluid'] as const) {
            const m = runScenario(make({ xbzrle }), sc, fidelity).metrics;
            const zeroCost = sc.elideZeroPages ? sc.zeroPage_bytes : sc.pageSize_bytes + sc.header_bytes;
            const uncompressed = (m.pages_sent - m.zero_pages_sent) * (sc.pageSize_bytes + sc.header_bytes) + m.zero_pages_sent * zeroCost + (sc.costs.deviceState_bytes ?? 0);
            expect(m.bytes_sent).toBeLessThanOrEqual(uncompressed * (1 + 1e-12));
            expect(m.delta_saved_bytes).toBeGreaterThanOrEqual(0);
          }
          // And per page: an encoded page is never larger than the page with its header.
          const costs = { pageSize_bytes: sc.pageSize_bytes, header_bytes: sc.header_bytes, zeroPage_bytes: sc.zeroPage_bytes, elideZeroPages: sc.elideZeroPages };
          expect(deltaPageBytes(costs, { cache_bytes: xbzrle.cacheSize, compressedRatio: xbzrle.compressedRatio, encode_Bps: xbzrle.encodeRate })).toBeLessThanOrEqual(sc.pageSize_bytes + sc.header_bytes);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('on a fast link a slow encoder makes the migration slower, on a slow link compression makes it faster', () => {
    const hotSet: Scenario = { ...base, pages: 4096, header_bytes: 8, workload: { use: 'hot-cold', options: { rate: 10_000, hotFraction: 0.05, hotWrites: 0.95 } }, stop: { use: 'max-rounds', options: { rounds: 8 } } };
    const fast: Scenario = { ...hotSet, bandwidth_Bps: 10e9 / 8 }; // 10 Gbit/s
    const slow: Scenario = { ...hotSet, bandwidth_Bps: 4096 * 5000 }; // 5 000 pages/s
    const x = { xbzrle: { compressedRatio: 0.1, encodeRate: 100e6 } }; // 100 MB/s encoder
    for (const fidelity of ['page-exact', 'fluid'] as const) {
      expect(runScenario(make(x), fast, fidelity).metrics.total_time_s).toBeGreaterThan(runScenario(make(), fast, fidelity).metrics.total_time_s);
      const c = runScenario(make(x), slow, fidelity).metrics;
      const u = runScenario(make(), slow, fidelity).metrics;
      expect(c.bytes_sent).toBeLessThan(u.bytes_sent);
      expect(c.total_time_s).toBeLessThan(u.total_time_s);
    }
  });
});

// QEMU's sync timing (sync: 'below-threshold'): the bitmap is synced when the unsent remainder
// falls below the stop condition's threshold, not at the end of a pass.
const qemuOptionsArb = fc.record(
  {
    maxBandwidth: fc.integer({ min: 1_000_000, max: 2e9 }),
    finalRateLimited: fc.boolean(),
    onNonConvergence: fc.constantFrom('stop-and-copy', 'cancel'),
    skipRedirtied: fc.boolean(),
    checkInterval: fc.constantFrom('10 ms', '100 ms', '1 s'),
    autoConverge: fc.record({ initial: fc.constantFrom(0.1, 0.2, 0.5) }, { requiredKeys: [] }),
    xbzrle: fc.record({ cacheSize: fc.integer({ min: 0, max: 1 << 24 }), compressedRatio: fc.double({ min: 0, max: 1, noNaN: true }) }, { requiredKeys: [] }),
    dynamicRate: fc.record({ min: fc.integer({ min: 1e6, max: 1e8 }), max: fc.integer({ min: 1e8, max: 2e9 }), increment: fc.integer({ min: 0, max: 5e7 }), stopAtMax: fc.boolean() }),
  },
  { requiredKeys: [] },
).map((o) => ({ ...o, sync: 'below-threshold' }));

// Pages conserved, image equal at resume (page-exact), bytes >= memory, downtime <= total, determinism.
strategyConformance(precopy, { fullCopy: true, optionsArb: qemuOptionsArb, numRuns: 120 });

describe("sync 'below-threshold' (QEMU)", () => {
  const qemuLike: Scenario = {
    ...base,
    latency_s: 0,
    workload: { use: 'uniform', options: { rate: 6000 } },
    stop: { any: [{ use: 'downtime-limit', options: { limit: '50 ms' } }, { use: 'max-rounds', options: { rounds: 200 } }] },
  };
  const q = (o: Record<string, unknown> = {}) => make({ sync: 'below-threshold', maxBandwidth: 4096 * 10_000, ...o });

  it('the default stays end-of-pass: the same metrics with and without the option spelled out', () => {
    for (const fidelity of ['page-exact', 'fluid'] as const) {
      expect(runScenario(make({ sync: 'end-of-pass' }), qemuLike, fidelity).metrics).toEqual(runScenario(make(), qemuLike, fidelity).metrics);
    }
  });

  it('syncs when the unsent remainder is below the threshold, before the pass ends; each round leaves the remainder and the dirty log together', () => {
    for (const fidelity of ['page-exact', 'fluid'] as const) {
      const r = runScenario(q(), qemuLike, fidelity, { trace: true });
      expect(r.metrics.status).toBe('completed');
      expect(r.metrics.converged).toBe(true);
      expect(r.metrics.image_mismatch_pages ?? 0).toBe(0);
      const rounds = r.trace.flatMap((e) => (e.type === 'round' ? [e.record] : []));
      // Threshold: 10 000 pages/s × 50 ms = 500 pages; the first pass of 4 096 pages stops
      // short of its end when 500 pages or fewer are left unsent (checks every 100 ms = 1 000 pages).
      expect(rounds[0]!.pagesSent).toBeLessThan(4096);
      expect(rounds[0]!.pagesSent).toBeGreaterThanOrEqual(4096 - 500 - 1);
      // Every round but the last left more than the threshold (else the migration would have stopped).
      for (const x of rounds.slice(0, -1)) expect(x.dirtyBytes / x.bandwidth_Bps).toBeGreaterThan(0.05);
      expect(rounds.at(-1)!.dirtyBytes / rounds.at(-1)!.bandwidth_Bps).toBeLessThanOrEqual(0.05);
      // The remainder left by a round holds its unsent pages: at least what a round did not send.
      for (let i = 1; i < rounds.length; i++) expect(rounds[i - 1]!.dirtyPages).toBeGreaterThanOrEqual(rounds[i]!.pagesSent - 1e-6);
    }
  });

  it('an idle guest: one round, every page sent once', () => {
    for (const fidelity of ['page-exact', 'fluid'] as const) {
      const m = runScenario(q(), { ...qemuLike, workload: { use: 'idle', options: {} } }, fidelity).metrics;
      expect(m.status).toBe('completed');
      expect(m.pages_sent).toBeCloseTo(4096, 6);
      expect(m.pages_resent).toBeCloseTo(0, 6);
      // The first pass stops short of its end; the last pages go in the final copy.
      expect(m.rounds).toBe(1);
    }
  });

  it('a stop condition that never converges syncs at the end of each pass (the remainder is never below a threshold)', () => {
    const s: Scenario = { ...qemuLike, stop: { use: 'max-rounds', options: { rounds: 4 } } };
    for (const fidelity of ['page-exact', 'fluid'] as const) {
      const a = runScenario(q(), s, fidelity, { trace: true });
      const rounds = a.trace.flatMap((e) => (e.type === 'round' ? [e.record] : []));
      expect(rounds).toHaveLength(4);
      expect(rounds[0]!.pagesSent).toBeCloseTo(4096, 6);
      expect(a.metrics.image_mismatch_pages ?? 0).toBe(0);
    }
  });

  it('without a cap the budget follows the measured rate', () => {
    for (const fidelity of ['page-exact', 'fluid'] as const) {
      const m = runScenario(make({ sync: 'below-threshold' }), qemuLike, fidelity).metrics;
      expect(m.status).toBe('completed');
      expect(m.image_mismatch_pages ?? 0).toBe(0);
    }
  });

  describe('fluid engine vs page-exact engine', () => {
    // As above: pass if |fluid − mean of 120 page-exact runs| <= 99 % CI half-width + tolerance.
    // The fluid union of a mid-pass sync takes a never-sent page to lie anywhere in memory and a
    // re-dirtied one as a sample of the previous period's writes (see createFluidMemory): exact in
    // expectation for uniform writes over all of memory; for hot/cold the address-ordered scan of
    // the page-exact engine makes the remainder's hot share depend on where the scan stands.
    const tolerance = { downtime_s: 0.05, total_time_s: 0.01, bytes_sent: 0.01 } as const;
    const cases: Array<[string, Scenario, Record<string, unknown>]> = [
      ['uniform over memory, qemu', qemuLike, {}],
      ['uniform over memory, qemu, 20 ms checks', { ...qemuLike, workload: { use: 'uniform', options: { rate: 7000 } } }, { checkInterval: '20 ms' }],
      ['uniform over half of memory, qemu', { ...qemuLike, workload: { use: 'uniform', options: { rate: 5000, workingSetFraction: 0.5 } } }, {}],
      ['hot-cold, qemu', { ...qemuLike, workload: { use: 'hot-cold', options: { rate: 8000, hotFraction: 0.1, hotWrites: 0.9 } } }, {}],
    ];
    for (const [name, s, o] of cases) {
      it(name, () => expectFluidInPageExactCi(name, () => q(o), s, tolerance));
    }
  });
});

describe('autoConverge and the guest’s demand', () => {
  it('a rate-controlled guest (50 ms backlog) keeps full speed under throttles whose sleeps fit the backlog; a CPU-bound one slows at once', () => {
    const speeds = (demand: Record<string, unknown>) => {
      const workload = (uniform as WorkloadPlugin).create(resolveOptions(uniform, { rate: '64 MiB/s', workingSet: '128 MiB', ...demand }, 'w') as never, { pageCount: 65536, pageSize_bytes: 4096, rng: createRng(1) });
      const r = simulateMigration({
        vm: { id: 'vm', memory_bytes: 65536 * 4096, pageSize_bytes: 4096, vcpus: 1 },
        strategy: precopy.create(resolveOptions(precopy, { maxBandwidth: '32 MiB/s', autoConverge: {} }, 's'), {} as never),
        stop: stopCondition({ any: ['qemu', { use: 'max-rounds', options: { rounds: 40 } }] }),
        workload,
        fidelity: 'fluid',
        bandwidth_Bps: 1e9,
        latency_s: 0,
        rng: createRng(2),
        trace: true,
      });
      return r.trace.flatMap((e) => (e.type === 'throttle' ? [e.speed] : []));
    };
    const bound = speeds({});
    const rc = speeds({ demand: 'rate-controlled', maxBacklog: '50 ms' });
    expect(bound[0]).toBeCloseTo(0.8, 12);
    expect(rc[0]).toBe(1);
    // 20 % … 80 %: sleeps of 2.5 … 40 ms, within the backlog.
    expect(rc.slice(0, Math.min(rc.length, 7)).every((s) => s === 1)).toBe(true);
  });
});
