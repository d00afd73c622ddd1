/**
 * Throughput of `livemig run` on fluid pre-copy runs (Xen stop conditions), for 1 and 2 worker
 * threads: the built CLI (`npm run build` first) in a child process, so each figure includes
 * process and worker start-up (about 1 s each: mathjs), planning and writing runs.csv.
 * Each iteration runs RUNS migrations; runs/s = RUNS × the reported hz.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bench, describe } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'livemig-bench-'));
const rates = Array.from({ length: 40 }, (_, i) => `${10 * (i + 1)} MiB/s`);
const bandwidths = ['1 Gbit/s', '2.5 Gbit/s', '10 Gbit/s', '25 Gbit/s', '40 Gbit/s'];
const REPLICATIONS = 50;
export const RUNS = rates.length * bandwidths.length * 2 * REPLICATIONS; // 20000
const file = join(dir, 'bench.json');
writeFileSync(
  file,
  JSON.stringify({
    name: 'bench',
    seed: 1,
    replications: REPLICATIONS,
    fidelity: 'fluid',
    scenario: { vm: { memory: '4 GiB' }, network: { bandwidth: '1 Gbit/s', latency: '0.1 ms' } },
    workload: { use: 'hot-cold', options: { rate: '50 MiB/s', workingSet: '1 GiB' } },
    strategy: 'precopy',
    stop: 'xen',
    sweep: { params: { 'scenario.network.bandwidth': bandwidths, 'workload.options.rate': rates, stop: ['xen', { use: 'xen', options: { rounds: 10 } }] } },
  }),
);

let out = 0;
describe(`livemig run, ${RUNS} fluid pre-copy runs per iteration (CLI: plan, workers, runs.csv, reports)`, () => {
  for (const workers of [1, 2]) {
    bench(`${workers} worker${workers > 1 ? 's' : ''}`, () => {
      const r = spawnSync(process.execPath, [CLI, 'run', file, '--out', join(dir, `out-${out++}`), '--workers', String(workers), '--quiet'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
    }, { iterations: 2, warmupIterations: 0, time: 0 });
  }
});
