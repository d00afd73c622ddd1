// The committed results of the canonical experiments are reproducible byte for byte: running
// the experiment again as `npm run sweep` does (built CLI, from the repository root, the file
// named relative to it; 2 workers) gives the same files, manifest.json included; only
// timing.json (times, Node version, workers; not committed) differs. So `npm run sweep` leaves
// the work tree clean. A model change must regenerate them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(root, 'packages/runner/dist/cli.js');

describe('committed results are reproducible byte for byte', () => {
  for (const name of ['quickstart', 'strategies', 'precopy-thresholds']) {
    it(`results/${name}`, () => {
      const out = mkdtempSync(join(tmpdir(), `livemig-${name}-`));
      const r = spawnSync(process.execPath, [CLI, 'run', `experiments/${name}.json`, '--out', out, '--workers', '2', '--quiet'], { cwd: root, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const committed = join(root, 'results', name);
      const files = readdirSync(committed).filter((f) => f !== 'timing.json').sort();
      expect(readdirSync(out).filter((f) => f !== 'timing.json').sort()).toEqual(files);
      expect(files).toContain('manifest.json');
      expect(files).toContain('runs.csv');
      for (const f of files) expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(committed, f), 'utf8'));
    });
  }
});

// The cluster experiments take minutes to hours in full: a shard of each (the same rows a full
// run writes, by run id) is re-run and compared with the committed runs.csv line by line.
describe('committed cluster results are reproducible (a shard of each)', () => {
  const cases: Array<[string, string]> = [
    ['planetlab-consolidation', '7/100'],
    ['planetlab-consolidation-precopy', '1/100'],
    ['planetlab-migration-limits', '11/30'],
    ['planetlab-failures', '1/10'],
  ];
  for (const [name, shard] of cases) {
    it(`results/${name}, shard ${shard}`, () => {
      const out = mkdtempSync(join(tmpdir(), `livemig-${name}-`));
      const r = spawnSync(process.execPath, [CLI, 'run', join(root, 'experiments', `${name}.json`), '--shard', shard, '--out', out, '--workers', '2', '--quiet'], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const [header, ...rows] = readFileSync(join(out, 'runs.csv'), 'utf8').trim().split('\n');
      const committed = readFileSync(join(root, 'results', name, 'runs.csv'), 'utf8').trim().split('\n');
      expect(header).toBe(committed[0]);
      expect(rows.length).toBeGreaterThanOrEqual(2);
      const byId = new Map(committed.slice(1).map((l) => [l.slice(0, l.indexOf(',')), l]));
      for (const row of rows) expect(row).toBe(byId.get(row.slice(0, row.indexOf(','))));
    });
  }
});

