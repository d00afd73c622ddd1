// End-to-end tests of the built CLI (dist/cli.js) as a child process: run `npm run build` first.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'livemig-cli-'));

function livemig(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  return livemigIn(dir, ...args);
}
function livemigIn(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function livemigAsync(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [CLI, ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => res({ code, stdout, stderr }));
  });
}
const write = (name: string, doc: unknown): string => {
  const f = join(dir, name);
  writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
  return f;
};
const read = (...p: string[]) => readFileSync(join(dir, ...p), 'utf8');

const small = {
  name: 'small',
  seed: 3,
  replications: 1,
  scenario: { vm: { memory: '256 MiB' }, network: { bandwidth: '1 Gbit/s', latency: '0.1 ms' }, wire: { headerBytes: 8 } },
  workload: { use: 'hot-cold', options: { rate: '20 MiB/s' } },
  strategy: 'precopy',
  stop: 'xen',
  sweep: {
    params: {
      'scenario.network.bandwidth': ['1 Gbit/s', '10 Gbit/s'],
      'workload.options.rate': ['10 MiB/s', '200 MiB/s', '1 GiB/s'],
      'strategy, stop': [[{ use: 'stop-and-copy' }, 'xen'], ['precopy', 'xen'], ['precopy', { any: ['qemu', { use: 'max-rounds', options: { rounds: 5 } }] }]],
    },
  },
};

/** 10 configurations on the page-exact engine (slow enough to be killed or interrupted mid-sweep). */
const pageExactSweep = {
  ...small,
  fidelity: 'page-exact',
  scenario: { ...small.scenario, vm: { memory: '128 MiB' } },
  sweep: { params: { 'workload.options.rate': ['50 MiB/s', '100 MiB/s', '150 MiB/s', '200 MiB/s', '250 MiB/s'], strategy: ['precopy', 'stop-and-copy'] } },
};

describe('livemig run', () => {
  it('writes runs.csv, manifest, plan and reports that parse, one row per run in plan order', () => {
    const f = write('small.json', small);
    const r = livemig('run', f, '--out', 'out-w1', '--workers', '1', '--quiet');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = parse(read('out-w1', 'runs.csv'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2 * 3 * 3);
    expect(Object.keys(rows[0]!).slice(0, 9)).toEqual(['run_id', 'config_id', 'replication', 'seed', 'network_bandwidth_Bps', 'workload_rate_Bps', 'strategy', 'stop', 'workload']);
    expect(rows.map((x) => x.run_id)).toEqual(read('out-w1', 'plan.txt').trim().split('\n'));
    expect(new Set(rows.map((x) => x.network_bandwidth_Bps))).toEqual(new Set(['125000000', '1250000000']));
    expect(new Set(rows.map((x) => x.stop))).toEqual(new Set(['xen', 'any(qemu,max-rounds)']));
    for (const x of rows) {
      expect(x.status).toBe('completed');
      expect(Number(x.downtime_s)).toBeGreaterThan(0);
      expect(Number(x.bytes_sent)).toBeGreaterThanOrEqual(256 * 2 ** 20);
    }
    // Stop-and-copy sends each page once; its downtime is the whole copy.
    const sc = rows.find((x) => x.strategy === 'stop-and-copy' && x.network_bandwidth_Bps === '125000000')!;
    expect(Number(sc.downtime_s)).toBeCloseTo((65536 * (4096 + 8)) / 125e6 + 1e-4, 6);
    const manifest = JSON.parse(read('out-w1', 'manifest.json'));
    expect(manifest).toMatchObject({ status: 'complete', seed: 3, rows: 18, plan: { runs: 18 } });
    expect(manifest.warnings).toBeUndefined();
    expect(manifest.plugins.map((p: { package: string }) => p.package)).toContain('@livemig/strategy-precopy');
    const files = readdirSync(join(dir, 'out-w1'));
    expect(files).toEqual(expect.arrayContaining(['summary.csv', 'pareto.csv', 'downtime-vs-bytes.svg']));
    expect((parse(read('out-w1', 'summary.csv'), { columns: true }) as unknown[]).length).toBe(18);
  });

  it('writes a byte-identical runs.csv with 1 and 2 workers, and for 3 shards merged', async () => {
    const f = join(dir, 'small.json');
    const codes = await Promise.all([
      livemigAsync('run', f, '--out', 'out-w2', '--workers', '2', '--quiet'),
      ...[1, 2, 3].map((i) => livemigAsync('run', f, '--out', `shard-${i}`, '--shard', `${i}/3`, '--workers', '1', '--quiet')),
    ]);
    expect(codes.map((c) => c.code)).toEqual([0, 0, 0, 0]);
    expect(read('out-w2', 'runs.csv')).toBe(read('out-w1', 'runs.csv'));
    expect((parse(read('shard-2', 'runs.csv')) as unknown[]).length).toBe(1 + 6);
    const m = livemig('merge', 'shard-1', 'shard-2', 'shard-3', '--out', 'merged');
    expect(m.code).toBe(0);
    expect(read('merged', 'runs.csv')).toBe(read('out-w1', 'runs.csv'));
    expect(read('merged', 'summary.csv')).toBe(read('out-w1', 'summary.csv'));
  });

  it('merge fails on missing and duplicated runs, and --list-missing names them', () => {
    const missing = livemig('merge', 'shard-1', 'shard-3', '--out', 'merged-bad');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/6 of 18 runs are missing/);
    expect(existsSync(join(dir, 'merged-bad'))).toBe(false);
    const list = livemig('merge', 'shard-1', 'shard-3', '--list-missing');
    expect(list.code).toBe(1);
    const shard2 = read('shard-2', 'runs.csv');
    const ids = (parse(shard2, { columns: true }) as Array<{ run_id: string }>).map((x) => x.run_id);
    expect(list.stdout.trim().split('\n').map((l) => l.split('\t')[1])).toEqual(ids);
    const dup = livemig('merge', 'shard-1', 'shard-2', 'shard-3', 'shard-2', '--out', 'merged-dup');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/6 duplicated run id\(s\)/);
    expect(existsSync(join(dir, 'merged-dup'))).toBe(false);
  });

  it('resumes after SIGKILL mid-sweep without losing or duplicating a row', async () => {
    const exp = { ...pageExactSweep, name: 'slow', replications: 3 };
    const f = write('slow.json', exp);
    const child = spawn(process.execPath, [CLI, 'run', f, '--out', 'killed', '--workers', '1', '--quiet'], { cwd: dir, stdio: 'ignore' });
    const runs = join(dir, 'killed', 'runs.csv');
    const t0 = Date.now();
    while (!(existsSync(runs) && readFileSync(runs, 'utf8').split('\n').length > 6) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const partial = parse(readFileSync(runs, 'utf8').replace(/[^\n]*$/, ''), { columns: true }) as unknown[];
    expect(partial.length).toBeGreaterThan(4);
    expect(partial.length).toBeLessThan(30);
    expect(JSON.parse(read('killed', 'manifest.json')).status).toBe('running');
    const resumed = livemig('run', f, '--out', 'killed', '--resume', '--workers', '2');
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`${30 - partial.length} runs simulated, ${partial.length} kept from before`));
    expect(livemig('run', f, '--out', 'clean', '--workers', '2', '--quiet').code).toBe(0);
    expect(read('killed', 'runs.csv')).toBe(read('clean', 'runs.csv'));
    expect(JSON.parse(read('killed', 'manifest.json')).status).toBe('complete');

    // Rows made by another plugin version are not resumed silently.
    const manifestPath = join(dir, 'killed', 'manifest.json');
    const manifest = JSON.parse(read('killed', 'manifest.json'));
    const precopyRef = manifest.plugins.find((p: { package: string }) => p.package === '@livemig/strategy-precopy');
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, plugins: manifest.plugins.map((p: { package: string }) => (p === precopyRef ? { ...p, version: '0.0.1-old' } : p)) }));
    const before = read('killed', 'runs.csv');
    const drift = livemig('run', f, '--out', 'killed', '--resume', '--workers', '1', '--quiet');
    expect(drift.code).toBe(2);
    expect(drift.stderr).toMatch(/@livemig\/strategy-precopy 0\.0\.1-old → .*--allow-plugin-drift/);
    expect(read('killed', 'runs.csv')).toBe(before);
    const allowed = livemig('run', f, '--out', 'killed', '--resume', '--allow-plugin-drift', '--workers', '1');
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/0 runs simulated, 30 kept from before/);
  });
});

/** A grid of 10⁹ configurations: ten values of each of nine parameters. */
const ten = (f: (i: number) => unknown) => Array.from({ length: 10 }, (_, i) => f(i));
const billion = {
  name: 'billion',
  scenario: { vm: { memory: '64 MiB' }, network: { bandwidth: '1 Gbit/s' } },
  workload: { use: 'uniform', options: { rate: '10 MiB/s' } },
  strategy: 'precopy',
  sweep: {
    params: {
      'scenario.network.bandwidth': ten((i) => `${i + 1} Gbit/s`),
      'workload.options.rate': ten((i) => `${i + 1} MiB/s`),
      'scenario.network.latency': ten((i) => `${i} ms`),
      'scenario.costs.setup': ten((i) => `${i} s`),
      'scenario.costs.resume': ten((i) => `${i} ms`),
      'scenario.costs.redirect': ten((i) => `${i} ms`),
      'scenario.costs.release': ten((i) => `${i} ms`),
      'scenario.costs.deviceState': ten((i) => `${i} KiB`),
      'scenario.wire.headerBytes': ten((i) => i),
    },
  },
};

describe('interrupts, a second run into the same folder, failing writes', () => {
  // 100 runs of a page-exact sweep: a few seconds, so that signals arrive mid-sweep.
  const slowish = { ...pageExactSweep, name: 'signals', replications: 10 };
  const started = (args: string[]) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((res) => child.on('close', (code, signal) => res({ code, signal, stderr })));
    return { child, exited };
  };
  const rowsIn = (out: string): number => (existsSync(join(dir, out, 'runs.csv')) ? read(out, 'runs.csv').split('\n').length - 2 : -1);
  const until = async (ok: () => boolean) => {
    const t0 = Date.now();
    while (!ok() && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
  };

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s: a clean stop (exit %i), manifest interrupted, no write after close, and --resume completes it byte for byte', async (signal, code) => {
    const f = write('signals.json', slowish);
    if (!existsSync(join(dir, 'signals-clean'))) expect(livemig('run', f, '--out', 'signals-clean', '--workers', '2', '--quiet').code).toBe(0);
    const out = `signals-${signal}`;
    const { child, exited } = started(['run', f, '--out', out, '--workers', '2', '--progress', 'none']);
    await until(() => rowsIn(out) >= 4);
    child.kill(signal);
    const r = await exited;
    expect(r.signal).toBeNull();
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(new RegExp(`livemig: stopping on ${signal} \\(rows done are kept; finish with --resume`));
    expect(r.stderr).toMatch(/livemig: interrupted after \d+ runs simulated/);
    expect(r.stderr).not.toMatch(/Error|EBADF|at .*\.js:\d+/);
    const manifest = JSON.parse(read(out, 'manifest.json'));
    expect(manifest.status).toBe('interrupted');
    expect(manifest.reason).toMatch(new RegExp(`^interrupted by ${signal}: \\d+ of 100 rows written; livemig run --resume finishes it$`));
    // Complete lines only, each a row of the clean run.
    const partial = read(out, 'runs.csv');
    expect(partial.endsWith('\n')).toBe(true);
    const clean = new Set(read('signals-clean', 'runs.csv').split('\n'));
    for (const line of partial.split('\n')) expect(clean.has(line), line).toBe(true);
    expect(manifest.rows).toBe(partial.split('\n').length - 2);
    expect(existsSync(join(dir, out, '.livemig.lock'))).toBe(false);
    const resumed = livemig('run', f, '--out', out, '--resume', '--workers', '2', '--quiet');
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(read(out, 'runs.csv')).toBe(read('signals-clean', 'runs.csv'));
    expect(JSON.parse(read(out, 'manifest.json')).status).toBe('complete');
  });

  it('a second run into a folder another run is writing into fails clearly (exit 2) and writes nothing', async () => {
    // 100 runs of 512 MiB: the first run is still going when the second has planned (~2 s).
    const f = write('locking.json', { ...slowish, name: 'locking', scenario: { ...slowish.scenario, vm: { memory: '512 MiB' } } });
    const first = started(['run', f, '--out', 'locked', '--workers', '1', '--quiet']);
    await until(() => rowsIn('locked') >= 1);
    const second = livemig('run', f, '--out', 'locked', '--workers', '1', '--quiet');
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`^livemig: error: .*locked: another livemig run \\(pid ${first.child.pid} on .*, started .*\\) is writing into this folder: wait for it to end, or give this run another --out`));
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    const r = await first.exited;
    expect(r.code).toBe(0);
    // The first run's rows, once each, in plan order: nothing of the second interleaved.
    const ids = (parse(read('locked', 'runs.csv'), { columns: true }) as Array<{ run_id: string }>).map((x) => x.run_id);
    expect(ids).toEqual(read('locked', 'plan.txt').trim().split('\n'));
    // Once it is done, the folder is free again.
    expect(livemig('run', f, '--out', 'locked', '--workers', '2', '--quiet', '--resume').stderr).toBe('');
  });

  it('files an earlier experiment left in the --out are removed, and the run says which', () => {
    const byBandwidth = write('stale-a.json', { ...small, name: 'stale-a', sweep: { params: { 'scenario.network.bandwidth': ['1 Gbit/s', '10 Gbit/s'] } } });
    const byRate = write('stale-b.json', { ...small, name: 'stale-b', sweep: { params: { 'workload.options.rate': ['10 MiB/s', '20 MiB/s'] } } });
    expect(livemig('run', byBandwidth, '--out', 'stale', '--quiet').code).toBe(0);
    writeFileSync(join(dir, 'stale', 'notes.txt'), 'mine\n');
    const before = readdirSync(join(dir, 'stale'));
    expect(before).toContain('network_bandwidth_Bps-vs-downtime_s.svg');
    const r = livemig('run', byRate, '--out', 'stale', '--quiet');
    expect(r.code).toBe(0);
    const plots = ['network_bandwidth_Bps-vs-bytes_sent.svg', 'network_bandwidth_Bps-vs-downtime_s.svg', 'network_bandwidth_Bps-vs-total_time_s.svg'];
    expect(r.stderr).toBe(`livemig: removed 3 files an earlier run left in ${join(dir, 'stale')} that this experiment does not write: ${plots.join(', ')}\n`);
    const after = readdirSync(join(dir, 'stale'));
    for (const p of plots) expect(after).not.toContain(p);
    expect(after).toContain('workload_rate_Bps-vs-downtime_s.svg');
    expect(after).toContain('notes.txt');
    // Running the same experiment again removes nothing for good and says nothing.
    expect(livemig('run', byRate, '--out', 'stale', '--quiet').stderr).toBe('');
  });

  it('disk full: one line naming the file, exit 1, manifest failed with the reason', () => {
    mkdirSync(join(dir, 'full'));
    // Every write to /dev/full fails with ENOSPC, as on a full disk.
    symlinkSync('/dev/full', join(dir, 'full', 'runs.csv'));
    const r = livemig('run', write('small.json', small), '--out', 'full', '--workers', '1', '--quiet');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`livemig: error: cannot write ${join(dir, 'full', 'runs.csv')}: no space left on the device (ENOSPC)\n`);
    const manifest = JSON.parse(read('full', 'manifest.json'));
    expect(manifest.status).toBe('failed');
    expect(manifest.reason).toBe(`cannot write ${join(dir, 'full', 'runs.csv')}: no space left on the device (ENOSPC)`);
    expect(existsSync(join(dir, 'full', '.livemig.lock'))).toBe(false);
  });

  it('a read-only output folder: one line naming the folder, exit 1, nothing written', () => {
    const ro = join(dir, 'read-only');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    chmodSync(dir, 0o755);
    // root writes into read-only folders: run the CLI as nobody then.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnSync(process.execPath, [CLI, 'run', write('small.json', small), '--out', ro, '--workers', '1', '--quiet'], { cwd: dir, encoding: 'utf8', ...asUser });
    expect(r.stderr).toBe(`livemig: error: cannot write ${ro}: permission denied (a read-only folder?) (EACCES)\n`);
    expect(r.status).toBe(1);
    expect(readdirSync(ro)).toEqual([]);
  });
});

describe('bad input: a clear message, exit code 2, nothing written', () => {
  const base = { name: 'bad', scenario: { vm: { memory: '64 MiB' }, network: { bandwidth: '1 Gbit/s' } }, workload: 'uniform', strategy: 'precopy' };
  const vm = (v: Record<string, unknown>) => ({ ...base, scenario: { ...base.scenario, vm: v } });
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown plugin', { ...base, strategy: 'warp-drive' }, /at strategy\.use: unknown strategy 'warp-drive'.*installed strategies: precopy, qemu, stop-and-copy/],
    ['bad unit', { ...base, scenario: { ...base.scenario, vm: { memory: '64 parsecs' } } }, /scenario\.vm\.memory: expected a size like '4 GiB', got '64 parsecs'/],
    ['negative bandwidth', { ...base, sweep: { params: { 'scenario.network.bandwidth': ['-1 Gbit/s'] } } }, /scenario\.network\.bandwidth: must be > 0, got '-1 Gbit\/s' \(value from sweep\.params\["scenario\.network\.bandwidth"\]\)/],
    ['unknown field', { ...base, scenario: { ...base.scenario, netwrok: {} } }, /scenario: unknown field 'netwrok'/],
    ['malformed JSON', '{\n  "name": "bad",\n  "seed": 1,,\n}', /malformed JSON at line 3, column 13/],
    ['empty sweep', { ...base, sweep: { params: {} } }, /at sweep\.params: the sweep is empty/],
    ['bad plugin option', { ...base, strategy: { use: 'precopy', options: { skipRedirtied: 'yes' } } }, /strategy\.options\.skipRedirtied/],
    ['page larger than memory', vm({ memory: '4 GiB', pageSize: '8 GiB' }), /scenario\.vm\.pageSize: the page size \(8 GiB\) is larger than the memory \(scenario\.vm\.memory: 4 GiB\)/],
    ['memory not whole pages', vm({ memory: '4 GiB', pageSize: '3 KiB' }), /scenario\.vm\.memory: 4 GiB is not a whole number of 3 KiB pages \(1398101\.333 pages\): use a multiple of scenario\.vm\.pageSize/],
    ['swept page size too large', { ...base, sweep: { params: { 'scenario.vm.pageSize': ['4 KiB', '128 MiB'] } } }, /sweep\.params\["scenario\.vm\.pageSize"\]\[1\] → scenario\.vm\.pageSize: the page size \(128 MiB\) is larger than the memory/],
    ['memory in bits', vm({ memory: '1001 bit' }), /scenario\.vm\.memory: must be a whole number of bytes, got 125\.125 bytes/],
    ['duplicate key', '{\n  "name": "bad",\n  "seed": 1,\n  "seed": 2\n}', /duplicate key 'seed' at the top level \(line 4, column 3\): JSON keeps only the last one silently/],
    ['nested duplicate key', JSON.stringify(base).replace('"bandwidth":"1 Gbit/s"', '"bandwidth":"1 Gbit/s","bandwidth":"10 Gbit/s"'), /duplicate key 'bandwidth' in scenario\.network \(line 1, column \d+\)/],
    ['trailing comma', '{\n  "name": "bad",\n}', /malformed JSON at line 3, column 1: expected a property name in double quotes, found '\}' \(JSON allows no comma after the last property\)/],
    ['unit without quotes', '{ "name": "bad", "scenario": { "vm": { "memory": 4 GiB } } }', /malformed JSON at line 1, column 52: unexpected 'GiB' \(property names, strings and values with units need double quotes/],
    ['comment', '{ "name": "bad" // mine\n}', /malformed JSON at line 1, column 17: comments are not allowed in JSON/],
    ['a billion runs', billion, /at sweep: the sweep has 1,000,000,000 runs \(1,000,000,000 configurations × 1 replication\), more than the limit of 100,000,000\. .* raise the limit with --max-runs 1000000000/],
  ];
  it('each gives its message (processes run in parallel)', async () => {
    const results = await Promise.all(
      cases.map(([name, doc]) => livemigAsync('run', write(`${name.replace(/ /g, '-')}.json`, doc), '--out', `bad-${name.replace(/ /g, '-')}`)),
    );
    cases.forEach(([name, , message], i) => {
      const r = results[i]!;
      expect(r.stderr, name).toMatch(message);
      expect(r.stderr, name).toContain(`${name.replace(/ /g, '-')}.json`);
      expect(r.code, name).toBe(2);
      expect(existsSync(join(dir, `bad-${name.replace(/ /g, '-')}`)), name).toBe(false);
    });
  });
  it('missing file', () => {
    const r = livemig('run', 'nope.json', '--out', 'bad-missing');
    expect(r.stderr).toMatch(/nope\.json: no such file/);
    expect(r.code).toBe(2);
    expect(existsSync(join(dir, 'bad-missing'))).toBe(false);
  });
});

describe('what the user meant', () => {
  it('replications that all give the same row (the deterministic fluid engine) are a warning on the console and in the manifest', () => {
    const f = write('replicated.json', { ...small, name: 'replicated', replications: 3, sweep: { params: { 'scenario.network.bandwidth': ['1 Gbit/s', '10 Gbit/s'] } } });
    const r = livemig('run', f, '--out', 'replicated', '--quiet');
    expect(r.code).toBe(0);
    const warning =
      "every configuration's 3 replications gave the same row (the fluid engine computes expected values, so the seed changes nothing here): the 95 % confidence intervals in summary.csv have zero width and the replications add no information. " +
      'Use "replications": 1, or "fidelity": "page-exact" for run-to-run variation';
    expect(r.stderr).toBe(`livemig: warning: ${warning}\n`);
    expect(JSON.parse(read('replicated', 'manifest.json')).warnings).toEqual([warning]);
    // The page-exact engine draws the pages each replication writes: its replications differ, no warning.
    const exact = write('replicated-exact.json', { ...small, name: 'replicated-exact', fidelity: 'page-exact', replications: 3, scenario: { ...small.scenario, vm: { memory: '32 MiB' } }, sweep: undefined });
    const e = livemig('run', exact, '--out', 'replicated-exact', '--quiet');
    expect(e.stderr).toBe('');
    expect(JSON.parse(read('replicated-exact', 'manifest.json')).warnings).toBeUndefined();
  });

  it('an unknown strategy lists every strategy that resolves here: first-party, post-copy, hybrid, installed third-party', () => {
    const f = write('warp.json', { name: 'warp', scenario: { vm: { memory: '64 MiB' }, network: { bandwidth: '1 Gbit/s' } }, workload: 'uniform', strategy: 'warp-drive' });
    const r = livemigIn(root, 'run', f, '--out', join(dir, 'bad-warp'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/installed strategies: precopy, qemu, stop-and-copy, @livemig\/strategy-postcopy\/postcopy, @livemig\/strategy-postcopy\/hybrid, livemig-plugin-example;/);
  });

  it('a trace file named relative to the experiment file is read from its folder, whatever the working directory', () => {
    mkdirSync(join(dir, 'study'), { recursive: true });
    writeFileSync(join(dir, 'study', 'dirty.csv'), 'dirty_pages\n1000\n3000\n2000\n');
    const f = write('study/traced.json', { ...small, name: 'traced', workload: { use: 'trace', options: { file: 'dirty.csv', workingSet: '64 MiB' } }, sweep: undefined });
    mkdirSync(join(dir, 'elsewhere'), { recursive: true });
    const r = livemigIn(join(dir, 'elsewhere'), 'run', f, '--out', 'out', '--quiet');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = parse(readFileSync(join(dir, 'elsewhere', 'out', 'runs.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => [x.workload, x.status])).toEqual([['trace', 'completed']]);
  });

  it('--workers is capped at the cores unless --force-workers', () => {
    const cores = availableParallelism();
    const f = join(dir, 'small.json');
    const capped = livemig('run', f, '--out', 'out-many', '--workers', String(cores + 62), '--quiet');
    expect(capped.code).toBe(0);
    expect(capped.stderr).toBe(`livemig: warning: --workers ${cores + 62} is more than the ${cores} cores here: using ${cores} (--force-workers uses ${cores + 62})\n`);
    expect(JSON.parse(read('out-many', 'timing.json')).workers).toBe(cores);
    const forced = livemig('run', f, '--out', 'out-forced', '--workers', String(cores + 1), '--force-workers', '--quiet');
    expect(forced.stderr).toBe('');
    expect(JSON.parse(read('out-forced', 'timing.json')).workers).toBe(cores + 1);
    expect(read('out-many', 'runs.csv')).toBe(read('out-forced', 'runs.csv'));
  });

  it('plan of a 10⁹-run sweep counts the runs and lists the first ones without building the rest', () => {
    const f = write('billion-plan.json', billion);
    const r = livemig('plan', f, '--head', '2');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('1000000000 runs (1000000000 configurations × 1 replication), seed 1, fluid engine');
    expect(lines.slice(3, 5).map((l) => l.split('\t').slice(5, 14))).toEqual([
      ['125000000', '1048576', '0', '0', '0', '0', '0', '0', '0'],
      ['125000000', '1048576', '0', '0', '0', '0', '0', '0', '1'],
    ]);
    expect(lines.at(-1)).toBe('... 999999998 more');
    // The same runs as the whole plan of a small sweep: its first two runs are those of a full build.
    const full = livemig('plan', join(dir, 'small.json'), '--head', '18');
    const head = livemig('plan', join(dir, 'small.json'), '--head', '2');
    expect(head.stdout.split('\n').slice(0, 5)).toEqual(full.stdout.split('\n').slice(0, 5));
  });

  it('livemig plan … | head stops quietly (no EPIPE stack)', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" plan billion-plan.json --head 3000 | head -n 1`], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout).toBe('1000000000 runs (1000000000 configurations × 1 replication), seed 1, fluid engine\n');
    expect(r.stderr).toBe('');
  });
});

describe('other verbs', () => {
  it('plugins lists first-party plugins with options and defaults', () => {
    const r = livemig('plugins');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/precopy\s+\(@livemig\/strategy-precopy@/);
    expect(r.stdout).toMatch(/onNonConvergence \("stop-and-copy" \| "cancel"\) \[default: "stop-and-copy"\]/);
    expect(r.stdout).toMatch(/hot-cold/);
    expect(r.stdout).toMatch(/xen/);
  });
  it('plan prints the run count and first runs; --help covers every verb', async () => {
    const r = livemig('plan', join(dir, 'small.json'), '--head', '2');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^18 runs \(18 configurations × 1 replication\)/);
    expect(r.stdout).toMatch(/\.\.\. 16 more/);
    const [help, runHelp, badFlag] = await Promise.all([livemigAsync('--help'), livemigAsync('run', '--help'), livemigAsync('run', join(dir, 'small.json'), '--workers', 'x')]);
    for (const verb of ['run', 'merge', 'plan', 'plugins', 'schema']) expect(help.stdout).toContain(verb);
    expect(runHelp.stdout).toMatch(/--shard <i\/n>/);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--workers must be an integer >= 1/);
    expect(statSync(CLI).size).toBeGreaterThan(0);
  });
});
