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

/** Create an empty kernel at time 0. */
export function createKernel(): Kernel {
  let heap: QueuedEvent[] = [];
  let now = 0;
  let seq = 0;
  /** Cancelled events still in the heap. When they are most of it, it is rebuilt without them. */
  let dead = 0;

  const siftDown = (i: number): void => {
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
  };
  // Rescheduling (the network recomputes every flow's completion when one starts or ends)
  // would otherwise grow the heap with dead events without bound.
  const compact = (): void => {
    heap = heap.filter((e) => {
      if (e.cancelled) e.queued = false;
      return !e.cancelled;
    });
    dead = 0;
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
  };
  const push = (e: QueuedEvent): void => {
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
  };
  const pop = (): QueuedEvent | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      siftDown(0);
    }
    if (top) {
      top.queued = false;
      if (top.dead) dead--;
    }
    return top;
  };

  const kernel: Kernel = {
    get now() {
      return now;
    },
    get pending() {
      return heap.length - dead;
    },
    schedule(delay_s, fn) {
      if (!(delay_s >= 0)) throw new RangeError(`schedule: delay must be >= 0 seconds, got ${delay_s}`);
      return kernel.at(now + delay_s, fn);
    },
    at(time_s, fn) {
      if (!(time_s >= now)) throw new RangeError(`at: time ${time_s} s is before now (${now} s)`);
      const e: QueuedEvent = { time: time_s, seq: seq++, cancelled: false, run: fn, queued: true };
      push(e);
      return e;
    },
    cancel(handle) {
      if (handle.cancelled) return;
      handle.cancelled = true;
      if ((handle as QueuedEvent).queued) {
        (handle as QueuedEvent).dead = true;
        dead++;
        if (dead > 32 && dead > heap.length / 2) compact();
      }
    },
    run(until_s = Infinity) {
      while (heap.length > 0 && heap[0]!.time <= until_s) {
        const e = pop()!;
        if (e.cancelled) continue;
        now = e.time;
        e.run();
      }
      if (until_s !== Infinity && until_s > now) now = until_s;
    },
  };
  return kernel;
}
