/**
 * Per-configuration summary statistics of runs.csv.
 *
 * runs.csv is streamed with csv-parse; only the numbers each configuration needs are kept
 * (one array of values per metric per configuration, the first row's parameter and label
 * cells, run counts), never a row's text.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { max, mean, min, sampleStandardDeviation } from 'simple-statistics';
import { formatNumber } from './format.js';
import { IdMap } from '../id-map.js';
import { createRequire } from 'node:module';

export interface SummaryColumns {
  /** Swept numeric parameters (SI values), copied verbatim from the configuration's first run. */
  paramColumns: string[];
  /** Categorical columns, copied verbatim from the configuration's first run. */
  labelColumns: string[];
  /** Numeric metrics; `true`/`false` cells count as 1/0, empty cells as missing. */
  metricColumns: string[];
}

/** Statistics of one metric over the non-missing values of a configuration's runs. */
export interface MetricStats {
  /** Number of non-missing values. */
  count: number;
  mean?: number;
  /** Sample standard deviation (n − 1 denominator); missing when count < 2. */
  sd?: number;
  /** 95 % Student-t interval of the mean, count − 1 degrees of freedom; missing when count < 2. */
  ci95Low?: number;
  ci95High?: number;
  min?: number;
  max?: number;
}

export interface ConfigSummary {
  configId: string;
  /** Raw cells of the parameter columns (as in runs.csv). */
  params: Record<string, string>;
  labels: Record<string, string>;
  /** Runs of the configuration (every status). */
  n: number;
  /** Runs whose status is `completed` (all of them when runs.csv has no status column). */
  nCompleted: number;
  metrics: Record<string, MetricStats>;
}

/** Missing-value spellings accepted in metric cells besides the empty cell. */
const MISSING = new Set(['', 'null', 'na', 'nan', 'undefined']);

/**
 * A metric cell as a number: `true`/`false` → 1/0 (rates), empty/`null`/`NA`/`NaN` →
 * `undefined` (missing); anything else must be a JavaScript number literal.
 */
export function parseMetricCell(cell: string | undefined, column: string, line: number): number | undefined {
  if (cell === undefined) return undefined;
  const text = cell.trim();
  const lower = text.toLowerCase();
  if (MISSING.has(lower)) return undefined;
  if (lower === 'true') return 1;
  if (lower === 'false') return 0;
  const x = Number(text);
  if (Number.isNaN(x)) {
    throw new Error(`runs.csv line ${line}: column '${column}' holds '${cell}', not a number, boolean or empty cell`);
  }
  return x;
}

let tQuantile: ((p: number, df: number) => number) | undefined;
/**
 * The two-sided 95 % Student-t quantile t_{0.975, df}. @stdlib's quantile is loaded on first use:
 * it is hundreds of small modules, a fifth of the CLI's start-up when imported eagerly.
 */
export function tCritical95(df: number): number {
  tQuantile ??= createRequire(import.meta.url)('@stdlib/stats-base-dists-t-quantile') as (p: number, df: number) => number;
  return tQuantile(0.975, df);
}

/** mean, sample sd, 95 % t interval, min and max of `values` (missing fields when undefined). */
export function describe(values: readonly number[]): MetricStats {
  const count = values.length;
  if (count === 0) return { count };
  const xs = values as number[];
  const m = mean(xs);
  const stats: MetricStats = { count, mean: m, min: min(xs), max: max(xs) };
  if (count >= 2) {
    const sd = sampleStandardDeviation(xs);
    const half = (tCritical95(count - 1) * sd) / Math.sqrt(count);
    stats.sd = sd;
    stats.ci95Low = m - half;
    stats.ci95High = m + half;
  }
  return stats;
}

/** The runs of one configuration read so far: the values of each metric. */
export interface Accumulator {
  configId: string;
  params: Record<string, string>;
  labels: Record<string, string>;
  n: number;
  nCompleted: number;
  values: number[][];
}

/** An empty accumulator of a configuration (cells of its first run). */
export const accumulator = (configId: string, params: Record<string, string>, labels: Record<string, string>, metrics: number): Accumulator => ({
  configId,
  params,
  labels,
  n: 0,
  nCompleted: 0,
  values: Array.from({ length: metrics }, () => []),
});

/** Add a run: whether it completed, and its cells of the metric columns (as written to runs.csv). */
export function accumulate(acc: Accumulator, completed: boolean, cells: readonly (string | undefined)[], metricColumns: readonly string[], line: number): void {
  acc.n += 1;
  if (completed) acc.nCompleted += 1;
  for (let i = 0; i < metricColumns.length; i++) {
    const x = parseMetricCell(cells[i], metricColumns[i]!, line);
    if (x !== undefined) acc.values[i]!.push(x);
  }
}

/** The summary of an accumulated configuration. */
export const summaryOf = (acc: Accumulator, metricColumns: readonly string[]): ConfigSummary => ({
  configId: acc.configId,
  params: acc.params,
  labels: acc.labels,
  n: acc.n,
  nCompleted: acc.nCompleted,
  metrics: Object.fromEntries(metricColumns.map((c, i) => [c, describe(acc.values[i]!)])),
});

/**
 * Streams runs.csv and returns one summary per configuration, in the order configurations
 * first appear. Throws when a required column (config_id, the parameter, label and metric
 * columns) is absent from the header.
 */
export async function summariseRuns(runsCsvPath: string, columns: SummaryColumns): Promise<ConfigSummary[]> {
  const out: ConfigSummary[] = [];
  await forEachSummary(runsCsvPath, columns, (s) => out.push(s), () => (out.length = 0));
  return out;
}

/** A configuration met again after other configurations' rows: summarise holding every group. */
class NotConsecutive extends Error {}

/**
 * The summaries of {@link summariseRuns}, one at a time in order of first appearance, holding
 * only the rows of the configuration being read: livemig writes a configuration's runs one
 * after the other (runs.csv of `run` and `merge` is in plan order), so memory stays flat
 * however long the sweep. A runs.csv whose configurations interleave is read again holding
 * every configuration's values, after `restart()` says to forget the summaries given so far.
 */
export async function forEachSummary(runsCsvPath: string, columns: SummaryColumns, onSummary: (s: ConfigSummary) => void, restart: () => void): Promise<void> {
  try {
    await summarise(runsCsvPath, columns, onSummary, false);
  } catch (e) {
    if (!(e instanceof NotConsecutive)) throw e;
    // `onSummary` has seen some configurations already: they come again, with all their runs.
    restart();
    await summarise(runsCsvPath, columns, onSummary, true);
  }
}

async function summarise(runsCsvPath: string, columns: SummaryColumns, onSummary: (s: ConfigSummary) => void, holdAll: boolean): Promise<void> {
  const { paramColumns, labelColumns, metricColumns } = columns;
  const groups = new Map<string, Accumulator>();
  const finished = new IdMap();
  let current: Accumulator | undefined;
  const required = ['config_id', ...paramColumns, ...labelColumns, ...metricColumns];
  const input = createReadStream(runsCsvPath);
  // Arrays, not an object per row: the columns are looked up by index.
  const parser = input.pipe(parse({ bom: true, skip_empty_lines: true, info: true }));
  // pipe() does not forward the source's errors (e.g. a missing file).
  input.on('error', (err) => parser.destroy(err));
  let col: { id: number; status: number; params: number[]; labels: number[]; metrics: number[] } | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (!col) {
        const absent = required.filter((c) => !record.includes(c));
        if (absent.length > 0) throw new Error(`runs.csv (${runsCsvPath}) lacks column(s): ${absent.join(', ')}`);
        const at = (c: string) => record.indexOf(c);
        col = { id: at('config_id'), status: at('status'), params: paramColumns.map(at), labels: labelColumns.map(at), metrics: metricColumns.map(at) };
        continue;
      }
      const configId = record[col.id] as string;
      let acc = holdAll ? groups.get(configId) : current?.configId === configId ? current : undefined;
      if (acc === undefined) {
        if (!holdAll) {
          if (current) {
            finished.set(current.configId, 1);
            onSummary(summaryOf(current, metricColumns));
          }
          if (finished.get(configId) !== undefined) throw new NotConsecutive();
        }
        const c = col;
        acc = accumulator(
          configId,
          Object.fromEntries(paramColumns.map((name, k) => [name, record[c.params[k]!] ?? ''])),
          Object.fromEntries(labelColumns.map((name, k) => [name, record[c.labels[k]!] ?? ''])),
          metricColumns.length,
        );
        if (holdAll) groups.set(configId, acc);
        else current = acc;
      }
      const c = col;
      accumulate(acc, c.status < 0 || record[c.status] === 'completed', c.metrics.map((k) => record[k]), metricColumns, line);
    }
  } finally {
    input.destroy();
  }
  if (holdAll) for (const acc of groups.values()) onSummary(summaryOf(acc, metricColumns));
  else if (current) onSummary(summaryOf(current, metricColumns));
}

/** The statistic suffixes of summary.csv, in column order. */
export const STAT_SUFFIXES = ['mean', 'sd', 'ci95_low', 'ci95_high', 'min', 'max'] as const;

/** summary.csv header: config_id, params, labels, n, n_completed, then `<m>_<stat>` per metric. */
export function summaryHeader(columns: SummaryColumns): string[] {
  return [
    'config_id',
    ...columns.paramColumns,
    ...columns.labelColumns,
    'n',
    'n_completed',
    ...columns.metricColumns.flatMap((m) => STAT_SUFFIXES.map((s) => `${m}_${s}`)),
  ];
}

/** One summary.csv row (cells in `summaryHeader` order). */
export function summaryRow(summary: ConfigSummary, columns: SummaryColumns): string[] {
  const cells = [
    summary.configId,
    ...columns.paramColumns.map((c) => summary.params[c] ?? ''),
    ...columns.labelColumns.map((c) => summary.labels[c] ?? ''),
    String(summary.n),
    String(summary.nCompleted),
  ];
  for (const m of columns.metricColumns) {
    const s = summary.metrics[m] ?? { count: 0 };
    cells.push(
      formatNumber(s.mean),
      formatNumber(s.sd),
      formatNumber(s.ci95Low),
      formatNumber(s.ci95High),
      formatNumber(s.min),
      formatNumber(s.max),
    );
  }
  return cells;
}
