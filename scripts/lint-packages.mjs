#!/usr/bin/env node
/**
 * Lint every publishable package as it would be published: `npm pack` it once, then run
 * publint (--strict) and @arethetypeswrong/cli (--profile esm-only) on the tarball.
 * Packages: packages/* and examples/* (run `npm run build` first). Exit code 1 on any problem.
 * Usage: node scripts/lint-packages.mjs [dir...]
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const dirs = process.argv.length > 2
  ? process.argv.slice(2).map((d) => resolve(d))
  : ['packages', 'examples'].flatMap((top) =>
      existsSync(join(root, top)) ? readdirSync(join(root, top)).map((d) => join(root, top, d)).filter((d) => existsSync(join(d, 'package.json'))) : [],
    );
const out = mkdtempSync(join(tmpdir(), 'livemig-lint-'));

async function lint(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (pkg.private) return { name: pkg.name, ok: true, skipped: true, text: '' };
  const dest = mkdtempSync(join(out, 'p-'));
  const packed = await run('npm', ['pack', '--json', '--pack-destination', dest], { cwd: dir, maxBuffer: 64 << 20 });
  const tgz = join(dest, JSON.parse(packed.stdout)[0].filename);
  const checks = [
    ['publint', [bin('publint'), 'run', tgz, '--strict']],
    ['attw', [bin('attw'), tgz, '--profile', 'esm-only', '--format', 'ascii', '--no-emoji', '--no-color']],
  ];
  let ok = true;
  let text = '';
  for (const [label, [cmd, ...args]] of checks) {
    try {
      const r = await run(cmd, args, { cwd: dest, maxBuffer: 16 << 20 });
      // publint exits 0 on suggestions; --strict turns warnings into errors. Show anything it says.
      if (label === 'publint' && !/All good!/.test(r.stdout)) text += `${label}:\n${r.stdout}${r.stderr}`;
    } catch (e) {
      ok = false;
      text += `${label} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
  }
  return { name: pkg.name, ok, text };
}

const t0 = Date.now();
const results = [];
const queue = [...dirs];
const workers = Array.from({ length: Math.max(1, Math.min(4, availableParallelism())) }, async () => {
  for (let d; (d = queue.shift()); ) results.push(await lint(d));
});
await Promise.all(workers);
rmSync(out, { recursive: true, force: true });
results.sort((a, b) => a.name.localeCompare(b.name));
for (const r of results) {
  process.stdout.write(`${r.skipped ? 'skip' : r.ok ? 'ok  ' : 'FAIL'}  ${r.name}\n`);
  if (r.text) process.stdout.write(r.text.replace(/^/gm, '      ') + '\n');
}
const bad = results.filter((r) => !r.ok);
process.stdout.write(`${results.length} packages, ${bad.length} failing, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
process.exitCode = bad.length ? 1 : 0;
