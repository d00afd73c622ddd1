#!/usr/bin/env node
// Builds every workspace after the workspaces it depends on (npm's --workspaces runs them in
// folder order, and the runner's build runs its CLI, which imports the other packages' dist).
//
// A workspace whose inputs are unchanged since its last build is skipped: the stamp
// node_modules/.cache/livemig-build/<name>.json holds a sha256 of its inputs (every file of the
// package but dist/, schema/, node_modules/, tests, benchmarks and Markdown; the root build
// configuration and package-lock.json; the input hashes of the workspaces it depends on) and
// of its outputs (dist/ and schema/). Content hashes, not modification times: a checkout, a
// `git stash` or a copy changes mtimes without changing what a build would produce, and an
// edited or deleted dist/ is rebuilt. `--force` (or LIVEMIG_FORCE_BUILD=1) rebuilds everything.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const force = process.argv.includes('--force') || process.env.LIVEMIG_FORCE_BUILD === '1';
const dirs = ['packages', 'examples'].flatMap((top) =>
  existsSync(join(root, top)) ? readdirSync(join(root, top)).map((d) => join(top, d)).filter((d) => existsSync(join(root, d, 'package.json'))) : [],
);
const pkgs = new Map(dirs.map((dir) => [JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).name, { dir, json: JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) }]));
const workspaceDeps = (json) => Object.keys({ ...json.dependencies, ...json.devDependencies, ...json.peerDependencies }).filter((dep) => pkgs.has(dep) && dep !== json.name);
const order = [];
const state = new Map(); // name → 'visiting' | 'done'
const visit = (name, from) => {
  if (state.get(name) === 'done') return;
  if (state.get(name) === 'visiting') throw new Error(`dependency cycle through ${name} (from ${from})`);
  state.set(name, 'visiting');
  for (const dep of workspaceDeps(pkgs.get(name).json)) visit(dep, name);
  state.set(name, 'done');
  order.push(name);
};
for (const name of [...pkgs.keys()].sort()) visit(name, 'root');

const OUTPUTS = ['dist', 'schema'];
const SKIP_DIRS = new Set(['node_modules', 'test', ...OUTPUTS]);
const isInput = (name) => !/\.(test|bench)\.ts$|\.md$|\.tsbuildinfo$/.test(name);

/** sha256 over the relative paths and contents of the files under `dir` (sorted), `keep` filtering. */
function hashTree(hash, base, rel, keep) {
  const abs = join(base, rel);
  if (!existsSync(abs)) return;
  for (const e of readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (keep.dir(r, e.name)) hashTree(hash, base, r, keep);
    } else if (e.isFile() && keep.file(e.name)) hash.update(`${r}\0`).update(readFileSync(join(base, r))).update('\0');
  }
}

const rootInputs = createHash('sha256');
for (const f of ['tsup.base.ts', 'tsconfig.base.json', 'package-lock.json']) if (existsSync(join(root, f))) rootInputs.update(`${f}\0`).update(readFileSync(join(root, f)));
const rootHash = rootInputs.digest('hex');

const inputHash = new Map();
function inputsOf(name) {
  const { dir, json } = pkgs.get(name);
  const h = createHash('sha256').update(rootHash);
  for (const dep of workspaceDeps(json).sort()) h.update(`${dep}\0${inputHash.get(dep)}\0`);
  hashTree(h, join(root, dir), '', { dir: (r, n) => !(r === n && SKIP_DIRS.has(n)) && n !== 'node_modules', file: isInput });
  return h.digest('hex');
}
function outputsOf(name) {
  const { dir } = pkgs.get(name);
  if (!existsSync(join(root, dir, 'dist'))) return null;
  const h = createHash('sha256');
  for (const out of OUTPUTS) hashTree(h, join(root, dir), out, { dir: () => true, file: () => true });
  return h.digest('hex');
}

const stampDir = join(root, 'node_modules', '.cache', 'livemig-build');
const stampOf = (name) => join(stampDir, `${name.replace(/[@/]/g, '_')}.json`);
let built = 0;
for (const name of order) {
  const inputs = inputsOf(name);
  inputHash.set(name, inputs);
  if (!pkgs.get(name).json.scripts?.build) continue;
  let stamp = null;
  try {
    stamp = JSON.parse(readFileSync(stampOf(name), 'utf8'));
  } catch {
    /* never built here */
  }
  if (!force && stamp?.inputs === inputs && stamp.outputs === outputsOf(name)) {
    process.stdout.write(`up to date ${name}\n`);
    continue;
  }
  process.stdout.write(`build ${name}\n`);
  execFileSync('npm', ['run', 'build', '--silent', '-w', name], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  built++;
  mkdirSync(stampDir, { recursive: true });
  writeFileSync(stampOf(name), JSON.stringify({ inputs, outputs: outputsOf(name) }) + '\n');
}
if (built === 0) process.stdout.write('every package is up to date (npm run build -- --force rebuilds)\n');
