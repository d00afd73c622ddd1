/**
 * The model is deterministic: no unseeded randomness and no wall-clock time in the sources of
 * the model packages (core, workloads, stop conditions, strategies). The runner's progress
 * display may read the clock, so it is not checked. Tests and benchmarks are not checked either.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));
const MODEL_PACKAGES = readdirSync(packagesDir).filter(
  (d) => ['core', 'workloads', 'stop-conditions'].includes(d) || d.startsWith('strategy-'),
);

function sourceFiles(dir: string): string[] {
  let out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out = out.concat(sourceFiles(path));
    else if (/\.(m|c)?tsx?$/.test(entry) && !/\.(test|bench)\.tsx?$/.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** `object.member` pairs that read the clock or an unseeded random source. */
const FORBIDDEN: ReadonlyArray<readonly [string, string]> = [
  ['Math', 'random'],
  ['Date', 'now'],
  ['performance', 'now'],
  ['process', 'hrtime'],
  ['process', 'uptime'],
  ['crypto', 'getRandomValues'],
  ['crypto', 'randomUUID'],
];

/** Every forbidden use in `text`, as "line:column what"; comments and strings are ignored (AST walk). */
function findNondeterminism(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    return `${line + 1}:${character + 1}`;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
      const pair = [node.expression.text, node.name.text];
      if (FORBIDDEN.some(([o, m]) => o === pair[0] && m === pair[1])) found.push(`${at(node)} ${pair.join('.')}`);
    }
    // `new Date()` without arguments reads the clock; `new Date(0)` does not.
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Date' && !node.arguments?.length) {
      found.push(`${at(node)} new Date()`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('no wall clock and no Math.random in model code', () => {
  it('the checker finds what it should and ignores comments and strings', () => {
    const sample = [
      '// Math.random() in a comment is fine',
      "const s = 'Date.now() in a string is fine';",
      'const a = Math.random();',
      'const b = Date.now();',
      'const c = performance.now();',
      'const d = new Date();',
      'const e = new Date(0);',
      'const f = Math.floor(1.5);',
    ].join('\n');
    expect(findNondeterminism('sample.ts', sample)).toEqual(['3:11 Math.random', '4:11 Date.now', '5:11 performance.now', '6:11 new Date()']);
  });

  it('the model packages are found', () => {
    expect(MODEL_PACKAGES).toEqual(expect.arrayContaining(['core', 'workloads', 'stop-conditions', 'strategy-precopy']));
  });

  it.each(MODEL_PACKAGES)('packages/%s/src', (pkg) => {
    const dir = join(packagesDir, pkg, 'src');
    const offences: string[] = [];
    let files = 0;
    try {
      statSync(dir);
    } catch {
      return; // a package without sources yet
    }
    for (const file of sourceFiles(dir)) {
      files++;
      for (const hit of findNondeterminism(file, readFileSync(file, 'utf8'))) offences.push(`${relative(packagesDir, file)}:${hit}`);
    }
    expect(files).toBeGreaterThan(0);
    expect(offences, 'use a seeded stream from @livemig/core (ctx.rng(name)) and simulated time (kernel.now)').toEqual([]);
  });
});
