/**
 * Run one planned scenario: build its plugin instances with the run's random streams (each VM
 * its own workload and memory streams, named by VM index) and call core's `simulateScenario`.
 */
import {
  deriveSeed,
  runStream,
  simulateScenario,
  type AnyPlugin,
  type CopyStrategy,
  type Scheduler,
  type ScenarioResult,
  type WorkloadPlugin,
} from '@livemig/core';
import { cell, type WorkerComponent } from '../plan.js';
import { SCENARIO_METRIC_COLUMNS, type ScenarioWorkerConfig } from './plan.js';
import { networkModelOf, topologyOf } from './network.js';
import { compileStop, resolveComponent } from '../simulate.js';


/** Simulate one run of a configuration. */
export function runScenario(config: ScenarioWorkerConfig, plugins: readonly AnyPlugin[], seed: number, replication: number): ScenarioResult {
  const e = config.experiment;
  const x = config.expanded;
  const opt = (c: WorkerComponent) => resolveComponent(plugins, c);
  const st = opt(config.strategy);
  const sc = opt(config.scheduler);
  const wls = config.workloads.map(opt);
  const stopOf = compileStop(config.stop, plugins);
  const ctxFor = (v: number) => ({ rng: (name: string) => runStream(seed, replication, `vm${v}.strategy.${name}`) });
  const vms = x.vms.map((v, i) => {
    const group = e.vms[v.group]!;
    const ctx = ctxFor(i);
    const stop = stopOf(ctx.rng);
    const wl = wls[v.group]!;
    return {
      vm: { id: v.id, memory_bytes: v.memory_bytes, pageSize_bytes: v.pageSize_bytes, vcpus: v.vcpus },
      host: v.host,
      workload: (wl.plugin as WorkloadPlugin).create(wl.options, { pageCount: v.memory_bytes / v.pageSize_bytes, pageSize_bytes: v.pageSize_bytes, rng: runStream(seed, replication, `vm${i}.workload`), baseDir: config.baseDir }),
      strategy: st.plugin.create(st.options, ctx as never) as CopyStrategy,
      stop,
      rng: runStream(seed, replication, `vm${i}.memory`),
      ...(group.service ? { service: { demand_Bps: group.service.demand, cpuCostPerMigrationByte: group.service.cpuCostPerMigrationByte, trackingOverhead: group.service.trackingOverhead } } : {}),
    };
  });
  const hostIndex = new Map(x.hosts.map((h, i) => [h.id, i]));
  return simulateScenario({
    hosts: x.hosts,
    topology: topologyOf(e.network, x),
    model: networkModelOf(e.network),
    vms,
    requests: x.requests,
    scheduler: sc.plugin.create(sc.options, { rng: (name: string) => runStream(seed, replication, `scheduler.${name}`) } as never) as Scheduler,
    background: (e.background ?? []).map((b, i) => ({
      from: hostIndex.get(b.from)!,
      to: hostIndex.get(b.to)!,
      rate_Bps: b.rate === 'unlimited' ? Infinity : b.rate,
      start_s: b.start,
      ...(b.end !== undefined ? { end_s: b.end } : {}),
      // Exponential periods draw from the run's stream of this flow: the same in the run without migrations.
      ...(b.on !== undefined && b.off !== undefined ? { onOff: { on_s: b.on, off_s: b.off, exponential: b.periods === 'exponential', seed: deriveSeed(seed, `background${i}`, replication) } } : {}),
    })),
    fidelity: e.fidelity,
    costs: {
      setup_s: e.costs.setup,
      bitmapSyncPerGiB_s: e.costs.bitmapSyncPerGiB,
      deviceState_bytes: e.costs.deviceState,
      resume_s: e.costs.resume,
      redirect_s: e.costs.redirect,
      release_s: e.costs.release,
    },
    pageCosts: { header_bytes: e.wire.headerBytes, zeroPage_bytes: e.wire.zeroPageBytes, elideZeroPages: e.wire.elideZeroPages },
    zeroFraction: e.wire.zeroFraction,
  });
}

/** The runs.csv metric cells of a run. */
export const scenarioCells = (r: ScenarioResult): string[] => SCENARIO_METRIC_COLUMNS.map((c) => cell(r.metrics[c]));

/** The migrations.csv rows of a run of `config`, without the run id. */
export const migrationRows = (r: ScenarioResult, config: ScenarioWorkerConfig): string[][] =>
  r.migrations.map((m) => [
    cell(m.request),
    m.vm,
    config.experiment.vms[config.expanded.vms[config.expanded.requests[m.request]!.vm]!.group]!.id,
    m.from,
    m.to,
    cell(m.requested_s),
    Number.isNaN(m.start_s) ? '' : cell(m.start_s),
    cell(m.end_s),
    cell(m.wait_s),
    m.metrics.status,
    cell(m.metrics.converged),
    m.metrics.stop_reason,
    cell(m.metrics.downtime_s),
    cell(m.metrics.total_time_s),
    cell(m.metrics.bytes_sent),
    cell(m.metrics.rounds),
  ]);
