/**
 * Units at the edge: values such as "4 GiB", "1 Gbit/s", "300 ms" or "20000 pages/s" are parsed
 * once with mathjs into SI numbers (bytes, seconds, bytes per second, pages per second).
 * Inside the model every number is a plain SI value; bits never leak past this file.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { MathJsInstance, Unit } from 'mathjs';

let instance: MathJsInstance | undefined;
let unitsOnly: boolean | undefined;
/** Whether units are parsed by the units-only mathjs (true) or the whole library (false); undefined before the first parse. For tests. */
export const mathjsUnitsOnly = (): boolean | undefined => unitsOnly;

/**
 * A mathjs instance with units only: its `unit` and `createUnit` functions and what they depend
 * on, from mathjs's own dependency lists, instead of the whole library (whose main entry builds
 * every function: about 4× the time to load). mathjs's package exports only its main entry, so
 * the two lists are required by path; should a release move them, the whole library is used.
 */
function createUnitsOnly(): MathJsInstance {
  const require = createRequire(import.meta.url);
  try {
    const lib = join(dirname(require.resolve('mathjs/package.json')), 'lib', 'cjs');
    const { create } = require(join(lib, 'core', 'create.js')) as typeof import('mathjs');
    const { unitDependencies } = require(join(lib, 'entry', 'dependenciesAny', 'dependenciesUnitFunction.generated.js')) as typeof import('mathjs');
    const { createUnitDependencies } = require(join(lib, 'entry', 'dependenciesAny', 'dependenciesCreateUnit.generated.js')) as typeof import('mathjs');
    const math = create({ unitDependencies: unitDependencies!, createUnitDependencies: createUnitDependencies! }, {});
    unitsOnly = true;
    return math;
  } catch {
    const { create, all } = require('mathjs') as typeof import('mathjs');
    unitsOnly = false;
    return create(all!, {});
  }
}

/**
 * mathjs is loaded on the first string to parse, and only its units: worker threads that only
 * see SI numbers (the runner converts at the edge) never load it.
 */
function mathjs(): MathJsInstance {
  if (instance) return instance;
  const math = createUnitsOnly();
  // mathjs knows `b` (bit) and `B` (byte); users also write "Gbit/s" and "pages/s".
  // mathjs's `bit` only takes long prefixes (gigabit), so the short forms are added one by one.
  for (const [prefix, factor] of [['k', 1e3], ['K', 1e3], ['M', 1e6], ['G', 1e9], ['T', 1e12]] as const) {
    math.createUnit(`${prefix}bit`, `${factor} b`);
  }
  math.createUnit('page', { aliases: ['pages'] });
  instance = math;
  return math;
}

/** What a value measures, and the SI unit it is converted into. */
export type Quantity = 'bytes' | 'seconds' | 'rate' | 'pageRate' | 'pages';

const EXAMPLES: Record<Quantity, string> = {
  bytes: "a size like '4 GiB'",
  seconds: "a duration like '300 ms'",
  rate: "a data rate like '1 Gbit/s'",
  pageRate: "a page rate like '20000 pages/s'",
  pages: "a page count like '50 pages'",
};

/** What a value of `quantity` looks like, for messages: `expectedQuantity('rate')` is "a data rate like '1 Gbit/s'". */
export const expectedQuantity = (quantity: Quantity): string => EXAMPLES[quantity];

/** The mathjs unit each quantity is expressed in after conversion. */
const TARGET: Record<Quantity, string> = {
  bytes: 'B',
  seconds: 's',
  rate: 'B/s',
  pageRate: 'page/s',
  pages: 'page',
};

/**
 * A value as an error message shows it: strings in single quotes (`'5 GiB'`), numbers as
 * written (`NaN`, `-3`), anything else as JSON.
 */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'bigint' || value === undefined) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A value that failed to parse: names the field, what was expected and what was found. */
export class UnitError extends Error {
  override name = 'UnitError';
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly found: unknown,
  ) {
    super(`${field}: expected ${expected}, got ${showValue(found)}`);
  }
}

/** A number, or a string with a unit. Plain numbers are taken as SI already. */
export type WithUnit = number | string;

/**
 * Parse `input` as `quantity` and return its SI value.
 * @param field the path of the value in its file, used in the error message.
 * @example parseQuantity('1 Gbit/s', 'rate', 'network.bandwidth') // 125000000 (bytes/s)
 */
export function parseQuantity(input: unknown, quantity: Quantity, field = 'value'): number {
  const expected = EXAMPLES[quantity];
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new UnitError(field, expected, input);
    return input;
  }
  if (typeof input !== 'string' || input.trim() === '') throw new UnitError(field, expected, input);
  // A bare number in a string ("42") is SI as well. (mathjs parses "42" as a unitless value,
  // which cannot be converted, so this must be checked first.)
  const bare = Number(input);
  if (Number.isFinite(bare)) return bare;
  // Sweeps parse the same few strings for every configuration, and mathjs takes ~50 µs each.
  const key = `${quantity}\0${input}`;
  const known = parsed.get(key);
  if (known !== undefined) {
    if (Number.isNaN(known)) throw new UnitError(field, expected, input);
    return known;
  }
  if (parsed.size >= PARSED_MAX) parsed.clear();
  let value: number;
  try {
    value = parseWithMathjs(input, quantity, field);
  } catch (e) {
    if (e instanceof UnitError) parsed.set(key, NaN);
    throw e;
  }
  parsed.set(key, value);
  return value;
}

/** Parsed unit strings by quantity and text (NaN: not a value of that quantity); cleared when full. */
const parsed = new Map<string, number>();
const PARSED_MAX = 10_000;

function parseWithMathjs(input: string, quantity: Quantity, field: string): number {
  const expected = EXAMPLES[quantity];
  let unit: Unit;
  try {
    unit = mathjs().unit(input.trim());
  } catch {
    throw new UnitError(field, expected, input);
  }
  try {
    if (unit.value === null) throw new Error('no value');
    return unit.toNumber(TARGET[quantity]);
  } catch {
    throw new UnitError(field, expected, input);
  }
}

/** Bytes from "4 GiB", "512 MB", or a number of bytes. */
export const parseBytes = (input: unknown, field?: string): number => parseQuantity(input, 'bytes', field);
/** Seconds from "300 ms", "2 min", or a number of seconds. */
export const parseSeconds = (input: unknown, field?: string): number => parseQuantity(input, 'seconds', field);
/** Bytes per second from "1 Gbit/s", "100 MiB/s", or a number of bytes per second. */
export const parseRate = (input: unknown, field?: string): number => parseQuantity(input, 'rate', field);
/** Pages per second from "20000 pages/s" or a number. */
export const parsePageRate = (input: unknown, field?: string): number => parseQuantity(input, 'pageRate', field);

/** Format an SI value back into a unit string, for messages and round-trip tests. */
export function formatQuantity(value: number, quantity: Quantity, unit?: string): string {
  const u = mathjs().unit(value, TARGET[quantity]);
  return (unit ? u.to(unit) : u).toString();
}
