/**
 * End to end, as a user gets livemig from npm: pack the livemig packages and
 * examples/livemig-plugin-example (run `npm run build` first), install the tarballs into a fresh
 * project outside the monorepo (no workspace links; third-party dependencies from the npm cache
 * or registry), then run the installed CLI: `livemig plugins`, an experiment naming the plugin
 * by its package name, a scaffolded plugin built with tsup, and plugins that must be refused
 * (import fails, wrong export shape, options outside the schema, another plugin API).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// Every livemig package (the runner depends on most of them) and the example plugin.
const WORKSPACES = [...readdirSync(join(root, 'packages')).filter((d) => existsSync(join(root, 'packages', d, 'package.json'))).map((d) => `packages/${d}`), 'examples/livemig-plugin-example'];
const project = mkdtempSync(join(tmpdir(), 'livemig-e2e-'));

const sh = (cmd: string, args: string[], cwd = project) => spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } });
const livemig = (...args: string[]) => sh('npx', ['--no-install', 'livemig', ...args]);
const write = (rel: string, content: unknown) => {
  const f = join(project, rel);
  mkdirSync(join(f, '..'), { recursive: true });
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return f;
};
const experiment = (name: string, strategy: unknown, extra: Record<string, unknown> = {}) =>
  write(`${name}.json`, {
    name,
    seed: 1,
    // Two replications on the page-exact engine: their rows differ (the fluid engine's would not).
    replications: 2,
    fidelity: 'page-exact',
    scenario: { vm: { memory: '256 MiB' }, network: { bandwidth: '1 Gbit/s', latency: '0.1 ms' } },
    workload: { use: 'uniform', options: { rate: '20 MiB/s', workingSet: '64 MiB' } },
    strategy,
    stop: { use: 'max-rounds', options: { rounds: 30 } },
    ...extra,
  });
/** A fake installed package: package.json and an ESM index.js. */
const fakePlugin = (name: string, code: string) => {
  write(`node_modules/${name}/package.json`, { name, version: '1.0.0', type: 'module', exports: './index.js', peerDependencies: { '@livemig/core': '^0.1.0' } });
  write(`node_modules/${name}/index.js`, code);
};

beforeAll(() => {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', project, ...WORKSPACES.flatMap((w) => ['-w', w])], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })) as Array<{ name: string; filename: string }>;
  expect(packed.map((p) => p.name).sort()).toEqual(
    [...WORKSPACES.map((w) => (JSON.parse(readFileSync(join(root, w, 'package.json'), 'utf8')) as { name: string }).name)].sort(),
  );
  expect(packed.map((p) => p.name)).toEqual(expect.arrayContaining(['@livemig/core', '@livemig/runner', '@livemig/testkit', 'livemig-plugin-example']));
  const deps = Object.fromEntries(packed.map((p) => [p.name, `file:./${p.filename}`]));
  write('package.json', { name: 'livemig-e2e', private: true, type: 'module', dependencies: { ...deps, tsup: '~8.5.0', typescript: '~6.0.3' } });
  const r = sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']);
  if (r.status !== 0) throw new Error(`npm install failed:\n${r.stdout}\n${r.stderr}`);
}, 300_000);

describe('packed livemig packages in a fresh project', () => {
  it('installs real copies (no links into the monorepo), one @livemig/core', () => {
    for (const name of ['@livemig/core', '@livemig/runner', 'livemig-plugin-example']) {
      expect(lstatSync(join(project, 'node_modules', name)).isSymbolicLink()).toBe(false);
      expect(existsSync(join(project, 'node_modules', name, 'dist/index.js'))).toBe(true);
    }
    expect(existsSync(join(project, 'node_modules/@livemig/runner/node_modules/@livemig/core'))).toBe(false);
    expect(existsSync(join(project, 'node_modules/livemig-plugin-example/src/index.test.ts'))).toBe(false);
  });

  it('npx livemig plugins lists the first-party and the installed third-party plugins', () => {
    const r = livemig('plugins');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/precopy\s+\(@livemig\/strategy-precopy@0\.1\.0\)/);
    expect(r.stdout).toContain('max-rounds');
    // and the installed third-party package with the livemig-plugin keyword
    expect(r.stdout).toMatch(/livemig-plugin-example\s+\(livemig-plugin-example@0\.1\.0\)/);
  });

  it('runs an experiment naming the plugin by its package name; the CSV has its rows', () => {
    const f = experiment('example', { use: 'livemig-plugin-example', options: { rounds: 3 } }, {
      sweep: { params: { strategy: [{ use: 'livemig-plugin-example', options: { rounds: 3 } }, { use: 'precopy' }] } },
    });
    const r = livemig('run', f, '--out', 'out', '--workers', '1', '--quiet');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rows = parse(readFileSync(join(project, 'out/runs.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(4);
    const mine = rows.filter((x) => x.strategy === 'livemig-plugin-example');
    expect(mine).toHaveLength(2);
    for (const x of mine) {
      expect(x.status).toBe('completed');
      expect(x.rounds).toBe('3');
      expect(Number(x.bytes_sent)).toBeGreaterThanOrEqual(256 * 2 ** 20);
    }
    const manifest = JSON.parse(readFileSync(join(project, 'out/manifest.json'), 'utf8'));
    expect(manifest.plugins).toEqual(expect.arrayContaining([expect.objectContaining({ package: 'livemig-plugin-example', version: '0.1.0' })]));
  });

  it('livemig new plugin scaffolds a package that builds with tsup and runs in an experiment', () => {
    const made = livemig('new', 'plugin', 'livemig-strategy-scaffolded', '--dir', 'plugins');
    expect(made.status).toBe(0);
    const dir = join(project, 'plugins/livemig-strategy-scaffolded');
    const built = sh('npx', ['--no-install', 'tsup'], dir);
    expect(built.status, built.stdout + built.stderr).toBe(0);
    expect(existsSync(join(dir, 'dist/index.js'))).toBe(true);
    expect(existsSync(join(dir, 'dist/index.d.ts'))).toBe(true);
    const f = experiment('scaffolded', { use: './plugins/livemig-strategy-scaffolded/dist/index.js', options: { rounds: 2 } });
    const r = livemig('run', f, '--out', 'out-scaffolded', '--workers', '1', '--quiet');
    expect(r.stderr).toBe('');
    const rows = parse(readFileSync(join(project, 'out-scaffolded/runs.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => [x.status, x.rounds])).toEqual([['completed', '2'], ['completed', '2']]);
  });

  describe('plugins that must be refused (exit 2, nothing run)', () => {
    const refused = (name: string, strategy: unknown) => {
      const r = livemig('run', experiment(name, strategy), '--out', `out-${name}`, '--workers', '1', '--quiet');
      expect(r.status).toBe(2);
      expect(existsSync(join(project, `out-${name}`, 'runs.csv'))).toBe(false);
      return r.stderr;
    };
    it('a plugin that fails to load: the package and the import error', () => {
      fakePlugin('livemig-plugin-broken', `import { nothing } from '@livemig/core';\nthrow new Error('plugin init exploded');\n`);
      fakePlugin('livemig-plugin-throws', `throw new Error('plugin init exploded');\n`);
      expect(refused('broken', { use: 'livemig-plugin-broken' })).toMatch(/strategy 'livemig-plugin-broken': importing .*livemig-plugin-broken.*index\.js failed: .*nothing/);
      expect(refused('throws', { use: 'livemig-plugin-throws' })).toMatch(/strategy 'livemig-plugin-throws': importing .* failed: plugin init exploded/);
    });
    it('a plugin exporting the wrong shape: the package and what is wrong', () => {
      fakePlugin('livemig-plugin-shape', `export default { name: 'shape', create() {} };\n`);
      expect(refused('shape', { use: 'livemig-plugin-shape' })).toMatch(/livemig-plugin-shape: its default export has kind undefined; expected strategy, stop-condition, trigger, workload or scheduler/);
      fakePlugin('livemig-plugin-kind', `import { defineWorkload, z } from '@livemig/core';\nexport default defineWorkload({ name: 'kind', description: 'd', options: z.object({}), create: () => ({}) });\n`);
      expect(refused('kind', { use: 'livemig-plugin-kind' })).toMatch(/livemig-plugin-kind: its default export is a workload, not a strategy/);
    });
    it('options that do not match the schema: the plugin, the field and the problem', () => {
      const err = refused('options', { use: 'livemig-plugin-example', options: { rounds: -1, round: 2 } });
      expect(err).toMatch(/options\.json: strategy\.options: invalid options for 'fixed-rounds' \(package livemig-plugin-example\)/);
      expect(err).toMatch(/strategy\.options\.rounds: .*>=0/);
      expect(err).toMatch(/strategy\.options: Unrecognized key: "round"/);
    });
    it('a plugin built for another plugin API: refused, naming the package and both versions', () => {
      fakePlugin(
        'livemig-plugin-future',
        `import { defineStrategy, z } from '@livemig/core';\nconst p = defineStrategy({ name: 'future', description: 'd', options: z.object({}), create: () => ({ *migrate() {} }) });\nexport default { ...p, api: p.api + 1 };\n`,
      );
      expect(refused('future', { use: 'livemig-plugin-future' })).toMatch(/livemig-plugin-future: its default export was built for plugin API 2, but this @livemig\/core speaks API 1/);
    });
  });
});
