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
import { closeSync, ftruncateSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { formatNumber } from './format.js';
import { dominates, paretoFront } from './pareto.js';
import { paramLineSpec, renderSvg, scatterSpec } from './plots.js';
import { IdMap } from '../id-map.js';
import { sha256 } from '../canonical.js';
import { forEachSummary, summaryHeader, summaryRow, type ConfigSummary, type SummaryColumns } from './summary.js';

export { columnTitle, formatNumber } from './format.js';
export { dominates, paretoFront } from './pareto.js';
export { encodingColumns, normaliseSvgIds, paramLineSpec, renderSvg, scatterSpec, spansDecades } from './plots.js';
export { describe, forEachSummary, parseMetricCell, summariseRuns, summaryHeader, summaryRow, tCritical95 } from './summary.js';
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
  return {
    params: columns.paramColumns.filter((c) => !policy(c)),
    labels: columns.labelColumns.filter((c) => c === 'workload'),
  };
}

/**
 * The Pareto-optimal configurations (see the module comment), one front per scenario (see
 * {@link scenarioColumns}; pass `scenarioOf` = a constant for a single front over everything),
 * fronts in order of first appearance, each sorted by downtime, bytes, total time.
 */
export function paretoConfigs(summaries: readonly ConfigSummary[], metricColumns: readonly string[], scenarioOf: (s: ConfigSummary) => string = () => ''): ConfigSummary[] {
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
      })
  );
  const points = eligible.map((s) => objectives.map((m) => s.metrics[m]?.mean as number));
  const order = new Map(summaries.map((s, i) => [s, i]));
  const front = paretoFront(points).map((i) => ({
    s: eligible[i] as ConfigSummary,
    p: points[i] as number[],
  }));
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
  /** Plots left out, with why (an aggregated plot of too many distinct points). */
  readonly notPlotted?: readonly string[];
}

/** Whether every configuration was replicated and no metric varied across its replications. */
export function identicalReplications(summaries: readonly ConfigSummary[]): number | null {
  if (summaries.length === 0 || summaries.some((s) => s.n < 2)) return null;
  const same = summaries.every((s) => Object.values(s.metrics).every((m) => m.count === 0 || m.min === m.max));
  return same ? Math.min(...summaries.map((s) => s.n)) : null;
}

/**
 * Configurations a sweep's plots draw one by one; beyond, a line plot shows the mean over the
 * other parameters' values of the configuration means (no CI), and the trade-off scatters the
 * Pareto-optimal configurations: a plot of 10⁵ points is unreadable and slow to render.
 */
export const PLOT_LIMIT = 2000;
/** Distinct (value, label) points a line plot may have once aggregated. */
const AGGREGATE_POINTS_MAX = 2000;

/**
 * Reads runs.csv and writes summary.csv, pareto.csv and the SVG plots into `dir`, one
 * configuration at a time (see {@link forEachSummary}): memory does not grow with the sweep
 * beyond the Pareto fronts and {@link PLOT_LIMIT} configurations.
 */
export async function writeReports(opts: WriteReportsOptions): Promise<ReportFindings> {
  const writer = createReportWriter(opts);
  try {
    await forEachSummary(
      opts.runsCsvPath,
      writer.columns,
      (s) => writer.add(s),
      () => writer.restart()
    );
  } catch (e) {
    writer.abandon();
    throw e;
  }
  return writer.finish();
}

/** Options of {@link createReportWriter}: the output folder and the columns. */
export type ReportWriterOptions = Omit<WriteReportsOptions, 'runsCsvPath'> & {
  /** runs.csv, read again for pareto.csv when a scenario's configurations do not come together. */
  runsCsvPath?: string;
};

/**
 * The reports of a sweep fed one configuration summary at a time, in plan order (from runs.csv
 * by {@link writeReports}, or as the workers return them): summary.csv is written as they come,
 * the Pareto fronts are kept incrementally, and the plots are drawn at `finish()`.
 */
export function createReportWriter(opts: ReportWriterOptions) {
  const columns: SummaryColumns = {
    paramColumns: opts.paramColumns,
    labelColumns: opts.labelColumns,
    metricColumns: opts.metricColumns,
  };
  const has = (m: string) => opts.metricColumns.includes(m);
  const objectives = PARETO_OBJECTIVES.filter(has);
  const sc = scenarioColumns(opts);
  const scenarioKey = (s: ConfigSummary) => JSON.stringify([...sc.params.map((c) => s.params[c] ?? ''), ...sc.labels.map((c) => s.labels[c] ?? '')]);
  type FrontEntry = { s: ConfigSummary; p: number[]; order: number };
  /** The fronts not written yet: while streaming, only the open scenario's. */
  let fronts = new Map<string, FrontEntry[]>();
  /** Whether every scenario's configurations came together so far (else pareto.csv takes a second pass over runs.csv). */
  let streaming = true;
  let openKey: string | undefined;
  /** Scenarios whose front was written (hashes of their keys). */
  let flushedKeys = new IdMap();
  /** Pareto-optimal configurations for the scatters: every `scatterStride`-th, at most 2 × PLOT_LIMIT. */
  let scatterSample: ConfigSummary[] = [];
  let scatterStride = 1;
  let frontSize = 0;
  const paretoPath = join(opts.dir, 'pareto.csv');
  const paretoHeader = ['config_id', ...opts.paramColumns, ...opts.labelColumns, 'n', ...objectives.map((m) => `${m}_mean`)];
  let paretoText: string[] = [];
  const paretoRow = ({ s }: FrontEntry): string[] => [
    s.configId,
    ...opts.paramColumns.map((c) => s.params[c] ?? ''),
    ...opts.labelColumns.map((c) => s.labels[c] ?? ''),
    String(s.n),
    ...objectives.map((m) => formatNumber(s.metrics[m]?.mean)),
  ];
  /** Fronts sorted by the objectives, then first appearance. */
  const sorted = (front: readonly FrontEntry[]): FrontEntry[] =>
    [...front].sort((a, b) => {
      for (let k = 0; k < objectives.length; k++) {
        const d = a.p[k]! - b.p[k]!;
        if (d !== 0) return d;
      }
      return a.order - b.order;
    });
  /** Write the held fronts (streaming: the open scenario's) and forget them. */
  const flushFronts = (): void => {
    if (!streaming) return;
    for (const [key, front] of fronts) {
      const rows = sorted(front);
      if (rows.length) paretoText.push(stringify(rows.map(paretoRow)));
      if (paretoText.length >= 256) flushParetoText();
      flushedKeys.set(sha256(key).slice(0, 16), 1);
      for (const q of [...front].sort((a, b) => a.order - b.order)) {
        if (frontSize++ % scatterStride !== 0) continue;
        scatterSample.push(q.s);
        if (scatterSample.length >= 2 * PLOT_LIMIT) {
          // Keep every other one and sample half as often: every scatterStride-th of the whole front.
          scatterSample = scatterSample.filter((_, i) => i % 2 === 0);
          scatterStride *= 2;
        }
      }
    }
    fronts = new Map();
  };
  let paretoFd: number | undefined = openSync(`${paretoPath}.partial`, 'w');
  let paretoOffset = writeSync(paretoFd, stringify([paretoHeader]), 0);
  const paretoHeadBytes = paretoOffset;
  const flushParetoText = (): void => {
    if (paretoText.length) paretoOffset += writeSync(paretoFd!, paretoText.join(''), paretoOffset);
    paretoText = [];
  };
  const lineMetrics = LINE_PLOT_METRICS.filter(has);
  let kept: ConfigSummary[] | null = [];
  // Aggregated line plots (more than PLOT_LIMIT configurations): per plot, (x, labels) → sum and count of the means.
  let aggregates = new Map<string, Map<string, { x: string; labels: Record<string, string>; sum: number; count: number }> | null>();
  const aggregate = (s: ConfigSummary): void => {
    for (const param of opts.paramColumns)
      for (const metric of lineMetrics) {
        const key = `${param}\0${metric}`;
        if (!aggregates.has(key)) aggregates.set(key, new Map());
        const points = aggregates.get(key);
        const y = s.metrics[metric]?.mean;
        const x = s.params[param] ?? '';
        if (!points || y === undefined || !Number.isFinite(y) || x === '' || !Number.isFinite(Number(x))) continue;
        const at = `${x}\0${opts.labelColumns.map((c) => s.labels[c] ?? '').join('\0')}`;
        const point = points.get(at);
        if (point) {
          point.sum += y;
          point.count++;
        } else if (points.size >= AGGREGATE_POINTS_MAX) aggregates.set(key, null);
        else points.set(at, { x, labels: s.labels, sum: y, count: 1 });
      }
  };
  let configs = 0;
  let allReplicated = true;
  let allIdentical = true;
  let minReplications = Infinity;

  const summaryPath = join(opts.dir, 'summary.csv');
  const partial = `${summaryPath}.partial`;
  let fd: number | undefined = openSync(partial, 'w');
  const head = stringify([summaryHeader(columns)]);
  // Written at explicit offsets, so that a restart can truncate back to the header.
  let offset = 0;
  const append = (text: string): void => {
    offset += writeSync(fd!, text, offset);
  };
  append(head);
  let pending: string[][] = [];
  /** Forget every summary added so far (the runs come again). */
  const restart = (): void => {
    ftruncateSync(fd!, Buffer.byteLength(head));
    offset = Buffer.byteLength(head);
    pending = [];
    fronts = new Map();
    streaming = true;
    openKey = undefined;
    flushedKeys = new IdMap();
    scatterSample = [];
    scatterStride = 1;
    frontSize = 0;
    paretoText = [];
    ftruncateSync(paretoFd!, paretoHeadBytes);
    paretoOffset = paretoHeadBytes;
    kept = [];
    aggregates = new Map();
    configs = 0;
    allReplicated = true;
    allIdentical = true;
    minReplications = Infinity;
  };
  /** Add the next configuration's summary. */
  const add = (s: ConfigSummary): void => {
    pending.push(summaryRow(s, columns));
    if (pending.length >= 512) append(stringify(pending.splice(0)));
    note(s);
  };
  /** Add summaries whose summary.csv rows the caller formatted already (`text`: their CSV lines, as `summaryRow` and csv-stringify make them). */
  const addFormatted = (summaries: readonly ConfigSummary[], text: string): void => {
    if (pending.length) append(stringify(pending.splice(0)));
    append(text);
    summaries.forEach(note);
  };
  const note = (s: ConfigSummary): void => {
    const order = configs++;
    if (s.n < 2) allReplicated = false;
    minReplications = Math.min(minReplications, s.n);
    if (allIdentical && !Object.values(s.metrics).every((m) => m.count === 0 || m.min === m.max)) allIdentical = false;
    // The Pareto front of its scenario, kept incrementally: a point dominated now stays dominated.
    const eligible = s.n > 0 && s.nCompleted === s.n && objectives.every((m) => s.metrics[m]?.mean !== undefined && !Number.isNaN(s.metrics[m]!.mean!));
    if (eligible) {
      const p = objectives.map((m) => s.metrics[m]!.mean!);
      const key = scenarioKey(s);
      // A scenario's configurations usually come together (policies swept last): its front is
      // written when the next scenario starts, and only the current one is held.
      if (streaming && openKey !== key) {
        flushFronts();
        if (flushedKeys.get(sha256(key).slice(0, 16)) !== undefined) {
          // From here on pareto.csv comes from a second pass: hold nothing more.
          streaming = false;
          fronts = new Map();
        }
        openKey = key;
      }
      const front = fronts.get(key) ?? [];
      if (streaming && !fronts.has(key)) fronts.set(key, front);
      if (streaming && !front.some((q) => dominates(q.p, p))) {
        const rest = front.filter((q) => !dominates(p, q.p));
        // Only what pareto.csv and the scatters need.
        const metrics = Object.fromEntries(objectives.map((m, k) => [m, { count: s.metrics[m]!.count, mean: p[k]! }]));
        rest.push({ s: { configId: s.configId, params: s.params, labels: s.labels, n: s.n, nCompleted: s.nCompleted, metrics }, p, order });
        fronts.set(key, rest);
      }
    }
    if (kept) {
      kept.push(s);
      if (kept.length > PLOT_LIMIT) {
        kept.forEach(aggregate);
        kept = null;
      }
    } else aggregate(s);
  };
  const finish = async (): Promise<ReportFindings> => {
    if (pending.length) append(stringify(pending.splice(0)));
    closeSync(fd!);
    fd = undefined;
    renameSync(partial, summaryPath);
    flushFronts();
    flushParetoText();
    closeSync(paretoFd!);
    paretoFd = undefined;
    if (streaming) renameSync(`${paretoPath}.partial`, paretoPath);
    else {
      // A scenario came back after others: its front is the whole sweep's, found in a second pass.
      rmSync(`${paretoPath}.partial`, { force: true });
      if (opts.runsCsvPath === undefined) throw new Error('internal: the reports of a sweep whose scenarios interleave need runs.csv');
      const all = new Map<string, FrontEntry[]>();
      let order = 0;
      await forEachSummary(
        opts.runsCsvPath,
        columns,
        (s) => {
          const at = order++;
          const eligible = s.n > 0 && s.nCompleted === s.n && objectives.every((m) => s.metrics[m]?.mean !== undefined && !Number.isNaN(s.metrics[m]!.mean!));
          if (!eligible) return;
          const p = objectives.map((m) => s.metrics[m]!.mean!);
          const key = scenarioKey(s);
          const front = all.get(key) ?? [];
          if (front.some((q) => dominates(q.p, p))) return all.set(key, front) && undefined;
          const metrics = Object.fromEntries(objectives.map((m, k) => [m, { count: s.metrics[m]!.count, mean: p[k]! }]));
          all.set(key, [...front.filter((q) => !dominates(p, q.p)), { s: { configId: s.configId, params: s.params, labels: s.labels, n: s.n, nCompleted: s.nCompleted, metrics }, p, order: at }]);
        },
        () => {
          all.clear();
          order = 0;
        }
      );
      await writeCsv(
        paretoPath,
        paretoHeader,
        [...all.values()].flatMap((f) => sorted(f).map(paretoRow))
      );
      scatterSample = [...all.values()].flatMap((f) => [...f].sort((a, b) => a.order - b.order).map((q) => q.s));
      frontSize = scatterSample.length;
      scatterStride = Math.max(1, Math.ceil(frontSize / PLOT_LIMIT));
      scatterSample = scatterSample.filter((_, i) => i % scatterStride === 0);
    }
    return drawAndWrite();
  };
  /** Drop what was written (an interrupted or failed run). */
  const abandon = (): void => {
    if (fd !== undefined) closeSync(fd);
    if (paretoFd !== undefined) closeSync(paretoFd);
    fd = paretoFd = undefined;
    rmSync(partial, { force: true });
    rmSync(`${paretoPath}.partial`, { force: true });
  };
  return { columns, add, addFormatted, restart, finish, abandon };

  async function drawAndWrite(): Promise<ReportFindings> {
    const plots: Array<[string, Parameters<typeof renderSvg>[0]]> = [];
    const notPlotted: string[] = [];
    // The trade-off scatters compare migrations that happened: a configuration with cancelled or
    // failed runs (downtime 0, bytes wasted) would sit at a misleading corner, as in pareto.csv.
    const scattered = kept ? kept.filter((s) => s.nCompleted === s.n) : scatterSample;
    const scatterNote = kept
      ? undefined
      : scatterStride > 1
      ? `every ${scatterStride}th of the ${frontSize} Pareto-optimal configurations of each scenario, of ${configs}`
      : `Pareto-optimal configurations of each scenario, ${frontSize} of ${configs}`;
    if (has('downtime_s') && has('bytes_sent')) {
      plots.push(['downtime-vs-bytes.svg', scatterSpec(scattered, 'bytes_sent', 'downtime_s', opts.labelColumns, scatterNote)]);
    }
    if (has('downtime_s') && has('total_time_s')) {
      plots.push(['downtime-vs-total-time.svg', scatterSpec(scattered, 'total_time_s', 'downtime_s', opts.labelColumns, scatterNote)]);
    }
    for (const param of opts.paramColumns) {
      for (const metric of lineMetrics) {
        const file = `${fileSafe(param)}-vs-${metric}.svg`;
        if (kept) {
          plots.push([file, paramLineSpec(kept, param, metric, opts.paramColumns, opts.labelColumns)]);
          continue;
        }
        const points = aggregates.get(`${param}\0${metric}`);
        if (!points) {
          notPlotted.push(`${file} (more than ${AGGREGATE_POINTS_MAX} distinct values of ${param} × labels)`);
          continue;
        }
        const means: ConfigSummary[] = [...points.values()].map((q) => ({
          configId: '',
          params: { [param]: q.x },
          labels: q.labels,
          n: q.count,
          nCompleted: q.count,
          metrics: { [metric]: { count: 1, mean: q.sum / q.count } },
        }));
        plots.push([file, paramLineSpec(means, param, metric, [param], opts.labelColumns, `mean over the other parameters of ${configs} configurations' means`)]);
      }
    }
    // One at a time: rendering is CPU-bound, and sequential order keeps the output simple to reason about.
    for (const [file, spec] of plots) {
      await writeFile(join(opts.dir, file), await renderSvg(spec));
    }
    return {
      identicalReplications: configs > 0 && allReplicated && allIdentical ? minReplications : null,
      notPlotted,
    };
  }
}
