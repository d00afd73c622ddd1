// Reproduction of Clark et al., "Live Migration of Virtual Machines", NSDI 2005, Figure 8 (web
// server, 100 clients; the shared reference literature.json case clark2005-specweb-100clients).
// Inputs and assumptions: experiments/reproductions/clark2005-specweb-100clients.md.
// Tolerances as suggested by the case: downtime ±20 %, durations ±10 %, throughputs ±5 %.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../src/plan.js';
import { compileConfig, loadPlugins, runWithTimeline } from '../src/simulate.js';

const FILE = fileURLToPath(new URL('../../../experiments/reproductions/clark2005-specweb-100clients.json', import.meta.url));
const Mbit = (Bps: number) => (Bps * 8) / 1e6;

/** The first run of the experiment, cut into rounds at the latency gaps (migration rate 0) that start each pass. */
async function reproduce() {
  const plan = await buildPlan(FILE);
  const run = plan.runs[0]!;
  const config = plan.configs[run.configIndex]!;
  const r = runWithTimeline(config, compileConfig(config, await loadPlugins(plan.refs)), run.seed, run.replication, true);
  const rounds: (typeof r.timeline)[number][][] = [];
  for (const s of r.timeline.filter((x) => x.phase === 'precopy')) {
    if (s.migration_Bps === 0) rounds.push([]);
    else rounds[rounds.length - 1]!.push(s);
  }
  const dur = (ss: typeof rounds[number]) => ss.reduce((a, s) => a + s.duration_s, 0);
  const mean = (ss: typeof rounds[number]) => ss.reduce((a, s) => a + s.duration_s * s.service_Bps, 0) / dur(ss);
  const later = rounds.slice(1).flat();
  return {
    metrics: r.metrics,
    firstPass_s: dur(rounds[0]!),
    firstPassService_Mbit_s: Mbit(mean(rounds[0]!)),
    later_s: dur(later),
    laterService_Mbit_s: Mbit(mean(later)),
    // Without a migration the service sends at min(demand, NIC).
    before_Mbit_s: Mbit(Math.min(config.scenario.service!.demand, config.scenario.service!.nic ?? Infinity)),
  };
}

const deviation = (got: number, published: number) => (got - published) / published;

describe('Clark et al. 2005, web server with 100 clients (Figure 8)', async () => {
  const r = await reproduce();
  // Measured (seed 2005, replication 0): first pass 63.7 s, 765 Mbit/s; later rounds 9.7 s, 761 Mbit/s; downtime 169 ms.
  console.log(
    `clark2005-specweb-100clients: first pass ${r.firstPass_s.toFixed(2)} s (${(100 * deviation(r.firstPass_s, 62)).toFixed(1)} %), ` +
      `${r.firstPassService_Mbit_s.toFixed(1)} Mbit/s (${(100 * deviation(r.firstPassService_Mbit_s, 765)).toFixed(1)} %); ` +
      `later rounds ${r.later_s.toFixed(2)} s (${(100 * deviation(r.later_s, 9.8)).toFixed(1)} %), ${r.laterService_Mbit_s.toFixed(1)} Mbit/s (${(100 * deviation(r.laterService_Mbit_s, 694)).toFixed(1)} %); ` +
      `downtime ${(r.metrics.downtime_s * 1e3).toFixed(1)} ms (${(100 * deviation(r.metrics.downtime_s, 0.165)).toFixed(1)} %)`,
  );

  it('the migration completes and the service is at 870 Mbit/s outside the migration', () => {
    expect(r.metrics.status).toBe('completed');
    expect(r.before_Mbit_s).toBeCloseTo(870, 6);
  });
  it('first pre-copy pass: 62 s ± 10 %', () => expect(Math.abs(deviation(r.firstPass_s, 62))).toBeLessThanOrEqual(0.1));
  it('service during the first pass: 765 Mbit/s ± 5 % (calibrated: cpuCostPerMigrationByte 0.05 is fitted to it)', () =>
    expect(Math.abs(deviation(r.firstPassService_Mbit_s, 765))).toBeLessThanOrEqual(0.05));
  it('later rounds: 9.8 s ± 10 %', () => expect(Math.abs(deviation(r.later_s, 9.8))).toBeLessThanOrEqual(0.1));
  it('downtime: 165 ms ± 20 %', () => expect(Math.abs(deviation(r.metrics.downtime_s, 0.165))).toBeLessThanOrEqual(0.2));
  it('OPEN DEVIATION: service during the later rounds is about 9 % above the published 694 Mbit/s (the 100 Mbit/s minimum rate holds round 2; see the .md)', () => {
    // Kept as a measured fact, not a pass: if a model change closes the gap this test says so.
    const d = deviation(r.laterService_Mbit_s, 694);
    expect(d).toBeGreaterThan(0.05);
    expect(d).toBeLessThan(0.12);
  });
});
