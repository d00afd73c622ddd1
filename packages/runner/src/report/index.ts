/**
 * Reports of a sweep: summary.csv, pareto.csv and SVG plots from runs.csv.
 *
 * Formats (see also the package README):
 * - summary.csv: one row per configuration in order of first appearance in runs.csv:
 *   `config_id`, the parameter columns, the label columns (cells copied verbatim from the
 *   configuration's first run), `n` (runs, any status), `n_completed` (runs with status
 *   `completed`), then per metric `<m>_mean`, `<m>_sd`, `<m>_ci95_low`, `<m>_ci95_high`,
 *   `<m>_min`, `<m>_max` over the configuration's non-empty cells of that metric, whatever the
 *   run's status. `true`/`false` cells count as 1/0 (so `converged_mean` is a rate). sd is the
 *   sample sd (n − 1); the CI is mean ± t_{0.975, k−1} · sd / √k with k the number of values;
 *   both are empty when k < 2; every statistic is empty when k = 0. Numbers are `String(x)`
 *   of the computed double (shortest round-trip decimal).
 * - pareto.csv: the configurations not dominated on (downtime_s_mean, bytes_sent_mean,
 *   total_time_s_mean), all minimised (a dominates b: ≤ on all, < on one; ties are all kept),
 *   among the eligible configurations: every run `completed` and all objective means present.
 *   Columns `config_id`, params, labels, `n`, `downtime_s_mean`, `bytes_sent_mean`,
 *   `total_time_s_mean`; sorted by downtime, then bytes, then total time, then first
 *   appearance. Objectives absent from metricColumns are left out of the comparison.
 * - downtime-vs-bytes.svg, downtime-vs-total-time.svg: configuration means, colour = strategy
 *   (or the first label column), shape = stop when present.
 * - `<param>-vs-<metric>.svg` for each param and metric in downtime_s, total_time_s, bytes_sent
 *   (those in metricColumns): mean with 95 % CI error bars (n ≥ 2), colour = label
 *   combination, one line per combination of the other parameters.
 * Plots show every configuration with the means (any status). An axis uses a log scale when
 * its means are positive and span ≥ 2 decades; there, error bars reaching ≤ 0 are not drawn.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { formatNumber } from './format.js';
import { paretoFront } from './pareto.js';
import { paramLineSpec, renderSvg, scatterSpec } from './plots.js';
import { summariseRuns, summaryHeader, summaryRow, type ConfigSummary, type SummaryColumns } from './summary.js';

export { columnTitle, formatNumber } from './format.js';
export { dominates, paretoFront } from './pareto.js';
export { encodingColumns, normaliseSvgIds, paramLineSpec, renderSvg, scatterSpec, spansDecades } from './plots.js';
export { describe, parseMetricCell, summariseRuns, summaryHeader, summaryRow, tCritical95 } from './summary.js';
export type { ConfigSummary, MetricStats, SummaryColumns } from './summary.js';

export interface WriteReportsOptions extends SummaryColumns {
  /** Output directory (must exist). */
  dir: string;
  /** runs.csv: header row, one row per run. */
  runsCsvPath: string;
}

/** The objectives of pareto.csv, all minimised, in sort order. */
export const PARETO_OBJECTIVES = ['downtime_s', 'bytes_sent', 'total_time_s'] as const;

/** Metrics that get a line plot against every parameter. */
export const LINE_PLOT_METRICS = ['downtime_s', 'total_time_s', 'bytes_sent'] as const;

/**
 * The columns that describe the migrated scenario rather than the policy: every parameter
 * column except those of the strategy and the stop condition (named `strategy…`, `stop…`), and
 * the `workload` label. Pareto fronts compare policies within one scenario.
 */
export function scenarioColumns(columns: Pick<SummaryColumns, 'paramColumns' | 'labelColumns'>): { params: string[]; labels: string[] } {
  const policy = (c: string) => /^(strategy|stop)(_|$)/.test(c);
  return { params: columns.paramColumns.filter((c) => !policy(c)), labels: columns.labelColumns.filter((c) => c === 'workload') };
}

/**
 * The Pareto-optimal configurations (see the module comment), one front per scenario (see
 * {@link scenarioColumns}; pass `scenarioOf` = a constant for a single front over everything),
 * fronts in order of first appearance, each sorted by downtime, bytes, total time.
 */
export function paretoConfigs(
  summaries: readonly ConfigSummary[],
  metricColumns: readonly string[],
  scenarioOf: (s: ConfigSummary) => string = () => '',
): ConfigSummary[] {
  const groups = new Map<string, ConfigSummary[]>();
  for (const s of summaries) {
    const key = scenarioOf(s);
    const g = groups.get(key);
    if (g) g.push(s);
    else groups.set(key, [s]);
  }
  return [...groups.values()].flatMap((g) => paretoOfGroup(g, metricColumns));
}

function paretoOfGroup(summaries: readonly ConfigSummary[], metricColumns: readonly string[]): ConfigSummary[] {
  const objectives = PARETO_OBJECTIVES.filter((m) => metricColumns.includes(m));
  const eligible = summaries.filter(
    (s) =>
      s.n > 0 &&
      s.nCompleted === s.n &&
      objectives.every((m) => {
        const x = s.metrics[m]?.mean;
        return x !== undefined && !Number.isNaN(x);
      }),
  );
  const points = eligible.map((s) => objectives.map((m) => s.metrics[m]?.mean as number));
  const order = new Map(summaries.map((s, i) => [s, i]));
  const front = paretoFront(points).map((i) => ({ s: eligible[i] as ConfigSummary, p: points[i] as number[] }));
  front.sort((a, b) => {
    for (let k = 0; k < objectives.length; k++) {
      const d = (a.p[k] as number) - (b.p[k] as number);
      if (d !== 0) return d;
    }
    return (order.get(a.s) as number) - (order.get(b.s) as number);
  });
  return front.map((f) => f.s);
}

function writeCsv(path: string, header: string[], rows: string[][]): Promise<void> {
  return writeFile(path, stringify(rows, { header: true, columns: header }));
}

/** Safe file-name part of a column name. */
function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** What {@link writeReports} found out while summarising. */
export interface ReportFindings {
  /**
   * The replications per configuration when every configuration has more than one and each
   * gave the same value of every metric in all of them (a deterministic engine: the confidence
   * intervals are then zero-width and the replications add nothing), else null.
   */
  readonly identicalReplications: number | null;
}

/** Whether every configuration was replicated and no metric varied across its replications. */
export function identicalReplications(summaries: readonly ConfigSummary[]): number | null {
  if (summaries.length === 0 || summaries.some((s) => s.n < 2)) return null;
  const same = summaries.every((s) => Object.values(s.metrics).every((m) => m.count === 0 || m.min === m.max));
  return same ? Math.min(...summaries.map((s) => s.n)) : null;
}

/** Reads runs.csv and writes summary.csv, pareto.csv and the SVG plots into `dir`. */
export async function writeReports(opts: WriteReportsOptions): Promise<ReportFindings> {
  const columns: SummaryColumns = {
    paramColumns: opts.paramColumns,
    labelColumns: opts.labelColumns,
    metricColumns: opts.metricColumns,
  };
  const summaries = await summariseRuns(opts.runsCsvPath, columns);

  await writeCsv(
    join(opts.dir, 'summary.csv'),
    summaryHeader(columns),
    summaries.map((s) => summaryRow(s, columns)),
  );

  const objectives = PARETO_OBJECTIVES.filter((m) => opts.metricColumns.includes(m));
  await writeCsv(
    join(opts.dir, 'pareto.csv'),
    ['config_id', ...opts.paramColumns, ...opts.labelColumns, 'n', ...objectives.map((m) => `${m}_mean`)],
    paretoConfigs(summaries, opts.metricColumns, (s) => {
      const sc = scenarioColumns(opts);
      return JSON.stringify([...sc.params.map((c) => s.params[c] ?? ''), ...sc.labels.map((c) => s.labels[c] ?? '')]);
    }).map((s) => [
      s.configId,
      ...opts.paramColumns.map((c) => s.params[c] ?? ''),
      ...opts.labelColumns.map((c) => s.labels[c] ?? ''),
      String(s.n),
      ...objectives.map((m) => formatNumber(s.metrics[m]?.mean)),
    ]),
  );

  const plots: Array<[string, Parameters<typeof renderSvg>[0]]> = [];
  const has = (m: string) => opts.metricColumns.includes(m);
  // The trade-off scatters compare migrations that happened: a configuration with cancelled or
  // failed runs (downtime 0, bytes wasted) would sit at a misleading corner, as in pareto.csv.
  const completed = summaries.filter((s) => s.nCompleted === s.n);
  if (has('downtime_s') && has('bytes_sent')) {
    plots.push(['downtime-vs-bytes.svg', scatterSpec(completed, 'bytes_sent', 'downtime_s', opts.labelColumns)]);
  }
  if (has('downtime_s') && has('total_time_s')) {
    plots.push(['downtime-vs-total-time.svg', scatterSpec(completed, 'total_time_s', 'downtime_s', opts.labelColumns)]);
  }
  for (const param of opts.paramColumns) {
    for (const metric of LINE_PLOT_METRICS.filter(has)) {
      plots.push([
        `${fileSafe(param)}-vs-${metric}.svg`,
        paramLineSpec(summaries, param, metric, opts.paramColumns, opts.labelColumns),
      ]);
    }
  }
  // One at a time: rendering is CPU-bound, and sequential order keeps the output simple to reason about.
  for (const [file, spec] of plots) {
    await writeFile(join(opts.dir, file), await renderSvg(spec));
  }
  return { identicalReplications: identicalReplications(summaries) };
}
