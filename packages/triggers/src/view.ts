/**
 * What the cluster simulation shows a trigger policy: core's {@link ClusterView} plus the host
 * and VM details that power-aware policies need (core count, power model, NIC load, migration
 * time estimates).
 */
import type { ClusterView, HostView, VmView } from '@livemig/core';
import type { PowerModel } from './power.js';

/** A host as the simulation shows it at a decision point. */
export interface SimHostView extends HostView {
  readonly mipsPerCore: number;
  readonly cores: number;
  readonly nic_Bps: number;
  /** Power (W) of this host, switched on, at CPU utilisation u in [0, 1]. */
  power_W(u: number): number;
  /** The model behind {@link power_W}, when the view has it (lets policies evaluate table models inline). */
  readonly power?: PowerModel;
  /** Measured CPU utilisation now (the last entry of `utilisation`; 0 when empty or off). */
  readonly utilisationNow: number;
  /** Migrations now using this host's NIC (incoming or outgoing). */
  readonly nicMigrations: number;
}

/** A VM as the simulation shows it at a decision point. */
export interface SimVmView extends VmView {
  /** The VM's full CPU capacity in MIPS (its demand is a fraction of it). */
  readonly maxMips: number;
  readonly vcpus: number;
  /** Estimated time to migrate this VM now (copy strategy's cost, or RAM ÷ bandwidth), seconds. */
  readonly migrationTime_s: number;
}

/** The view a policy gets from {@link simulateCluster}. */
export interface SimClusterView extends ClusterView {
  readonly hosts: readonly SimHostView[];
  readonly vms: readonly SimVmView[];
  /** Seconds between decisions. */
  readonly interval_s: number;
}

/** Whether `view` carries the details of {@link SimClusterView}. */
export function isSimView(view: ClusterView): view is SimClusterView {
  const h = view.hosts[0] as Partial<SimHostView> | undefined;
  return (h === undefined || typeof h.power_W === 'function') && typeof (view as Partial<SimClusterView>).interval_s === 'number';
}

/** Throw a clear error when a policy gets a bare core view. */
export function requireSimView(view: ClusterView, policy: string): SimClusterView {
  if (!isSimView(view))
    throw new TypeError(
      `trigger '${policy}': the cluster view lacks power models and core counts; run it with simulateCluster() of @livemig/triggers (or pass a SimClusterView)`,
    );
  return view;
}
