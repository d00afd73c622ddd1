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
