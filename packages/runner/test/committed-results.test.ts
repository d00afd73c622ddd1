// The committed results of the canonical experiments are reproducible byte for byte: running
// the experiment again (built CLI, 2 workers) gives the same files; only manifest.json, which
// records times and versions, may differ. A model change must regenerate them.
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
      const r = spawnSync(process.execPath, [CLI, 'run', join(root, 'experiments', `${name}.json`), '--out', out, '--workers', '2', '--quiet'], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const committed = join(root, 'results', name);
      const files = readdirSync(committed).filter((f) => f !== 'manifest.json').sort();
      expect(readdirSync(out).filter((f) => f !== 'manifest.json').sort()).toEqual(files);
      expect(files).toContain('runs.csv');
      for (const f of files) expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(committed, f), 'utf8'));
    });
  }
});
