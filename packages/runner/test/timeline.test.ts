// End-to-end test of `timeline: true` (timeline.csv) on the built CLI: run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'livemig-timeline-'));
const livemig = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
const read = (...p: string[]) => readFileSync(join(dir, ...p), 'utf8');

// An idle 100 MiB guest, pre-copy capped at 250 Mbit/s on a 1 Gbit/s NIC that a 1 Gbit/s
// service wants whole: the migration keeps its cap (31.25 MB/s, below the fair half), the
// service gets the other 93.75 MB/s. One pass of 104 857 600 B takes 3.3554432 s; nothing is
// dirty, so the final copy is empty and the downtime is the 5 ms redirect (service 0).
const doc = {
  name: 'tl',
  seed: 1,
  timeline: true,
  scenario: {
    vm: { memory: '100 MiB', pageSize: '4 KiB' },
    network: { bandwidth: '1 Gbit/s', latency: '0 s' },
    costs: { redirect: '5 ms' },
    service: { demand: '1 Gbit/s' },
  },
  workload: 'idle',
  strategy: { use: 'precopy', options: { maxBandwidth: '250 Mbit/s' } },
  stop: 'xen',
  sweep: { params: { 'strategy.options.maxBandwidth': ['250 Mbit/s', '500 Mbit/s'] } },
};

describe('timeline.csv', () => {
  it('is written when the experiment asks for it, with hand-computed rates, the same for 1 and 2 workers', () => {
    writeFileSync(join(dir, 'tl.json'), JSON.stringify(doc));
    for (const [out, w] of [['w1', '1'], ['w2', '2']] as const) {
      const r = livemig('run', 'tl.json', '--out', out, '--workers', w, '--quiet');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
    expect(read('w2', 'timeline.csv')).toBe(read('w1', 'timeline.csv'));
    const runs = parse(read('w1', 'runs.csv'), { columns: true }) as Record<string, string>[];
    const tl = parse(read('w1', 'timeline.csv'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(tl[0]!)).toEqual(['run_id', 't_s', 'duration_s', 'service_Bps', 'migration_Bps', 'phase']);
    const first = tl.filter((x) => x.run_id === runs[0]!.run_id);
    expect(first.map((x) => [x.phase, Number(x.service_Bps), Number(x.migration_Bps)])).toEqual([
      ['precopy', 93.75e6, 31.25e6],
      ['redirect', 0, 0],
    ]);
    expect(Number(first[0]!.duration_s)).toBeCloseTo(104857600 / 31.25e6, 9);
    expect(Number(first[1]!.duration_s)).toBeCloseTo(0.005, 12);
    // Service lost: 125 MB/s over the whole migration minus what it sent.
    const total = 104857600 / 31.25e6 + 0.005;
    expect(Number(runs[0]!.service_bytes_lost)).toBeCloseTo(125e6 * total - 93.75e6 * (total - 0.005), 0);
    // 500 Mbit/s = 62.5 MB/s: exactly the fair half of the NIC, the service keeps the other half.
    const second = tl.filter((x) => x.run_id === runs[1]!.run_id);
    expect(Number(second[0]!.service_Bps)).toBeCloseTo(62.5e6, 3);
  });

  it('is not written unless asked for', () => {
    writeFileSync(join(dir, 'no.json'), JSON.stringify({ ...doc, name: 'no', timeline: false }));
    expect(livemig('run', 'no.json', '--out', 'no', '--workers', '1', '--quiet').status).toBe(0);
    expect(existsSync(join(dir, 'no', 'timeline.csv'))).toBe(false);
    expect(existsSync(join(dir, 'no', 'runs.csv'))).toBe(true);
  });
});
