// scripts/build.mjs (`npm run build`, run by `npm run sweep` and `npm test`) on a throw-away
// workspace of two packages, b depending on a, whose build scripts log that they ran: a second
// build rebuilds nothing; a changed source rebuilds its package and the packages depending on
// it; a changed test file rebuilds nothing; an edited or deleted dist/ is rebuilt; --force
// rebuilds everything.
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ws = mkdtempSync(join(tmpdir(), 'livemig-build-'));
const write = (rel: string, text: string) => {
  mkdirSync(join(ws, rel, '..'), { recursive: true });
  writeFileSync(join(ws, rel), text);
};
// Each build writes dist/index.js from src/index.js and logs its package name.
const BUILD = `const fs = require('node:fs'); fs.mkdirSync('dist', { recursive: true }); fs.copyFileSync('src/index.js', 'dist/index.js'); fs.appendFileSync('../../log.txt', require('./package.json').name + '\\n');`;
write('package.json', JSON.stringify({ name: 'ws', private: true, workspaces: ['packages/*'] }));
write('package-lock.json', '{}');
for (const [name, deps] of [['a', {}], ['b', { a: '^1.0.0' }]] as const) {
  write(`packages/${name}/package.json`, JSON.stringify({ name, version: '1.0.0', scripts: { build: 'node build.cjs' }, dependencies: deps }));
  write(`packages/${name}/build.cjs`, BUILD);
  write(`packages/${name}/src/index.js`, `export const ${name} = 1;\n`);
  write(`packages/${name}/src/index.test.ts`, '// a test\n');
}
mkdirSync(join(ws, 'scripts'));
copyFileSync(fileURLToPath(new URL('./build.mjs', import.meta.url)), join(ws, 'scripts/build.mjs'));

/** Run the build; the packages it built, in order. */
function build(...args: string[]): string[] {
  writeFileSync(join(ws, 'log.txt'), '');
  const r = spawnSync(process.execPath, [join(ws, 'scripts/build.mjs'), ...args], { cwd: ws, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return readFileSync(join(ws, 'log.txt'), 'utf8').split('\n').filter(Boolean);
}

describe('npm run build skips up-to-date packages', () => {
  it('builds in dependency order, then nothing while nothing changed (whatever the mtimes)', () => {
    expect(build()).toEqual(['a', 'b']);
    expect(build()).toEqual([]);
    const now = new Date(Date.now() + 60_000);
    utimesSync(join(ws, 'packages/a/src/index.js'), now, now);
    expect(build()).toEqual([]);
  });
  it('a changed source rebuilds its package and those depending on it; a test file rebuilds nothing', () => {
    appendFileSync(join(ws, 'packages/b/src/index.js'), '// b changed\n');
    expect(build()).toEqual(['b']);
    appendFileSync(join(ws, 'packages/a/src/index.js'), '// a changed\n');
    expect(build()).toEqual(['a', 'b']);
    appendFileSync(join(ws, 'packages/a/src/index.test.ts'), '// another test\n');
    expect(build()).toEqual([]);
  });
  it('an edited or deleted dist/ is rebuilt; --force rebuilds everything', () => {
    appendFileSync(join(ws, 'packages/b/dist/index.js'), '// edited by hand\n');
    expect(build()).toEqual(['b']);
    rmSync(join(ws, 'packages/a/dist'), { recursive: true });
    expect(build()).toEqual(['a']);
    expect(build('--force')).toEqual(['a', 'b']);
  });
});
