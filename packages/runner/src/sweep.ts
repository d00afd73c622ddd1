/**
 * Sweep expansion: from `sweep.params` to a list of parameter points, in a stable order.
 *
 * - Value lists are crossed as a grid, the first parameter varying slowest.
 * - Ranges (`random` and `lhs` only) are sampled `samples` times from a stream seeded by the
 *   experiment seed; every grid cell gets the same sampled points, so policies swept as lists
 *   are compared on the same scenarios.
 * - `lhs` (Latin hypercube): each range is cut into `samples` equal strata (in its scale) and
 *   every stratum is hit exactly once per dimension.
 * - A key "a, b" links paths: each value is a list [value of a, value of b].
 */
import { createRng, deriveSeed, parseQuantity, UnitError, type Quantity, type Rng } from '@livemig/core';
import { InputError, show } from './errors.js';

/** One swept key of the file: its paths and either value tuples or a range. */
export interface ParamDef {
  /** The key as written in the file. */
  readonly key: string;
  readonly paths: readonly string[];
  /** Value lists: one tuple (a value per path) per entry. */
  readonly tuples?: readonly (readonly unknown[])[];
  readonly range?: { lo: number; hi: number; scale: 'linear' | 'log'; integer: boolean; quantity: Quantity | null };
}

export interface SweepInput {
  method?: 'grid' | 'random' | 'lhs';
  samples?: number | undefined;
  params: Record<string, unknown>;
}

/** The SI unit string a sampled value is written back with, so plugins parse it unambiguously. */
export const SI_UNIT: Record<Quantity, string> = { bytes: 'B', seconds: 's', rate: 'B/s', pageRate: 'pages/s', pages: 'pages' };

const QUANTITIES: readonly Quantity[] = ['bytes', 'seconds', 'rate', 'pageRate', 'pages'];

/** The quantity of a unit string ("1 Gbit/s" → rate), or null for numbers and other strings. */
export function detectQuantity(value: unknown): Quantity | null {
  if (typeof value !== 'string' || Number.isFinite(Number(value))) return null;
  for (const q of QUANTITIES) {
    try {
      parseQuantity(value, q);
      return q;
    } catch (e) {
      if (!(e instanceof UnitError)) throw e;
    }
  }
  return null;
}

/** Parse the sweep's keys into parameter definitions; errors name the file and the key. */
export function parseParams(sweep: SweepInput, file: string): ParamDef[] {
  const keys = Object.keys(sweep.params);
  if (keys.length === 0) throw new InputError('the sweep is empty: give at least one parameter path with a list of values, or remove "sweep"', file, 'sweep.params');
  const defs: ParamDef[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    const at = `sweep.params[${JSON.stringify(key)}]`;
    const paths = key.split(',').map((p) => p.trim());
    for (const p of paths) {
      if (!/^[A-Za-z_$][\w$-]*(\[\d+\])*(\.[A-Za-z_$][\w$-]*(\[\d+\])*)*$/.test(p)) throw new InputError(`'${p}' is not a dotted path like "scenario.network.bandwidth" or "stop.any[0].options.rounds"`, file, at);
      if (seen.has(p)) throw new InputError(`path '${p}' is swept twice`, file, at);
      seen.add(p);
    }
    const v = sweep.params[key];
    if (Array.isArray(v)) {
      if (v.length === 0) throw new InputError('empty list of values: give at least one value', file, at);
      const tuples = v.map((x, i) => {
        if (paths.length === 1) return [x];
        if (!Array.isArray(x) || x.length !== paths.length) throw new InputError(`expected a list of ${paths.length} values (one per linked path), found ${show(x)}`, file, `${at}[${i}]`);
        return x;
      });
      defs.push({ key, paths, tuples });
    } else {
      const r = v as { range: [unknown, unknown]; scale?: 'linear' | 'log'; integer?: boolean };
      if (paths.length !== 1) throw new InputError('a range can only sweep one path', file, at);
      if (sweep.method === 'grid' || sweep.method === undefined)
        throw new InputError('a range needs "method": "random" or "lhs" (grid sweeps take lists of values)', file, at);
      const q0 = detectQuantity(r.range[0]);
      const q1 = detectQuantity(r.range[1]);
      if (q0 !== q1) throw new InputError(`the two ends of the range have different units (${show(r.range[0])}, ${show(r.range[1])})`, file, `${at}.range`);
      const num = (x: unknown, i: number): number => {
        try {
          return q0 ? parseQuantity(x, q0, `${at}.range[${i}]`) : parseQuantity(x, 'bytes', `${at}.range[${i}]`);
        } catch (e) {
          throw new InputError(`expected a number or a value with a unit, found ${show(x)}`, file, `${at}.range[${i}]`);
        }
      };
      const lo = num(r.range[0], 0);
      const hi = num(r.range[1], 1);
      if (!(hi >= lo)) throw new InputError(`the range is empty: ${show(r.range[0])} > ${show(r.range[1])}`, file, `${at}.range`);
      const scale = r.scale ?? 'linear';
      if (scale === 'log' && !(lo > 0)) throw new InputError(`a log scale needs a range above 0, found ${show(r.range[0])}`, file, `${at}.range[0]`);
      defs.push({ key, paths, range: { lo, hi, scale, integer: r.integer ?? false, quantity: q0 } });
    }
  }
  const ranges = defs.filter((d) => d.range).length;
  if (sweep.method === 'random' || sweep.method === 'lhs') {
    if (ranges === 0) throw new InputError(`"method": "${sweep.method}" needs at least one range parameter ({ "range": [low, high] })`, file, 'sweep.params');
    if (sweep.samples === undefined) throw new InputError(`"method": "${sweep.method}" needs "samples" (the number of points)`, file, 'sweep.samples');
  }
  return defs;
}

/** A random permutation of 0..n-1 (Fisher–Yates). */
function permutation(n: number, rng: Rng): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/**
 * Unit-interval samples, row-major (`[sample * dims + dimension]`): independent uniforms or a
 * Latin hypercube. Drawn dimension by dimension, so a sweep's points do not depend on how the
 * matrix is stored.
 */
export function unitSampleMatrix(method: 'random' | 'lhs', n: number, dims: number, rng: Rng): Float64Array {
  const out = new Float64Array(n * dims);
  for (let d = 0; d < dims; d++) {
    if (method === 'lhs') {
      const perm = permutation(n, rng);
      for (let i = 0; i < n; i++) out[i * dims + d] = (perm[i]! + rng.next()) / n;
    } else for (let i = 0; i < n; i++) out[i * dims + d] = rng.next();
  }
  return out;
}

/** Unit-interval samples [sample][dimension] (see {@link unitSampleMatrix}). */
export function unitSamples(method: 'random' | 'lhs', n: number, dims: number, rng: Rng): number[][] {
  const m = unitSampleMatrix(method, n, dims, rng);
  return Array.from({ length: n }, (_, i) => Array.from(m.subarray(i * dims, (i + 1) * dims)));
}

/** Map u in [0, 1) onto a range. */
export function scaleValue(u: number, r: NonNullable<ParamDef['range']>): number {
  let v = r.scale === 'log' ? Math.exp(Math.log(r.lo) + u * (Math.log(r.hi) - Math.log(r.lo))) : r.lo + u * (r.hi - r.lo);
  if (r.integer) v = Math.round(v);
  return Math.min(r.hi, Math.max(r.lo, v));
}

/** A point: the value of each swept path (sampled values are SI numbers written with their SI unit). */
export type Point = ReadonlyArray<{ path: string; value: unknown; si?: number }>;

/** Expand the parameters into points, in plan order (grid cells outer, samples inner). */
export function expandPoints(defs: readonly ParamDef[], method: 'grid' | 'random' | 'lhs', samples: number, seed: number): Point[] {
  return [...iteratePoints(defs, method, samples, seed)];
}

/**
 * The points of {@link expandPoints} one at a time: a grid cell is decoded from its index (the
 * first parameter varying slowest), so the first points of a 10⁹-point grid come at once. The
 * samples of `random` and `lhs` are drawn as a whole (a Latin hypercube is a permutation).
 */
export function* iteratePoints(defs: readonly ParamDef[], method: 'grid' | 'random' | 'lhs', samples: number, seed: number): Generator<Point> {
  const lists = defs.filter((d) => d.tuples);
  const ranges = defs.filter((d) => d.range);
  const cellCount = lists.reduce((n, d) => n * d.tuples!.length, 1);
  const cellAt = (index: number): Array<{ path: string; value: unknown }> => {
    const parts: Array<Array<{ path: string; value: unknown }>> = new Array(lists.length);
    let rest = index;
    for (let k = lists.length - 1; k >= 0; k--) {
      const d = lists[k]!;
      const t = d.tuples![rest % d.tuples!.length]!;
      rest = Math.floor(rest / d.tuples!.length);
      parts[k] = d.paths.map((path, i) => ({ path, value: t[i] }));
    }
    return parts.flat();
  };
  if (method === 'grid' || ranges.length === 0) {
    for (let i = 0; i < cellCount; i++) yield cellAt(i);
    return;
  }
  const u = unitSamples(method, samples, ranges.length, createRng(deriveSeed(seed, 'sweep', method)));
  const sampled = u.map((row) =>
    ranges.map((d, k) => {
      const r = d.range!;
      const si = scaleValue(row[k]!, r);
      return { path: d.paths[0]!, value: r.quantity ? `${String(si)} ${SI_UNIT[r.quantity]}` : si, si };
    }),
  );
  for (let i = 0; i < cellCount; i++) {
    const cell = cellAt(i);
    for (const s of sampled) yield [...cell, ...s];
  }
}

/** Grid size: the product of the list lengths (times the samples for random/lhs). */
export function planSize(defs: readonly ParamDef[], method: 'grid' | 'random' | 'lhs', samples: number): number {
  const grid = defs.filter((d) => d.tuples).reduce((n, d) => n * d.tuples!.length, 1);
  return method === 'grid' || !defs.some((d) => d.range) ? grid : grid * samples;
}
