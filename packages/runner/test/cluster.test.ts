// End-to-end test of cluster experiments ("kind": "cluster") on the built CLI: run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '@livemig/core';
import { loadDay } from '@livemig/data-planetlab';
import { cloudsimCompat, cloudsimHosts, cloudsimTriggerOptions, cloudsimVms, lr, simulateCluster } from '@livemig/triggers';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'livemig-cluster-'));
const livemig = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
const read = (...p: string[]) => readFileSync(join(dir, ...p), 'utf8');

// 40 hosts and the first 50 VMs of two days: small enough for a test, large enough to migrate.
const doc = {
  kind: 'cluster',
  name: 'tiny',
  seed: 7,
  days: ['20110303', '20110306'],
  cluster: { hosts: 40, vms: 50 },
  trigger: { detector: 'lr', selection: 'mmt' },
  migration: { mode: 'cloudsim' },
  sweep: {
    params: {
      'trigger.detector': ['thr', 'lr'],
      migration: [{ mode: 'cloudsim' }, { mode: 'strategy', strategy: 'precopy', stop: { any: ['qemu', { use: 'time-limit', options: { limit: '120 s' } }] } }],
    },
  },
};

describe('livemig run on a cluster experiment', () => {
  it('writes one row per (configuration, day) with every metric, byte-identical for 1 and 2 workers, and the reports', () => {
    writeFileSync(join(dir, 'tiny.json'), JSON.stringify(doc));
    for (const [out, w] of [['w1', '1'], ['w2', '2']] as const) {
      const r = livemig('run', 'tiny.json', '--out', out, '--workers', w, '--quiet');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
    expect(read('w2', 'runs.csv')).toBe(read('w1', 'runs.csv'));
    for (const f of ['summary.csv', 'pareto.csv', 'energy-vs-slav.svg', 'energy-vs-downtime.svg']) expect(read('w2', f)).toBe(read('w1', f));
    const rows = parse(read('w1', 'runs.csv'), { columns: true }) as Record<string, string>[];
    // 2 detectors × 2 cost modes × 2 days, configuration outer, day inner
    expect(rows.map((r) => [r.detector, r.costs, r.day, r.replication])).toEqual([
      ['thr', 'cloudsim', '20110303', '0'],
      ['thr', 'cloudsim', '20110306', '1'],
      ['thr', 'precopy/any(qemu,time-limit)', '20110303', '0'],
      ['thr', 'precopy/any(qemu,time-limit)', '20110306', '1'],
      ['lr', 'cloudsim', '20110303', '0'],
      ['lr', 'cloudsim', '20110306', '1'],
      ['lr', 'precopy/any(qemu,time-limit)', '20110303', '0'],
      ['lr', 'precopy/any(qemu,time-limit)', '20110306', '1'],
    ]);
    for (const c of ['energy_kWh', 'slatah', 'pdm', 'slav', 'esv', 'migrations', 'downtime_total_s', 'downtime_mean_s', 'migration_bytes', 'migrations_nonConverged', 'vm_lost_h']) expect(Object.keys(rows[0]!)).toContain(c);
    // Common random numbers: a day's seed is the same for every configuration.
    expect(new Set(rows.filter((r) => r.day === '20110303').map((r) => r.seed)).size).toBe(1);
    // cloudsim costs: no downtime, bytes = RAM moved; pre-copy: downtime and non-converged migrations possible
    for (const r of rows.filter((x) => x.costs === 'cloudsim')) expect(Number(r.downtime_total_s)).toBe(0);
    expect(rows.filter((x) => x.costs !== 'cloudsim').some((r) => Number(r.downtime_total_s) > 0)).toBe(true);
    const summary = parse(read('w1', 'summary.csv'), { columns: true }) as Record<string, string>[];
    expect(summary).toHaveLength(4);
    expect(summary.every((s) => s.n === '2' && s.energy_kWh_ci95_low !== '')).toBe(true);

    // The row equals a direct simulation of the same setup (CloudSim's hosts and VM types, compat options, LR as CloudSim computes it).
    const direct = simulateCluster({
      hosts: cloudsimHosts(40),
      vms: cloudsimVms(loadDay('20110306').vms.slice(0, 50)),
      trigger: lr.create(resolveOptions(lr, { ...cloudsimTriggerOptions, weighting: 'none', selection: 'mmt', placement: 'pabfd' }, 'trigger'), { rng: () => { throw new Error('no rng'); } } as never),
      ...cloudsimCompat,
      checkDestinationMemory: false,
      seed: Number(rows[5]!.seed),
    }).metrics;
    expect(rows[5]!.energy_kWh).toBe(String(direct.energy_kWh));
    expect(rows[5]!.migrations).toBe(String(direct.migrations));
    expect(rows[5]!.slav).toBe(String(direct.slav));
  });

  it('plan lists (configuration, day) runs; shards merged give the same runs.csv and reports as one run', () => {
    writeFileSync(join(dir, 'tiny.json'), JSON.stringify(doc));
    const p = livemig('plan', 'tiny.json', '--head', '3');
    expect(p.status).toBe(0);
    expect(p.stdout).toMatch(/^8 runs \(4 configurations × 2 days\), seed 7, cluster experiment/);
    expect(p.stdout).toContain('energy_kWh');
    const lines = p.stdout.trim().split('\n');
    expect(lines.slice(3, 6).map((l) => l.split('\t')[3])).toEqual(['20110303', '20110306', '20110303']);
    expect(lines.at(-1)).toBe('... 5 more');

    if (!readFileSync(join(dir, 'w1', 'runs.csv'), 'utf8')) throw new Error('run the first test first');
    for (const s of ['1/2', '2/2']) expect(livemig('run', 'tiny.json', '--shard', s, '--out', `shard-${s[0]}`, '--workers', '1', '--quiet').status).toBe(0);
    // A shard alone is incomplete: merge names what is missing and writes nothing.
    const partial = livemig('merge', 'shard-1', '--out', 'merged-partial');
    expect(partial.status).toBe(1);
    expect(partial.stderr).toMatch(/4 of 8 runs are missing/);
    const m = livemig('merge', 'shard-2', 'shard-1', '--out', 'merged');
    expect(m.stderr).toMatch(/merged 8 runs/);
    expect(m.status).toBe(0);
    for (const f of ['runs.csv', 'summary.csv', 'pareto.csv', 'energy-vs-slav.svg', 'energy-vs-downtime.svg']) expect(read('merged', f)).toBe(read('w1', f));
    expect(JSON.parse(read('merged', 'manifest.json')).kind).toBe('cluster');
  });

  it('injects host failures; a swept duration is written in seconds; reactive and proactive see the same failures', () => {
    const failing = {
      ...doc,
      name: 'failing',
      days: ['20110303'],
      failures: { mtbf: '2 days', mttr: '2 h', announce: '0 s' },
      sweep: { params: { 'failures.announce, trigger.options.evacuationLead': [['0 s', '0 s'], ['10 min', '10 min']] } },
    };
    writeFileSync(join(dir, 'failing.json'), JSON.stringify(failing));
    const r = livemig('run', 'failing.json', '--out', 'failing', '--workers', '1', '--quiet');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rows = parse(read('failing', 'runs.csv'), { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => [x.failures_announce_s, x.trigger_evacuationLead_s])).toEqual([['0', '0'], ['600', '600']]);
    expect(Number(rows[0]!.host_failures)).toBeGreaterThan(5);
    expect(rows[1]!.host_failures).toBe(rows[0]!.host_failures);
    // Reactive: every VM on a failed host is down for at least detection + boot.
    expect(Number(rows[0]!.vm_lost_h)).toBeGreaterThan(0);
    const direct = simulateCluster({
      hosts: cloudsimHosts(40),
      vms: cloudsimVms(loadDay('20110303').vms.slice(0, 50)),
      trigger: lr.create(resolveOptions(lr, { ...cloudsimTriggerOptions, weighting: 'none', selection: 'mmt', placement: 'pabfd', evacuationLead: 600 }, 'trigger'), { rng: () => { throw new Error('no rng'); } } as never),
      ...cloudsimCompat,
      checkDestinationMemory: false,
      failures: { mtbf_s: 2 * 86_400, mttr_s: 7200, detection_s: 30, boot_s: 60, announce_s: 600 },
      seed: Number(rows[1]!.seed),
    }).metrics;
    expect([rows[1]!.vm_lost_h, rows[1]!.energy_kWh, rows[1]!.migrations]).toEqual([String(direct.vmHoursLost), String(direct.energy_kWh), String(direct.migrations)]);
  });

  it('replays a failure trace (CSV host,at_s,repair_s beside the experiment); a bad line is refused naming file and line', () => {
    writeFileSync(join(dir, 'fail.csv'), 'host,at_s,repair_s\n0,3600,7200\n1,7200,600\n0,20000,600\n');
    const traced = { ...doc, name: 'traced', days: ['20110303'], failures: { trace: 'fail.csv' }, sweep: undefined };
    writeFileSync(join(dir, 'traced.json'), JSON.stringify(traced));
    const r = livemig('run', 'traced.json', '--out', 'traced', '--workers', '1', '--quiet');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rows = parse(read('traced', 'runs.csv'), { columns: true }) as Record<string, string>[];
    expect(rows[0]!.host_failures).toBe('3');
    writeFileSync(join(dir, 'bad-fail.csv'), 'host,at_s,repair_s\n0,3600,7200\n99,10,10\n');
    writeFileSync(join(dir, 'bad-traced.json'), JSON.stringify({ ...traced, failures: { trace: 'bad-fail.csv' } }));
    const b = livemig('run', 'bad-traced.json', '--out', 'bad-traced', '--quiet');
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/bad-fail\.csv:3.*host: '99' is not a host index \(0 … 39\)/);
    writeFileSync(join(dir, 'both.json'), JSON.stringify({ ...traced, failures: { trace: 'fail.csv', mtbf: '1 day', mttr: '1 h' } }));
    const c = livemig('run', 'both.json', '--out', 'both', '--quiet');
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/either 'trace' or 'mtbf'\/'mttr', not both/);
  });

  it('limits concurrent migrations per host: with one slot migrations wait, unlimited they do not', () => {
    const limited = {
      ...doc,
      name: 'limited',
      days: ['20110303'],
      migration: { mode: 'strategy', strategy: 'precopy', stop: 'xen' },
      sweep: { params: { 'migration.maxPerHost': ['unlimited', 1] } },
    };
    writeFileSync(join(dir, 'limited.json'), JSON.stringify(limited));
    const r = livemig('run', 'limited.json', '--out', 'limited', '--workers', '1', '--quiet');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rows = parse(read('limited', 'runs.csv'), { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x.migration_maxPerHost)).toEqual(['unlimited', '1']);
    expect(Number(rows[0]!.migration_wait_total_s)).toBe(0);
    expect(Number(rows[1]!.migration_wait_total_s)).toBeGreaterThan(0);
    expect(Number(rows[1]!.migration_wait_max_s)).toBeLessThanOrEqual(Number(rows[1]!.migration_wait_total_s));
  });

  it('refuses an unknown day and a detector option of another detector, before writing anything', () => {
    writeFileSync(join(dir, 'bad-day.json'), JSON.stringify({ ...doc, days: ['20990101'] }));
    const r = livemig('run', 'bad-day.json', '--out', 'bad', '--quiet');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no PlanetLab day 20990101/);
    writeFileSync(join(dir, 'bad-opt.json'), JSON.stringify({ ...doc, trigger: { detector: 'lr', options: { threshold: 0.9 } } }));
    const r2 = livemig('run', 'bad-opt.json', '--out', 'bad', '--quiet');
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/threshold/);
  });
});
