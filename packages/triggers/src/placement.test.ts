/** PABFD against the plain scan it replaces (every host, the power model called through the view). */
import { describe, expect, it } from 'vitest';
import { createRng } from '@livemig/core';
import { HostSet, hpProLiantMl110G4, hpProLiantMl110G5, linearPowerModel, localRegression, overloadedWith, Plan, powerAwareBestFit, staticThreshold, type PlacementContext, type SimClusterView } from './index.js';

/** The scan as it was written before the fast paths: first host of least rise in power, not overloaded with the VM. */
function reference(plan: Plan, v: number, excluded: ReadonlySet<number>, ctx: PlacementContext): number {
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

function randomView(seed: number): SimClusterView {
  const rng = createRng(seed);
  const models = [hpProLiantMl110G4, hpProLiantMl110G5, linearPowerModel(90, 120)];
  const H = 5 + rng.int(40);
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
