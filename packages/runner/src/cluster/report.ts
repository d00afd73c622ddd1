/**
 * Reports of a cluster experiment, from runs.csv (one row per configuration and day):
 * - summary.csv: as for migration sweeps (mean, sd, 95 % CI, min, max over the days);
 * - pareto.csv: configurations not dominated on (energy_kWh_mean, slav_mean,
 *   downtime_total_s_mean), all minimised, sorted by energy, SLAV, downtime, first appearance;
 * - energy-vs-slav.svg and energy-vs-downtime.svg: configuration means, colour = detector,
 *   shape = selection.
 */
import type { TopLevelSpec } from 'vega-lite';
import { axisFormat, columnTitle } from '../report/format.js';
import { sortedParetoFront, writeKindReports } from '../report/kind-reports.js';
import { spansDecades } from '../report/plots.js';
import type { ConfigSummary, SummaryColumns } from '../report/summary.js';

export const CLUSTER_PARETO_OBJECTIVES = ['energy_kWh', 'slav', 'downtime_total_s'] as const;

/** The Pareto-optimal configurations over energy × SLAV × total downtime (means), sorted. */
export const clusterPareto = (summaries: readonly ConfigSummary[]): ConfigSummary[] => sortedParetoFront(summaries, CLUSTER_PARETO_OBJECTIVES);

/** Scatter of configuration means, colour = detector, shape = selection. */
export function clusterScatterSpec(summaries: readonly ConfigSummary[], x: string, y: string): TopLevelSpec {
  const values = summaries
    .filter((s) => Number.isFinite(s.metrics[x]?.mean) && Number.isFinite(s.metrics[y]?.mean))
    .map((s) => ({ x: s.metrics[x]!.mean as number, y: s.metrics[y]!.mean as number, detector: s.labels['detector'] ?? '', selection: s.labels['selection'] ?? '', config: s.configId }));
  const scale = (vs: number[]) => (spansDecades(vs) ? { type: 'log' as const, nice: false, padding: 12 } : { type: 'linear' as const, zero: false, padding: 12 });
  const axis = (c: string) => (axisFormat(c) === undefined ? {} : { format: axisFormat(c)! });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${columnTitle(y)} vs ${columnTitle(x)} (means over the days)`,
    width: 480,
    height: 320,
    background: 'white',
    data: { values },
    mark: { type: 'point', filled: true, size: 80, opacity: 0.85 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: columnTitle(x), scale: scale(values.map((v) => v.x)), axis: axis(x) },
      y: { field: 'y', type: 'quantitative', title: columnTitle(y), scale: scale(values.map((v) => v.y)), axis: axis(y) },
      color: { field: 'detector', type: 'nominal', title: 'detector', legend: { symbolOpacity: 1 } },
      shape: { field: 'selection', type: 'nominal', title: 'selection', legend: { symbolOpacity: 1 } },
    },
  };
}

/** Read runs.csv and write summary.csv, pareto.csv and the two SVG plots into `dir`. */
export const writeClusterReports = (opts: SummaryColumns & { dir: string; runsCsvPath: string }): Promise<void> =>
  writeKindReports(opts, CLUSTER_PARETO_OBJECTIVES, (summaries) => [
    ['energy-vs-slav.svg', clusterScatterSpec(summaries, 'energy_kWh', 'slav')],
    ['energy-vs-downtime.svg', clusterScatterSpec(summaries, 'energy_kWh', 'downtime_total_s')],
  ]);
