/**
 * A discrete-event kernel: a time-ordered queue with stable tie-breaking (events at the same
 * time run in the order they were scheduled). Time is simulated seconds only.
 */

/** A scheduled callback; cancel it with {@link Kernel.cancel}. */
export interface EventHandle {
  readonly time: number;
  readonly seq: number;
  cancelled: boolean;
  readonly run: () => void;
}

/** The simulation clock and its event queue. */
export interface Kernel {
  /** Current simulated time in seconds. */
  readonly now: number;
  /** Run `fn` after `delay_s` seconds of simulated time. */
  schedule(delay_s: number, fn: () => void): EventHandle;
  /** Run `fn` at absolute time `time_s` (never in the past). */
  at(time_s: number, fn: () => void): EventHandle;
  cancel(handle: EventHandle): void;
  /**
   * Move the clock to `time_s` at once — for a caller that knows nothing else can happen before
   * it: only with no event queued (throws otherwise), never backwards.
   */
  advanceTo(time_s: number): void;
  /** Process events until the queue is empty or the next event is after `until_s`. */
  run(until_s?: number): void;
  /** Number of events still to run (cancelled ones excluded). */
  readonly pending: number;
}

/** A handle as the kernel keeps it: whether it is still in the queue. */
interface QueuedEvent extends EventHandle {
  queued: boolean;
  /** Counted among the dead events of the heap (cancelled through {@link Kernel.cancel} while queued). */
  dead?: boolean;
}

const before = (a: EventHandle, b: EventHandle): boolean => a.time < b.time || (a.time === b.time && a.seq < b.seq);

/**
 * The kernel as a class: its getters live on the prototype (an object literal with getters is
 * slow to create, and a single migration makes a kernel).
 */
class KernelImpl implements Kernel {
  private heap: QueuedEvent[] = [];
  private time = 0;
  private seq = 0;
  /** Cancelled events still in the heap. When they are most of it, it is rebuilt without them. */
  private dead = 0;

  get now(): number {
    return this.time;
  }
  get pending(): number {
    return this.heap.length - this.dead;
  }
  schedule(delay_s: number, fn: () => void): EventHandle {
    if (!(delay_s >= 0)) throw new RangeError(`schedule: delay must be >= 0 seconds, got ${delay_s}`);
    return this.at(this.time + delay_s, fn);
  }
  at(time_s: number, fn: () => void): EventHandle {
    if (!(time_s >= this.time)) throw new RangeError(`at: time ${time_s} s is before now (${this.time} s)`);
    const e: QueuedEvent = { time: time_s, seq: this.seq++, cancelled: false, run: fn, queued: true };
    this.push(e);
    return e;
  }
  cancel(handle: EventHandle): void {
    if (handle.cancelled) return;
    handle.cancelled = true;
    if ((handle as QueuedEvent).queued) {
      (handle as QueuedEvent).dead = true;
      this.dead++;
      if (this.dead > 32 && this.dead > this.heap.length / 2) this.compact();
    }
  }
  advanceTo(time_s: number): void {
    if (this.heap.length - this.dead > 0) throw new Error(`advanceTo: ${this.heap.length - this.dead} events are queued; only an idle kernel may jump ahead`);
    if (!(time_s >= this.time)) throw new RangeError(`advanceTo: time ${time_s} s is before now (${this.time} s)`);
    this.time = time_s;
  }
  run(until_s = Infinity): void {
    while (this.heap.length > 0 && this.heap[0]!.time <= until_s) {
      const e = this.pop()!;
      if (e.cancelled) continue;
      this.time = e.time;
      e.run();
    }
    if (until_s !== Infinity && until_s > this.time) this.time = until_s;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      // (A temporary, not a destructuring swap: that allocates an array per step.)
      const t = heap[i]!;
      heap[i] = heap[m]!;
      heap[m] = t;
      i = m;
    }
  }
  // Rescheduling (the network recomputes every flow's completion when one starts or ends)
  // would otherwise grow the heap with dead events without bound.
  private compact(): void {
    this.heap = this.heap.filter((e) => {
      if (e.cancelled) e.queued = false;
      return !e.cancelled;
    });
    this.dead = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }
  private push(e: QueuedEvent): void {
    const heap = this.heap;
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(heap[i]!, heap[p]!)) break;
      const t = heap[i]!;
      heap[i] = heap[p]!;
      heap[p] = t;
      i = p;
    }
  }
  private pop(): QueuedEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      this.siftDown(0);
    }
    if (top) {
      top.queued = false;
      if (top.dead) this.dead--;
    }
    return top;
  }
}

/** Create an empty kernel at time 0. */
export function createKernel(): Kernel {
  return new KernelImpl();
}
