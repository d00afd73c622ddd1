#!/usr/bin/env node
// Builds every workspace after the workspaces it depends on (npm's --workspaces runs them in
// folder order, and the runner's build runs its CLI, which imports the other packages' dist).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['packages', 'examples'].flatMap((top) =>
  existsSync(join(root, top)) ? readdirSync(join(root, top)).map((d) => join(top, d)).filter((d) => existsSync(join(root, d, 'package.json'))) : [],
);
const pkgs = new Map(dirs.map((dir) => [JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).name, { dir, json: JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) }]));
const order = [];
const state = new Map(); // name → 'visiting' | 'done'
const visit = (name, from) => {
  if (state.get(name) === 'done') return;
  if (state.get(name) === 'visiting') throw new Error(`dependency cycle through ${name} (from ${from})`);
  state.set(name, 'visiting');
  const { json } = pkgs.get(name);
  for (const dep of Object.keys({ ...json.dependencies, ...json.devDependencies, ...json.peerDependencies })) if (pkgs.has(dep) && dep !== name) visit(dep, name);
  state.set(name, 'done');
  order.push(name);
};
for (const name of [...pkgs.keys()].sort()) visit(name, 'root');
for (const name of order) {
  if (!pkgs.get(name).json.scripts?.build) continue;
  process.stdout.write(`build ${name}\n`);
  execFileSync('npm', ['run', 'build', '--silent', '-w', name], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
