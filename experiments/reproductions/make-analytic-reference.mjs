// Writes analytic-precopy.reference.csv and analytic-precopy-page-exact.reference.csv: the closed
// form of the geometric-series pre-copy model (Liu et al. 2011; Akoush et al. 2010) for every run
// of the two experiment files (grid read from the files themselves, units parsed by @livemig/core).
//
// Model: memory V (bytes), link rate R (bytes/s), constant dirty rate D (bytes/s), λ = D/R < 1.
// Round 0 sends V in V/R; round i sends what was written during round i−1: V_i = V·λ^i, in
// T_i = V_i/R. Pre-copy stops after n live rounds, n = min(⌈log_λ(V_th/V)⌉, n_max) — the first n
// with V·λ^n < V_th (strict, as livemig's dirty-pages-below; no grid point sits on equality) —
// and V_n is sent while the VM is paused:
//   total time = (V/R)·(1 − λ^(n+1))/(1 − λ)     bytes = V·(1 − λ^(n+1))/(1 − λ)
//   downtime   = V·λ^n / R                       rounds = n (livemig counts the first full pass)
// λ = 1 is the limit (n + 1)·V/R. No fixed costs, no latency, no page headers (the model has none).
//
// Tolerances: fluid engine 0.1 % (the two should agree to rounding); page-exact engine: 0.1 % on
// total time and bytes, and on downtime one page per round carried forward, 1/(1 − λ) pages at R
// (each round's dirty count is a whole number of writes, so it differs from λ × the previous count
// by less than one page; that error decays by λ per round); rounds exact.
// Run from the repository root after `npm run build`: node experiments/reproductions/make-analytic-reference.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { parseBytes, parseRate } from '@livemig/core';

const dir = new URL('.', import.meta.url);
const source = 'closed form, Liu et al. 2011 / Akoush et al. 2010 (make-analytic-reference.mjs)';

/** The closed form for one run. */
export function geometric({ V, R, lambda, thresholdBytes, maxRounds }) {
  let n = maxRounds;
  if (lambda < 1) {
    const x = Math.log(thresholdBytes / V) / Math.log(lambda);
    if (Math.abs(x - Math.round(x)) < 1e-9) throw new Error(`V·λ^n hits the threshold exactly (n = ${x}): pick another grid point`);
    n = Math.min(Math.ceil(x), maxRounds);
  }
  const sum = (k) => (lambda === 1 ? k + 1 : (1 - lambda ** (k + 1)) / (1 - lambda));
  return { n, total_s: (V / R) * sum(n), downtime_s: (V * lambda ** n) / R, bytes: V * sum(n) };
}

function write(name) {
  const e = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8'));
  const p = e.sweep?.params ?? {};
  const memories = (p['scenario.vm.memory'] ?? [e.scenario.vm.memory]).map((m) => parseBytes(m));
  const links = p['scenario.network.bandwidth, workload.options.migrationSpeed'] ?? [[e.scenario.network.bandwidth, e.workload.options.migrationSpeed]];
  const intensities = p['workload.options.intensity'] ?? [e.workload.options.intensity];
  const pageSize = parseBytes(e.scenario.vm.pageSize);
  const [below, cap] = e.stop.any;
  if (below.use !== 'dirty-pages-below' || cap.use !== 'max-rounds') throw new Error(`${name}: expected stop any(dirty-pages-below, max-rounds)`);
  const exact = e.fidelity === 'page-exact';
  const out = [];
  for (const V of memories)
    for (const [bw, speed] of links) {
      const R = parseRate(bw);
      if (parseRate(speed) !== R) throw new Error(`${name}: migrationSpeed must equal the bandwidth so that intensity = D/R`);
      for (const lambda of intensities) {
        const g = geometric({ V, R, lambda, thresholdBytes: below.options.pages * pageSize, maxRounds: cap.options.rounds });
        const id = `${V / 2 ** 30} GiB, ${R * 8e-9} Gbit/s, D/R ${lambda}`;
        const where = [p['scenario.vm.memory'] && `vm_memory_bytes=${V}`, p['scenario.network.bandwidth, workload.options.migrationSpeed'] && `network_bandwidth_Bps=${R}`, `workload_intensity=${lambda}`]
          .filter(Boolean)
          .join('; ');
        const downTol = exact ? String(Number(((1 / (1 - lambda)) * pageSize / R).toPrecision(3))) : '0.1%';
        const downSrc = exact ? `${source}; tolerance 1/(1 - D/R) pages at R (integer writes per round)` : source;
        out.push([id, where, 'total_time_s', String(g.total_s), '0.1%', source]);
        out.push([id, where, 'downtime_s', String(g.downtime_s), downTol, downSrc]);
        out.push([id, where, 'bytes_sent', String(g.bytes), '0.1%', source]);
        out.push([id, where, 'rounds', String(g.n), '0', `${source}: n = min(ceil(log_(D/R)(V_th/V)), ${cap.options.rounds})`]);
      }
    }
  writeFileSync(new URL(`${name}.reference.csv`, dir), stringify(out, { header: true, columns: ['case', 'where', 'metric', 'reference', 'tolerance', 'source'] }));
}

write('analytic-precopy');
write('analytic-precopy-page-exact');
