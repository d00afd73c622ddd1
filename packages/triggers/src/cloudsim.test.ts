/**
 * CloudSim 4.0 comparison on PlanetLab day 20110303 (1052 VMs, 800 hosts, 24 h), cloudsim mode.
 * Reference figures measured with CloudSim 4.0 (the project brief, MODEL.md): THR-MMT-0.8 198.1 kWh and
 * 27 728 migrations; LR-MMT-1.2 167.8 kWh and 27 649 migrations. Those runs take the VM type from
 * `File.listFiles()` order (the file system's directory order); livemig sorts the traces by name,
 * and CloudSim 4.0 itself, given the files in sorted order, measures THR-MMT-0.8 192.62 kWh and
 * 26 711 migrations, LR-MMT-1.2 163.48 kWh and 27 859 migrations. The bounds compare with those.
 * SLATAH and PDM (CloudSim's pooled formulas) of those sorted-order runs: THR 4.913 % and 0.0646 %,
 * LR 5.858 % and 0.0793 %.
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

describe('CloudSim 4.0, PlanetLab 20110303 (traces in name order)', () => {
  it('has the 1052 VMs of the day', () => expect(day.vms.length).toBe(1052));

  it('LR-MMT-1.2: 532 VMs end; energy within 2 % of 163.48 kWh, migrations within 3 % of 27 859, SLATAH within 15 % of 5.858 %, PDM within 8 % of 0.0793 %', () => {
    const m = run(lr.create(resolveOptions(lr, { ...cloudsimTriggerOptions, weighting: 'none' }, 'trigger'), ctx));
    console.log(`LR-MMT-1.2: ${m.energy_kWh.toFixed(1)} kWh (${(100 * rel(m.energy_kWh, 163.48)).toFixed(1)} %), ${m.migrations} migrations (${(100 * rel(m.migrations, 27_859)).toFixed(1)} %)`);
    expect(m.vmsEnded).toBe(532);
    expect(Math.abs(rel(m.energy_kWh, 163.48))).toBeLessThan(0.02);
    expect(Math.abs(rel(m.migrations, 27_859))).toBeLessThan(0.03);
    // measured −9.5 % and −5.6 %: the SLA accounting is CloudSim's, the decisions differ a little
    expect(Math.abs(rel(m.slatah_pooled, 0.05857948))).toBeLessThan(0.15);
    expect(Math.abs(rel(m.pdm_pooled, 0.00079275))).toBeLessThan(0.08);
  });

  it('THR-MMT-0.8: energy within 2 % of 192.62 kWh, migrations within 3 % of 26 711, SLATAH within 15 % of 4.913 %, PDM within 8 % of 0.0646 %', () => {
    const m = run(thr.create(resolveOptions(thr, { ...cloudsimTriggerOptions }, 'trigger'), ctx));
    console.log(`THR-MMT-0.8: ${m.energy_kWh.toFixed(1)} kWh (${(100 * rel(m.energy_kWh, 192.62)).toFixed(1)} %), ${m.migrations} migrations (${(100 * rel(m.migrations, 26_711)).toFixed(1)} %)`);
    expect(Math.abs(rel(m.energy_kWh, 192.62))).toBeLessThan(0.02);
    expect(Math.abs(rel(m.migrations, 26_711))).toBeLessThan(0.03);
    // measured −12.9 % and −5.2 %
    expect(Math.abs(rel(m.slatah_pooled, 0.04913283))).toBeLessThan(0.15);
    expect(Math.abs(rel(m.pdm_pooled, 0.00064637))).toBeLessThan(0.08);
  });
});
