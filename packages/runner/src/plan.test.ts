// buildPlan resolves first-party plugins through their package exports: run `npm run build` first.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed } from '@livemig/core';
import { buildPlan, headerOf, METRIC_COLUMNS } from './plan.js';
import { compileConfig, loadPlugins, runOnce } from './simulate.js';

const dir = mkdtempSync(join(tmpdir(), 'livemig-plan-'));
const write = (name: string, doc: object): string => {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(doc));
  return f;
};
const base = {
  name: 'p',
  seed: 5,
  replications: 2,
  scenario: { vm: { memory: '64 MiB' }, network: { bandwidth: '1 Gbit/s' } },
  workload: { use: 'hot-cold', options: { rate: '10 MiB/s' } },
  strategy: 'precopy',
};

describe('buildPlan', () => {
  it('gives stable ids: the same file twice, equal units, and ids that change with the seed and replication', async () => {
    const a = await buildPlan(write('a.json', { ...base, sweep: { params: { 'scenario.network.bandwidth': ['1 Gbit/s', '10 Gbit/s'] } } }));
    const again = await buildPlan(write('a2.json', { ...base, sweep: { params: { 'scenario.network.bandwidth': ['1 Gbit/s', '10 Gbit/s'] } } }));
    const units = await buildPlan(write('b.json', { ...base, sweep: { params: { 'scenario.network.bandwidth': ['125 MB/s', '1.25 GB/s'] } } }));
    expect(a.runs.map((r) => r.runId)).toEqual(again.runs.map((r) => r.runId));
    expect(units.runs.map((r) => r.runId)).toEqual(a.runs.map((r) => r.runId));
    expect(a.runs).toHaveLength(4);
    expect(new Set(a.runs.map((r) => r.runId)).size).toBe(4);
    expect(a.runs[0]!.configIndex).toBe(a.runs[1]!.configIndex);
    expect(a.configMeta[0]!.configId).not.toBe(a.configMeta[1]!.configId);
    const reseeded = await buildPlan(write('a3.json', { ...base, sweep: { params: { 'scenario.network.bandwidth': ['1 Gbit/s', '10 Gbit/s'] } } }), { seed: 6 });
    expect(reseeded.runs.map((r) => r.runId)).not.toEqual(a.runs.map((r) => r.runId));
    expect(a.paramColumns).toEqual(['network_bandwidth_Bps']);
    expect(a.configMeta.map((m) => m.cells[0])).toEqual(['125000000', '1250000000']);
    expect(headerOf(a)).toEqual(['run_id', 'config_id', 'replication', 'seed', 'network_bandwidth_Bps', 'strategy', 'stop', 'workload', ...METRIC_COLUMNS]);
  });

  it('gives every strategy and stop condition the same seeds (common random numbers)', async () => {
    const p = await buildPlan(write('crn.json', { ...base, sweep: { params: { strategy: ['precopy', 'stop-and-copy'], stop: ['xen', 'qemu'] } } }));
    expect(p.runs).toHaveLength(8);
    const seeds = (rep: number) => new Set(p.runs.filter((r) => r.replication === rep).map((r) => r.seed));
    expect(seeds(0).size).toBe(1);
    expect(seeds(1).size).toBe(1);
    expect([...seeds(0)][0]).not.toBe([...seeds(1)][0]);
    expect(p.configMeta.map((m) => m.cells.join('|'))).toEqual(['precopy|xen|hot-cold', 'precopy|qemu|hot-cold', 'stop-and-copy|xen|hot-cold', 'stop-and-copy|qemu|hot-cold']);
  });

  it('refuses a sweep that repeats a configuration under another unit', async () => {
    await expect(buildPlan(write('dup.json', { ...base, sweep: { params: { 'scenario.vm.memory': ['64 MiB', '65536 KiB'] } } }))).rejects.toThrow(/same configuration twice/);
  });

  it('runs a planned configuration the same way twice (a row is a function of config and seed)', async () => {
    const p = await buildPlan(write('run.json', { ...base, fidelity: 'page-exact' }));
    const plugins = await loadPlugins(p.refs);
    const f = compileConfig(p.configs[0]!, plugins);
    const r = p.runs[0]!;
    const m1 = runOnce(p.configs[0]!, f, r.seed, r.replication);
    const m2 = runOnce(p.configs[0]!, compileConfig(p.configs[0]!, plugins), r.seed, r.replication);
    expect(m1).toEqual(m2);
    expect(m1.status).toBe('completed');
    expect(m1.image_mismatch_pages).toBe(0);
    expect(Object.keys(m1).sort()).toEqual([...METRIC_COLUMNS].sort());
    expect(createRng(deriveSeed(1)).next()).toBeTypeOf('number');
  });
});
