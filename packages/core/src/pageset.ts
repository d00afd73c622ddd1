/**
 * A set of page numbers in [0, size) stored as a bitset over a Uint32Array, with a maintained
 * count. Memory is size / 8 bytes whatever the number of writes.
 */
export class PageSet {
  readonly words: Uint32Array;
  private n = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`PageSet size must be a non-negative integer, got ${size}`);
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  /** Number of pages in the set. */
  get count(): number {
    return this.n;
  }

  /** Whether `page` is in the set (false for anything that is not a page number in range). */
  has(page: number): boolean {
    if ((page >>> 0) !== page) return false;
    return (this.words[page >>> 5]! & (1 << (page & 31))) !== 0;
  }

  /** Add a page; returns true if it was not there. Throws a RangeError outside [0, size). */
  add(page: number): boolean {
    if (!((page >>> 0) === page && page < this.size)) this.outOfRange(page);
    const w = page >>> 5;
    const bit = 1 << (page & 31);
    const old = this.words[w]!;
    if (old & bit) return false;
    this.words[w] = old | bit;
    this.n++;
    return true;
  }

  /** Remove a page; returns true if it was there. Throws a RangeError outside [0, size). */
  remove(page: number): boolean {
    if (!((page >>> 0) === page && page < this.size)) this.outOfRange(page);
    const w = page >>> 5;
    const bit = 1 << (page & 31);
    const old = this.words[w]!;
    if (!(old & bit)) return false;
    this.words[w] = old & ~bit;
    this.n--;
    return true;
  }

  clear(): void {
    this.words.fill(0);
    this.n = 0;
  }

  /** Add every page in [0, size). */
  fill(): void {
    this.words.fill(0xffffffff);
    const tail = this.size & 31;
    if (tail && this.words.length > 0) this.words[this.words.length - 1] = (2 ** tail - 1) >>> 0;
    this.n = this.size;
  }

  /** Add every page of `other` (same size). */
  union(other: PageSet): void {
    this.check(other);
    let n = 0;
    for (let i = 0; i < this.words.length; i++) {
      const w = (this.words[i]! | other.words[i]!) >>> 0;
      this.words[i] = w;
      n += popcount(w);
    }
    this.n = n;
  }

  /** Number of pages in this set or in `other` (same size), without changing either. */
  unionCount(other: PageSet): number {
    this.check(other);
    let n = 0;
    for (let i = 0; i < this.words.length; i++) n += popcount((this.words[i]! | other.words[i]!) >>> 0);
    return n;
  }

  /** Number of pages in both this set and `other` (same size). */
  intersectionCount(other: PageSet): number {
    this.check(other);
    let n = 0;
    for (let i = 0; i < this.words.length; i++) n += popcount((this.words[i]! & other.words[i]!) >>> 0);
    return n;
  }

  /** Make this set a copy of `other` (same size). */
  copyFrom(other: PageSet): void {
    this.check(other);
    this.words.set(other.words);
    this.n = other.n;
  }

  /** Swap contents with `other` in O(1)-ish (same size): used to turn the dirty log into the send set. */
  swap(other: PageSet): void {
    this.check(other);
    const tmp = this.words.slice();
    this.words.set(other.words);
    other.words.set(tmp);
    [this.n, other.n] = [other.n, this.n];
  }

  /** Call `fn` for every page in ascending order. */
  forEach(fn: (page: number) => void): void {
    const words = this.words;
    for (let i = 0; i < words.length; i++) {
      let w = words[i]!;
      while (w !== 0) {
        const t = w & -w;
        fn((i << 5) + (31 - Math.clz32(t)));
        w ^= t;
      }
    }
  }

  /** The smallest page >= `from` in the set, or -1. */
  nextFrom(from: number): number {
    if (from >= this.size) return -1;
    if (!(from > 0)) from = 0;
    from = Math.ceil(from);
    let i = from >>> 5;
    let w = this.words[i]! & (0xffffffff << (from & 31));
    for (;;) {
      if (w !== 0) return (i << 5) + (31 - Math.clz32(w & -w));
      if (++i >= this.words.length) return -1;
      w = this.words[i]!;
    }
  }

  /** The smallest page >= `from` not in the set, or -1. */
  nextClearFrom(from: number): number {
    if (from >= this.size) return -1;
    if (!(from > 0)) from = 0;
    from = Math.ceil(from);
    let i = from >>> 5;
    let w = ~this.words[i]! & (0xffffffff << (from & 31));
    for (;;) {
      if (w !== 0) {
        const p = (i << 5) + (31 - Math.clz32(w & -w));
        return p < this.size ? p : -1;
      }
      if (++i >= this.words.length) return -1;
      w = ~this.words[i]!;
    }
  }

  /** The largest page <= `from` not in the set, or -1. */
  prevClearFrom(from: number): number {
    if (from < 0) return -1;
    if (from >= this.size) from = this.size - 1;
    from = Math.floor(from);
    let i = from >>> 5;
    // Bits 0..(from & 31) of the word.
    let w = ~this.words[i]! & (0xffffffff >>> (31 - (from & 31)));
    for (;;) {
      if (w !== 0) return (i << 5) + (31 - Math.clz32(w));
      if (--i < 0) return -1;
      w = ~this.words[i]!;
    }
  }

  *[Symbol.iterator](): IterableIterator<number> {
    for (let p = this.nextFrom(0); p !== -1; p = this.nextFrom(p + 1)) yield p;
  }

  private outOfRange(page: number): never {
    throw new RangeError(`page ${page} is not an integer in [0, ${this.size}) (PageSet of ${this.size} pages)`);
  }

  private check(other: PageSet): void {
    if (other.size !== this.size) throw new RangeError(`PageSet sizes differ: ${this.size} vs ${other.size}`);
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
}
