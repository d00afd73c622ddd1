import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as schemas from './schemas.js';

/** The messages of a failed parse, or a failure if it succeeded. */
function messages(schema: z.ZodType, input: unknown): string[] {
  const r = schema.safeParse(input);
  if (r.success) throw new Error(`accepted ${String(input)} as ${String(r.data)}`);
  return r.error.issues.map((i) => i.message);
}

const cases = [
  { name: 'bytes', schema: schemas.bytes, unit: ['4 GiB', 4 * 2 ** 30], wrong: '1 Gbit/s', expected: "a size like '4 GiB'" },
  { name: 'seconds', schema: schemas.seconds, unit: ['300 ms', 0.3], wrong: '4 GiB', expected: "a duration like '300 ms'" },
  { name: 'rate', schema: schemas.rate, unit: ['1 Gbit/s', 1.25e8], wrong: '5 GiB', expected: "a data rate like '1 Gbit/s'" },
  { name: 'pageRate', schema: schemas.pageRate, unit: ['20000 pages/s', 20_000], wrong: '100 MiB/s', expected: "a page rate like '20000 pages/s'" },
] as const;

describe.each(cases)('schemas.$name()', ({ schema, unit, wrong, expected }) => {
  it('accepts SI numbers and unit strings, and outputs SI numbers', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e15, noNaN: true }), (x) => {
        expect(schema().parse(x)).toBe(x);
      }),
      { numRuns: 100 },
    );
    expect(schema().parse(unit[0])).toBeCloseTo(unit[1], 12);
    expect(schema().parse('42')).toBe(42);
  });

  it('refuses a wrong dimension with a message naming the expected quantity', () => {
    expect(messages(schema(), wrong)).toEqual([`expected ${expected}, got '${wrong}'`]);
  });

  it('refuses garbage, NaN, infinities and other types, naming the expected quantity', () => {
    for (const bad of ['fast', '', NaN, Infinity, -Infinity, null, true, {}]) {
      const m = messages(schema(), bad);
      expect(m, String(bad)).toHaveLength(1);
      expect(m[0]).toMatch(new RegExp(`^expected ${expected.replace(/[()[\]/.*+?]/g, '\\$&')}, got `));
    }
  });

  it('refuses negative values by default; `positive` refuses zero; `min` sets another bound', () => {
    expect(messages(schema(), -1)).toEqual(['must be >= 0, got -1']);
    expect(messages(schema(), `-${unit[0]}`)).toEqual([`must be >= 0, got '-${unit[0]}'`]);
    expect(schema().parse(0)).toBe(0);
    expect(messages(schema({ positive: true }), 0)).toEqual(['must be > 0, got 0']);
    expect(schema({ positive: true }).parse(1)).toBe(1);
    expect(messages(schema({ min: 10 }), 5)).toEqual(['must be >= 10, got 5']);
  });

  it('prefault with a unit string gives the SI default', () => {
    expect(z.object({ x: schema().prefault(unit[0]) }).parse({})).toEqual({ x: expect.closeTo(unit[1], 12) });
  });
});

describe('schemas.fraction()', () => {
  it('accepts [0, 1] and refuses the rest', () => {
    expect(schemas.fraction().parse(0)).toBe(0);
    expect(schemas.fraction().parse(1)).toBe(1);
    expect(schemas.fraction().safeParse(1.01).success).toBe(false);
    expect(schemas.fraction().safeParse(-0.01).success).toBe(false);
    expect(schemas.fraction().safeParse('0.5').success).toBe(false);
  });
});
