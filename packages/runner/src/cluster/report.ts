/**
 * Reports of a cluster experiment, from runs.csv (one row per configuration and day):
 * - summary.csv: as for migration sweeps (mean, sd, 95 % CI, min, max over the days);
 * - pareto.csv: configurations not dominated on (energy_kWh_mean, slav_mean,
 *   downtime_total_s_mean), all minimised, sorted by energy, SLAV, downtime, first appearance;
 * - energy-vs-slav.svg and energy-vs-downtime.svg: configuration means, colour = detector,
 *   shape = selection.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { TopLevelSpec } from 'vega-lite';
import { axisFormat, columnTitle, formatNumber } from '../report/format.js';
import { paretoFront } from '../report/pareto.js';
import { renderSvg, spansDecades } from '../report/plots.js';
import { summariseRuns, summaryHeader, summaryRow, type ConfigSummary, type SummaryColumns } from '../report/summary.js';

export const CLUSTER_PARETO_OBJECTIVES = ['energy_kWh', 'slav', 'downtime_total_s'] as const;

/** The Pareto-optimal configurations over energy × SLAV × total downtime (means), sorted. */
export function clusterPareto(summaries: readonly ConfigSummary[]): ConfigSummary[] {
  const eligible = summaries.filter((s) => s.n > 0 && CLUSTER_PARETO_OBJECTIVES.every((m) => Number.isFinite(s.metrics[m]?.mean)));
  const points = eligible.map((s) => CLUSTER_PARETO_OBJECTIVES.map((m) => s.metrics[m]!.mean as number));
  const order = new Map(summaries.map((s, i) => [s, i]));
  const front = paretoFront(points).map((i) => ({ s: eligible[i]!, p: points[i]! }));
  front.sort((a, b) => {
    for (let k = 0; k < a.p.length; k++) if (a.p[k]! !== b.p[k]!) return a.p[k]! - b.p[k]!;
    return order.get(a.s)! - order.get(b.s)!;
  });
  return front.map((f) => f.s);
}

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
export async function writeClusterReports(opts: SummaryColumns & { dir: string; runsCsvPath: string }): Promise<void> {
  const columns: SummaryColumns = { paramColumns: opts.paramColumns, labelColumns: opts.labelColumns, metricColumns: opts.metricColumns };
  const summaries = await summariseRuns(opts.runsCsvPath, columns);
  await writeFile(join(opts.dir, 'summary.csv'), stringify(summaries.map((s) => summaryRow(s, columns)), { header: true, columns: summaryHeader(columns) }));
  await writeFile(
    join(opts.dir, 'pareto.csv'),
    stringify(
      clusterPareto(summaries).map((s) => [
        s.configId,
        ...opts.paramColumns.map((c) => s.params[c] ?? ''),
        ...opts.labelColumns.map((c) => s.labels[c] ?? ''),
        String(s.n),
        ...CLUSTER_PARETO_OBJECTIVES.map((m) => formatNumber(s.metrics[m]?.mean)),
      ]),
      { header: true, columns: ['config_id', ...opts.paramColumns, ...opts.labelColumns, 'n', ...CLUSTER_PARETO_OBJECTIVES.map((m) => `${m}_mean`)] },
    ),
  );
  await writeFile(join(opts.dir, 'energy-vs-slav.svg'), await renderSvg(clusterScatterSpec(summaries, 'energy_kWh', 'slav')));
  await writeFile(join(opts.dir, 'energy-vs-downtime.svg'), await renderSvg(clusterScatterSpec(summaries, 'energy_kWh', 'downtime_total_s')));
}
