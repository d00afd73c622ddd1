/**
 * The consolidation policy of Beloglazov & Buyya (CloudSim's `optimizeAllocation`), with
 * pluggable overload detection, VM selection and placement, plus evacuation of hosts announced
 * to fail.
 */
import type { MigrationRequest, Rng, TriggerPolicy } from '@livemig/core';
import { localRegression, iqrThreshold, madThreshold, staticThreshold, type OverloadDetector } from './detectors.js';
import { Plan } from './plan.js';
import { firstFit, HostSet, nicAware, powerAwareBestFit, type Placer } from './placement.js';
import { maximumCorrelation, minimumMigrationTime, minimumUtilisation, randomSelection, type VmSelector } from './selection.js';
import { requireSimView } from './view.js';

export type SelectionName = 'mmt' | 'mc' | 'mu' | 'rs';
export type PlacementName = 'pabfd' | 'first-fit' | 'nic-aware';

export interface ConsolidationOptions {
  readonly selection: SelectionName;
  readonly placement: PlacementName;
  /** Empty under-loaded hosts when all their VMs fit elsewhere. */
  readonly consolidation: boolean;
  readonly checkMemory: boolean;
  /**
   * Exclude the hosts that just received VMs from overloaded hosts when looking for under-loaded
   * hosts to empty. CloudSim means to but passes an empty list (its VMs can then move twice in
   * one decision); `false` reproduces that.
   */
  readonly excludeOverloadTargets: boolean;
  /** Load PABFD adds a VM to: 'planned' (default; CloudSim 4.0) or 'measured' (CloudSim 3.0). */
  readonly placementLoad: 'planned' | 'measured';
  /** Evacuate a host whose failure is announced at most this many seconds ahead (0: never). */
  readonly evacuationLead_s: number;
}

export function makeSelector(name: SelectionName, rng: () => Rng): VmSelector {
  switch (name) {
    case 'mmt':
      return minimumMigrationTime();
    case 'mu':
      return minimumUtilisation();
    case 'rs':
      return randomSelection(rng());
    case 'mc':
      return maximumCorrelation(minimumMigrationTime());
  }
}

export function makePlacer(name: PlacementName): Placer {
  switch (name) {
    case 'pabfd':
      return powerAwareBestFit();
    case 'first-fit':
      return firstFit();
    case 'nic-aware':
      return nicAware();
  }
}

/** Build a trigger policy from a detector, a selector and a placer. */
export function consolidationPolicy(name: string, detector: OverloadDetector, selector: VmSelector, placer: Placer, o: ConsolidationOptions): TriggerPolicy {
  const ctx = { detector, checkMemory: o.checkMemory, load: o.placementLoad };
  return {
    decide(rawView) {
      const view = requireSimView(rawView, name);
      const plan = new Plan(view);
      const H = view.hosts.length;
      const requests: MigrationRequest[] = [];
      const unusable = (h: number): boolean => {
        const host = view.hosts[h]!;
        return host.failed || (o.evacuationLead_s > 0 && host.failureIn_s !== undefined && host.failureIn_s <= o.evacuationLead_s);
      };

      // 1. Overloaded hosts, and hosts to evacuate before a predicted failure.
      const over: number[] = [];
      const evacuate: number[] = [];
      for (let h = 0; h < H; h++) {
        if (view.hosts[h]!.failed) continue;
        if (unusable(h)) evacuate.push(h);
        else if (detector.overloaded(plan, h)) over.push(h);
      }
      // 2. VMs to move: every VM of an evacuated host; from an overloaded host until it is not.
      const toMove: number[] = [];
      for (const h of evacuate) {
        for (const v of [...plan.hostVms[h]!]) {
          if (view.vms[v]!.migrating) continue;
          toMove.push(v);
          plan.remove(v, h);
        }
      }
      for (const h of over) {
        for (;;) {
          const v = selector.select(plan, h);
          if (v < 0) break;
          toMove.push(v);
          plan.remove(v, h);
          if (!detector.overloaded(plan, h)) break;
        }
      }
      // 3. Place them, most demanding first (stable).
      const byDemand = (a: number, b: number): number => view.vms[b]!.mips - view.vms[a]!.mips;
      toMove.sort(byDemand);
      const excluded = new HostSet(H, [...over, ...evacuate]);
      for (let h = 0; h < H; h++) if (unusable(h)) excluded.add(h);
      const overloadTargets = new Set<number>();
      for (const v of toMove) {
        const h = placer.find(plan, v, excluded, ctx);
        if (h < 0) continue;
        plan.add(v, h);
        plan.plannedIn[h]!++;
        overloadTargets.add(h);
        requests.push({ vm: v, to: h, reason: evacuate.includes(view.vms[v]!.host) ? 'evacuation' : 'overload' });
      }
      if (!o.consolidation) return requests;

      // 4. Consolidation: try to empty the least-utilised hosts, one at a time.
      const switchedOff = (h: number): boolean => view.hosts[h]!.utilisationNow === 0;
      const noUnder = new HostSet(H, excluded);
      const noTarget = new HostSet(H, excluded);
      for (let h = 0; h < H; h++) {
        if (switchedOff(h)) {
          noUnder.add(h);
          noTarget.add(h);
        }
      }
      if (o.excludeOverloadTargets) for (const h of overloadTargets) noUnder.add(h);
      const order = Array.from({ length: H }, (_, h) => h).sort((a, b) => view.hosts[a]!.utilisationNow - view.hosts[b]!.utilisationNow || a - b);
      for (const h of order) {
        if (noUnder.has(h)) continue;
        const u = view.hosts[h]!.utilisationNow;
        if (!(u > 0 && u < 1)) continue;
        const vms = plan.hostVms[h]!;
        if (vms.some((v) => view.vms[v]!.migrating && view.vms[v]!.host !== h) || vms.every((v) => view.vms[v]!.migrating)) continue;
        noUnder.add(h);
        noTarget.add(h);
        const moving = vms.filter((v) => !view.vms[v]!.migrating).sort(byDemand);
        if (moving.length === 0) continue;
        const placed: Array<{ v: number; from: number; to: number }> = [];
        for (const v of moving) {
          const to = placer.find(plan, v, noTarget, ctx);
          if (to < 0) break;
          const from = plan.vmHost[v]!;
          plan.remove(v, from);
          plan.add(v, to);
          plan.plannedIn[to]!++;
          placed.push({ v, from, to });
        }
        if (placed.length < moving.length) {
          for (const p of placed.reverse()) {
            plan.remove(p.v, p.to);
            plan.add(p.v, p.from);
            plan.plannedIn[p.to]!--;
          }
          continue;
        }
        for (const p of placed) {
          noUnder.add(p.to);
          requests.push({ vm: p.v, to: p.to, reason: 'underload' });
        }
      }
      return requests;
    },
  };
}

/** Options shared by every detector plugin, with their defaults. */
export const defaultConsolidation: ConsolidationOptions = {
  selection: 'mmt',
  placement: 'pabfd',
  consolidation: true,
  checkMemory: true,
  excludeOverloadTargets: true,
  placementLoad: 'planned',
  evacuationLead_s: 0,
};

export { staticThreshold, iqrThreshold, madThreshold, localRegression };
