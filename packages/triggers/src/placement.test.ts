/** PABFD against the plain scan it replaces (every host, the power model called through the view). */
import { describe, expect, it } from 'vitest';
import { createRng } from '@livemig/core';
import { HostSet, hpProLiantMl110G4, hpProLiantMl110G5, linearPowerModel, localRegression, overloadedWith, Plan, plannedIndex, powerAwareBestFit, staticThreshold, type PlacementContext, type SimClusterView } from './index.js';

/** The scan as it was written before the fast paths: first host of least rise in power, not overloaded with the VM. */
function reference(plan: Plan, v: number, excluded: ReadonlySet<number>, ctx: PlacementContext, avoid?: (plan: Plan, h: number) => boolean): number {
  if (avoid) {
    const h = reference(plan, v, new Set([...excluded, ...plan.view.hosts.map((_, i) => i).filter((i) => avoid(plan, i))]), ctx);
    if (h >= 0) return h;
  }
  const hosts = plan.view.hosts;
  const vm = plan.view.vms[v]!;
  const demand = vm.mips;
  const perCore = demand / vm.vcpus;
  let best = -1;
  let min = Infinity;
  for (let h = 0; h < hosts.length; h++) {
    if (!plan.fitsCpu(demand, perCore, h) || excluded.has(h) || (ctx.checkMemory && !plan.fits(v, h, true))) continue;
    const cap = plan.capacity[h]!;
    const base = ctx.load === 'planned' ? plan.allocated[h]! : plan.utilisationNow[h]! * cap;
    const diff = hosts[h]!.power_W(Math.min(1, (base + demand) / cap)) - plan.powerNow_W[h]!;
    if (diff < min && !overloadedWith(plan, h, v, ctx.detector, ctx.load)) {
      min = diff;
      best = h;
    }
  }
  return best;
}

function randomView(seed: number, maxHosts = 45): SimClusterView {
  const rng = createRng(seed);
  const models = [hpProLiantMl110G4, hpProLiantMl110G5, linearPowerModel(90, 120)];
  const H = 5 + rng.int(maxHosts - 5);
  const V = 1 + rng.int(3 * H);
  const hostOf = Array.from({ length: V }, () => (rng.next() < 0.6 ? rng.int(Math.max(1, Math.floor(H / 3))) : rng.int(H)));
  const vms = Array.from({ length: V }, (_, i) => {
    const maxMips = [500, 1000, 2000, 2500][rng.int(4)]!;
    const u = rng.next() < 0.2 ? 0 : rng.int(101) / 100;
    return {
      index: i,
      host: hostOf[i]!,
      memory_bytes: [613e6, 870e6, 1740e6][rng.int(3)]!,
      mips: u * maxMips,
      mipsHistory: Array.from({ length: rng.int(31) }, () => rng.int(101) * maxMips / 100),
      migrating: rng.next() < 0.05,
      maxMips,
      vcpus: 1,
      migrationTime_s: 5 + rng.int(60),
    };
  });
  const hosts = Array.from({ length: H }, (_, h) => {
    const model = models[rng.next() < 0.9 ? h % 2 : 2]!;
    const mipsPerCore = model === hpProLiantMl110G4 ? 1860 : 2660;
    const mine = vms.filter((v) => v.host === h);
    const used = mine.reduce((s, v) => s + v.mips, 0);
    // measured utilisation: usually the VMs' load, sometimes 0 (switched off) or stale
    const utilisationNow = mine.length === 0 || rng.next() < 0.1 ? 0 : Math.min(1, rng.next() < 0.8 ? used / (2 * mipsPerCore) : rng.next());
    return {
      index: h,
      on: utilisationNow > 0,
      failed: rng.next() < 0.03,
      mips: 2 * mipsPerCore,
      memory_bytes: 4096e6,
      utilisation: [],
      vms: mine.map((v) => v.index),
      mipsPerCore,
      cores: 2,
      nic_Bps: 125e6,
      power_W: (u: number) => model.power_W(u),
      // the model is shown for most hosts: the others go through power_W
      ...(rng.next() < 0.9 ? { power: model } : {}),
      utilisationNow,
      nicMigrations: 0,
    };
  });
  return { now_s: 0, interval_s: 300, hosts, vms };
}

describe('powerAwareBestFit', () => {
  it('finds what the plain scan finds, on random clusters with many empty hosts, as VMs are placed one after another', () => {
    const detectors = [
      staticThreshold(0.8),
      localRegression({ safety: 1.2, window: 10, minHistory: 10, weighting: 'none', robust: false, fallback: staticThreshold(0.7) }),
    ];
    let placed = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const view = randomView(seed);
      const rng = createRng(1000 + seed);
      const detector = detectors[seed % 2]!;
      const ctx: PlacementContext = { detector, checkMemory: seed % 3 === 0, load: seed % 4 < 2 ? 'planned' : 'measured' };
      const plan = new Plan(view);
      const pabfd = powerAwareBestFit();
      const excludedList = view.hosts.filter(() => rng.next() < 0.1).map((h) => h.index);
      for (const excluded of [new Set(excludedList), new HostSet(view.hosts.length, excludedList)]) {
        for (let k = 0; k < 12; k++) {
          const v = rng.int(view.vms.length);
          const from = plan.vmHost[v]!;
          if (from < 0) continue;
          plan.remove(v, from);
          const want = reference(plan, v, excluded, ctx);
          expect(pabfd.find(plan, v, excluded, ctx), `seed ${seed}, vm ${v}`).toBe(want);
          plan.add(v, want >= 0 ? want : from);
          if (want >= 0) placed++;
          // the sets grow during a decision (and a HostSet remembers what it excluded)
          if (rng.next() < 0.7) excluded.add(rng.int(view.hosts.length));
          if (rng.next() < 0.05) excluded.delete(rng.int(view.hosts.length));
        }
      }
    }
    expect(placed).toBeGreaterThan(500);
  });
});

describe('plannedIndex (PABFD with the planned load)', () => {
  /** Its bits against the plan: a class member is to visit exactly when its allocated MIPS are not 0. */
  function checkIndex(plan: Plan): void {
    const index = plannedIndex(plan);
    const inClass = new Set<number>();
    index.members.forEach((members, c) =>
      members.forEach((h, i) => {
        inClass.add(h);
        expect((index.empty[c]![i >>> 5]! >>> (i & 31)) & 1, `host ${h}`).toBe(plan.allocated[h] === 0 ? 1 : 0);
        expect(plan.mipsPerCore[h]).toBe(index.mipsPerCore[c]);
      }),
    );
    for (let h = 0; h < plan.capacity.length; h++)
      expect((index.visit[h >>> 5]! >>> (h & 31)) & 1, `host ${h}`).toBe(!inClass.has(h) || plan.allocated[h] !== 0 ? 1 : 0);
  }

  it('follows the plan and finds what the plain scan finds on larger clusters emptied and refilled, with growing exclusions and NIC avoidance', () => {
    let placed = 0;
    let emptied = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const view = randomView(5000 + seed, 150);
      // Whole MIPS: with this many moves, sums of fractional ones leave hosts at -1e-17 MIPS (out of the power models' range).
      for (const vm of view.vms) (vm as { mips: number }).mips = Math.round(vm.mips);
      const H = view.hosts.length;
      const rng = createRng(7000 + seed);
      const detector =
        seed % 2 === 0
          ? staticThreshold(0.8)
          : localRegression({ safety: 1.2, window: 10, minHistory: 10, weighting: 'none', robust: false, fallback: staticThreshold(0.7) });
      const ctx: PlacementContext = { detector, checkMemory: seed % 3 === 0, load: 'planned' };
      const plan = new Plan(view);
      const busy = new Uint8Array(H).map(() => (rng.next() < 0.2 ? 1 : 0));
      const avoid = seed % 4 === 1 ? (_: Plan, h: number) => busy[h] === 1 : undefined;
      const pabfd = powerAwareBestFit(avoid);
      if (seed % 5 !== 0) checkIndex(plan); // (or built at the first search)
      // Consolidation excludes the switched-off hosts and then each host it empties.
      const excluded = seed % 2 === 0 ? new HostSet(H, view.hosts.filter((h) => h.utilisationNow === 0).map((h) => h.index)) : new Set<number>();
      for (let k = 0; k < 60; k++) {
        if (rng.next() < 0.15) {
          // Empty a host (its VMs wait aside, then are placed one by one below).
          const h = rng.int(H);
          for (const v of [...plan.hostVms[h]!]) plan.remove(v, h);
          emptied++;
        }
        const v = rng.int(view.vms.length);
        const from = plan.vmHost[v]!;
        if (from >= 0) plan.remove(v, from);
        const want = reference(plan, v, excluded, ctx, avoid);
        expect(pabfd.find(plan, v, excluded, ctx), `seed ${seed}, vm ${v}`).toBe(want);
        const to = want >= 0 ? want : from >= 0 ? from : rng.int(H);
        plan.add(v, to);
        if (want >= 0) placed++;
        if (rng.next() < 0.5) excluded.add(rng.int(H));
        if (rng.next() < 0.03) excluded.delete(rng.int(H));
        if (k % 10 === 0) checkIndex(plan);
      }
      checkIndex(plan);
    }
    expect(placed).toBeGreaterThan(2000);
    expect(emptied).toBeGreaterThan(500);
  });
});
