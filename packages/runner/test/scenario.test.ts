// End-to-end test of scenario experiments ("kind": "scenario") on the built CLI: run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'livemig-scenario-'));
const livemig = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
const read = (...p: string[]) => readFileSync(join(dir, ...p), 'utf8');

// Six idle 256 MiB VMs leave host a for b and c over 1 GiB/s NICs: stop-and-copy, so each
// migration is memory ÷ its share of a's uplink, and the numbers can be worked out by hand.
const doc = {
  kind: 'scenario',
  name: 'evac',
  seed: 3,
  replications: 2,
  fidelity: 'page-exact',
  hosts: [{ id: 'a', nic: '1 GiB/s' }, { id: 'd', count: 2, nic: '1 GiB/s' }],
  vms: [{ id: 'v', count: 6, host: 'a', memory: '256 MiB', workload: 'idle' }],
  migrations: [{ evacuate: 'a', to: 'd' }],
  strategy: 'stop-and-copy',
  stop: 'xen',
  sweep: { params: { scheduler: ['all-at-once', 'sequential', { use: 'limited', options: { perSourceHost: 2 } }] } },
};

describe('livemig run on a scenario experiment', () => {
  it('writes a row per run and a row per migration, as computed by hand, byte-identical for 1 and 2 workers, with reports', () => {
    writeFileSync(join(dir, 'evac.json'), JSON.stringify(doc));
    for (const [out, w] of [['w1', '1'], ['w2', '2']] as const) {
      const r = livemig('run', 'evac.json', '--out', out, '--workers', w, '--quiet');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
    for (const f of ['runs.csv', 'migrations.csv', 'summary.csv', 'pareto.csv']) expect(read('w2', f), f).toBe(read('w1', f));
    for (const f of ['makespan-vs-downtime.svg', 'makespan-vs-bytes.svg', 'manifest.json']) expect(existsSync(join(dir, 'w1', f)), f).toBe(true);
    const runs = parse(read('w1', 'runs.csv'), { columns: true }) as Array<Record<string, string>>;
    expect(runs).toHaveLength(6);
    const by = (s: string) => runs.filter((r) => r.scheduler === s);
    // 6 × 256 MiB through a's 1 GiB/s uplink: 1.5 s whatever the order; downtime = the copy for stop-and-copy.
    for (const r of runs) {
      expect(Number(r.makespan_s)).toBeCloseTo(1.5, 9);
      expect(Number(r.bytes_sent)).toBe(6 * 256 * 2 ** 20);
      expect(Number(r.migrations_completed)).toBe(6);
    }
    for (const r of by('all-at-once')) {
      expect(Number(r.peak_concurrent)).toBe(6);
      expect(Number(r.total_time_max_s)).toBeCloseTo(1.5, 9);
      expect(Number(r.wait_total_s)).toBe(0);
    }
    for (const r of by('sequential')) {
      expect(Number(r.peak_concurrent)).toBe(1);
      expect(Number(r.total_time_max_s)).toBeCloseTo(0.25, 9);
      // Waits 0, 0.25, …, 1.25 s.
      expect(Number(r.wait_total_s)).toBeCloseTo(3.75, 9);
    }
    for (const r of by('limited')) {
      expect(Number(r.peak_concurrent)).toBe(2);
      expect(Number(r.total_time_max_s)).toBeCloseTo(0.5, 9);
    }
    const migrations = parse(read('w1', 'migrations.csv'), { columns: true }) as Array<Record<string, string>>;
    expect(migrations).toHaveLength(36);
    // Dealt in turn to d0 and d1.
    expect(migrations.slice(0, 6).map((m) => m.to)).toEqual(['d0', 'd1', 'd0', 'd1', 'd0', 'd1']);
    expect(new Set(migrations.map((m) => m.run_id))).toEqual(new Set(runs.map((r) => r.run_id)));
    expect(new Set(migrations.map((m) => m.group))).toEqual(new Set(['v']));
  });

  it('a dumbbell with on/off traffic across its bottleneck, as computed by hand', () => {
    // a → c across a 1 GiB/s bottleneck that a greedy flow b → d uses 1 s out of 2: the
    // 2 GiB migration gets 512, 1024, 512 MiB/s over its three seconds and ends at 3 s.
    const dumbbell = {
      kind: 'scenario',
      name: 'dumbbell',
      fidelity: 'fluid',
      network: { topology: 'dumbbell', left: ['a', 'b'], bottleneck: '1 GiB/s' },
      hosts: [{ id: 'a', nic: '1 GiB/s' }, { id: 'b', nic: '1 GiB/s' }, { id: 'c', nic: '1 GiB/s' }, { id: 'd', nic: '1 GiB/s' }],
      vms: [{ id: 'big', host: 'a', memory: '2 GiB', workload: 'idle' }],
      migrations: [{ vms: 'big', to: 'c' }],
      background: [{ from: 'b', to: 'd', rate: 'unlimited', on: '1 s', off: '1 s' }],
      strategy: 'stop-and-copy',
    };
    writeFileSync(join(dir, 'dumbbell.json'), JSON.stringify(dumbbell));
    const r = livemig('run', 'dumbbell.json', '--out', 'db', '--quiet');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [run] = parse(read('db', 'runs.csv'), { columns: true }) as Array<Record<string, string>>;
    expect(Number(run!.makespan_s)).toBeCloseTo(3, 9);
    // The background lost half of its first and of its third second: 0.5 + 0.5 GiB.
    expect(Number(run!.background_bytes_lost)).toBeCloseTo(2 ** 30, 0);
    const [m] = parse(read('db', 'migrations.csv'), { columns: true }) as Array<Record<string, string>>;
    expect(m).toMatchObject({ vm: 'big', group: 'big', from: 'a', to: 'c' });
  });

  it('livemig plan counts hosts, VMs and migrations', () => {
    const r = livemig('plan', 'evac.json');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^6 runs \(3 configurations × 2 replications\), seed 3, scenario experiment: 3 hosts, 6 VMs, 6 migrations/);
  });

  it.each([
    ['a migration to its own host', { migrations: [{ vms: 'v', to: 'a' }] }, /migrations\[0\]\.to: v0 already runs on a/],
    ['an unknown host', { migrations: [{ vms: 'v', to: 'nowhere' }] }, /no host or host group 'nowhere'/],
    ['an unknown VM', { migrations: [{ vms: 'w', to: 'd' }] }, /no VM or VM group 'w'/],
    ['no room at the destinations', { hosts: [{ id: 'a', nic: '1 GiB/s' }, { id: 'd', count: 2, nic: '1 GiB/s', memory: '512 MiB' }] }, /host d0 would hold 805306368 B of VMs .* has 536870912 B/],
    ['a VM asked twice', { migrations: [{ vms: 'v', to: 'd' }, { vms: 'v0', to: 'd' }] }, /v0 is already asked to migrate by migrations\[0\]/],
    ['zero VMs', { vms: [] }, /vms: .*at least 1|vms: .*>=1|Too small/i],
    ['a limit of 0', { sweep: { params: { scheduler: [{ use: 'limited', options: { total: 0 } }] } } }, /scheduler\.options\.total/],
    ['an unknown scheduler', { sweep: { params: { scheduler: ['fastest'] } } }, /fastest/],
    ['a bad unit', { hosts: [{ id: 'a', nic: '1 GiB' }, { id: 'd', count: 2, nic: '1 GiB/s' }] }, /hosts\[0\]\.nic/],
    ['a dumbbell without its left side', { network: { topology: 'dumbbell', bottleneck: '1 GiB/s' } }, /network\.left: a 'dumbbell' topology needs network\.left/],
    ['a dumbbell with every host on the left', { network: { topology: 'dumbbell', left: ['a', 'd'], bottleneck: '1 GiB/s' } }, /network\.left: every host is on the left/],
    ['a bottleneck on a star', { network: { bottleneck: '1 GiB/s' } }, /network\.bottleneck: only a 'dumbbell' topology/],
    ['a route over a missing link', { network: { topology: 'links', links: [{ id: 'l1', bandwidth: '1 GiB/s' }], routes: [{ from: 'a', to: 'd0', links: ['l1', 'l2'] }] } }, /network\.routes: route a → d0 crosses link 'l2', which is not in the links \(l1\)/],
    ['a route to a host that does not exist', { network: { topology: 'links', links: [{ id: 'l1', bandwidth: '1 GiB/s' }], routes: [{ from: 'a', to: 'z', links: ['l1'] }] } }, /network\.routes: route a → z names a host that does not exist/],
    ['on/off traffic without off', { background: [{ from: 'a', to: 'd0', rate: 'unlimited', on: '1 s' }] }, /background\[0\]\.off: on\/off traffic needs both on and off/],
  ])('refuses %s with exit 2, naming the field, writing nothing', (_what, change, message) => {
    const name = `bad-${Math.random().toString(36).slice(2)}`;
    writeFileSync(join(dir, `${name}.json`), JSON.stringify({ ...doc, name, ...change }));
    const r = livemig('run', `${name}.json`, '--out', name, '--quiet');
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
    expect(existsSync(join(dir, name, 'runs.csv'))).toBe(false);
  });
});
