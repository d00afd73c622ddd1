import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePackedDay, loadTraceFolder } from './index.js';

const script = fileURLToPath(new URL('../scripts/pack.mjs', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'livemig-pack-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const pack = (src: string, out: string) => execFileSync(process.execPath, [script, src, '--out', out], { encoding: 'utf8', stdio: 'pipe' });

describe('scripts/pack.mjs', () => {
  it('is deterministic: packing twice gives identical bytes', () => {
    pack(fixtures, join(tmp, 'a'));
    pack(fixtures, join(tmp, 'b'));
    const files = readdirSync(join(tmp, 'a')).sort();
    expect(files).toEqual(['20110303.bin.br', '20110420.bin.br', 'manifest.json']);
    expect(readdirSync(join(tmp, 'b')).sort()).toEqual(files);
    for (const f of files) expect(readFileSync(join(tmp, 'b', f)).equals(readFileSync(join(tmp, 'a', f))), f).toBe(true);
  });

  it('packs losslessly: the decoded fixture day equals the text reader', () => {
    for (const day of ['20110303', '20110420']) {
      const file = join(tmp, 'a', `${day}.bin.br`);
      const { names, percent, samplesPerVm } = decodePackedDay(readFileSync(file), file);
      const original = loadTraceFolder(join(fixtures, day));
      expect(names).toEqual(original.vms.map((v) => v.name));
      names.forEach((_, i) => {
        const u = Float64Array.from(percent.subarray(i * samplesPerVm, (i + 1) * samplesPerVm), (p) => p / 100);
        expect(u).toEqual(original.vms[i]!.utilisation);
      });
    }
  });

  it('refuses a malformed trace, naming file and line', () => {
    const src = join(tmp, 'bad-src', '20990101');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'vm'), '1\n'.repeat(100) + '2.5\n' + '1\n'.repeat(187));
    expect(() => pack(join(tmp, 'bad-src'), join(tmp, 'bad-out'))).toThrow(/vm:101: sample "2\.5" is not an integer percentage/);
  });
});
