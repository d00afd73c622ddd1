/**
 * Service impact of a migration: the VM's own traffic (e.g. a web server's replies) leaves
 * through the same source NIC as the migration flow. While both are active they share the NIC
 * max-min fairly on the network: the migration capped by its rate limit and the path
 * bandwidth, the service by its demand. The service stops while the VM is paused and resumes at
 * the destination after the network redirect (where it no longer meets the migration's
 * outbound flow).
 */

/** The VM's service traffic during a migration (all rates in bytes/s). */
export interface ServiceModel {
  /** Rate the service would send at without a migration (bytes/s); elastic up to the NIC. */
  readonly demand_Bps: number;
  /** Capacity of the NIC the service and the migration share (bytes/s); default: the path bandwidth. */
  readonly nic_Bps?: number;
  /**
   * CPU contention: service bytes/s lost per migration byte/s sent (dom0 copying pages and
   * checksumming competes with the guest's network processing). Default 0.
   */
  readonly cpuCostPerMigrationByte?: number;
  /**
   * Fraction of the service lost while dirty logging is on at the source (write faults of
   * log-dirty mode), in [0, 1). Default 0.
   */
  readonly trackingOverhead?: number;
  /** Whether the service scales with the guest's speed (throttling, post-copy fault stalls). Default true. */
  readonly scalesWithGuestSpeed?: boolean;
}

/** Where the VM serves from, as the driver sees it. */
export type ServiceLocation = 'source' | 'source-tracking' | 'paused' | 'destination' | 'destination-redirecting' | 'gone';

/** One piece of the timeline: constant rates over [t_s, t_s + duration_s). */
export interface TimelineSegment {
  readonly t_s: number;
  readonly duration_s: number;
  readonly service_Bps: number;
  readonly migration_Bps: number;
  readonly phase: string;
}

/** Check a {@link ServiceModel}'s numbers; returns the NIC capacity to use. */
export function checkService(s: ServiceModel, pathBandwidth_Bps: number): number {
  if (!(s.demand_Bps >= 0 && Number.isFinite(s.demand_Bps))) throw new RangeError(`service.demand_Bps must be a finite number >= 0, got ${s.demand_Bps}`);
  const nic = s.nic_Bps ?? pathBandwidth_Bps;
  if (!(nic > 0 && Number.isFinite(nic))) throw new RangeError(`service.nic_Bps must be a finite number > 0, got ${s.nic_Bps}`);
  const k = s.cpuCostPerMigrationByte ?? 0;
  if (!(k >= 0 && Number.isFinite(k))) throw new RangeError(`service.cpuCostPerMigrationByte must be >= 0, got ${k}`);
  const o = s.trackingOverhead ?? 0;
  if (!(o >= 0 && o < 1)) throw new RangeError(`service.trackingOverhead must be in [0, 1), got ${o}`);
  return nic;
}

/**
 * What the service asks of the network where the VM is (bytes/s): its demand scaled by the
 * guest's speed (throttling, post-copy stalls), less the tracking overhead while dirty logging
 * is on, and 0 while the VM is paused, redirecting or gone. The network then shares the NIC
 * max-min fairly between it and the migration.
 */
export function serviceDemand(s: ServiceModel, at: ServiceLocation, guestSpeed: number): number {
  if (!(at === 'source' || at === 'source-tracking' || at === 'destination')) return 0;
  const speed = s.scalesWithGuestSpeed === false ? 1 : guestSpeed;
  const demand = s.demand_Bps * speed;
  return at === 'source-tracking' ? demand * (1 - (s.trackingOverhead ?? 0)) : demand;
}

/** Receives constant-rate pieces of a timeline. */
export interface TimelineRecorder {
  add(t_s: number, duration_s: number, service_Bps: number, migration_Bps: number, phase: string): void;
}

/** Collects timeline segments (merging neighbours with equal rates and phase) and the service bytes. */
export function createServiceRecorder(record: boolean): TimelineRecorder & {
  readonly served_bytes: number;
  readonly timeline: TimelineSegment[];
} {
  return new ServiceRecorder(record);
}

/** A class, not an object literal with a getter: one is made per migration, and such literals are slow to create. */
class ServiceRecorder implements TimelineRecorder {
  readonly timeline: TimelineSegment[] = [];
  served_bytes = 0;
  constructor(private readonly record: boolean) {}
  add(t: number, d: number, service: number, migration: number, phase: string): void {
    if (!(d > 0)) return;
    this.served_bytes += service * d;
    if (!this.record) return;
    const timeline = this.timeline;
    const last = timeline[timeline.length - 1];
    if (last && last.service_Bps === service && last.migration_Bps === migration && last.phase === phase && Math.abs(last.t_s + last.duration_s - t) <= 1e-9 * Math.max(1, t)) {
      timeline[timeline.length - 1] = { ...last, duration_s: t + d - last.t_s };
    } else timeline.push({ t_s: t, duration_s: d, service_Bps: service, migration_Bps: migration, phase });
  }
}
