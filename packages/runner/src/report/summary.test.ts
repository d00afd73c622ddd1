import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describe as describeValues, parseMetricCell, summariseRuns, summaryHeader, summaryRow, tCritical95 } from './summary.js';

// Student-t quantiles t_{0.975, df} from printed tables.
const T_975 = { 1: 12.706205, 2: 4.302653, 4: 2.776445, 30: 2.042272 } as const;

const COLUMNS = {
  paramColumns: ['network_bandwidth_Bps', 'workload_rate_Bps'],
  labelColumns: ['strategy', 'stop'],
  metricColumns: ['downtime_s', 'total_time_s', 'bytes_sent', 'converged'],
};

// Three configurations, interleaved: a (3 runs), b (1 run), c (2 runs, one failed with empty cells).
const RUNS_CSV = `run_id,config_id,replication,seed,network_bandwidth_Bps,workload_rate_Bps,strategy,stop,status,stop_reason,downtime_s,total_time_s,bytes_sent,converged
r1,a,0,11,1000000,1000,precopy,xen,completed,dirty below 50 pages,1,10,10,true
r2,b,0,12,1e8,1000,stop-and-copy,none,completed,,0.5,5,100,true
r3,a,1,13,1000000,1000,precopy,xen,completed,"rounds, max 29",2,12,20,false
r4,c,0,14,1e8,2000,precopy,qemu,failed,"no room at ""dest""",,,7,
r5,a,2,15,1000000,1000,precopy,xen,completed,dirty below 50 pages,3,14,60,true
r6,c,1,16,1e8,2000,precopy,qemu,completed,downtime limit,4,8,3,false
`;

describe('tCritical95', () => {
  it('matches printed t tables', () => {
    for (const [df, t] of Object.entries(T_975)) expect(tCritical95(Number(df))).toBeCloseTo(t, 5);
    // → the normal quantile 1.959964 as df grows
    expect(tCritical95(1e7)).toBeCloseTo(1.959964, 5);
  });
});

describe('parseMetricCell', () => {
  it('reads numbers, booleans as 0/1 and empty cells as missing', () => {
    expect(parseMetricCell('1.5e9', 'bytes_sent', 2)).toBe(1.5e9);
    expect(parseMetricCell(' 42 ', 'rounds', 2)).toBe(42);
    expect(parseMetricCell('true', 'converged', 2)).toBe(1);
    expect(parseMetricCell('FALSE', 'converged', 2)).toBe(0);
    expect(parseMetricCell('', 'downtime_s', 2)).toBeUndefined();
    expect(parseMetricCell('null', 'image_mismatch_pages', 2)).toBeUndefined();
    expect(parseMetricCell(undefined, 'downtime_s', 2)).toBeUndefined();
  });
  it('rejects text that is not a number, naming line and column', () => {
    expect(() => parseMetricCell('fast', 'downtime_s', 7)).toThrow(/line 7.*downtime_s.*'fast'/);
  });
});

describe('describe (statistics of one metric)', () => {
  it('is empty for no values and has no sd/CI for one value', () => {
    expect(describeValues([])).toEqual({ count: 0 });
    expect(describeValues([3])).toEqual({ count: 1, mean: 3, min: 3, max: 3 });
  });
  it('gives a zero-width interval for constant values', () => {
    expect(describeValues([2, 2, 2])).toEqual({ count: 3, mean: 2, sd: 0, ci95Low: 2, ci95High: 2, min: 2, max: 2 });
  });
});

describe('summariseRuns on a hand-made runs.csv', () => {
  let dir: string;
  let runs: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'livemig-summary-'));
    runs = join(dir, 'runs.csv');
    await writeFile(runs, RUNS_CSV);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('groups by configuration in order of first appearance, counting runs and completed runs', async () => {
    const s = await summariseRuns(runs, COLUMNS);
    expect(s.map((c) => [c.configId, c.n, c.nCompleted])).toEqual([
      ['a', 3, 3],
      ['b', 1, 1],
      ['c', 2, 1],
    ]);
    // parameter cells are copied verbatim from the first run
    expect(s[0]?.params).toEqual({ network_bandwidth_Bps: '1000000', workload_rate_Bps: '1000' });
    expect(s[2]?.labels).toEqual({ strategy: 'precopy', stop: 'qemu' });
  });

  it('computes mean, sample sd, t-interval, min and max as by hand', async () => {
    const [a, b, c] = await summariseRuns(runs, COLUMNS);
    // a, downtime 1, 2, 3: mean 2, sd √((1+0+1)/2) = 1, CI 2 ± t_{.975,2}·1/√3
    const half = T_975[2] / Math.sqrt(3);
    const dt = a?.metrics['downtime_s'];
    expect(dt?.mean).toBe(2);
    expect(dt?.sd).toBe(1);
    expect(dt?.ci95Low).toBeCloseTo(2 - half, 5);
    expect(dt?.ci95High).toBeCloseTo(2 + half, 5);
    expect([dt?.min, dt?.max]).toEqual([1, 3]);
    // a, bytes 10, 20, 60: mean 30, deviations −20, −10, 30 → sd √(1400/2) = √700
    const bytes = a?.metrics['bytes_sent'];
    expect(bytes?.mean).toBe(30);
    expect(bytes?.sd).toBeCloseTo(Math.sqrt(700), 10);
    expect(bytes?.ci95High).toBeCloseTo(30 + (T_975[2] * Math.sqrt(700)) / Math.sqrt(3), 4);
    // a, converged true/false/true: rate 2/3, sd √((2·(1/3)² + (2/3)²)/2) = √(1/3)
    expect(a?.metrics['converged']?.mean).toBeCloseTo(2 / 3, 12);
    expect(a?.metrics['converged']?.sd).toBeCloseTo(Math.sqrt(1 / 3), 12);
    // b, one run: no sd, no CI
    expect(b?.metrics['total_time_s']).toEqual({ count: 1, mean: 5, min: 5, max: 5 });
    // c: the failed run has empty downtime (one value left) but a bytes value (7 and 3)
    expect(c?.metrics['downtime_s']).toEqual({ count: 1, mean: 4, min: 4, max: 4 });
    const cb = c?.metrics['bytes_sent'];
    // mean 5, sd √((4+4)/1) = 2√2, CI 5 ± t_{.975,1}·2√2/√2 = 5 ± 2·t
    expect([cb?.count, cb?.mean, cb?.min, cb?.max]).toEqual([2, 5, 3, 7]);
    expect(cb?.sd).toBeCloseTo(2 * Math.SQRT2, 12);
    expect(cb?.ci95Low).toBeCloseTo(5 - 2 * T_975[1], 5);
    expect(cb?.ci95High).toBeCloseTo(5 + 2 * T_975[1], 5);
  });

  it('writes rows with String(x) numbers and empty cells for missing statistics', async () => {
    const [, b, c] = await summariseRuns(runs, COLUMNS);
    const header = summaryHeader(COLUMNS);
    expect(header.slice(0, 11)).toEqual([
      'config_id',
      'network_bandwidth_Bps',
      'workload_rate_Bps',
      'strategy',
      'stop',
      'n',
      'n_completed',
      'downtime_s_mean',
      'downtime_s_sd',
      'downtime_s_ci95_low',
      'downtime_s_ci95_high',
    ]);
    expect(header).toHaveLength(7 + 4 * 6);
    const rowB = Object.fromEntries(header.map((h, i) => [h, summaryRow(b!, COLUMNS)[i]]));
    expect(rowB).toMatchObject({
      config_id: 'b',
      network_bandwidth_Bps: '1e8',
      n: '1',
      n_completed: '1',
      downtime_s_mean: '0.5',
      downtime_s_sd: '',
      downtime_s_ci95_low: '',
      downtime_s_ci95_high: '',
      downtime_s_min: '0.5',
      bytes_sent_max: '100',
      converged_mean: '1',
    });
    const rowC = Object.fromEntries(header.map((h, i) => [h, summaryRow(c!, COLUMNS)[i]]));
    expect(rowC['bytes_sent_sd']).toBe(String(2 * Math.SQRT2));
    expect(rowC['converged_mean']).toBe('0');
  });

  it('rejects a runs.csv without a requested column, and a missing file', async () => {
    await expect(summariseRuns(runs, { ...COLUMNS, metricColumns: ['downtime_s', 'pages_sent'] })).rejects.toThrow(
      /lacks column\(s\): pages_sent/,
    );
    await expect(summariseRuns(join(dir, 'absent.csv'), COLUMNS)).rejects.toThrow(/ENOENT/);
  });

  it('returns no configuration for a header-only file', async () => {
    const empty = join(dir, 'empty.csv');
    await writeFile(empty, RUNS_CSV.split('\n')[0] + '\n');
    expect(await summariseRuns(empty, COLUMNS)).toEqual([]);
  });
});
