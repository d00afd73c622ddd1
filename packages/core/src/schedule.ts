/**
 * The migration scheduler contract: given the migrations a scenario asked for and those running,
 * which start now. Consulted whenever a request arrives and whenever a migration ends, so a
 * scheduler is a pure function of what it sees (per-host limits, orderings, gang starts).
 */

/** A requested migration that has not started, as a scheduler sees it. */
export interface WaitingMigration {
  /** Request number (its index in the scenario's requests). */
  readonly id: number;
  readonly vm: string;
  /** Host indices and ids. */
  readonly fromHost: number;
  readonly toHost: number;
  readonly from: string;
  readonly to: string;
  readonly memory_bytes: number;
  /** The guest's write rate when asked for, in bytes per second (pages written × page size: an upper bound of its dirtying). */
  readonly dirtyRate_Bps: number;
  /** When it was asked for (s). */
  readonly requested_s: number;
  /** Link indices of its route. */
  readonly route: readonly number[];
  /**
   * A first-order estimate of its duration alone on its path: pre-copy's geometric series,
   * memory ÷ (bottleneck − dirty rate) (Infinity when the guest dirties as fast as the path).
   */
  readonly estimate_s: number;
  /** Whether the destination has room for the VM now (a scheduler may start it only then). */
  readonly fits: boolean;
  /** The request's priority (higher first for orderings that use it; default 0). */
  readonly priority: number;
}

/** A migration in progress. */
export interface RunningMigration {
  readonly id: number;
  readonly vm: string;
  readonly fromHost: number;
  readonly toHost: number;
  readonly started_s: number;
  readonly route: readonly number[];
}

/** What a scheduler sees each time it is consulted. */
export interface SchedulerView {
  readonly now_s: number;
  /** In request order. */
  readonly waiting: readonly WaitingMigration[];
  readonly running: readonly RunningMigration[];
  readonly hostCount: number;
}

/** Decides which waiting migrations start. */
export interface Scheduler {
  /** Ids of waiting migrations to start now, in start order (ids not waiting or that do not fit are ignored). */
  select(view: SchedulerView): readonly number[];
}
