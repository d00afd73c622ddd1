// Experiments written as modules: `export default defineExperiment({...})` in an .mjs file run
// like their JSON twin (same rows byte for byte); a module without a default export or a .ts
// file on Node 20 is refused with exit 2 and a message that says what to do.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(root, 'packages/runner/dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'livemig-module-'));
symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
const livemig = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });

const experiment = {
  name: 'module-exp',
  seed: 7,
  replications: 1,
  scenario: { vm: { memory: '256 MiB' }, network: { bandwidth: '1 Gbit/s', latency: '0.1 ms' } },
  workload: { use: 'uniform', options: { rate: '20 MiB/s' } },
  strategy: 'precopy',
  stop: 'xen',
  sweep: { params: { 'scenario.network.bandwidth': ['1 Gbit/s', '10 Gbit/s'] } },
};

describe('experiment modules', () => {
  it('an .mjs module exporting defineExperiment(...) gives the same runs.csv as the JSON file', () => {
    writeFileSync(join(dir, 'exp.json'), JSON.stringify(experiment));
    writeFileSync(join(dir, 'exp.mjs'), `import { defineExperiment } from '@livemig/runner';\nexport default defineExperiment(${JSON.stringify(experiment)});\n`);
    const a = livemig('run', 'exp.json', '--out', 'from-json', '--quiet');
    const b = livemig('run', 'exp.mjs', '--out', 'from-module', '--quiet');
    expect([a.status, a.stderr, b.status, b.stderr]).toEqual([0, '', 0, '']);
    const rows = readFileSync(join(dir, 'from-json', 'runs.csv'), 'utf8');
    expect(rows.trim().split('\n')).toHaveLength(1 + 2);
    expect(readFileSync(join(dir, 'from-module', 'runs.csv'), 'utf8')).toBe(rows);
  });

  it('refuses a module without a default export, and TypeScript without a loader', () => {
    writeFileSync(join(dir, 'none.mjs'), 'export const x = 1;\n');
    const r = livemig('run', 'none.mjs', '--out', 'none', '--quiet');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/none\.mjs: the module has no default export: export default defineExperiment/);
    expect(existsSync(join(dir, 'none'))).toBe(false);
    writeFileSync(join(dir, 'exp.ts'), 'export default {};\n');
    const t = livemig('run', 'exp.ts', '--out', 'ts', '--quiet');
    expect(t.status).toBe(2);
    expect(t.stderr).toMatch(/exp\.ts: cannot import the experiment module: .*compile the file to \.mjs/);
  });
});
