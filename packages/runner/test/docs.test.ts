// The root README is the front door and docs/ holds the reference: the README's first commands
// are what CI runs, its example works as printed (`npx livemig …` on the file it shows), every
// relative link of the README and of docs/ points at a file that exists, and every `npx livemig`
// command shown in them names a verb and options the CLI has. Runs the built CLI (npm run build).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(root, 'packages/runner/dist/cli.js');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (page: string) => readFileSync(join(root, page), 'utf8');
const blocks = (page: string, lang: string) => [...text(page).matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
/** The `npx livemig …` lines of a page's sh blocks, comments dropped. */
const commands = (page: string) =>
  blocks(page, 'sh')
    .flatMap((b) => b.split('\n'))
    .filter((l) => l.startsWith('npx livemig'))
    .map((l) => l.replace(/\s+#.*$/, '').trim());

describe('the README', () => {
  it('is a front door: short, its first commands are the ones CI runs', () => {
    const readme = text('README.md');
    expect(readme.length).toBeLessThan(6000);
    const first = blocks('README.md', 'sh')[0]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
    expect(first).toEqual(['npm ci && npm run sweep', 'npm test']);
    const ci = text('.ci/run').split('\n').filter((l) => /^npm /.test(l));
    expect(ci).toEqual(['npm ci', 'npm run sweep', 'npm test']);
  });

  it('its example works as printed: npx livemig plan and run on the file it shows', () => {
    const home = mkdtempSync(join(tmpdir(), 'livemig-readme-'));
    // What the repository root has: its node_modules (and so node_modules/.bin/livemig).
    symlinkSync(join(root, 'node_modules'), join(home, 'node_modules'));
    const [experiment] = blocks('README.md', 'json');
    writeFileSync(join(home, 'my-study.json'), experiment!);
    const shown = commands('README.md');
    expect(shown).toEqual(['npx livemig plan my-study.json', 'npx livemig run my-study.json']);
    const out = shown.map((c) => spawnSync('sh', ['-c', c.replace(/^npx livemig/, 'npx --no-install livemig')], { cwd: home, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } }));
    for (const r of out) expect(r.status, r.stderr).toBe(0);
    expect(out[0]!.stdout).toMatch(/^9 runs \(9 configurations × 1 replication\)/);
    const results = join(home, 'results', 'my-study');
    for (const f of ['runs.csv', 'summary.csv', 'pareto.csv', 'manifest.json', 'downtime-vs-bytes.svg']) expect(existsSync(join(results, f)), f).toBe(true);
    const rows = parse(readFileSync(join(results, 'runs.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r.status)).toEqual(Array(9).fill('completed'));
    expect(new Set(rows.map((r) => r.strategy))).toEqual(new Set(['stop-and-copy', 'precopy', '@livemig/strategy-postcopy/hybrid']));
    // The picture it shows is one `npm run sweep` makes.
    expect(text('README.md')).toContain('](results/quickstart/downtime-vs-bytes.svg)');
  });
});

describe('README and docs/', () => {
  it.each(pages)('%s: every relative link points at a file that exists', (page) => {
    const links = [...text(page).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^(https?:|mailto:|#)/.test(l));
    for (const link of links) expect(existsSync(join(root, dirname(page), link.replace(/#.*$/, ''))), `${page} → ${link}`).toBe(true);
  });

  it.each(pages)('%s: every npx livemig command names a verb and options the CLI has', (page) => {
    for (const c of commands(page)) {
      const args = c.replace(/^npx livemig\s*/, '').replace(/[[\]]/g, '').split(/\s+/).filter((a) => a && a !== '…');
      const help = spawnSync(process.execPath, [CLI, ...args.filter((a) => !a.startsWith('-')), '--help'], { cwd: root, encoding: 'utf8' });
      expect(help.status, `${page}: ${c}\n${help.stderr}`).toBe(0);
      expect(help.stdout, `${page}: ${c}`).not.toMatch(/^Usage: livemig \[options\] \[command\]/);
      for (const flag of args.filter((a) => a.startsWith('-'))) expect(help.stdout, `${page}: ${c}: ${flag}`).toMatch(new RegExp(`(^|[\\s,])${flag.replace(/[|\\[\]]/g, '')}[\\s,]`, 'm'));
    }
  });
});
