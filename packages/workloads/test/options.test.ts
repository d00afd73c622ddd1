/** Bad options give errors that name the field; good ones parse units. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, resolveOptions, type WorkloadPlugin } from '@livemig/core';
import { workloads } from '../src/index.js';
import { make } from './test-util.js';

const ctx = (pageCount: number) => ({ pageCount, pageSize_bytes: 4096, rng: createRng(1) });
const build = (use: keyof typeof workloads, options: unknown, pageCount = 1000) => {
  const plugin: WorkloadPlugin = workloads[use];
  return plugin.create(resolveOptions(plugin, options, 'workload.options') as never, ctx(pageCount));
};

describe('option errors name the field', () => {
  it.each(['uniform', 'hot-cold', 'zipf', 'sequential', 'simgrid', 'trace'] as const)('%s: working set larger than memory', (use) => {
    const extra = use === 'trace' ? { dirtyPages: [1] } : { rate: 10 };
    expect(() => build(use, { ...extra, workingSet: '1 GiB' }, 1000)).toThrow(/workingSet: the working set \(262144 pages\) is larger than the VM's memory \(1000 pages\)/);
  });

  it.each(['uniform', 'hot-cold', 'zipf', 'sequential'] as const)('%s: negative rate', (use) => {
    expect(() => build(use, { rate: -5 })).toThrow(/workload\.options\.rate: expected a write rate like '20000 pages\/s' or '200 MiB\/s' \(>= 0\), got -5/);
    expect(() => build(use, { rate: '-5 MiB/s' })).toThrow(/workload\.options\.rate: .*got '-5 MiB\/s'/);
  });

  it.each(Object.keys(workloads) as (keyof typeof workloads)[])('%s: unknown option', (use) => {
    expect(() => build(use, { rat: 5 })).toThrow(/workload\.options: .*"rat"/);
  });

  it('offset + working set beyond memory names offset', () => {
    expect(() => build('uniform', { workingSetFraction: 0.5, offset: 600 })).toThrow(/^offset: offset \+ workingSet \(600 \+ 500 = 1100 pages\) exceeds/);
  });

  it('workingSet and workingSetFraction together', () => {
    expect(() => build('zipf', { workingSet: '1 MiB', workingSetFraction: 0.5 })).toThrow(/workingSet: give either workingSet or workingSetFraction/);
  });

  it('a working set that is not a size', () => {
    expect(() => build('uniform', { workingSet: '3 s' })).toThrow(/workload\.options\.workingSet: expected a size like '4 GiB', got '3 s'/);
  });

  it('sequential: rate and intensity together, or neither', () => {
    expect(() => build('sequential', { rate: 5, intensity: 1, migrationSpeed: '1 Gbit/s' })).toThrow(/^rate: give either rate, or intensity and migrationSpeed, not both/);
    expect(() => build('sequential', { intensity: 1 })).toThrow(/^migrationSpeed: give either rate/);
  });

  it('phased: errors inside a phase carry the phase path; unknown workloads are listed', () => {
    const phase = (workload: unknown) => ({ phases: [{ duration: '1 s', workload: { use: 'idle' } }, { duration: '2 s', workload }] });
    expect(() => build('phased', phase({ use: 'uniform', options: { rate: -1 } }))).toThrow(/workload\.options\.phases\.1\.workload\.options\.rate: expected a write rate/);
    expect(() => build('phased', phase({ use: 'unifrom' }))).toThrow(/workload\.options\.phases\.1\.workload\.use: unknown workload 'unifrom'; expected one of idle, uniform, hot-cold, zipf/);
    expect(() => build('phased', { phases: [{ duration: '0 s', workload: { use: 'idle' } }] })).toThrow(/workload\.options\.phases\.0\.duration: must be > 0/);
    expect(() => build('phased', { phases: [] })).toThrow(/workload\.options\.phases/);
  });

  it('trace: exactly one source; counts within the working set', () => {
    expect(() => build('trace', {})).toThrow(/workload\.options\.dirtyPages: give exactly one of dirtyPages or file/);
    expect(() => build('trace', { dirtyPages: [1], file: 'x.csv' })).toThrow(/give exactly one of dirtyPages or file/);
    expect(() => build('trace', { dirtyPages: [1, 2000] })).toThrow(/^dirtyPages\.1: 2000 dirty pages exceed the working set \(1000 pages\)/);
    expect(() => build('trace', { dirtyPages: [1.5] })).toThrow(/workload\.options\.dirtyPages\.0/);
  });
});

describe('trace files (CSV)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'livemig-trace-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('reads the counts column, with comments and other columns', () => {
    const p = file('ok.csv', '# QEMU dirty-rate samples\ntime_s,dirty_pages\n0,100\n1,250\n2,0\n');
    const w = build('trace', { file: p, interval: '1 s' });
    expect([w.writeRate(0.5), w.writeRate(1.5), w.writeRate(2.5), w.writeRate(3.5)]).toEqual([100, 250, 0, 100]);
    const q = file('other.csv', 'pages\n7\n');
    expect(build('trace', { file: q, column: 'pages' }).writeRate(0)).toBe(7);
  });

  it('names the file, line and column of bad data', () => {
    expect(() => build('trace', { file: file('bad.csv', 'dirty_pages\n10\n-3\n') })).toThrow(/file: '.*bad\.csv' line 3, column 'dirty_pages': expected a whole number of pages >= 0, got '-3'/);
    expect(() => build('trace', { file: file('col.csv', 'pages\n10\n') })).toThrow(/column: '.*col\.csv' has no column 'dirty_pages' \(columns: pages\); set the column option/);
    expect(() => build('trace', { file: join(dir, 'missing.csv') })).toThrow(/file: cannot read trace '.*missing\.csv'/);
    expect(() => build('trace', { file: file('empty.csv', 'dirty_pages\n') })).toThrow(/file: '.*empty\.csv' has no data rows/);
  });
});

describe('units', () => {
  it('rates in bytes are converted with the page size; working sets in bytes', () => {
    const w = build('uniform', { rate: '4 MiB/s', workingSet: '2 MiB' }, 1000);
    expect(w.writeRate(0)).toBe(1024);
    // 512 pages: 1024 writes/s for 1 s → 512·(1 − (1 − 1/512)^1024)
    expect(w.expectedDistinct(0, 1)).toBeCloseTo(512 * (1 - (1 - 1 / 512) ** 1024), 9);
    expect(make('simgrid', { intensity: 0.5, migrationSpeed: '1 Gbit/s' }, 1 << 20, 1).writeRate(0)).toBeCloseTo((0.5 * 125e6) / 4096, 9);
  });
});
