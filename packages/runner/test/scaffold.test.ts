// `livemig new plugin`: the files of each kind, the package.json a plugin needs, and the CLI verb
// (built dist/cli.js, run `npm run build` first); and, as a user does it in a folder outside the
// repository, the printed next steps run as printed (npm install from the vendored livemig
// packages, third-party ones from the npm cache or registry), then the plugin in an experiment.
// Building a scaffold inside a project of packed livemig packages is in packages/testkit/test/pack-e2e.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scaffoldPlugin, shortName } from '../src/scaffold/index.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/livemig.js', import.meta.url));
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

  it('outside the repository, the printed next steps work as printed, and the plugin runs in an experiment', () => {
    const home = mkdtempSync(join(tmpdir(), 'livemig-outside-'));
    const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_prefer_offline: 'true', npm_config_loglevel: 'error', NO_COLOR: '1', FORCE_COLOR: '0' };
    const made = spawnSync(process.execPath, [BIN, 'new', 'plugin', 'livemig-strategy-mine'], { cwd: home, encoding: 'utf8', env });
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);
    expect(made.stdout).toMatch(/the livemig packages are not on the npm registry: @livemig\/core, .*@livemig\/testkit.* packed from .* into vendor\//);
    const next = /^next: (.*)$/m.exec(made.stdout)?.[1];
    expect(next).toBe(`cd ${join(home, 'livemig-strategy-mine')} && npm install && npm test && npm run build`);
    const steps = spawnSync('sh', ['-c', next!], { cwd: home, encoding: 'utf8', env });
    expect(steps.status, steps.stdout + steps.stderr).toBe(0);
    expect(steps.stdout).toMatch(/Tests\s+\d+ passed/);
    const dir = join(home, 'livemig-strategy-mine');
    expect(existsSync(join(dir, 'dist/index.js'))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.devDependencies['@livemig/core']).toBe(`file:vendor/livemig-core-${coreVersion}.tgz`);
    expect(pkg.peerDependencies['@livemig/core']).toBe(`^${coreVersion}`);
    writeFileSync(
      join(home, 'mine.json'),
      JSON.stringify({ name: 'mine', scenario: { vm: { memory: '64 MiB' }, network: { bandwidth: '1 Gbit/s' } }, workload: 'uniform', strategy: { use: './livemig-strategy-mine/dist/index.js', options: { rounds: 2 } }, stop: { use: 'max-rounds', options: { rounds: 30 } } }),
    );
    const run = spawnSync(process.execPath, [BIN, 'run', 'mine.json', '--out', 'out', '--quiet'], { cwd: home, encoding: 'utf8', env });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const [, row] = readFileSync(join(home, 'out', 'runs.csv'), 'utf8').trim().split('\n');
    expect(row).toMatch(/,completed,/);
  }, 300_000);
});
