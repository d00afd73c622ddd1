/**
 * Run one planned migration: build the plugin instances of its configuration with the run's
 * random streams and call core's `simulateMigration`. Used by the workers (and inline by tests).
 */
import {
  buildStop,
  resolveOptions,
  runStream,
  simulateMigration,
  type AnyPlugin,
  type CopyStrategy,
  type MigrationMetrics,
  type MigrationResult,
  type Rng,
  type StopCondition,
  type StopSpec,
  type Workload,
  type WorkloadPlugin,
} from '@livemig/core';
import { cell, METRIC_COLUMNS, type WorkerComponent, type WorkerConfig, type WorkerStop } from './plan.js';
import { loadPlugin, type PluginRef } from './plugins.js';

/** Builds the instances of one configuration for a run; options are validated once. */
export type Factory = (seed: number, replication: number) => { workload: Workload; strategy: CopyStrategy; stop: StopCondition };

/** Import every plugin a plan uses (cached per module URL). */
export const loadPlugins = (refs: readonly PluginRef[]): Promise<AnyPlugin[]> => Promise.all(refs.map(loadPlugin));

/** A worker's plugin reference with its options validated (once per configuration). */
export function resolveComponent(plugins: readonly AnyPlugin[], c: WorkerComponent): { plugin: AnyPlugin; options: unknown } {
  const plugin = plugins[c.ref]!;
  return { plugin, options: resolveOptions(plugin, c.options, `${c.path}.options`) };
}

/**
 * A worker's stop tree with its leaves' options validated once; the returned function makes a
 * fresh stop condition drawing from a run's random streams (`rng(name)`).
 */
export function compileStop(stop: WorkerStop, plugins: readonly AnyPlugin[]): (rng: (name: string) => Rng) => StopCondition {
  const leaves: Array<ReturnType<typeof resolveComponent>> = [];
  const toSpec = (s: WorkerStop): StopSpec => {
    if ('ref' in s) {
      leaves.push(resolveComponent(plugins, s));
      return { use: String(leaves.length - 1) };
    }
    return 'any' in s ? { any: s.any.map(toSpec) } : { all: s.all.map(toSpec) };
  };
  const spec = toSpec(stop);
  return (rng) =>
    buildStop(spec, 'stop', (name) => {
      const leaf = leaves[Number(name)]!;
      return leaf.plugin.create(leaf.options as never, { rng, build: () => ({ check: () => null }) } as never) as StopCondition;
    });
}

/** Compile a configuration into a factory of fresh instances. */
export function compileConfig(config: WorkerConfig, plugins: readonly AnyPlugin[]): Factory {
  return makeFactory(resolveComponent(plugins, config.workload), resolveComponent(plugins, config.strategy), compileStop(config.stop, plugins), config.scenario, config.baseDir);
}

/** The factory of a configuration whose components' options are resolved already. */
export function makeFactory(
  wl: { plugin: AnyPlugin; options: unknown },
  st: { plugin: AnyPlugin; options: unknown },
  stopOf: ReturnType<typeof compileStop>,
  sc: WorkerConfig['scenario'],
  baseDir: string | undefined,
): Factory {
  const pageCount = Math.ceil(sc.vm.memory / sc.vm.pageSize);
  return (seed, replication) => {
    const ctx = { rng: (name: string) => runStream(seed, replication, `strategy.${name}`) };
    const stop = stopOf(ctx.rng);
    return {
      workload: (wl.plugin as WorkloadPlugin).create(wl.options as never, { pageCount, pageSize_bytes: sc.vm.pageSize, rng: runStream(seed, replication, 'workload'), ...(baseDir === undefined ? {} : { baseDir }) }),
      strategy: st.plugin.create(st.options as never, ctx as never) as CopyStrategy,
      stop,
    };
  };
}

/** Simulate one run and return its metrics. */
export function runOnce(config: WorkerConfig, factory: Factory, seed: number, replication: number): MigrationMetrics {
  return runWithTimeline(config, factory, seed, replication, false).metrics;
}

/** Simulate one run; with `timeline`, also return its timeline of service and migration rates. */
export function runWithTimeline(config: WorkerConfig, factory: Factory, seed: number, replication: number, timeline: boolean): MigrationResult {
  const sc = config.scenario;
  const { workload, strategy, stop } = factory(seed, replication);
  const sv = sc.service;
  return simulateMigration({
    ...(sv
      ? { service: { demand_Bps: sv.demand, ...(sv.nic === undefined ? {} : { nic_Bps: sv.nic }), cpuCostPerMigrationByte: sv.cpuCostPerMigrationByte, trackingOverhead: sv.trackingOverhead } }
      : {}),
    ...(timeline ? { timeline: true } : {}),
    vm: { id: 'vm', memory_bytes: sc.vm.memory, pageSize_bytes: sc.vm.pageSize, vcpus: sc.vm.vcpus },
    strategy,
    stop,
    workload,
    fidelity: config.fidelity,
    bandwidth_Bps: sc.network.bandwidth,
    latency_s: sc.network.latency,
    costs: {
      setup_s: sc.costs.setup,
      bitmapSyncPerGiB_s: sc.costs.bitmapSyncPerGiB,
      deviceState_bytes: sc.costs.deviceState,
      resume_s: sc.costs.resume,
      redirect_s: sc.costs.redirect,
      release_s: sc.costs.release,
    },
    pageCosts: { header_bytes: sc.wire.headerBytes, zeroPage_bytes: sc.wire.zeroPageBytes, elideZeroPages: sc.wire.elideZeroPages },
    zeroFraction: sc.wire.zeroFraction,
    ...(sc.wire.zeroProfile ? { zeroProfile: sc.wire.zeroProfile } : {}),
    destinationFree_bytes: sc.destinationFree ?? Infinity,
    rng: runStream(seed, replication, 'memory'),
  });
}

/** The columns of timeline.csv. */
export const TIMELINE_COLUMNS = ['run_id', 't_s', 'duration_s', 'service_Bps', 'migration_Bps', 'phase'] as const;

/** The timeline.csv rows of one run. */
export const timelineRows = (runId: string, timeline: MigrationResult['timeline']): string[][] =>
  timeline.map((s) => [runId, cell(s.t_s), cell(s.duration_s), cell(s.service_Bps), cell(s.migration_Bps), s.phase]);

/** The metric cells of a row, in {@link METRIC_COLUMNS} order. */
export const metricCells = (m: MigrationMetrics): string[] => METRIC_COLUMNS.map((c) => cell(m[c]));
