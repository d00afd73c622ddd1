import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatQuantity, mathjsUnitsOnly, parseBytes, parsePageRate, parseQuantity, parseRate, parseSeconds, UnitError, type Quantity } from './units.js';

describe('parseQuantity: known values (hand-computed SI results)', () => {
  it.each([
    ['4 GiB', 'bytes', 4 * 2 ** 30],
    ['512 MB', 'bytes', 512e6],
    ['4 KiB', 'bytes', 4096],
    ['8 bit', 'bytes', 1],
    ['1 Gbit/s', 'rate', 1.25e8], // 1e9 bits / 8
    ['1 Gb/s', 'rate', 1.25e8], // mathjs' `b` is the bit
    ['10 Mbit/s', 'rate', 1.25e6],
    ['100 MiB/s', 'rate', 100 * 2 ** 20],
    ['1 GB/s', 'rate', 1e9],
    ['300 ms', 'seconds', 0.3],
    ['2 min', 'seconds', 120],
    ['1 h', 'seconds', 3600],
    ['20000 pages/s', 'pageRate', 20_000],
    ['600 pages/min', 'pageRate', 10],
    ['50 pages', 'pages', 50],
  ] as const)('%s as %s = %d', (input, quantity, expected) => {
    // Exact for these: every factor is a power of two or of ten that doubles represent well;
    // allow 1 ulp-ish relative error rather than bit equality for the decimal ones.
    expect(parseQuantity(input, quantity)).toBeCloseTo(expected, 9);
    expect(Math.abs(parseQuantity(input, quantity) - expected)).toBeLessThanOrEqual(1e-12 * expected);
  });

  it('the typed shortcuts agree with parseQuantity', () => {
    expect(parseBytes('4 GiB')).toBe(4294967296);
    expect(parseRate('1 Gbit/s')).toBe(125_000_000);
    expect(parseSeconds('300 ms')).toBeCloseTo(0.3, 15);
    expect(parsePageRate('20000 pages/s')).toBe(20_000);
  });

  it('plain numbers and numeric strings are SI already', () => {
    expect(parseBytes(4096)).toBe(4096);
    expect(parseRate(0)).toBe(0);
    expect(parseBytes('42')).toBe(42);
    expect(parseSeconds(' 1.5 ')).toBe(1.5);
    expect(parseRate('1e9')).toBe(1e9);
  });

  it('surrounding whitespace is ignored', () => {
    expect(parseBytes('  4 GiB ')).toBe(4 * 2 ** 30);
  });
});

describe('parseQuantity: errors name the field, what was expected and what was found', () => {
  it('a wrong dimension', () => {
    expect(() => parseRate('5 GiB', 'network.bandwidth')).toThrow(
      new UnitError('network.bandwidth', "a data rate like '1 Gbit/s'", '5 GiB'),
    );
    expect(() => parseRate('5 GiB', 'network.bandwidth')).toThrow("network.bandwidth: expected a data rate like '1 Gbit/s', got '5 GiB'");
    expect(() => parseBytes('1 Gbit/s', 'vm.memory')).toThrow("vm.memory: expected a size like '4 GiB', got '1 Gbit/s'");
    expect(() => parseSeconds('4 GiB', 'costs.setup')).toThrow("costs.setup: expected a duration like '300 ms', got '4 GiB'");
    expect(() => parsePageRate('100 MiB/s', 'workload.rate')).toThrow("workload.rate: expected a page rate like '20000 pages/s', got '100 MiB/s'");
    // Pages are their own dimension: a page count is not a size in bytes.
    expect(() => parseBytes('50 pages', 'x')).toThrow(/x: expected a size/);
    // "1 m" is a metre, not a minute.
    expect(() => parseSeconds('1 m', 'x')).toThrow(/x: expected a duration/);
  });

  it('garbage, empty strings, units without a number, non-finite numbers, other types', () => {
    const bad: unknown[] = ['abc', '', '   ', 'GiB', '4 GiB + 1 MiB', 'NaN', 'Infinity', NaN, Infinity, -Infinity, null, undefined, true, {}, [4]];
    for (const input of bad) {
      let error: unknown;
      try {
        parseBytes(input, 'vm.memory');
      } catch (e) {
        error = e;
      }
      expect(error, `input ${String(input)}`).toBeInstanceOf(UnitError);
      expect((error as UnitError).field).toBe('vm.memory');
      expect((error as UnitError).found).toBe(input);
      expect((error as Error).message).toMatch(/^vm\.memory: expected a size like '4 GiB', got /);
    }
    expect(() => parseBytes(NaN, 'f')).toThrow("f: expected a size like '4 GiB', got NaN");
    expect(() => parseBytes(null, 'f')).toThrow("f: expected a size like '4 GiB', got null");
  });

  it('the default field name is "value"', () => {
    expect(() => parseBytes('x')).toThrow(/^value: /);
  });

  it('negative values parse (the schemas, not the parser, decide whether they are allowed)', () => {
    expect(parseBytes('-3 GiB')).toBe(-3 * 2 ** 30);
  });
});

describe('formatQuantity ∘ parseQuantity round-trips', () => {
  const units: Record<Exclude<Quantity, 'pages'>, readonly string[]> = {
    bytes: ['B', 'kB', 'KiB', 'MB', 'MiB', 'GB', 'GiB', 'TiB', 'bit', 'Gbit'],
    seconds: ['s', 'ms', 'us', 'ns', 'min', 'h'],
    rate: ['B/s', 'MB/s', 'MiB/s', 'GiB/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'b/s'],
    pageRate: ['page/s', 'pages/s', 'pages/min', 'page/ms'],
  };
  // Relative tolerance: mathjs prints up to 15-17 significant digits and converts through
  // decimal prefixes, so a few ulps may be lost.
  const REL = 1e-12;
  for (const [quantity, list] of Object.entries(units) as [Exclude<Quantity, 'pages'>, readonly string[]][]) {
    it(`${quantity}: any value, formatted in any unit, parses back to itself within ${REL} relative`, () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.double({ min: -1e15, max: 1e15, noNaN: true }), fc.integer({ min: 0, max: 2 ** 40 })),
          fc.constantFrom(...list),
          (value, unit) => {
            const text = formatQuantity(value, quantity, unit);
            const back = parseQuantity(text, quantity, 'roundtrip');
            expect(Math.abs(back - value)).toBeLessThanOrEqual(REL * Math.abs(value) + 1e-300);
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it('without a unit, mathjs picks a prefix of the SI unit, and the result still parses back', () => {
    expect(formatQuantity(4096, 'bytes')).toBe('4.096 kB');
    expect(formatQuantity(4 * 2 ** 30, 'bytes', 'GiB')).toBe('4 GiB');
    expect(parseRate(formatQuantity(1.25e8, 'rate'))).toBe(1.25e8);
    fc.assert(
      fc.property(fc.double({ min: 1e-9, max: 1e15, noNaN: true }), fc.constantFrom<Exclude<Quantity, 'pages'>>('bytes', 'seconds', 'rate', 'pageRate'), (value, quantity) => {
        const back = parseQuantity(formatQuantity(value, quantity), quantity);
        expect(Math.abs(back - value)).toBeLessThanOrEqual(1e-12 * value);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the mathjs behind the units', () => {
  it("is mathjs's units alone (its unit and createUnit dependency lists), not the whole library: the start-up cost of the CLI", () => {
    expect(parseRate('1 Gbit/s')).toBe(1.25e8);
    expect(mathjsUnitsOnly()).toBe(true);
  });
});
