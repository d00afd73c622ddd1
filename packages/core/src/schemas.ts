/**
 * zod helpers for options with units. Each accepts a number (SI) or a string with a unit and
 * outputs the SI number, so plugin schemas read like `bandwidth: rate().prefault('1 Gbit/s')`.
 */
import { z } from 'zod';
import { expectedQuantity, parseQuantity, showValue, UnitError, type Quantity } from './units.js';

const quantity = (q: Quantity, example: string, opts: { min?: number; positive?: boolean } = {}) =>
  z
    // zod's number() refuses NaN and ±Infinity: say what was expected instead of "Invalid input".
    .union([z.number(), z.string()], { error: (issue) => `expected ${expectedQuantity(q)}, got ${showValue(issue.input)}` })
    .describe(`${q} (number in SI or a string with a unit, e.g. '${example}')`)
    .transform((input, ctx) => {
      let v: number;
      try {
        v = parseQuantity(input, q, 'value');
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: e instanceof UnitError ? e.message.replace(/^value: /, '') : String(e) });
        return z.NEVER;
      }
      if (opts.positive && !(v > 0)) {
        ctx.addIssue({ code: 'custom', message: `must be > 0, got ${showValue(input)}` });
        return z.NEVER;
      }
      if (opts.min !== undefined && !(v >= opts.min)) {
        ctx.addIssue({ code: 'custom', message: `must be >= ${opts.min}, got ${showValue(input)}` });
        return z.NEVER;
      }
      return v;
    });

/** A size in bytes ("4 GiB"). */
export const bytes = (o?: { min?: number; positive?: boolean }) => quantity('bytes', '4 GiB', { min: 0, ...o });
/** A duration in seconds ("300 ms"). */
export const seconds = (o?: { min?: number; positive?: boolean }) => quantity('seconds', '300 ms', { min: 0, ...o });
/** A data rate in bytes per second ("1 Gbit/s"). */
export const rate = (o?: { min?: number; positive?: boolean }) => quantity('rate', '1 Gbit/s', { min: 0, ...o });
/** A page rate in pages per second ("20000 pages/s"). */
export const pageRate = (o?: { min?: number; positive?: boolean }) => quantity('pageRate', '20000 pages/s', { min: 0, ...o });
/** A fraction in [0, 1]. */
export const fraction = () => z.number().min(0).max(1);
