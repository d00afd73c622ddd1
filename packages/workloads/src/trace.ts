/**
 * Replay of a recorded dirty-page trace: the number of distinct pages dirtied in each interval
 * of fixed length (e.g. QEMU's dirty-rate samples, or a bitmap count per second).
 *
 * Assumptions: within an interval the guest writes at a steady rate of d_i / interval and every
 * write hits a page not yet written in that interval, drawn uniformly from the working set (so
 * the k writes of an interval are a uniform random k-subset and a full interval dirties exactly
 * d_i distinct pages); the sets of different intervals are independent. Hence a window that
 * receives k_i writes of interval i dirties in expectation W·(1 − Π_i (1 − k_i / W)). The trace
 * runs on wall time: a throttled guest (speed < 1) writes speed × d_i in interval i.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { defineWorkload, schemas, z } from '@livemig/core';
import { EVEN, workingSetOptions, workingSetRegion, type ProfiledWorkload } from './common.js';

/** Read the dirty-page counts of a trace CSV (a header row, one interval per row). */
export function readTraceCsv(path: string, column = 'dirty_pages'): number[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`file: cannot read trace '${path}': ${(e as Error).message}`);
  }
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, comment: '#' });
  } catch (e) {
    throw new Error(`file: '${path}' is not a valid CSV: ${(e as Error).message}`);
  }
  if (rows.length === 0) throw new Error(`file: '${path}' has no data rows (expected a header row with a '${column}' column, then one row per interval)`);
  if (!(column in rows[0]!)) throw new Error(`column: '${path}' has no column '${column}' (columns: ${Object.keys(rows[0]!).join(', ')}); set the column option`);
  return rows.map((row, i) => {
    const v = Number(row[column]);
    if (!Number.isInteger(v) || v < 0)
      throw new Error(`file: '${path}' line ${i + 2}, column '${column}': expected a whole number of pages >= 0, got '${row[column]}'`);
    return v;
  });
}

export const trace = defineWorkload({
  name: 'trace',
  description: 'replays per-interval dirty page counts (inline or from a CSV file)',
  options: z
    .object({
      interval: schemas.seconds({ positive: true }).prefault('1 s').describe("length of one trace interval ('1 s')"),
      dirtyPages: z.array(z.number().int().min(0)).min(1).optional().describe('distinct pages dirtied in each interval'),
      file: z.string().min(1).optional().describe('CSV file with a header row and one interval per row (instead of dirtyPages); a relative name is read from the experiment file\'s folder'),
      column: z.string().default('dirty_pages').describe('CSV column holding the counts'),
      after: z.enum(['repeat', 'hold', 'idle']).default('repeat').describe('after the last interval: start over, keep the last count, or write nothing'),
      ...workingSetOptions,
    })
    .strict()
    .refine((o) => (o.dirtyPages === undefined) !== (o.file === undefined), { message: 'give exactly one of dirtyPages or file', path: ['dirtyPages'] }),
  create(o, ctx): ProfiledWorkload {
    const { offset, pages: w } = workingSetRegion(o, ctx);
    // A relative file name is read from the experiment file's folder (ctx.baseDir), not the working directory.
    const counts = o.dirtyPages ?? readTraceCsv(ctx.baseDir === undefined ? o.file! : resolve(ctx.baseDir, o.file!), o.column);
    counts.forEach((d, i) => {
      if (d > w) throw new RangeError(`${o.file ? `file: '${o.file}' row ${i + 1}` : `dirtyPages.${i}`}: ${d} dirty pages exceed the working set (${w} pages)`);
    });
    const L = o.interval;
    const N = counts.length;
    /** Distinct pages of (global) interval j. */
    const dirtyIn = (j: number): number => (j < N ? counts[j]! : o.after === 'repeat' ? counts[j % N]! : o.after === 'hold' ? counts[N - 1]! : 0);
    const intervalOf = (t: number): number => Math.floor(t / L + 1e-9);

    // Page-exact state: a partial Fisher–Yates shuffle draws each interval's pages without
    // replacement; it need not be reset between intervals (any starting order gives uniform subsets).
    let perm: Uint32Array | undefined;
    let current = -1;
    let drawn = 0;
    let carry = 0;

    return {
      writeRate: (t) => dirtyIn(intervalOf(t)) / L,
      expectedDistinct(t, work) {
        return distinct(t, work);
      },
      writes(t, dt, speed, write) {
        const end = t + dt;
        let cur = t;
        while (cur < end) {
          const j = intervalOf(cur);
          const pieceEnd = Math.min(end, (j + 1) * L);
          if (j !== current) {
            current = j;
            drawn = 0;
            carry = 0;
          }
          const d = dirtyIn(j);
          carry += (speed * d * (pieceEnd - cur)) / L;
          let n = Math.floor(carry + 1e-9);
          carry -= n;
          n = Math.min(n, d - drawn);
          if (n > 0 && !perm) {
            perm = new Uint32Array(w);
            for (let i = 0; i < w; i++) perm[i] = i;
          }
          for (let i = 0; i < n; i++) {
            const k = drawn + ctx.rng.int(w - drawn);
            const page = perm![k]!;
            perm![k] = perm![drawn]!;
            perm![drawn] = page;
            drawn++;
            write(offset + page);
          }
          if (pieceEnd <= cur) break;
          cur = pieceEnd;
        }
      },
      untouchedProfile(t, work) {
        return [{ offset, pages: w, layout: EVEN, counts: [w], untouched: [Math.exp(logUntouched(t, work))] }];
      },
    };

    /** log P(a page is untouched) over [t, t + work] at full speed. */
    function logUntouched(t: number, work: number): number {
      let log = 0;
      const end = t + work;
      let cur = t;
      while (cur < end && log > -Infinity) {
        const j = intervalOf(cur);
        const pieceEnd = Math.min(end, (j + 1) * L);
        const d = dirtyIn(j);
        if (d > 0) log += Math.log1p(-Math.min(1, (d * (pieceEnd - cur)) / L / w));
        if (pieceEnd <= cur) break;
        if (o.after === 'idle' && j >= N) break;
        cur = pieceEnd;
      }
      return log;
    }
    function distinct(t: number, work: number): number {
      return work > 0 ? -w * Math.expm1(logUntouched(t, work)) : 0;
    }
  },
});
