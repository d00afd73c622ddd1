/**
 * A compact, serialisable description of one migration scenario, and how to run it with any
 * copy strategy on either engine. The arbitraries generate these; the suites check the results.
 */
import {
  createRng,
  deriveSeed,
  resolveOptions,
  simulateMigration,
  type CopyStrategy,
  type FailureComponent,
  type Fidelity,
  type MigrationCosts,
  type MigrationResult,
  type StopSpec,
  type WorkloadPlugin,
  type VmSpec,
} from '@livemig/core';
import { stopCondition } from '@livemig/stop-conditions';
import { workloads } from '@livemig/workloads';

/** Everything but the strategy: plain JSON, printable in a fast-check counterexample. */
export interface Scenario {
  readonly pages: number;
  readonly pageSize_bytes: number;
  readonly bandwidth_Bps: number;
  readonly latency_s: number;
  readonly workload: { readonly use: keyof typeof workloads; readonly options: Record<string, unknown> };
  readonly stop: StopSpec;
  readonly costs: Partial<MigrationCosts>;
  readonly header_bytes: number;
  readonly zeroPage_bytes: number;
  readonly elideZeroPages: boolean;
  readonly zeroFraction: number;
  readonly seed: number;
}

export const vmOf = (s: Scenario): VmSpec => ({ id: 'vm', memory_bytes: s.pages * s.pageSize_bytes, pageSize_bytes: s.pageSize_bytes, vcpus: 1 });

/** Run `strategy` on `scenario` with the given engine; `trace` records the event trace. */
export function runScenario(
  strategy: CopyStrategy,
  s: Scenario,
  fidelity: Fidelity,
  opts: { trace?: boolean; seed?: number; failure?: { component: FailureComponent; at_s: number } } = {},
): MigrationResult {
  const seed = opts.seed ?? s.seed;
  const plugin: WorkloadPlugin = workloads[s.workload.use];
  const workload = plugin.create(resolveOptions(plugin, s.workload.options, 'workload.options') as never, {
    pageCount: s.pages,
    pageSize_bytes: s.pageSize_bytes,
    rng: createRng(deriveSeed(seed, 'workload')),
  });
  return simulateMigration({
    vm: vmOf(s),
    strategy,
    stop: stopCondition(s.stop),
    workload,
    fidelity,
    bandwidth_Bps: s.bandwidth_Bps,
    latency_s: s.latency_s,
    costs: s.costs,
    pageCosts: { header_bytes: s.header_bytes, zeroPage_bytes: s.zeroPage_bytes, elideZeroPages: s.elideZeroPages },
    zeroFraction: s.zeroFraction,
    rng: createRng(deriveSeed(seed, 'memory')),
    trace: opts.trace ?? false,
    ...(opts.failure ? { failure: opts.failure } : {}),
  });
}
