import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { resolveOptions, type TriggerPolicy } from '@livemig/core';
import { precopy } from '@livemig/strategy-precopy';
import { stopCondition } from '@livemig/stop-conditions';
import { CLOUDSIM_MB, evacuate, cloudsimCompat, cloudsimHosts, cloudsimTriggerOptions, hpProLiantMl110G4, lr, simulateCluster, thr, type ClusterHost, type ClusterVm } from './index.js';

const ctx = { rng: () => { throw new Error('no rng needed'); } } as never;
const noop: TriggerPolicy = { decide: () => [] };
const flat = (u: number, n = 12): Float64Array => new Float64Array(n).fill(u);
const g5 = (n: number): ClusterHost[] => cloudsimHosts(2 * n).filter((_, i) => i % 2 === 1);
const vm = (mips: number, ram_MB: number, u: number, n = 12): ClusterVm => ({ id: `vm-${mips}-${ram_MB}`, mips, vcpus: 1, memory_bytes: ram_MB * CLOUDSIM_MB, utilisation: flat(u, n) });
const thrPolicy = (o: Record<string, unknown> = {}) => thr.create(resolveOptions(thr, o, 'trigger'), ctx);

describe('energy and SLA accounting', () => {
  it('one G4 host at 20 % for an hour draws 92.6 W → 0.0926 kWh; an empty host draws nothing', () => {
    const host: ClusterHost = { ...cloudsimHosts(1)[0]!, power: hpProLiantMl110G4 };
    // 1000 MIPS × 0.744 = 744 MIPS = 20 % of 2 × 1860 MIPS
    const r = simulateCluster({ hosts: [host, host], vms: [vm(1000, 1740, 0.744)], trigger: noop, placement: [0] });
    expect(r.metrics.energy_kWh).toBeCloseTo(0.0926, 9);
    expect(r.metrics.slatah).toBe(0);
    expect(r.metrics.migrations).toBe(0);
  });
  it('a host whose VMs ask for more than its capacity is at 100 % all its active time', () => {
    const hosts = cloudsimHosts(2).slice(0, 1); // one G4: 3720 MIPS, 1860 per core
    const r = simulateCluster({ hosts, vms: [vm(2000, 870, 1), vm(2000, 870, 1)], trigger: noop, placement: [0, 0] });
    expect(r.metrics.slatah).toBe(1);
    expect(r.metrics.energy_kWh).toBeCloseTo(0.117, 9); // 117 W at 100 % for 1 h
  });
});

describe('CloudSim quirks (cloudsimCompat)', () => {
  it('a VM ends at the first decision where its demand is exactly 0; with decisions at 300k + 0.1 s that takes two zero samples in a row', () => {
    const trace = (u: number[]): Float64Array => Float64Array.from(u);
    const vms: ClusterVm[] = [
      { id: 'two-zeros', mips: 1000, vcpus: 1, memory_bytes: 613 * CLOUDSIM_MB, utilisation: trace([0.5, 0.5, 0, 0, 0.5, 0.5]) },
      { id: 'one-zero', mips: 1000, vcpus: 1, memory_bytes: 613 * CLOUDSIM_MB, utilisation: trace([0.5, 0, 0.5, 0.5, 0.5, 0.5]) },
    ];
    const shifted = simulateCluster({ hosts: g5(2), vms, trigger: noop, placement: [0, 1], decisionOffset_s: 0.1, endVmsAtZeroDemand: true });
    // at 600.1 s: u = 0 + (0 − 0) · 0.1/300 = 0 → ends; at 300.1 s the one-zero VM asks 0.5 · 0.1/300 > 0
    expect(shifted.metrics.vmsEnded).toBe(1);
    expect(shifted.placement).toEqual([-1, 1]);
    const exact = simulateCluster({ hosts: g5(2), vms, trigger: noop, placement: [0, 1], endVmsAtZeroDemand: true });
    // at exactly 300 s the one-zero VM asks 0 and ends as well
    expect(exact.metrics.vmsEnded).toBe(2);
    expect(exact.placement).toEqual([-1, -1]);
  });
  it("initial placement 'cloudsim' (CloudSim 3.0) sees every host at 0 %: first fit within the cheapest host type; 'pabfd' (CloudSim 4.0) counts what it placed", () => {
    // hosts: G4, G5, G4, G5. 2500-MIPS VMs fit no G4 core (1860 MIPS). From idle, a 500-MIPS VM
    // raises a G5 by 3.10 W (93.7 → 96.80) and a G4 by 4.50 W (86 → 90.50), so G5 wins too.
    const vms = [vm(2500, 870, 0.1), vm(2500, 870, 0.1), vm(2500, 870, 0.1), vm(500, 613, 0.1)];
    const cs = simulateCluster({ hosts: cloudsimHosts(4), vms, trigger: noop, placement: 'cloudsim', duration_s: 300 });
    // host 1 takes two (5000 ≤ 5320 MIPS), the third opens host 3, the 500 joins it (host 1 has 320 MIPS left)
    expect(cs.placement).toEqual([1, 1, 3, 3]);
    // 'pabfd' counts what it placed: the second VM prefers the empty G5 (20.5 W) to host 1 (40.1 W)
    const pabfd = simulateCluster({ hosts: cloudsimHosts(4), vms, trigger: noop, placement: 'pabfd', duration_s: 300 });
    expect(pabfd.placement.slice(0, 2)).toEqual([1, 3]);
  });
});

describe('CloudSim energy accounting (energyFromFirstDecision)', () => {
  it('charges nothing before the first decision, like CloudSim whose hosts all start from 0 % there', () => {
    // one G5 at a flat 50 %: 116 W; with the option the first interval (0 … 300.1 s) is free
    const run = (energyFromFirstDecision: boolean) =>
      simulateCluster({ hosts: g5(1), vms: [vm(2660, 613, 1)], trigger: noop, placement: [0], decisionOffset_s: 0.1, duration_s: 900, energyFromFirstDecision }).metrics.energy_kWh;
    expect(run(false)).toBeCloseTo((116 * 900) / 3.6e6, 9);
    expect(run(true)).toBeCloseTo((116 * (900 - 300.1)) / 3.6e6, 9);
  });
});

describe('CloudSim migration costs', () => {
  it('moves 1740 MB in 1740 / 62.5 = 27.84 s and loses 10 % of the demand meanwhile', () => {
    let asked = false;
    const once: TriggerPolicy = { decide: () => (asked ? [] : ((asked = true), [{ vm: 0, to: 1, reason: 'test' }])) };
    const r = simulateCluster({ hosts: g5(2), vms: [vm(1000, 1740, 0.5)], trigger: once, placement: [0], recordMigrations: true, ...{ migration: cloudsimCompat.migration } });
    const [mig] = r.migrations;
    expect(mig!.start_s).toBe(300);
    expect(mig!.end_s - mig!.start_s).toBeCloseTo(27.84, 9);
    expect(r.placement).toEqual([1]);
    // PDM = 0.1 × 500 MIPS × 27.84 s ÷ (500 MIPS × 3600 s)
    expect(r.metrics.pdm).toBeCloseTo((0.1 * 27.84) / 3600, 12);
    expect(r.metrics.downtime_total_s).toBe(0);
  });

  it('slaCountsIncoming: the destination is in violation for the 27.84 s it receives the VM (CloudSim asks the full demand of it)', () => {
    const run = (slaCountsIncoming: boolean) => {
      let asked = false;
      const once: TriggerPolicy = { decide: () => (asked ? [] : ((asked = true), [{ vm: 0, to: 1, reason: 'test' }])) };
      return simulateCluster({ hosts: g5(2), vms: [vm(1000, 1740, 0.5)], trigger: once, placement: [0], slaCountsIncoming, ...{ migration: cloudsimCompat.migration } }).metrics;
    };
    expect(run(false).slatah_pooled).toBe(0);
    // host 0 on until the VM has left (327.84 s), host 1 from 300 s: 27.84 s saturated of 327.84 + 3300 s on
    const m = run(true);
    expect(m.slatah_pooled).toBeCloseTo(27.84 / (327.84 + 3300), 12);
    expect(m.slatah).toBeCloseTo((0 + 27.84 / 3300) / 2, 12);
  });
});

describe('policies in the loop', () => {
  it('THR-MMT moves the smallest-RAM VM off a host above 80 % to the host whose power rises least', () => {
    // G5 host 0: 2500 + 2000 MIPS requested = 4500 / 5320 = 0.846 > 0.8; MMT picks the 870 MB VM.
    const r = simulateCluster({
      hosts: g5(3),
      vms: [vm(2500, 870, 1), vm(2000, 1740, 1)],
      trigger: thrPolicy({ consolidation: false }),
      placement: [0, 0],
      recordMigrations: true,
    });
    expect(r.migrations[0]).toMatchObject({ vm: 0, from: 0, to: 1, reason: 'overload', start_s: 300 });
    expect(r.metrics.migrations).toBe(1);
  });
  it('consolidation packs three lightly loaded VMs onto one host and switches the others off', () => {
    // Host 0 is the least utilised (ties by index): its VM goes to host 1 (first of equal power rises);
    // then host 2 is emptied onto host 1, the only host left that is neither emptied nor off.
    const r = simulateCluster({ hosts: g5(3), vms: [vm(500, 613, 0.2), vm(500, 613, 0.2), vm(500, 613, 0.2)], trigger: thrPolicy(), placement: [0, 1, 2] });
    expect(r.placement).toEqual([1, 1, 1]);
    expect(r.metrics.migrations).toBe(2);
  });
  it('keeps every VM on exactly one host unless it ended, whatever the traces (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }), { minLength: 2, maxLength: 8 }),
        fc.constantFrom('thr', 'lr'),
        (traces, which) => {
          const vms = traces.map((t, i) => ({ id: `v${i}`, mips: [2500, 2000, 1000, 500][i % 4]!, vcpus: 1, memory_bytes: 613 * CLOUDSIM_MB, utilisation: Float64Array.from(t) }));
          const trigger = which === 'thr' ? thrPolicy(cloudsimTriggerOptions) : lr.create(resolveOptions(lr, { ...cloudsimTriggerOptions, minHistory: 3, window: 3 }, 't'), ctx);
          const hosts = cloudsimHosts(6);
          const r = simulateCluster({ hosts, vms, trigger, ...cloudsimCompat });
          // every VM is on a host, or has ended at zero demand (cloudsimCompat) and is on none
          expect(r.placement.every((h) => h >= -1 && h < hosts.length)).toBe(true);
          expect(r.placement.filter((h) => h === -1).length).toBe(r.metrics.vmsEnded);
          // energy is at most every host at full power (135 W) for the whole run
          expect(r.metrics.energy_kWh).toBeLessThanOrEqual((hosts.length * 135 * 8 * 300) / 3.6e6 + 1e-9);
          expect(r.metrics.slatah).toBeGreaterThanOrEqual(0);
          expect(r.metrics.slatah).toBeLessThanOrEqual(1);
          expect(r.metrics.migrations_completed).toBeLessThanOrEqual(r.metrics.migrations);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('copy strategies over the shared network', () => {
  it('two migrations sharing a NIC take twice as long as one alone (8 s → 16 s for 1 GB at 1 Gbit/s)', () => {
    const stop = stopCondition({ use: 'dirty-pages-below', options: { pages: 1 } });
    const strategy = precopy.create(resolveOptions(precopy, {}, 'strategy'), ctx);
    const both: TriggerPolicy = { decide: (v) => (v.now_s === 300 ? [{ vm: 0, to: 1, reason: 't' }, { vm: 1, to: 1, reason: 't' }] : []) };
    const idleVm = (id: string): ClusterVm => ({ id, mips: 500, vcpus: 1, memory_bytes: 1e9, utilisation: flat(0.1) });
    const run = (trigger: TriggerPolicy, vms: ClusterVm[]) =>
      simulateCluster({
        hosts: g5(2),
        vms,
        trigger,
        placement: vms.map(() => 0),
        recordMigrations: true,
        migration: { mode: 'strategy', strategy, stop, maxDirtyRate_pages_s: 0 },
      });
    // 1e9 bytes are 244 141 whole 4096-byte pages: 1 000 001 536 bytes at 125 MB/s
    const oneGB_s = (Math.ceil(1e9 / 4096) * 4096) / 125e6;
    const alone = run({ decide: (v) => (v.now_s === 300 ? [{ vm: 0, to: 1, reason: 't' }] : []) }, [idleVm('a')]);
    expect(alone.migrations[0]!.end_s - 300).toBeCloseTo(oneGB_s, 9);
    const shared = run(both, [idleVm('a'), idleVm('b')]);
    for (const m of shared.migrations) expect(m.end_s - 300).toBeCloseTo(2 * oneGB_s, 9);
    expect(shared.metrics.migration_bytes).toBe(2 * Math.ceil(1e9 / 4096) * 4096);
  });
  it('a guest dirtying memory faster than its share of the link does not converge', () => {
    const stop = stopCondition({ use: 'max-rounds', options: { rounds: 5 } });
    const strategy = precopy.create(resolveOptions(precopy, {}, 'strategy'), ctx);
    // 62.5 MB/s share vs 0.9 × 40 000 pages/s × 4096 B = 147 MB/s of writes
    const r = simulateCluster({
      hosts: g5(2),
      vms: [{ id: 'busy', mips: 500, vcpus: 1, memory_bytes: 1e9, utilisation: flat(0.9) }],
      trigger: { decide: (v) => (v.now_s === 300 ? [{ vm: 0, to: 1, reason: 't' }] : []) },
      placement: [0],
      migration: { mode: 'strategy', strategy, stop, maxDirtyRate_pages_s: 40_000, workingSetFraction: 1, bandwidthShare: 0.5 },
    });
    expect(r.metrics.migrations_nonConverged).toBe(1);
    expect(r.metrics.downtime_total_s).toBeGreaterThan(1);
  });
  it('a destination without free memory fails the migration, unless checkDestinationMemory is false (as the policy with checkMemory: false)', () => {
    const stop = stopCondition({ use: 'dirty-pages-below', options: { pages: 1 } });
    const strategy = precopy.create(resolveOptions(precopy, {}, 'strategy'), ctx);
    // Host 1 (4096 MB) already holds 3000 MB: 1740 MB more do not fit.
    const vms: ClusterVm[] = [vm(500, 1740, 0.1), vm(500, 3000, 0.1)];
    const run = (checkDestinationMemory?: boolean) =>
      simulateCluster({
        hosts: g5(2),
        vms,
        trigger: { decide: (v) => (v.now_s === 300 ? [{ vm: 0, to: 1, reason: 't' }] : []) },
        placement: [0, 1],
        migration: { mode: 'strategy', strategy, stop, maxDirtyRate_pages_s: 0 },
        ...(checkDestinationMemory === undefined ? {} : { checkDestinationMemory }),
      });
    const checked = run();
    expect([checked.metrics.migrations_failed, checked.metrics.migrations_completed, checked.placement[0]]).toEqual([1, 0, 0]);
    const unchecked = run(false);
    expect([unchecked.metrics.migrations_failed, unchecked.metrics.migrations_completed, unchecked.placement[0]]).toEqual([0, 1, 1]);
    // 1740e6 bytes = 424 805 whole pages (the last one partly used) at 125 MB/s
    expect(unchecked.metrics.migration_bytes).toBe(Math.ceil(1740e6 / 4096) * 4096);
  });
});

describe('migration slots per host (maxMigrationsPerHost)', () => {
  it('with one slot, two migrations into the same host run one after the other: the second waits 8 s, each takes 8 s at the full NIC', () => {
    const stop = stopCondition({ use: 'dirty-pages-below', options: { pages: 1 } });
    const strategy = precopy.create(resolveOptions(precopy, {}, 'strategy'), ctx);
    const both: TriggerPolicy = { decide: (v) => (v.now_s === 300 ? [{ vm: 0, to: 2, reason: 't' }, { vm: 1, to: 2, reason: 't' }] : []) };
    const idleVm = (id: string): ClusterVm => ({ id, mips: 500, vcpus: 1, memory_bytes: 1e9, utilisation: flat(0.1) });
    const run = (maxMigrationsPerHost?: number) =>
      simulateCluster({
        hosts: g5(3),
        vms: [idleVm('a'), idleVm('b')],
        trigger: both,
        placement: [0, 1],
        recordMigrations: true,
        ...(maxMigrationsPerHost ? { maxMigrationsPerHost } : {}),
        migration: { mode: 'strategy', strategy, stop, maxDirtyRate_pages_s: 0 },
      });
    const oneGB_s = (Math.ceil(1e9 / 4096) * 4096) / 125e6;
    const shared = run();
    for (const mig of shared.migrations) expect([mig.start_s, mig.end_s - 300, mig.wait_s]).toEqual([300, expect.closeTo(2 * oneGB_s, 9), 0]);
    const serial = run(1);
    const [first, second] = [...serial.migrations].sort((a, b) => a.end_s - b.end_s);
    expect(first!.end_s - 300).toBeCloseTo(oneGB_s, 9);
    expect(second!.wait_s).toBeCloseTo(oneGB_s, 9);
    expect(second!.end_s - second!.start_s).toBeCloseTo(oneGB_s, 9);
    expect(serial.metrics.migrationWait_total_s).toBeCloseTo(oneGB_s, 9);
    expect(serial.metrics.migrations_completed).toBe(2);
    expect(serial.placement).toEqual([2, 2]);
  });

  it('never runs more than the limit on a host and finishes every migration it starts (property over random requests)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 12 }), (limit, reqs) => {
        const strategy = precopy.create(resolveOptions(precopy, {}, 'strategy'), ctx);
        const stop = stopCondition({ use: 'dirty-pages-below', options: { pages: 1 } });
        const trigger: TriggerPolicy = { decide: (v) => (v.now_s === 300 ? reqs.map(([vm, to]) => ({ vm, to, reason: 't' })) : []) };
        const vms = Array.from({ length: 6 }, (_, i): ClusterVm => ({ id: `v${i}`, mips: 300, vcpus: 1, memory_bytes: 2e8 + i * 1e8, utilisation: flat(0.1, 24) }));
        const r = simulateCluster({ hosts: g5(4), vms, trigger, placement: [0, 0, 1, 1, 2, 3], recordMigrations: true, maxMigrationsPerHost: limit, migration: { mode: 'strategy', strategy, stop, maxDirtyRate_pages_s: 0 } });
        expect(r.migrations.length).toBe(r.metrics.migrations);
        expect(r.migrations.every((x) => x.status === 'completed' && x.wait_s >= 0)).toBe(true);
        // at any start time, the migrations running on each host are within the limit
        for (const a of r.migrations)
          for (const h of [a.from, a.to]) {
            const at = a.start_s + 1e-9;
            const busy = r.migrations.filter((b) => (b.from === h || b.to === h) && b.start_s <= at && b.end_s > at).length;
            expect(busy).toBeLessThanOrEqual(limit);
          }
      }),
      { numRuns: 40 },
    );
  });
});

describe('failures', () => {
  it('restarts the VMs of a failed host elsewhere; each lost VM costs at least detection + boot', () => {
    const r = simulateCluster({
      hosts: g5(4),
      vms: [vm(500, 613, 0.3, 48), vm(500, 613, 0.3, 48)],
      trigger: noop,
      placement: [0, 1],
      failures: { mtbf_s: 4 * 3600, mttr_s: 3600, detection_s: 30, boot_s: 60 },
      seed: 3,
    });
    expect(r.metrics.hostFailures).toBeGreaterThan(0);
    expect(r.metrics.vmHoursLost).toBeGreaterThanOrEqual(90 / 3600 - 1e-12);
    expect(r.placement.every((h) => h >= -1)).toBe(true);
  });

  it('replays a failure trace: VMs of the failed host are lost for detection + boot; announced 10 min ahead, the evacuate policy moves them first and nothing is lost', () => {
    const trace = [{ host: 0, at_s: 2000, repair_s: 3600 }];
    const run = (announce_s: number, trigger: TriggerPolicy) =>
      simulateCluster({
        hosts: g5(3),
        vms: [vm(500, 613, 0.3, 48), vm(500, 613, 0.3, 48)],
        trigger,
        placement: [0, 0],
        migration: cloudsimCompat.migration,
        failures: { trace, detection_s: 30, boot_s: 60, announce_s },
        recordMigrations: true,
      });
    const reactive = run(0, noop);
    expect(reactive.metrics.hostFailures).toBe(1);
    // two VMs, each down from the failure until restarted: 30 s detection + 60 s boot
    expect(reactive.metrics.vmHoursLost).toBeCloseTo((2 * 90) / 3600, 12);
    expect(reactive.placement.every((h) => h === 1 || h === 2)).toBe(true);
    const evac = evacuate.create(resolveOptions(evacuate, { evacuationLead: '10 min' }, 'trigger'), ctx);
    const proactive = run(600, evac);
    expect(proactive.metrics.hostFailures).toBe(1);
    expect(proactive.metrics.vmHoursLost).toBe(0);
    expect(proactive.migrations.map((x) => [x.from, x.reason, x.status])).toEqual([
      [0, 'evacuation', 'completed'],
      [0, 'evacuation', 'completed'],
    ]);
    // decided at the first decision within 10 min of the failure (1500 s), done before it (2000 s)
    expect(proactive.migrations.every((x) => x.start_s === 1500 && x.end_s < 2000)).toBe(true);
  });

  it('refuses a trace entry for a host that does not exist', () => {
    expect(() =>
      simulateCluster({ hosts: g5(2), vms: [vm(500, 613, 0.3)], trigger: noop, placement: [0], failures: { trace: [{ host: 5, at_s: 10, repair_s: 10 }] } }),
    ).toThrow(/failures.trace\[0\]: host 5 is not a host index/);
  });
});
