/** fast-check arbitraries for migration scenarios: small VMs, every workload, networks, costs, stop conditions. */
import fc from 'fast-check';
import type { PageCosts, StopSpec, VmSpec } from '@livemig/core';
import type { Scenario } from './scenario.js';

/** Page counts small enough for thousands of page-exact runs. */
export const pagesArb = (max = 4096) => fc.integer({ min: 32, max });

/**
 * A workload whose write rate is drawn relative to the link (in pages per second) so that
 * some scenarios converge fast, some slowly and some never.
 */
export const workloadArb = (pages: number, linkPagesPerSecond: number): fc.Arbitrary<Scenario['workload']> => {
  const rate = fc.double({ min: 0, max: 2, noNaN: true }).map((f) => Math.round(f * linkPagesPerSecond * 100) / 100);
  const ws = fc.double({ min: 0.05, max: 1, noNaN: true }).map((f) => Math.max(1 / pages, Math.round(f * 1000) / 1000));
  return fc.oneof(
    fc.constant({ use: 'idle' as const, options: {} }),
    fc.record({ use: fc.constant('uniform' as const), options: fc.record({ rate, workingSetFraction: ws }) }),
    fc.record({
      use: fc.constant('hot-cold' as const),
      options: fc.record({ rate, workingSetFraction: ws.filter((f) => f * pages >= 4), hotFraction: fc.double({ min: 0.01, max: 0.5, noNaN: true }), hotWrites: fc.double({ min: 0, max: 1, noNaN: true }) }),
    }),
    fc.record({ use: fc.constant('sequential' as const), options: fc.record({ rate, workingSetFraction: ws }) }),
  );
};

/**
 * Zipf and phased workloads (skewed and time-varying), for strategies whose behaviour depends
 * on which pages are hot or on phase changes; add them to a scenario with
 * `scenarioArb({ workloads: 'all' })`.
 */
export const richWorkloadArb = (pages: number, linkPagesPerSecond: number): fc.Arbitrary<Scenario['workload']> => {
  const rate = fc.double({ min: 0, max: 2, noNaN: true }).map((f) => Math.round(f * linkPagesPerSecond * 100) / 100);
  const ws = fc.double({ min: 0.05, max: 1, noNaN: true }).map((f) => Math.max(4 / pages, Math.round(f * 1000) / 1000));
  const zipf = fc.record({ use: fc.constant('zipf' as const), options: fc.record({ rate, workingSetFraction: ws, exponent: fc.double({ min: 0.5, max: 1.5, noNaN: true }), shuffle: fc.boolean() }) });
  const phase = fc.record({ duration: fc.double({ min: 0.05, max: 2, noNaN: true }).map((d) => `${Math.round(d * 1000) / 1000} s`), workload: fc.oneof(workloadArb(pages, linkPagesPerSecond), zipf) });
  const phased = fc.record({ use: fc.constant('phased' as const), options: fc.record({ phases: fc.array(phase, { minLength: 1, maxLength: 4 }), after: fc.constantFrom('repeat', 'hold') }) });
  return fc.oneof(zipf, phased);
};

/** A VM spec: memory a whole number of pages (up to `maxPages`), page size 4 KiB, 2 KiB or 64 KiB. */
export const vmArb = (maxPages = 4096): fc.Arbitrary<VmSpec> =>
  fc.record({ pages: pagesArb(maxPages), pageSize_bytes: fc.constantFrom(4096, 2048, 65536), vcpus: fc.integer({ min: 1, max: 8 }) }).map(({ pages, pageSize_bytes, vcpus }) => ({ id: 'vm', memory_bytes: pages * pageSize_bytes, pageSize_bytes, vcpus }));

/** A link: bandwidth from 1 Mbit/s to 100 Gbit/s (log-uniform) and a latency from none to 10 ms. */
export const networkArb: fc.Arbitrary<{ bandwidth_Bps: number; latency_s: number }> = fc.record({
  bandwidth_Bps: fc.double({ min: Math.log(125e3), max: Math.log(12.5e9), noNaN: true }).map((x) => Math.round(Math.exp(x))),
  latency_s: fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max: 0.01, noNaN: true })),
});

/** Per-page wire costs: header, zero-page marker, zero-page elision. */
export const pageCostsArb: fc.Arbitrary<Omit<PageCosts, 'pageSize_bytes'>> = fc.record({
  header_bytes: fc.constantFrom(0, 8, 16),
  zeroPage_bytes: fc.constantFrom(0, 9),
  elideZeroPages: fc.boolean(),
});

/** Stop conditions of every family, alone and combined. */
export const stopArb: fc.Arbitrary<StopSpec> = fc.oneof(
  fc.constant<StopSpec>('xen'),
  fc.constant<StopSpec>({ any: ['qemu', { use: 'max-rounds', options: { rounds: 40 } }] }),
  fc.constant<StopSpec>({ any: ['simgrid', { use: 'max-rounds', options: { rounds: 40 } }] }),
  fc.integer({ min: 1, max: 12 }).map<StopSpec>((rounds) => ({ use: 'max-rounds', options: { rounds } })),
  fc.integer({ min: 0, max: 200 }).map<StopSpec>((pages) => ({ any: [{ use: 'dirty-pages-below', options: { pages } }, { use: 'max-rounds', options: { rounds: 30 } }] })),
  fc.constant<StopSpec>({ any: ['no-progress', { use: 'sent-above', options: { factor: 4 } }] }),
  fc.constant<StopSpec>({ all: [{ use: 'max-rounds', options: { rounds: 2 } }, { use: 'time-limit', options: { limit: 0.001 } }] }),
);

/** Fixed costs in seconds and bytes, including none at all. */
export const costsArb = fc.record(
  {
    setup_s: fc.double({ min: 0, max: 0.5, noNaN: true }),
    bitmapSyncPerGiB_s: fc.double({ min: 0, max: 0.01, noNaN: true }),
    deviceState_bytes: fc.integer({ min: 0, max: 1 << 20 }),
    resume_s: fc.double({ min: 0, max: 0.05, noNaN: true }),
    redirect_s: fc.double({ min: 0, max: 0.05, noNaN: true }),
    release_s: fc.double({ min: 0, max: 0.05, noNaN: true }),
  },
  { requiredKeys: [] },
);

/** A whole scenario; `workloads: 'all'` adds zipf and phased workloads to idle, uniform, hot-cold and sequential. */
export const scenarioArb = (opts: { maxPages?: number; zeroPages?: boolean; workloads?: 'basic' | 'all' } = {}): fc.Arbitrary<Scenario> =>
  fc
    .record({
      pages: pagesArb(opts.maxPages),
      pageSize_bytes: fc.constantFrom(4096, 2048, 65536),
      linkPagesPerSecond: fc.integer({ min: 200, max: 200_000 }),
      latency_s: fc.constantFrom(0, 1e-4, 1e-3),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    })
    .chain(({ pages, pageSize_bytes, linkPagesPerSecond, latency_s, seed }) =>
      fc.record({
        pages: fc.constant(pages),
        pageSize_bytes: fc.constant(pageSize_bytes),
        bandwidth_Bps: fc.constant(linkPagesPerSecond * pageSize_bytes),
        latency_s: fc.constant(latency_s),
        workload: opts.workloads === 'all' ? fc.oneof(workloadArb(pages, linkPagesPerSecond), richWorkloadArb(pages, linkPagesPerSecond)) : workloadArb(pages, linkPagesPerSecond),
        stop: stopArb,
        costs: costsArb,
        header_bytes: fc.constantFrom(0, 8),
        zeroPage_bytes: fc.constantFrom(9),
        elideZeroPages: opts.zeroPages === false ? fc.constant(false) : fc.boolean(),
        zeroFraction: opts.zeroPages === false ? fc.constant(0) : fc.constantFrom(0, 0.3, 0.9),
        seed: fc.constant(seed),
      }),
    );
