/**
 * Run one cluster configuration on one PlanetLab day: CloudSim's 800-host setup
 * (`cloudsimHosts`, `cloudsimVms`), the trigger plugin of the detector, and CloudSim's or a copy
 * strategy's migration costs. Used by the cluster worker (and inline by tests).
 */
import { resolveOptions, runStream, type AnyPlugin, type CopyStrategy, type TriggerPolicy } from '@livemig/core';
import { loadDay } from '@livemig/data-planetlab';
import { cloudsimCompat, cloudsimHosts, cloudsimTriggerOptions, cloudsimVms, simulateCluster, triggers, type ClusterMetrics, type ClusterSimOptions, type ClusterVm } from '@livemig/triggers';
import { cell, type WorkerComponent } from '../plan.js';
import { CLUSTER_METRIC_COLUMNS, type ClusterWorkerConfig } from './plan.js';
import { compileStop, resolveComponent } from '../simulate.js';

const dayCache = new Map<string, ReturnType<typeof loadDay>>();
const day = (d: string) => {
  let t = dayCache.get(d);
  if (!t) {
    t = loadDay(d);
    dayCache.set(d, t);
  }
  return t;
};

/** The metrics of one cluster run, by CSV column. */
export type ClusterRow = Record<(typeof CLUSTER_METRIC_COLUMNS)[number], number | string>;

/** Simulate `config` on `dayName`; `plugins` are the plan's refs loaded (strategy and stop plugins). */
export function runClusterDay(config: ClusterWorkerConfig, dayName: string, seed: number, plugins: readonly AnyPlugin[]): ClusterRow {
  const ctx = { rng: (name: string) => runStream(seed, 0, `trigger.${name}`) };
  const plugin = triggers[config.detector] as AnyPlugin;
  const compatOptions = config.cloudsimCompat ? { ...cloudsimTriggerOptions, ...(config.detector === 'lr' || config.detector === 'lrr' ? { weighting: 'none' } : {}) } : {};
  const trigger = plugin.create(resolveOptions(plugin, { ...compatOptions, ...config.triggerOptions }, 'trigger.options') as never, ctx as never) as TriggerPolicy;
  const traces = day(dayName).vms;
  const vms: ClusterVm[] = cloudsimVms(config.vms === 'all' ? traces : traces.slice(0, config.vms));
  const hosts = cloudsimHosts(config.hosts);
  const m = config.migration;
  let migration: ClusterSimOptions['migration'];
  if (m.mode === 'cloudsim') migration = { mode: 'cloudsim', bandwidthShare: m.bandwidthShare };
  else {
    const opt = (c: WorkerComponent) => resolveComponent(plugins, c);
    const sctx = { rng: (name: string) => runStream(seed, 0, `strategy.${name}`) };
    const stop = compileStop(m.stop, plugins)(sctx.rng);
    const st = opt(m.strategy);
    migration = {
      mode: 'strategy',
      strategy: st.plugin.create(st.options, sctx as never) as CopyStrategy,
      stop,
      fidelity: m.fidelity,
      maxDirtyRate_pages_s: m.maxDirtyRate_pages_s,
      workingSetFraction: m.workingSetFraction,
      bandwidthShare: m.bandwidthShare,
    };
  }
  const checkMemory = (config.triggerOptions.checkMemory as boolean | undefined) ?? (config.cloudsimCompat ? cloudsimTriggerOptions.checkMemory : true);
  const r = simulateCluster({
    hosts,
    vms,
    trigger,
    ...(config.cloudsimCompat ? cloudsimCompat : {}),
    migration,
    // The destination checks memory as the policy does (CloudSim's PlanetLab setup: not at all).
    checkDestinationMemory: checkMemory,
    ...(m.mode === 'strategy' && m.maxPerHost !== undefined ? { maxMigrationsPerHost: m.maxPerHost } : {}),
    ...(config.failures ? { failures: config.failures } : {}),
    seed,
  });
  return rowOf(dayName, r.metrics);
}

/** The CSV row values of a run's metrics. */
export function rowOf(dayName: string, x: ClusterMetrics): ClusterRow {
  return {
    day: dayName,
    energy_kWh: x.energy_kWh,
    slatah: x.slatah,
    pdm: x.pdm,
    slav: x.slav,
    esv: x.esv,
    migrations: x.migrations,
    migrations_completed: x.migrations_completed,
    migrations_nonConverged: x.migrations_nonConverged,
    migrations_cancelled: x.migrations_cancelled,
    migrations_failed: x.migrations_failed,
    downtime_total_s: x.downtime_total_s,
    downtime_mean_s: x.downtime_mean_s,
    downtime_max_s: x.downtime_max_s,
    migration_wait_total_s: x.migrationWait_total_s,
    migration_wait_max_s: x.migrationWait_max_s,
    migration_bytes: x.migration_bytes,
    vm_lost_h: x.vmHoursLost,
    host_failures: x.hostFailures,
    active_hosts_mean: x.activeHosts_mean,
    vms_ended: x.vmsEnded,
    slatah_pooled: x.slatah_pooled,
    pdm_pooled: x.pdm_pooled,
  };
}

/** The metric cells of a row, in {@link CLUSTER_METRIC_COLUMNS} order. */
export const clusterCells = (row: ClusterRow): string[] => CLUSTER_METRIC_COLUMNS.map((c) => cell(row[c]));
