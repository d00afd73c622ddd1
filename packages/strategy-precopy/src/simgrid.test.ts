/**
 * External check: livemig configured with SimGrid 3.32's assumptions reproduces the 18
 * migrations measured with SimGrid (experiments/reproductions/simgrid-3.32-precopy-cm02.csv)
 * within 0.1 % on total time, downtime, rounds and bytes.
 *
 * The mapping: fluid engine; the `sequential` workload, whose distinct pages after t seconds
 * are min(intensity × migration speed × t, working set) as in SimGrid; the `simgrid` stop
 * condition (remaining bytes <= last transfer's bandwidth × 0.03 s); CM02 network: rate = link
 * bandwidth, one latency per message; one more latency at the end (the final acknowledgement),
 * modelled as the release cost. SimGrid's "precopy_rounds" excludes its stage 1 (our first pass).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { createRng, resolveOptions, simulateMigration } from '@livemig/core';
import { stopCondition } from '@livemig/stop-conditions';
import { sequential } from '@livemig/workloads';
import { precopy } from './index.js';

interface Row {
  ram_gib: number;
  bw_Bps: number;
  lat_s: number;
  intensity: number;
  mig_speed_Bps: number;
  ws_frac: number;
  mig_time_s: number;
  downtime_s: number;
  precopy_rounds: number;
  bytes_total: number;
}

const csv = readFileSync(new URL('../../../experiments/reproductions/simgrid-3.32-precopy-cm02.csv', import.meta.url));
const rows = parse(csv, { columns: true, cast: true }) as Row[];
const TOLERANCE = 0.001;

/** Run one SimGrid row with livemig. */
function simgridRow(r: Row) {
  const memory_bytes = r.ram_gib * 2 ** 30;
  const pageSize_bytes = 4096;
  const workload = sequential.create(
    resolveOptions(sequential, { intensity: r.intensity, migrationSpeed: `${r.mig_speed_Bps} B/s`, workingSetFraction: r.ws_frac }, 'workload.options'),
    { pageCount: memory_bytes / pageSize_bytes, pageSize_bytes, rng: createRng(0) },
  );
  return simulateMigration({
    vm: { id: 'vm', memory_bytes, pageSize_bytes, vcpus: 1 },
    strategy: precopy.create(resolveOptions(precopy, {}, 'strategy.options'), {} as never),
    stop: stopCondition('simgrid'),
    workload,
    fidelity: 'fluid',
    bandwidth_Bps: r.bw_Bps,
    latency_s: r.lat_s,
    costs: { release_s: r.lat_s },
    rng: createRng(0),
  }).metrics;
}

describe('SimGrid 3.32 reproduction (18 rows, tolerance 0.1 %)', () => {
  it('has the 18 rows', () => expect(rows).toHaveLength(18));
  for (const r of rows) {
    it(`${r.ram_gib} GiB, ${r.bw_Bps} B/s, intensity ${r.intensity}`, () => {
      const m = simgridRow(r);
      const dev = (ours: number, ref: number) => Math.abs(ours - ref) / ref;
      expect(dev(m.total_time_s, r.mig_time_s), `total time ${m.total_time_s} vs ${r.mig_time_s}`).toBeLessThanOrEqual(TOLERANCE);
      expect(dev(m.downtime_s, r.downtime_s), `downtime ${m.downtime_s} vs ${r.downtime_s}`).toBeLessThanOrEqual(TOLERANCE);
      expect(dev(m.bytes_sent, r.bytes_total), `bytes ${m.bytes_sent} vs ${r.bytes_total}`).toBeLessThanOrEqual(TOLERANCE);
      expect(m.rounds - 1).toBe(r.precopy_rounds);
    });
  }
});
