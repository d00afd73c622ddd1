/**
 * CloudSim 4.0 comparison on PlanetLab day 20110303 (1052 VMs, 800 hosts, 24 h), cloudsim mode.
 * Reference figures measured with CloudSim 4.0 (the project brief, MODEL.md): THR-MMT-0.8 198.1 kWh and
 * 27 728 migrations; LR-MMT-1.2 167.8 kWh and 27 649 migrations. The bounds bracket what this
 * implementation measures today (regression pins of an open deviation, not agreement); the README
 * explains what is reproduced and what is not.
 */
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '@livemig/core';
import { loadDay } from '@livemig/data-planetlab';
import { cloudsimCompat, cloudsimHosts, cloudsimTriggerOptions, cloudsimVms, lr, simulateCluster, thr } from './index.js';

const ctx = { rng: () => { throw new Error('no rng needed'); } } as never;
const day = loadDay('20110303');
const run = (trigger: ReturnType<typeof thr.create>) =>
  simulateCluster({ hosts: cloudsimHosts(800), vms: cloudsimVms(day.vms), trigger, ...cloudsimCompat, duration_s: 86_400 }).metrics;
const rel = (x: number, ref: number) => (x - ref) / ref;

describe('CloudSim 4.0, PlanetLab 20110303', () => {
  it('has the 1052 VMs of the day', () => expect(day.vms.length).toBe(1052));

  // Open deviation (README): with CloudSim's completed-VM removal both energies come out low
  // (fewer hosts on than CloudSim keeps), and LR migrates about half as often. The bounds pin the
  // measured values with a small margin so that any change in behaviour shows up here.
  it('LR-MMT-1.2: 532 VMs end; energy −28.4 % of 167.8 kWh (within −31 … −25 %), migrations 0.479× of 27 649 (within 0.45 … 0.51×)', () => {
    const m = run(lr.create(resolveOptions(lr, { ...cloudsimTriggerOptions, weighting: 'none' }, 'trigger'), ctx));
    console.log(`LR-MMT-1.2: ${m.energy_kWh.toFixed(1)} kWh (${(100 * rel(m.energy_kWh, 167.8)).toFixed(1)} %), ${m.migrations} migrations (${(m.migrations / 27_649).toFixed(3)}×)`);
    expect(m.vmsEnded).toBe(532);
    expect(rel(m.energy_kWh, 167.8)).toBeGreaterThan(-0.31);
    expect(rel(m.energy_kWh, 167.8)).toBeLessThan(-0.25);
    expect(m.migrations / 27_649).toBeGreaterThan(0.45);
    expect(m.migrations / 27_649).toBeLessThan(0.51);
  });

  it('THR-MMT-0.8: migrations within 5 % of 27 728 (measured −3.5 %); energy −37.9 % of 198.1 kWh (within −41 … −35 %)', () => {
    const m = run(thr.create(resolveOptions(thr, { ...cloudsimTriggerOptions }, 'trigger'), ctx));
    console.log(`THR-MMT-0.8: ${m.energy_kWh.toFixed(1)} kWh (${(100 * rel(m.energy_kWh, 198.1)).toFixed(1)} %), ${m.migrations} migrations (${(100 * rel(m.migrations, 27_728)).toFixed(1)} %)`);
    expect(Math.abs(rel(m.migrations, 27_728))).toBeLessThan(0.05);
    expect(rel(m.energy_kWh, 198.1)).toBeGreaterThan(-0.41);
    expect(rel(m.energy_kWh, 198.1)).toBeLessThan(-0.35);
  });
});
