// What a new user does on a fresh clone: `git clone`, then the README's set-up command, then
// `npx livemig …`. npm links node_modules/.bin/livemig at `npm ci` time, before anything is
// built, so the bin must point at a committed file. This test clones the committed HEAD (commit
// first to test a change), runs `npm ci` (from the npm cache when it can), and checks that
// `npx --no-install livemig` is this repository's CLI: before the build it says to build, and
// with the packages built it answers. The build itself is not repeated here (a minute on two
// cores): the clone gets the dist/ folders this checkout built from the same sources, and CI
// (.ci/run, a clean clone) runs `npm ci && npm run sweep` and then `npx livemig` for real.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const parent = mkdtempSync(join(tmpdir(), 'livemig-clone-'));
const clone = join(parent, 'livemig');
const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_prefer_offline: 'true' };
const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: clone, encoding: 'utf8', env });
const npx = (...args: string[]) => sh('npx', ['--no-install', 'livemig', ...args]);

beforeAll(() => {
  const c = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', root, clone], { encoding: 'utf8' });
  if (c.status !== 0) throw new Error(`git clone failed: ${c.stderr}`);
  const ci = sh('npm', ['ci', '--loglevel=error']);
  if (ci.status !== 0) throw new Error(`npm ci failed:\n${ci.stdout}\n${ci.stderr}`);
}, 300_000);
// The clone holds a node_modules of a few hundred MB.
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('a fresh clone after npm ci', () => {
  it('links node_modules/.bin/livemig to the runner of this repository', () => {
    const bin = join(clone, 'node_modules/.bin/livemig');
    expect(existsSync(bin), 'node_modules/.bin/livemig exists').toBe(true);
    expect(realpathSync(bin)).toBe(join(realpathSync(clone), 'packages/runner/bin/livemig.js'));
  });

  it('npx livemig before the build says what to do (no registry lookup, no stack)', () => {
    const r = npx('--help');
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('livemig: not built yet: run `npm run build` (or `npm run sweep`) at the root of the livemig repository first');
  });

  it('npx livemig runs the CLI once the packages are built', () => {
    for (const top of ['packages', 'examples'])
      for (const d of readdirSync(join(root, top))) if (existsSync(join(root, top, d, 'dist'))) cpSync(join(root, top, d, 'dist'), join(clone, top, d, 'dist'), { recursive: true });
    const help = npx('--help');
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: livemig/);
    const plan = npx('plan', 'experiments/quickstart.json', '--head', '1');
    expect(plan.stderr).toBe('');
    expect(plan.status).toBe(0);
    expect(plan.stdout).toMatch(/^\d+ runs \(/);
  });
});
