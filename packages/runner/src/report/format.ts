/**
 * Number formatting and human-readable axis titles for the report files.
 *
 * Numbers are written as `String(x)` of the computed IEEE-754 double: the shortest decimal
 * that reads back to the same double (ECMAScript Number::toString), e.g. `2`, `0.1`,
 * `1.5e-7`, `12345678901234567000`, `Infinity`. Same input → same text on every platform.
 * Missing values (no data, or sd/CI with fewer than two values) are empty cells.
 */

/** Deterministic text of a computed number; `undefined` (missing) → empty cell. */
export function formatNumber(x: number | undefined): string {
  return x === undefined ? '' : String(x);
}

/** Names whose meaning is clearer spelled out. */
const KNOWN_TITLES: Record<string, string> = {
  downtime_s: 'downtime (s)',
  total_time_s: 'total migration time (s)',
  precopy_time_s: 'pre-copy time (s)',
  bytes_sent: 'bytes sent (B)',
  pages_sent: 'pages sent',
  pages_resent: 'pages re-sent',
  zero_pages_sent: 'zero pages sent',
  rounds: 'pre-copy rounds',
  converged: 'converged (fraction of runs)',
  throttle_max: 'highest vCPU throttle (fraction)',
  app_degradation_s: 'application degradation (s)',
  postcopy_faults: 'post-copy faults',
  network_bandwidth_Bps: 'network bandwidth (B/s)',
  workload_rate_Bps: 'workload dirty rate (B/s)',
};

/** Unit suffixes of SI column names (livemig's column naming) and their display unit. */
const UNIT_SUFFIXES: ReadonlyArray<readonly [string, string]> = [
  ['_Bps', 'B/s'],
  ['_bps', 'bit/s'],
  ['_pps', 'pages/s'],
  ['_bytes', 'B'],
  ['_B', 'B'],
  ['_ms', 'ms'],
  ['_s', 's'],
];

/** Axis title with units from a column name, e.g. `memory_bytes` → `memory (B)`. */
export function columnTitle(column: string): string {
  const known = KNOWN_TITLES[column];
  if (known !== undefined) return known;
  for (const [suffix, unit] of UNIT_SUFFIXES) {
    if (column.endsWith(suffix) && column.length > suffix.length) {
      return `${column.slice(0, -suffix.length).replaceAll('_', ' ')} (${unit})`;
    }
  }
  if (column.startsWith('bytes_')) return `${column.replaceAll('_', ' ')} (B)`;
  return column.replaceAll('_', ' ');
}

/**
 * d3 format of an axis: SI prefixes (`1.5G`, `100M`) for byte, bit and page quantities,
 * whose raw values run to many digits; the axis default otherwise (seconds stay plain, as `m`
 * for milli would read as minutes).
 */
export function axisFormat(column: string): string | undefined {
  const title = columnTitle(column);
  return /\((B|B\/s|bit\/s|pages\/s)\)$/.test(title) || /^(pages|zero pages|bytes)\b/.test(title) ? '~s' : undefined;
}
