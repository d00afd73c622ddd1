// Times simulateMigration on five single migrations, from a checkout's built packages, to compare
// two commits in one session (interleave the runs: the machines are shared and noisy).
//   node scripts/bench-single-migration.mjs <checkout, e.g. .> [--runs N] [--warmup N] [--only case]
// Prints JSON: per case the median, p10 and p90 µs per migration, and its metrics (which must agree).
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const wt = resolve(args[0] ?? '.');
const opt = (k, d) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
const RUNS = Number(opt('--runs', 300));
const WARM = Number(opt('--warmup', 50));
const ONLY = opt('--only', null);
const imp = (p) => import(pathToFileURL(`${wt}/packages/${p}/dist/index.js`).href);
const core = await imp('core');
const { stopCondition } = await imp('stop-conditions');
const { precopy } = await imp('strategy-precopy');
const { uniform, hotCold } = await imp('workloads');
const pc = existsSync(`${wt}/packages/strategy-postcopy/dist/index.js`) ? await imp('strategy-postcopy') : null;
const { createRng, resolveOptions, simulateMigration } = core;

const xen = stopCondition('xen');
const pre = precopy.create(resolveOptions(precopy, {}, 'strategy'), {});
const wlOpt = {
  uniform: resolveOptions(uniform, { rate: '100 MiB/s', workingSet: '512 MiB' }, 'w'),
  hotcold: resolveOptions(hotCold, { rate: '100 MiB/s', workingSet: '512 MiB' }, 'w'),
  pe: resolveOptions(uniform, { rate: '50 MiB/s', workingSet: '128 MiB' }, 'w'),
};
const wlOf = { uniform, hotcold: hotCold, pe: uniform };

function migrate({ mem, fidelity, wl, strategy }) {
  const pageSize_bytes = 4096;
  const ctx = { pageCount: mem / pageSize_bytes, pageSize_bytes, rng: createRng(1) };
  return simulateMigration({
    vm: { id: 'vm', memory_bytes: mem, pageSize_bytes, vcpus: 1 },
    strategy, stop: xen, workload: wlOf[wl].create(wlOpt[wl], ctx), fidelity,
    bandwidth_Bps: 1.25e8, latency_s: 1e-4, pageCosts: { header_bytes: 8 }, rng: createRng(2),
  }).metrics;
}

const GiB = 2 ** 30, MiB = 2 ** 20;
const cases = [
  ['fluid-precopy-1GiB-uniform', { mem: GiB, fidelity: 'fluid', wl: 'uniform', strategy: pre }, 1],
  ['fluid-precopy-1GiB-hotcold', { mem: GiB, fidelity: 'fluid', wl: 'hotcold', strategy: pre }, 1],
  ['pageexact-precopy-256MiB', { mem: 256 * MiB, fidelity: 'page-exact', wl: 'pe', strategy: pre }, 0.3],
];
if (pc) {
  cases.push(['fluid-postcopy-1GiB-uniform', { mem: GiB, fidelity: 'fluid', wl: 'uniform', strategy: pc.postcopy.create(resolveOptions(pc.postcopy, {}, 's'), {}) }, 1]);
  cases.push(['fluid-hybrid-1GiB-uniform', { mem: GiB, fidelity: 'fluid', wl: 'uniform', strategy: pc.hybrid.create(resolveOptions(pc.hybrid, {}, 's'), {}) }, 1]);
}

let sink = 0;
const out = {};
for (const [name, c, scale] of cases) {
  if (ONLY && name !== ONLY) continue;
  const warm = WARM, runs = Math.max(30, Math.round(RUNS * scale));
  for (let i = 0; i < warm; i++) sink += migrate(c).total_time_s;
  const t = new Float64Array(runs);
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const m = migrate(c);
    t[i] = Number(process.hrtime.bigint() - t0) / 1e3;
    sink += m.total_time_s;
  }
  t.sort();
  const m = migrate(c);
  out[name] = { median_us: t[runs >> 1], p10_us: t[Math.floor(runs * 0.1)], p90_us: t[Math.floor(runs * 0.9)], runs,
    metrics: { downtime_s: m.downtime_s, total_time_s: m.total_time_s, bytes_sent: m.bytes_sent, rounds: m.rounds, status: m.status } };
}
console.log(JSON.stringify({ wt, node: process.version, sink: sink > 0, cases: out }));
