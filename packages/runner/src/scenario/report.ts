/**
 * Reports of a scenario experiment, from runs.csv (one row per configuration and replication):
 * - summary.csv: mean, sd, 95 % CI, min, max of every metric per configuration;
 * - pareto.csv: configurations not dominated on (makespan_s, downtime_total_s, bytes_sent)
 *   means, all minimised;
 * - makespan-vs-downtime.svg and makespan-vs-bytes.svg: configuration means, colour =
 *   scheduler, shape = strategy.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { TopLevelSpec } from 'vega-lite';
import { axisFormat, columnTitle, formatNumber } from '../report/format.js';
import { paretoFront } from '../report/pareto.js';
import { renderSvg, spansDecades } from '../report/plots.js';
import { summariseRuns, summaryHeader, summaryRow, type ConfigSummary, type SummaryColumns } from '../report/summary.js';

export const SCENARIO_PARETO_OBJECTIVES = ['makespan_s', 'downtime_total_s', 'bytes_sent'] as const;

/** Pareto-optimal configurations over the objectives' means, sorted by them, then first appearance. */
export function scenarioPareto(summaries: readonly ConfigSummary[]): ConfigSummary[] {
  const eligible = summaries.filter((s) => s.n > 0 && SCENARIO_PARETO_OBJECTIVES.every((m) => Number.isFinite(s.metrics[m]?.mean)));
  const points = eligible.map((s) => SCENARIO_PARETO_OBJECTIVES.map((m) => s.metrics[m]!.mean as number));
  const order = new Map(summaries.map((s, i) => [s, i]));
  const front = paretoFront(points).map((i) => ({ s: eligible[i]!, p: points[i]! }));
  front.sort((a, b) => {
    for (let k = 0; k < a.p.length; k++) if (a.p[k]! !== b.p[k]!) return a.p[k]! - b.p[k]!;
    return order.get(a.s)! - order.get(b.s)!;
  });
  return front.map((f) => f.s);
}

/** Scatter of configuration means, colour = scheduler, shape = strategy, a tooltip per point. */
export function scenarioScatterSpec(summaries: readonly ConfigSummary[], x: string, y: string, paramColumns: readonly string[]): TopLevelSpec {
  const values = summaries
    .filter((s) => Number.isFinite(s.metrics[x]?.mean) && Number.isFinite(s.metrics[y]?.mean))
    .map((s) => ({
      x: s.metrics[x]!.mean as number,
      y: s.metrics[y]!.mean as number,
      scheduler: s.labels['scheduler'] ?? '',
      strategy: s.labels['strategy'] ?? '',
      config: [s.configId, ...paramColumns.map((c) => `${c}=${s.params[c] ?? ''}`)].join(' '),
    }));
  const scale = (vs: number[]) => (spansDecades(vs) ? { type: 'log' as const, nice: false, padding: 12 } : { type: 'linear' as const, zero: false, padding: 12 });
  const axis = (c: string) => (axisFormat(c) === undefined ? {} : { format: axisFormat(c)! });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${columnTitle(y)} vs ${columnTitle(x)} (configuration means)`,
    width: 480,
    height: 320,
    background: 'white',
    data: { values },
    mark: { type: 'point', filled: true, size: 80, opacity: 0.85, tooltip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: columnTitle(x), scale: scale(values.map((v) => v.x)), axis: axis(x) },
      y: { field: 'y', type: 'quantitative', title: columnTitle(y), scale: scale(values.map((v) => v.y)), axis: axis(y) },
      color: { field: 'scheduler', type: 'nominal', title: 'scheduler', legend: { symbolOpacity: 1 } },
      shape: { field: 'strategy', type: 'nominal', title: 'strategy', legend: { symbolOpacity: 1 } },
      tooltip: [{ field: 'config', type: 'nominal' }],
    },
  };
}

/** Read runs.csv and write summary.csv, pareto.csv and the two plots into `dir`. */
export async function writeScenarioReports(opts: SummaryColumns & { dir: string; runsCsvPath: string }): Promise<void> {
  const columns: SummaryColumns = { paramColumns: opts.paramColumns, labelColumns: opts.labelColumns, metricColumns: opts.metricColumns };
  const summaries = await summariseRuns(opts.runsCsvPath, columns);
  await writeFile(join(opts.dir, 'summary.csv'), stringify(summaries.map((s) => summaryRow(s, columns)), { header: true, columns: summaryHeader(columns) }));
  await writeFile(
    join(opts.dir, 'pareto.csv'),
    stringify(
      scenarioPareto(summaries).map((s) => [
        s.configId,
        ...opts.paramColumns.map((c) => s.params[c] ?? ''),
        ...opts.labelColumns.map((c) => s.labels[c] ?? ''),
        String(s.n),
        ...SCENARIO_PARETO_OBJECTIVES.map((m) => formatNumber(s.metrics[m]?.mean)),
      ]),
      { header: true, columns: ['config_id', ...opts.paramColumns, ...opts.labelColumns, 'n', ...SCENARIO_PARETO_OBJECTIVES.map((m) => `${m}_mean`)] },
    ),
  );
  await writeFile(join(opts.dir, 'makespan-vs-downtime.svg'), await renderSvg(scenarioScatterSpec(summaries, 'makespan_s', 'downtime_total_s', opts.paramColumns)));
  await writeFile(join(opts.dir, 'makespan-vs-bytes.svg'), await renderSvg(scenarioScatterSpec(summaries, 'makespan_s', 'bytes_sent', opts.paramColumns)));
}
