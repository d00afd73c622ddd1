import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseSvgIds, paretoConfigs, renderSvg, scatterSpec, scenarioColumns, spansDecades, summariseRuns, writeReports } from './index.js';

/**
 * A sweep of bandwidth (1 MB/s … 1 GB/s, three decades) × two policies, two replications each.
 * The stop-and-copy config at 1e9 has a failed run, so it is not eligible for the Pareto front.
 */
const HEADER =
  'run_id,config_id,replication,seed,network_bandwidth_Bps,workload_rate_Bps,strategy,stop,status,stop_reason,downtime_s,total_time_s,bytes_sent,converged';
const ROWS: string[] = [];
let runId = 0;
const configs = [
  // id, bandwidth, strategy, stop, [downtime, total, bytes] per replication, status of replication 1
  ['p6', '1e6', 'precopy', 'xen', [[0.5, 1200, 3.0e9], [0.7, 1300, 3.2e9]], 'completed'],
  ['s6', '1e6', 'stop-and-copy', 'none', [[1000, 1000, 1.0e9], [1000, 1000, 1.0e9]], 'completed'],
  ['p9', '1e9', 'precopy', 'xen', [[0.001, 1.2, 1.5e9], [0.003, 1.4, 1.7e9]], 'completed'],
  ['s9', '1e9', 'stop-and-copy', 'none', [[1, 1, 1.0e9], [1, 1, 1.0e9]], 'failed'],
  ['p7', '1e7', 'precopy', 'xen', [[0.05, 120, 3.0e9], [0.07, 130, 3.4e9]], 'completed'],
] as const;
for (const rep of [0, 1]) {
  for (const [id, bw, strategy, stop, values, status1] of configs) {
    const [downtime, total, bytes] = values[rep]!;
    const status = rep === 1 ? status1 : 'completed';
    ROWS.push(
      [`r${runId++}`, id, rep, 100 + rep, bw, '1e6', strategy, stop, status, 'test', downtime, total, bytes, rep === 0].join(','),
    );
  }
}
const RUNS_CSV = [HEADER, ...ROWS].join('\n') + '\n';

const OPTS = {
  paramColumns: ['network_bandwidth_Bps', 'workload_rate_Bps'],
  labelColumns: ['strategy', 'stop'],
  metricColumns: ['downtime_s', 'total_time_s', 'bytes_sent', 'converged'],
};

const SVGS = [
  'downtime-vs-bytes.svg',
  'downtime-vs-total-time.svg',
  'network_bandwidth_Bps-vs-downtime_s.svg',
  'network_bandwidth_Bps-vs-total_time_s.svg',
  'network_bandwidth_Bps-vs-bytes_sent.svg',
  'workload_rate_Bps-vs-downtime_s.svg',
  'workload_rate_Bps-vs-total_time_s.svg',
  'workload_rate_Bps-vs-bytes_sent.svg',
];

/** Checks that the SVG's tags nest properly (a well-formedness smoke test, not a parser). */
function expectBalancedTags(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (closing) expect(stack.pop()).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
}

describe('writeReports', () => {
  let root: string;
  const out = () => join(root, 'a');
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'livemig-report-'));
    await writeFile(join(root, 'runs.csv'), RUNS_CSV);
    await mkdir(join(root, 'a'));
    await writeReports({ dir: join(root, 'a'), runsCsvPath: join(root, 'runs.csv'), ...OPTS });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('writes summary.csv: one row per configuration in first-appearance order', async () => {
    const rows = parse(await readFile(join(out(), 'summary.csv')), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r['config_id'])).toEqual(['p6', 's6', 'p9', 's9', 'p7']);
    const p9 = rows[2]!;
    // downtime 0.001, 0.003: mean 0.002, sd √(2·0.001²/1) = 0.001·√2, CI ± t_{.975,1}·0.001
    expect(Number(p9['downtime_s_mean'])).toBeCloseTo(0.002, 15);
    expect(Number(p9['downtime_s_sd'])).toBeCloseTo(0.001 * Math.SQRT2, 15);
    expect(Number(p9['downtime_s_ci95_high'])).toBeCloseTo(0.002 + 12.706205 * 0.001, 8);
    expect(p9['converged_mean']).toBe('0.5');
    expect([p9['n'], p9['n_completed'], rows[3]!['n_completed']]).toEqual(['2', '2', '1']);
    // stop-and-copy at 1 MB/s: identical replications → sd 0, zero-width CI
    expect([rows[1]!['downtime_s_sd'], rows[1]!['downtime_s_ci95_low'], rows[1]!['downtime_s_ci95_high']]).toEqual(['0', '1000', '1000']);
  });

  it('writes pareto.csv: per scenario (bandwidth, rate), the undominated fully-completed configurations, by downtime', async () => {
    const rows = parse(await readFile(join(out(), 'pareto.csv')), { columns: true }) as Record<string, string>[];
    // Means (downtime, bytes, total): p6 (0.6, 3.1e9, 1250), s6 (1000, 1e9, 1000),
    // p9 (0.002, 1.6e9, 1.3), s9 (1, 1e9, 1), p7 (0.06, 3.2e9, 125).
    // Scenario 1e6: p6 has less downtime, s6 fewer bytes → both. Scenario 1e9: s9 has a failed
    // run, so p9 alone. Scenario 1e7: p7 alone. Fronts in order of first appearance.
    expect(rows.map((r) => r['config_id'])).toEqual(['p6', 's6', 'p9', 'p7']);
    expect(Object.keys(rows[0]!)).toEqual([
      'config_id',
      'network_bandwidth_Bps',
      'workload_rate_Bps',
      'strategy',
      'stop',
      'n',
      'downtime_s_mean',
      'bytes_sent_mean',
      'total_time_s_mean',
    ]);
    expect(rows[1]).toMatchObject({ network_bandwidth_Bps: '1e6', strategy: 'stop-and-copy', downtime_s_mean: '1000', bytes_sent_mean: '1000000000' });
  });

  it('one front over everything when every configuration is one scenario', async () => {
    const summaries = await summariseRuns(join(root, 'runs.csv'), OPTS);
    // p9 dominates p6 and p7; s6 has the fewest bytes of the eligible ones; s9 would dominate
    // s6 but has a failed run.
    expect(paretoConfigs(summaries, OPTS.metricColumns).map((s) => s.configId)).toEqual(['p9', 's6']);
    expect(scenarioColumns({ paramColumns: ['network_bandwidth_Bps', 'strategy_options_rounds', 'stop_any_0_options_limit_s', 'strategy_spec'], labelColumns: ['strategy', 'stop', 'workload'] })).toEqual({
      params: ['network_bandwidth_Bps'],
      labels: ['workload'],
    });
  });

  it('writes the SVG plots with axis titles and units', async () => {
    const files = await readdir(out());
    expect(files.sort()).toEqual(['pareto.csv', 'summary.csv', ...SVGS].sort());
    for (const file of SVGS) {
      const svg = await readFile(join(out(), file), 'utf8');
      expect(svg.startsWith('<svg'), file).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>'), file).toBe(true);
      expectBalancedTags(svg);
    }
    const byBytes = await readFile(join(out(), 'downtime-vs-bytes.svg'), 'utf8');
    expect(byBytes).toContain('>downtime (s)<');
    expect(byBytes).toContain('>bytes sent (B)<');
    expect(byBytes).toContain('>stop-and-copy<'); // colour legend: strategy
    expect(byBytes).toContain('>xen<'); // shape legend: stop
    expect(await readFile(join(out(), 'downtime-vs-total-time.svg'), 'utf8')).toContain('>total migration time (s)<');
    const line = await readFile(join(out(), 'network_bandwidth_Bps-vs-bytes_sent.svg'), 'utf8');
    expect(line).toContain('>network bandwidth (B/s)<');
    expect(line).toContain('>bytes sent (B)<');
    expect(line).toContain('>precopy · xen<'); // colour = label combination
  });

  it('is deterministic: a second call writes the same bytes', async () => {
    const again = join(root, 'b');
    await mkdir(again);
    await writeReports({ dir: again, runsCsvPath: join(root, 'runs.csv'), ...OPTS });
    for (const file of ['summary.csv', 'pareto.csv', ...SVGS]) {
      expect((await readFile(join(again, file))).equals(await readFile(join(out(), file))), file).toBe(true);
    }
  });
});

describe('writeReports on edge cases', () => {
  it('writes header-only CSVs and empty plots for a runs.csv without runs, and needs no labels', async () => {
    const root = await mkdtemp(join(tmpdir(), 'livemig-report-empty-'));
    try {
      await writeFile(join(root, 'runs.csv'), HEADER + '\n');
      await writeReports({ dir: root, runsCsvPath: join(root, 'runs.csv'), ...OPTS, labelColumns: [] });
      expect(await readFile(join(root, 'summary.csv'), 'utf8')).toMatch(/^config_id,network_bandwidth_Bps,workload_rate_Bps,n,n_completed,downtime_s_mean,/);
      expect((await readFile(join(root, 'summary.csv'), 'utf8')).trim().split('\n')).toHaveLength(1);
      expect((await readFile(join(root, 'pareto.csv'), 'utf8')).trim()).toBe(
        'config_id,network_bandwidth_Bps,workload_rate_Bps,n,downtime_s_mean,bytes_sent_mean,total_time_s_mean',
      );
      for (const file of SVGS) expect((await readFile(join(root, file), 'utf8')).startsWith('<svg'), file).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('plots', () => {
  it('uses a log scale where the data spans two decades or more', async () => {
    expect(spansDecades([1, 99])).toBe(false);
    expect(spansDecades([1, 100])).toBe(true);
    expect(spansDecades([0, 1000])).toBe(false); // log needs positive values
    expect(spansDecades([])).toBe(false);
    const root = await mkdtemp(join(tmpdir(), 'livemig-plots-'));
    try {
      await writeFile(join(root, 'runs.csv'), RUNS_CSV);
      const summaries = await summariseRuns(join(root, 'runs.csv'), OPTS);
      const spec = scatterSpec(summaries, 'bytes_sent', 'downtime_s', OPTS.labelColumns) as {
        encoding: Record<string, { scale?: { type: string } }>;
      };
      expect(spec.encoding['x']?.scale?.type).toBe('linear'); // bytes 1e9 … 3.2e9
      expect(spec.encoding['y']?.scale?.type).toBe('log'); // downtime 0.002 … 1000
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('renumbers vega clip-path ids so earlier renders do not change the bytes', async () => {
    const spec = {
      data: { values: [{ x: 1, y: 1 }, { x: 2, y: 4 }] },
      mark: { type: 'line', clip: true },
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
    } as const;
    const first = await renderSvg(spec);
    const second = await renderSvg(spec); // vega's global clip counter has moved on
    expect(second).toBe(first);
    expect(first).toMatch(/id="d0"/);
    expect(first).toMatch(/clip-path="url\(#d0\)"/);
  });

  it('normaliseSvgIds renames ids and their references by first appearance', () => {
    expect(normaliseSvgIds('<svg><clipPath id="clip7"/><g clip-path="url(#clip7)"/><use href="#g_3"/><x id="g_3"/></svg>')).toBe(
      '<svg><clipPath id="d0"/><g clip-path="url(#d0)"/><use href="#d1"/><x id="d1"/></svg>',
    );
  });
});
