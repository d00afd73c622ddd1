/**
 * A map from run or config ids to small integers for plans of millions: livemig's ids (16 hex
 * digits, 64 bits) are kept as two 32-bit halves in typed arrays, open addressing at most half
 * full (16 bytes a slot, not a string and a boxed entry per id); any other id goes to a Map.
 */
export class IdMap {
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  /** Value + 1 (0: empty slot). */
  private val = new Int32Array(1024);
  private size = 0;
  private readonly other = new Map<string, number>();
  private static readonly HEX16 = /^[0-9a-f]{16}$/;

  /** The value of `id`, if set. */
  get(id: string): number | undefined {
    if (!IdMap.HEX16.test(id)) return this.other.get(id);
    const s = this.slot(...IdMap.halves(id));
    return this.val[s] ? this.val[s]! - 1 : undefined;
  }

  /** Set `id` to `value` (a non-negative 31-bit integer) unless it is set; returns the value it had. */
  set(id: string, value: number): number | undefined {
    if (!IdMap.HEX16.test(id)) {
      const before = this.other.get(id);
      if (before === undefined) this.other.set(id, value);
      return before;
    }
    if (this.size * 2 >= this.val.length) this.grow();
    const [hi, lo] = IdMap.halves(id);
    const s = this.slot(hi, lo);
    if (this.val[s]) return this.val[s]! - 1;
    this.hi[s] = hi;
    this.lo[s] = lo;
    this.val[s] = value + 1;
    this.size++;
    return undefined;
  }

  private static halves(id: string): [number, number] {
    return [parseInt(id.slice(0, 8), 16) >>> 0, parseInt(id.slice(8, 16), 16) >>> 0];
  }

  private slot(hi: number, lo: number): number {
    const mask = this.val.length - 1;
    let s = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (this.val[s] && (this.hi[s] !== hi || this.lo[s] !== lo)) s = (s + 1) & mask;
    return s;
  }

  private grow(): void {
    const { hi, lo, val } = this;
    this.hi = new Uint32Array(val.length * 2);
    this.lo = new Uint32Array(val.length * 2);
    this.val = new Int32Array(val.length * 2);
    for (let s = 0; s < val.length; s++) {
      if (!val[s]) continue;
      const t = this.slot(hi[s]!, lo[s]!);
      this.hi[t] = hi[s]!;
      this.lo[t] = lo[s]!;
      this.val[t] = val[s]!;
    }
  }
}
