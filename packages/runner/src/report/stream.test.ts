// The reports are written one configuration at a time: the Pareto fronts and summary.csv must
// not depend on whether a scenario's configurations come together (policies swept last) or are
// interleaved with other scenarios' (then pareto.csv takes a second pass over runs.csv).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from './index.js';

const HEADER = ['run_id', 'config_id', 'replication', 'seed', 'network_bandwidth_Bps', 'strategy', 'status', 'downtime_s', 'total_time_s', 'bytes_sent'];
const OPTS = { paramColumns: ['network_bandwidth_Bps'], labelColumns: ['strategy'], metricColumns: ['downtime_s', 'total_time_s', 'bytes_sent'] };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'livemig-stream-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The front by its definition: the configurations no other one of the scenario dominates. */
function frontByDefinition(configs: ReadonlyArray<{ id: string; scenario: number; p: number[] }>): Set<string> {
  const dominated = (a: number[], b: number[]) => a.every((x, k) => x <= b[k]!) && a.some((x, k) => x < b[k]!);
  return new Set(configs.filter((c) => !configs.some((d) => d.scenario === c.scenario && dominated(d.p, c.p))).map((c) => c.id));
}

const config = fc.record({ scenario: fc.integer({ min: 0, max: 3 }), p: fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })) });

describe('streamed reports', () => {
  it('give each scenario the front of its definition, in any order of the configurations', async () => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(config, { minLength: 1, maxLength: 14 }), fc.boolean(), async (raw, grouped) => {
        const configs = raw.map((c, i) => ({ id: `c${i}`, scenario: c.scenario, p: [...c.p] }));
        const order = grouped ? [...configs].sort((a, b) => a.scenario - b.scenario) : configs;
        const rows = order.map((c, i) => [`r${i}`, c.id, '0', '1', String(1e6 * (c.scenario + 1)), 'precopy', 'completed', ...c.p.map(String)].join(','));
        const sub = join(dir, `case-${k++}`);
        await import('node:fs/promises').then((fs) => fs.mkdir(sub));
        const runs = join(sub, 'runs.csv');
        await writeFile(runs, [HEADER.join(','), ...rows].join('\n') + '\n');
        await writeReports({ dir: sub, runsCsvPath: runs, ...OPTS });
        const pareto = parse(await readFile(join(sub, 'pareto.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
        expect(new Set(pareto.map((r) => r.config_id))).toEqual(frontByDefinition(configs));
        // Every configuration once in summary.csv, in order of appearance.
        const summary = parse(await readFile(join(sub, 'summary.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
        expect(summary.map((r) => r.config_id)).toEqual(order.map((c) => c.id));
      }),
      { numRuns: 60 },
    );
  });
});
