/** Reader for the original CoMon/PlanetLab text format: one file per VM, one sample per line. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { INTERVAL_S, SAMPLES_PER_DAY } from './format.js';
import type { DayTrace } from './types.js';

/** A malformed trace: names the file and, when it is about one sample, the 1-based line. */
export class TraceFormatError extends Error {
  override name = 'TraceFormatError';
  constructor(
    message: string,
    /** Path of the offending file or folder. */
    readonly file: string,
    /** 1-based line number, when the error is about one line. */
    readonly line?: number,
  ) {
    super(line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`);
  }
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Parses the text of one VM file into utilisation fractions 0..1.
 *
 * Each non-final line must hold a number in percent, 0–100 (PlanetLab uses integers; decimals are
 * accepted); surrounding spaces and a CR before the LF are ignored; one final newline is allowed.
 * @param file used in error messages.
 * @throws {TraceFormatError} for a non-numeric or out-of-range sample or a wrong number of lines.
 */
export function parseTraceText(text: string, file: string, samples: number = SAMPLES_PER_DAY): Float64Array {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const out = new Float64Array(samples);
  for (let k = 0; k < lines.length; k++) {
    const raw = lines[k]!.trim();
    if (!NUMBER.test(raw)) {
      throw new TraceFormatError(raw === '' ? 'empty line, expected a sample' : `sample ${JSON.stringify(raw)} is not a number`, file, k + 1);
    }
    const v = Number(raw);
    if (v < 0 || v > 100) throw new TraceFormatError(`sample ${raw} is out of range 0–100 (percent)`, file, k + 1);
    if (k < samples) out[k] = v === 0 ? 0 : v / 100; // no -0 from "-0"
  }
  if (lines.length !== samples) {
    throw new TraceFormatError(`expected ${samples} samples (one per line), found ${lines.length}`, file, lines.length > samples ? samples + 1 : undefined);
  }
  return out;
}

/**
 * Reads a folder in the original one-file-per-VM text format (e.g. one day of the CloudSim
 * `workload/planetlab/<day>/` folders), synchronously. Every regular file not starting with "." is
 * one VM, named after the file; VMs are sorted by file name (UTF-16 code unit order, independent of
 * the locale) so the result is deterministic. `day` is the folder's base name.
 * @throws {TraceFormatError} for a missing folder, an empty folder, or a malformed file
 *   (the message names the file and line).
 */
export function loadTraceFolder(dir: string): DayTrace {
  const path = resolve(dir);
  let entries: string[];
  try {
    if (!statSync(path).isDirectory()) throw new TraceFormatError('not a folder', path);
    entries = readdirSync(path);
  } catch (err) {
    if (err instanceof TraceFormatError) throw err;
    throw new TraceFormatError(`trace folder not found or unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path);
  }
  const names = entries
    .filter((n) => !n.startsWith('.') && statSync(join(path, n)).isFile())
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) throw new TraceFormatError('no trace files in folder', path);
  const vms = names.map((name) => {
    const file = join(path, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new TraceFormatError(`cannot read file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, file);
    }
    return { name, utilisation: parseTraceText(text, file) };
  });
  return { day: basename(path), interval_s: INTERVAL_S, vms };
}
