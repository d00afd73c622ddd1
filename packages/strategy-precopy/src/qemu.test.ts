/**
 * The `qemu` strategy, one mechanism of QEMU 7.2's migration thread per test: each expected
 * value follows from the mechanism's rule and the scenario's numbers, worked out here, and the
 * test would fail with the mechanism taken out (said at each test).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng, resolveOptions, simulateMigration, type Fidelity, type MigrationResult, type WorkloadPlugin } from '@livemig/core';
import { stopCondition } from '@livemig/stop-conditions';
import { idle, uniform } from '@livemig/workloads';
import { ci99, strategyConformance } from '@livemig/testkit';
import { BUFFER_DELAY_S, qemu } from './qemu.js';

const PAGE = 4096;
const MiB = 2 ** 20;

interface Setup {
  pages: number;
  link_Bps: number;
  options: Record<string, unknown>;
  workload?: { plugin: WorkloadPlugin; options: Record<string, unknown> };
  setup_s?: number;
  syncPerGiB_s?: number;
  zeroFraction?: number;
  fidelity?: Fidelity;
  seed?: number;
}

function run(s: Setup): MigrationResult {
  const wl = s.workload ?? { plugin: idle as WorkloadPlugin, options: {} };
  const workload = wl.plugin.create(resolveOptions(wl.plugin, wl.options, 'w') as never, { pageCount: s.pages, pageSize_bytes: PAGE, rng: createRng(s.seed ?? 1) });
  return simulateMigration({
    vm: { id: 'vm', memory_bytes: s.pages * PAGE, pageSize_bytes: PAGE, vcpus: 1 },
    strategy: qemu.create(resolveOptions(qemu, s.options, 'strategy.options'), {} as never),
    stop: stopCondition({ use: 'time-limit', options: { limit: '1 h' } }),
    workload,
    fidelity: s.fidelity ?? 'page-exact',
    bandwidth_Bps: s.link_Bps,
    latency_s: 0,
    costs: { setup_s: s.setup_s ?? 0, bitmapSyncPerGiB_s: s.syncPerGiB_s ?? 0 },
    pageCosts: { header_bytes: 8, zeroPage_bytes: 9, elideZeroPages: true },
    zeroFraction: s.zeroFraction ?? 0,
    rng: createRng((s.seed ?? 1) + 100),
    trace: true,
  });
}

describe('qemu: rate-limit windows', () => {
  it('the first window begins before the setup: a setup longer than 100 ms is followed by two budgets at once', () => {
    // 64 MiB/s → budget 6 710 886 B per 100 ms window; setup 150 ms; the thread sends at 1 GB/s.
    // Cancelled 100 ms after the setup: the first budget goes at the setup's end, the window
    // (open since t = 0) closes at once and a second budget follows; nothing more until 100 ms
    // after that. Two budgets of whole 4 104-byte pages = 2 × ⌈6 710 886 / 4 104⌉ pages. A window
    // that began after the setup would allow one.
    const m = run({ pages: 65536, link_Bps: 1e10, setup_s: 0.15, options: { 'max-bandwidth': '64 MiB/s', 'cancel-after': '250 ms', host: { sendRate: '1 GB/s' } } }).metrics;
    expect(m.status).toBe('cancelled');
    expect(m.pages_sent).toBe(2 * Math.ceil(6710886 / 4104));
  });

  it('windows of max-bandwidth ÷ 10 bytes: the rounds go at max-bandwidth, not at the thread speed', () => {
    // A 256 MiB idle guest, no zero pages, 32 MiB/s: 65 536 pages × 4 104 B = 268 959 744 B in
    // windows of 3 355 443 B: 81 budgets, less the 10 MB (3 budgets) left below the threshold
    // for the paused copy, less the first window's double: 76-78 windows of 100 ms, not the
    // 0.27 s the 1 GB/s thread would take.
    const m = run({ pages: 65536, link_Bps: 1e10, options: { 'max-bandwidth': '32 MiB/s', host: { sendRate: '1 GB/s' } } }).metrics;
    expect(m.status).toBe('completed');
    const budgets = Math.ceil((65536 * 4104) / ((32 * MiB) / 10));
    expect(m.total_time_s).toBeGreaterThan((budgets - 5) * BUFFER_DELAY_S);
    expect(m.total_time_s).toBeLessThan((budgets - 2) * BUFFER_DELAY_S);
  });
});

describe('qemu: the threshold counts dirty pages × page size, zero pages whole', () => {
  it('an all-zero guest is not stopped while its unsent zero pages × 4 KiB exceed the threshold', () => {
    // 1 GiB, every page zero (9 B markers), 8 MiB/s: budget 838 861 B = 93 206 markers per
    // window, threshold after the first window = 8 MiB/s × 300 ms = 2.5 MB. After two budgets
    // 75 732 pages are left: 310 MB as pages, 0.68 MB as markers. Counting pages, QEMU goes on
    // until the pass ends and the final copy carries nothing; counting wire bytes it would stop
    // there and send the 75 732 markers while paused: 0.68 MB at the 10 MB/s link = 68 ms.
    const m = run({ pages: 262144, link_Bps: 10e6, zeroFraction: 1, options: { 'max-bandwidth': '8 MiB/s', host: { sendRate: '1 GB/s' } } }).metrics;
    expect(m.status).toBe('completed');
    expect(m.zero_pages_sent).toBe(262144);
    expect(m.downtime_s).toBeLessThan(1e-3);
    expect(m.rounds).toBe(1);
  });
});

describe('qemu: bitmap syncs', () => {
  it('a sync while the guest runs costs bitmapSyncPerGiB × RAM; the one while paused is in the paused copy', () => {
    // 1 GiB idle guest, no rate limit, thread at 1 GB/s, a 1 µs downtime limit (so the pass runs
    // to its end), sync 0.5 s per GiB: the setup's sync (0.5 s), the pass (262 144 × 4 104 B ÷
    // 1 GB/s = 1.0758 s), the sync that ends it (0.5 s), then the final copy of nothing.
    // Without the cost: 1.0758 s.
    const pass = (262144 * 4104) / 1e9;
    const o = { 'max-bandwidth': 0, 'downtime-limit': '0.000001 s', host: { sendRate: '1 GB/s' } };
    const withCost = run({ pages: 262144, link_Bps: 1e12, syncPerGiB_s: 0.5, options: o }).metrics;
    const without = run({ pages: 262144, link_Bps: 1e12, options: o }).metrics;
    expect(withCost.total_time_s).toBeCloseTo(pass + 1.0, 6);
    expect(without.total_time_s).toBeCloseTo(pass, 6);
    expect(withCost.downtime_s).toBeCloseTo(without.downtime_s, 9);
  });

  it('at a 30 ms limit with writes ≈ the budget, a sync cost keeps QEMU from converging', () => {
    // 64 MiB/s budget = 1 636 pages per window; the guest dirties 16 384 pages/s over 32 768
    // (D(0.1 s) = 1 598 pages); 30 ms × 67 MB/s = 2 MB = 491 pages. Free syncs let a short
    // sync period (a pass that ends inside a window, then an immediate sync) find < 491 pages:
    // converged. A 49 ms sync lets the guest dirty D(0.049 s) ≥ 780 pages in it alone: never.
    const base = { pages: 65536, link_Bps: 1.5e9, workload: { plugin: uniform as WorkloadPlugin, options: { rate: '64 MiB/s', workingSet: '128 MiB' } }, options: { 'max-bandwidth': '64 MiB/s', 'downtime-limit': '30 ms', 'cancel-after': '30 s', host: { sendRate: '500 MB/s' } } };
    expect(run({ ...base }).metrics.converged).toBe(true);
    const slow = run({ ...base, syncPerGiB_s: 0.196 }).metrics;
    expect(slow.status).toBe('cancelled');
    expect(slow.converged).toBe(false);
  });
});

describe('qemu: cancel-after acts mid-pass', () => {
  it('a migration cancelled at 1.234 s ends at 1.234 s with the bytes sent by then', () => {
    // No rate limit, thread at 100 MB/s, an 8 GiB idle guest (a pass of 88 s): at 1.234 s the
    // thread has sent 123.4 MB; the page on the wire at that moment completes (41 µs at most).
    // Checked only when a pass ends, the cancel would come 87 s late.
    const m = run({ pages: 2 * 2 ** 20, link_Bps: 1e12, options: { 'max-bandwidth': 0, 'cancel-after': '1.234 s', host: { sendRate: '100 MB/s' } } }).metrics;
    expect(m.status).toBe('cancelled');
    expect(Math.abs(m.total_time_s - 1.234)).toBeLessThanOrEqual(4104 / 100e6);
    expect(Math.abs(m.bytes_sent - 123.4e6)).toBeLessThanOrEqual(4104);
  });
});

describe('qemu: auto-converge', () => {
  const ac = (demand: Record<string, unknown>) =>
    run({
      pages: 65536,
      link_Bps: 1.5e9,
      workload: { plugin: uniform as WorkloadPlugin, options: { rate: '64 MiB/s', workingSet: '128 MiB', ...demand } },
      options: { 'max-bandwidth': '32 MiB/s', 'auto-converge': true, 'cancel-after': '120 s', host: { sendRate: '500 MB/s' } },
    });
  it('raises the throttle at most once per two high 1 s periods: 20 %, then +10 % steps', () => {
    const r = ac({});
    const steps = r.trace.flatMap((e) => (e.type === 'throttle' ? [e] : []));
    expect(steps.length).toBeGreaterThan(1);
    // The CPU-bound guest's speed is 1 − throttle: 0.8, 0.7, …
    steps.forEach((e, i) => expect(e.speed).toBeCloseTo(1 - (0.2 + 0.1 * i), 9));
    // Two periods of more than 1 s each between steps.
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.t - steps[i - 1]!.t).toBeGreaterThan(2);
    expect(r.metrics.converged).toBe(true);
  });
  it("a rate-controlled guest keeps its write rate until the throttle's sleep exceeds its backlog", () => {
    // dirtier.c: catch-up up to 50 ms; QEMU sleeps 10 ms × x ÷ (1 − x) per 10 ms run: ≤ 50 ms up
    // to x = 5/6, so 20 … 80 % do not slow it, 90 % leaves 0.6 of its rate, 99 % 0.06. The
    // CPU-bound guest slows from the first step, so it converges at a lower throttle.
    const bound = ac({});
    const rc = ac({ demand: 'rate-controlled', maxBacklog: '50 ms' });
    const speeds = rc.trace.flatMap((e) => (e.type === 'throttle' ? [e.speed] : []));
    expect(speeds.slice(0, 7)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    if (speeds.length > 7) expect(speeds[7]).toBeCloseTo(0.6, 9);
    expect(rc.metrics.throttle_max).toBeGreaterThan(bound.metrics.throttle_max);
    expect(rc.metrics.total_time_s).toBeGreaterThan(bound.metrics.total_time_s);
  });
});

describe('qemu: XBZRLE', () => {
  it("encodes a re-sent page from the guest's writes: one 8-byte store → 8 + 3 + 11 B, and the budget counts encoded bytes", () => {
    // A 16 MiB working set (4 096 pages) fits the 64 MiB cache: every re-send after a page's first
    // is a hit. 1 000 writes/s over 4 096 pages, a 1 µs limit and 50 ms syncs (so each sync finds
    // about 50 pages and it never converges) for 20 s: a dirty page got one store in a period but
    // for about 0.6 %, two.
    for (const fidelity of ['page-exact', 'fluid'] as const) {
      const r = run({
        pages: 65536,
        link_Bps: 1.5e9,
        syncPerGiB_s: 0.2,
        fidelity,
        workload: { plugin: uniform as WorkloadPlugin, options: { rate: '1000 pages/s', workingSet: '16 MiB', writeSize: '8 B' } },
        options: { 'max-bandwidth': '64 MiB/s', xbzrle: true, 'downtime-limit': '0.000001 s', 'cancel-after': '20 s', host: { sendRate: '500 MB/s' } },
      }).metrics;
      expect(r.delta_pages, fidelity).toBeGreaterThan(1000);
      const encoded = (r.delta_pages * 4104 - r.delta_saved_bytes) / r.delta_pages;
      // 22 B for one store, 33 B for two: the mean lies between, near 22 (the ratio encoding would give 1 035 B).
      expect(encoded, fidelity).toBeGreaterThanOrEqual(22);
      expect(encoded, fidelity).toBeLessThan(23);
    }
  });
  it('needs the workload’s write size', () => {
    expect(() => run({ pages: 1024, link_Bps: 1e9, workload: { plugin: uniform as WorkloadPlugin, options: { rate: '200 pages/s' } }, options: { xbzrle: true } })).toThrow(/writeSize/);
  });
});

describe('qemu: post-copy', () => {
  it('starts at the next check after the request, then streams at max-postcopy-bandwidth until the pages left are below the threshold', () => {
    const base = {
      pages: 65536,
      link_Bps: 1e9,
      workload: { plugin: uniform as WorkloadPlugin, options: { rate: '64 MiB/s', workingSet: '128 MiB' } },
    };
    const pc = (bw: string) => run({ ...base, options: { 'max-bandwidth': '64 MiB/s', 'postcopy-ram': true, 'start-postcopy': { 'after-syncs': 2 }, 'max-postcopy-bandwidth': bw, host: { sendRate: '500 MB/s' } } });
    const r = pc('64 MiB/s');
    expect(r.metrics.status).toBe('completed');
    expect(r.trace.some((e) => e.type === 'phase' && e.phase === 'postcopy')).toBe(true);
    // One round (the first pass, ended by the second sync), then the switch.
    expect(r.metrics.rounds).toBe(1);
    // An unlimited stream ends the post-copy phase sooner.
    expect(pc('0 B/s').metrics.total_time_s).toBeLessThan(r.metrics.total_time_s);
    expect(() => run({ ...base, options: { 'start-postcopy': { 'after-syncs': 2 } } })).toThrow(/add 'postcopy-ram': true/);
  });
});

describe('qemu: determinism and engines', () => {
  it('same seed → same metrics', () => {
    const s = { pages: 16384, link_Bps: 1e9, workload: { plugin: uniform as WorkloadPlugin, options: { rate: '20 MiB/s', workingSet: '32 MiB' } }, options: { 'max-bandwidth': '32 MiB/s', host: { sendRate: '300 MB/s' } } };
    expect(run(s).metrics).toEqual(run(s).metrics);
  });
  it('the fluid engine lies within the 99 % CI of 60 page-exact runs (+3 %) on a converging guest', () => {
    const s = { pages: 16384, link_Bps: 1e9, workload: { plugin: uniform as WorkloadPlugin, options: { rate: '10 MiB/s', workingSet: '32 MiB' } }, options: { 'max-bandwidth': '32 MiB/s', host: { sendRate: '300 MB/s' } } };
    const fluid = run({ ...s, fidelity: 'fluid' }).metrics;
    const runs = Array.from({ length: 60 }, (_, i) => run({ ...s, seed: 1000 + i }).metrics);
    for (const key of ['total_time_s', 'bytes_sent'] as const) {
      const { mean, half } = ci99(runs.map((m) => m[key]));
      expect(Math.abs(fluid[key] - mean), `${key}: fluid ${fluid[key]} vs ${mean} ± ${half}`).toBeLessThanOrEqual(half + 0.03 * mean);
    }
  });
});

strategyConformance(qemu, {
  fullCopy: true,
  numRuns: 60,
  optionsArb: fc.record({ 'max-bandwidth': fc.integer({ min: 1e6, max: 2e9 }), 'auto-converge': fc.boolean(), maxSyncs: fc.constant(300), host: fc.record({ sendRate: fc.integer({ min: 1e7, max: 1e10 }) }) }, { requiredKeys: [] }),
});



