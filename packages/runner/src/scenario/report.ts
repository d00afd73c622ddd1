/**
 * Reports of a scenario experiment, from runs.csv (one row per configuration and replication):
 * - summary.csv: mean, sd, 95 % CI, min, max of every metric per configuration;
 * - pareto.csv: configurations not dominated on (makespan_s, downtime_total_s, bytes_sent)
 *   means, all minimised;
 * - makespan-vs-downtime.svg and makespan-vs-bytes.svg: configuration means, colour =
 *   scheduler, shape = strategy.
 */
import type { TopLevelSpec } from 'vega-lite';
import { axisFormat, columnTitle } from '../report/format.js';
import { sortedParetoFront, writeKindReports } from '../report/kind-reports.js';
import { spansDecades } from '../report/plots.js';
import type { ConfigSummary, SummaryColumns } from '../report/summary.js';

export const SCENARIO_PARETO_OBJECTIVES = ['makespan_s', 'downtime_total_s', 'bytes_sent'] as const;

/** Pareto-optimal configurations over the objectives' means, sorted by them, then first appearance. */
export const scenarioPareto = (summaries: readonly ConfigSummary[]): ConfigSummary[] => sortedParetoFront(summaries, SCENARIO_PARETO_OBJECTIVES);

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
export const writeScenarioReports = (opts: SummaryColumns & { dir: string; runsCsvPath: string }): Promise<void> =>
  writeKindReports(opts, SCENARIO_PARETO_OBJECTIVES, (summaries) => [
    ['makespan-vs-downtime.svg', scenarioScatterSpec(summaries, 'makespan_s', 'downtime_total_s', opts.paramColumns)],
    ['makespan-vs-bytes.svg', scenarioScatterSpec(summaries, 'makespan_s', 'bytes_sent', opts.paramColumns)],
  ]);
