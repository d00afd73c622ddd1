/** Shared option parsing and counting for the dirty-page models. */
import { parseQuantity, UnitError, z, type WorkloadContext } from '@livemig/core';

/**
 * A write rate given either in pages ("20000 pages/s") or in bytes ("200 MiB/s"); the model
 * converts bytes to pages with the VM's page size. Outputs a function of the page size.
 */
export const writeRate = () =>
  z
    .union([z.number(), z.string()])
    .describe("write rate: pages per second ('20000 pages/s') or bytes per second ('200 MiB/s'); a number is pages/s")
    .transform((input, ctx) => {
      for (const q of ['pageRate', 'rate'] as const) {
        try {
          const v = parseQuantity(input, q);
          if (!(v >= 0)) break;
          return q === 'pageRate' || typeof input === 'number' ? { pages_per_s: v } : { bytes_per_s: v };
        } catch (e) {
          if (!(e instanceof UnitError)) throw e;
        }
      }
      ctx.addIssue({ code: 'custom', message: `expected a write rate like '20000 pages/s' or '200 MiB/s' (>= 0), got ${JSON.stringify(input)}` });
      return z.NEVER;
    });

export type WriteRate = { pages_per_s: number } | { bytes_per_s: number };

/** Pages per second of a {@link WriteRate} for a page size. */
export const pagesPerSecond = (r: WriteRate, pageSize_bytes: number): number =>
  'pages_per_s' in r ? r.pages_per_s : r.bytes_per_s / pageSize_bytes;

/** Working set: bytes ("1 GiB") or a fraction of memory; defaults to all memory. */
export const workingSetOptions = {
  workingSet: z
    .union([z.number(), z.string()])
    .optional()
    .describe("working set size in bytes ('1 GiB'); default: all of memory"),
  workingSetFraction: z.number().gt(0).max(1).optional().describe('working set as a fraction of memory (used when workingSet is absent)'),
};

/** Working set in pages, at least 1 and at most the VM's pages. */
export function workingSetPages(o: { workingSet?: number | string; workingSetFraction?: number }, ctx: WorkloadContext, field = 'workingSet'): number {
  let pages: number;
  if (o.workingSet !== undefined) pages = Math.round(parseQuantity(o.workingSet, 'bytes', field) / ctx.pageSize_bytes);
  else pages = Math.round((o.workingSetFraction ?? 1) * ctx.pageCount);
  if (pages > ctx.pageCount) throw new RangeError(`${field}: the working set (${pages} pages) is larger than the VM's memory (${ctx.pageCount} pages)`);
  return Math.max(1, pages);
}

/**
 * Writes happen at a steady rate: the count in a window is the rate × time plus the fraction
 * carried from earlier windows, so no write is lost or invented at window boundaries.
 */
export function writeCounter(): (expected: number) => number {
  let carry = 0;
  return (expected) => {
    const total = expected + carry;
    const n = Math.floor(total);
    carry = total - n;
    return n;
  };
}

/** Expected distinct pages after n uniform writes over w pages: w·(1 − (1 − 1/w)^n). */
export const uniformDistinct = (w: number, n: number): number => (w <= 0 || n <= 0 ? 0 : -w * Math.expm1(n * Math.log1p(-1 / w)));
