/**
 * Seeded random streams. Every run gets independent streams derived from
 * (experiment seed, run index, stream name), so that one component drawing more numbers
 * never shifts another's draws. The generator is pure-rand's xoroshiro128+.
 */
import prand from 'pure-rand';

/** A seeded source of uniform numbers; nothing in the model may call Math.random. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** An exponential variate with the given rate (1/mean). */
  exponential(rate: number): number;
  /** A standard normal variate. */
  normal(): number;
}

/** 32-bit FNV-1a of a string; stable across platforms. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The splitmix32 finaliser: spreads the bits of a 32-bit value. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Derive a 32-bit seed from any sequence of numbers and names.
 * `deriveSeed(42, 7, 'dirty-pages')` is the seed of run 7's dirty-page stream.
 */
export function deriveSeed(...parts: ReadonlyArray<number | string>): number {
  let h = 0x2545f491;
  for (const part of parts) {
    if (typeof part === 'number') {
      // Low and high 32-bit halves are mixed in one after the other: xor-ing them first made
      // numbers with equal halves (0 and -1, 0 and 2^32 + 1) collide.
      h = mix32(h ^ mix32(part >>> 0));
      h = mix32(h ^ (Math.floor(part / 2 ** 32) >>> 0));
    } else h = mix32(h ^ fnv1a(part));
  }
  return h;
}

const TWO_POW_32 = 2 ** 32;

/** A generator seeded with a 32-bit seed. */
export function createRng(seed: number): Rng {
  // pure-rand fills xoroshiro's state straight from the seed, so small seeds start with poor
  // draws (seed 0 first gives 0.99999999977); the seed is mixed first.
  const gen = prand.xoroshiro128plus(mix32(seed >>> 0) | 0);
  const next = (): number => (gen.unsafeNext() >>> 0) / TWO_POW_32;
  let spare: number | undefined;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    exponential: (rate) => -Math.log(1 - next()) / rate,
    normal() {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      // Marsaglia's polar method.
      let u: number, v: number, s: number;
      do {
        u = 2 * next() - 1;
        v = 2 * next() - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      spare = v * f;
      return u * f;
    },
  };
}

/** The named stream of one run: independent of every other (run, name) pair. */
export function runStream(experimentSeed: number, runIndex: number, name: string): Rng {
  return createRng(deriveSeed(experimentSeed, runIndex, name));
}
