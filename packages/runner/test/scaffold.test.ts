// `livemig new plugin`: the files of each kind, the package.json a plugin needs, and the CLI verb
// (built dist/cli.js, run `npm run build` first). Building and testing a scaffold against packed
// livemig packages is in packages/testkit/test/pack-e2e.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scaffoldPlugin, shortName } from '../src/scaffold/index.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'livemig-scaffold-'));
const coreVersion = (JSON.parse(readFileSync(fileURLToPath(new URL('../../core/package.json', import.meta.url)), 'utf8')) as { version: string }).version;

describe('livemig new plugin', () => {
  it.each([
    ['strategy', 'defineStrategy', 'strategyConformance(plugin, { fullCopy: true });'],
    ['stop-condition', 'defineStopCondition', 'stopConditionConformance(plugin);'],
    ['workload', 'defineWorkload', 'workloadConformance(plugin);'],
  ] as const)('%s: package.json with a peer dependency on @livemig/core, a %s skeleton with zod options, a one-line testkit test', (kind, define, call) => {
    const r = scaffoldPlugin(`@lab/livemig-${kind}-mine`, { kind, parent: dir });
    expect(r.dir).toBe(join(dir, `livemig-${kind}-mine`));
    expect(r.pluginName).toBe('mine');
    expect(readdirSync(r.dir).sort()).toEqual(['.gitignore', 'README.md', 'package.json', 'src', 'tsconfig.json', 'tsup.config.ts', 'vitest.config.ts']);
    expect(readdirSync(join(r.dir, 'src')).sort()).toEqual(['index.test.ts', 'index.ts']);
    const pkg = JSON.parse(readFileSync(join(r.dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: `@lab/livemig-${kind}-mine`,
      type: 'module',
      keywords: expect.arrayContaining(['livemig-plugin', `livemig-${kind}`]),
      engines: { node: '>=20' },
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      peerDependencies: { '@livemig/core': `^${coreVersion}` },
      devDependencies: { '@livemig/core': `^${coreVersion}`, '@livemig/testkit': `^${coreVersion}` },
      scripts: { build: 'tsup', test: 'vitest run' },
    });
    expect(pkg.dependencies?.['@livemig/core']).toBeUndefined();
    const src = readFileSync(join(r.dir, 'src/index.ts'), 'utf8');
    expect(src).toContain(`import { ${define}`);
    expect(src).toContain(`name: 'mine'`);
    expect(src).toMatch(/export const options = z\s*\.object\(/);
    expect(src).toContain('export default mine;');
    const test = readFileSync(join(r.dir, 'src/index.test.ts'), 'utf8').trim().split('\n');
    expect(test.at(-1)).toBe(call);
    expect(readFileSync(join(r.dir, 'README.md'), 'utf8')).toContain(`"use": "@lab/livemig-${kind}-mine"`);
  });

  it('short names drop the scope and the livemig-<kind>- prefix', () => {
    expect(shortName('livemig-strategy-eager', 'strategy')).toBe('eager');
    expect(shortName('livemig-plugin-example', 'strategy')).toBe('example');
    expect(shortName('@x/fast-stop', 'stop-condition')).toBe('fast-stop');
  });

  it('the CLI verb writes the package and refuses a bad name or a non-empty directory (exit 2)', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'new', 'plugin', ...args], { cwd: dir, encoding: 'utf8' });
    const ok = run('livemig-workload-cli', '--kind', 'workload', '--dir', 'sub');
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("created workload plugin 'cli'");
    expect(readFileSync(join(dir, 'sub/livemig-workload-cli/src/index.ts'), 'utf8')).toContain('defineWorkload');
    const again = run('livemig-workload-cli', '--dir', 'sub');
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/exists and is not empty/);
    const bad = run('Not_A_Name');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/'Not_A_Name' is not a valid npm package name/);
    const kind = run('x', '--kind', 'trigger');
    expect(kind.status).toBe(2);
    expect(kind.stderr).toMatch(/Allowed choices are strategy, stop-condition, workload/);
  });
});
