/**
 * Trigger policies decide when to migrate which VM where. They see the cluster's state at a
 * decision point and return migration requests; the cluster simulation runs each request with
 * a copy strategy over the shared network.
 */

/** The state of one host at a decision point. */
export interface HostView {
  readonly index: number;
  readonly on: boolean;
  readonly failed: boolean;
  /** CPU capacity in MIPS (all cores). */
  readonly mips: number;
  readonly memory_bytes: number;
  /** Utilisation history (fraction of capacity), oldest first, one sample per interval. */
  readonly utilisation: readonly number[];
  /** VMs placed on the host (including incoming ones). */
  readonly vms: readonly number[];
  /** Seconds until a predicted failure, if one is announced. */
  readonly failureIn_s?: number;
}

/** The state of one VM at a decision point. */
export interface VmView {
  readonly index: number;
  readonly host: number;
  readonly memory_bytes: number;
  /** Requested MIPS now, and its history (oldest first). */
  readonly mips: number;
  readonly mipsHistory: readonly number[];
  readonly migrating: boolean;
}

export interface ClusterView {
  readonly now_s: number;
  readonly hosts: readonly HostView[];
  readonly vms: readonly VmView[];
}

/** Move `vm` to `to`; `reason` ends up in the trace. */
export interface MigrationRequest {
  readonly vm: number;
  readonly to: number;
  readonly reason: string;
}

/** A trigger policy instance. */
export interface TriggerPolicy {
  decide(view: ClusterView): readonly MigrationRequest[];
}
