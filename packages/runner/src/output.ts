/** Output files: runs.csv reading (tolerating a truncated last line), atomic writes, the manifest. */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { InputError } from './errors.js';

/** CSV text of rows (csv-stringify, `\n` line ends). */
export const csvText = (rows: readonly (readonly string[])[]): string => (rows.length ? stringify(rows as string[][], { eof: true, record_delimiter: '\n' }) : '');

/** Write a file atomically: a temp file next to it, fsynced, then renamed over it. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** The rows of an existing runs.csv: header, rows, and the byte length of its complete lines. */
export interface ExistingRuns {
  readonly header: string[];
  readonly rows: string[][];
  /** Bytes up to the end of the last complete line (a truncated last line is dropped). */
  readonly completeBytes: number;
}

/** Read runs.csv, dropping a truncated last line (a run killed while writing). */
export function readRunsCsv(path: string): ExistingRuns | null {
  if (!existsSync(path)) return null;
  const buf = readFileSync(path);
  const end = buf.lastIndexOf(0x0a) + 1;
  const text = buf.subarray(0, end).toString('utf8');
  if (text.trim() === '') return null;
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true }) as string[][];
  } catch (e) {
    throw new InputError(`cannot parse it as CSV (${(e as Error).message}); delete it or choose another --out`, path);
  }
  const [header, ...rows] = records;
  return { header: header ?? [], rows: rows.filter((r) => r.length === (header ?? []).length), completeBytes: end };
}

/** The version of @livemig/runner (for manifests and --version). */
export function runnerVersion(): string {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
