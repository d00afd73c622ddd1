/**
 * The workload (dirty-page model) contract, in the two fidelities every strategy runs on:
 * page-exact (which pages were written in [t, t+dt)) and fluid (how many distinct pages a
 * window of length dt dirties, in expectation). A guest slowed by throttling runs at a speed
 * factor in (0, 1]: it does `speed × dt` seconds of work in `dt`.
 */

/** A dirty-page model instance, created for one run with its own random stream. */
export interface Workload {
  /** Pages per second written at time t by the guest at full speed (writes, not distinct pages). */
  writeRate(t_s: number): number;
  /**
   * Expected number of distinct pages written during a window that starts at `t_s` and in which
   * the guest does `work_s` seconds of work (work = speed × wall time).
   */
  expectedDistinct(t_s: number, work_s: number): number;
  /**
   * Page-exact: call `write(page)` for each page written during [t, t+dt) at `speed`.
   * Must be consistent with {@link expectedDistinct}: the mean number of distinct pages written
   * equals it.
   */
  writes(t_s: number, dt_s: number, speed: number, write: (page: number) => void): void;
  /**
   * The guest's speed (its share of full-speed work) when a CPU throttle takes `throttle` of its
   * vCPU time, the vCPU running `timeslice_s` and then sleeping `timeslice_s × throttle ÷ (1 −
   * throttle)` (QEMU's cpu-throttle.c). Absent: a CPU-bound guest, speed = 1 − throttle.
   */
  throttledSpeed?(throttle: number, timeslice_s: number): number;
  /**
   * Bytes one write changes in a page (an 8-byte store: 8), for delta encoders (XBZRLE) that
   * send only what changed. Absent: unknown.
   */
  readonly writeSize_bytes?: number;
  /**
   * Expected writes a page received, given that it was written at least once in a window where
   * the guest did `work_s` seconds of work from `t_s` (≥ 1). Absent: 1.
   */
  writesPerDirtyPage?(t_s: number, work_s: number): number;
}

/**
 * A guest's speed under a vCPU throttle: the workload's own answer ({@link Workload.throttledSpeed}),
 * else the CPU-bound 1 − throttle.
 */
export function throttledSpeed(w: Workload, throttle: number, timeslice_s: number): number {
  if (!(throttle >= 0 && throttle < 1)) throw new RangeError(`throttle must be in [0, 1), got ${throttle}`);
  const s = w.throttledSpeed ? w.throttledSpeed(throttle, timeslice_s) : 1 - throttle;
  return Math.min(1, Math.max(0, s));
}

/** What a workload factory gets: the VM's page count and page size, and its random stream. */
export interface WorkloadContext {
  readonly pageCount: number;
  readonly pageSize_bytes: number;
  readonly rng: import('./rng.js').Rng;
  /**
   * The folder relative file names in the options are read from: the experiment file's, so
   * that the same file runs from any working directory. Default: the working directory.
   */
  readonly baseDir?: string;
}
