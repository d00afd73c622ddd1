import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { INTERVAL_S, SAMPLES_PER_DAY, dataDir, decodePackedDay, listDays, loadDay, loadTraceFolder } from './index.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** VMs per day, read off the source folder listing (ls <day> | wc -l) of the CloudSim traces. */
const VMS_PER_DAY: Record<string, number> = {
  '20110303': 1052,
  '20110306': 898,
  '20110309': 1061,
  '20110322': 1516,
  '20110325': 1078,
  '20110403': 1463,
  '20110409': 1358,
  '20110411': 1233,
  '20110412': 1054,
  '20110420': 1033,
};

interface Manifest {
  format: string;
  days: Record<string, { file: string; vms: number; bytes: number; sha256: string; sourceSha256: string }>;
}
const manifest = JSON.parse(readFileSync(join(dataDir, 'manifest.json'), 'utf8')) as Manifest;

/** The original file text of sample row `i` (the source files are canonical: integer + "\n"). */
function originalText(percent: Uint8Array, i: number, n: number): string {
  let s = '';
  for (let k = 0; k < n; k++) s += `${percent[i * n + k]}\n`;
  return s;
}

describe('packed PlanetLab days', () => {
  it('lists the 10 days in order', () => {
    expect(listDays()).toEqual(Object.keys(VMS_PER_DAY));
  });

  it('has the source VM count per day, 288 samples each, fractions 0..1', () => {
    let total = 0;
    for (const [day, count] of Object.entries(VMS_PER_DAY)) {
      const trace = loadDay(day);
      expect(trace.day).toBe(day);
      expect(trace.interval_s).toBe(300);
      expect(trace.vms).toHaveLength(count);
      expect(manifest.days[day]?.vms).toBe(count);
      const names = trace.vms.map((v) => v.name);
      expect(names).toEqual([...names].sort());
      expect(new Set(names).size).toBe(count);
      for (const vm of trace.vms) {
        expect(vm.utilisation).toHaveLength(SAMPLES_PER_DAY);
        for (const u of vm.utilisation) if (!(u >= 0 && u <= 1)) throw new Error(`${day}/${vm.name}: ${u}`);
      }
      total += count;
    }
    expect(total).toBe(11_746);
  });

  it('equals the original files copied as fixtures (round trip)', () => {
    for (const day of readdirSync(fixtures)) {
      const original = loadTraceFolder(join(fixtures, day));
      expect(original.vms.length).toBeGreaterThan(0);
      const packed = new Map(loadDay(day).vms.map((v) => [v.name, v.utilisation]));
      for (const vm of original.vms) {
        expect(packed.get(vm.name), `${day}/${vm.name}`).toEqual(vm.utilisation);
      }
      // Byte-level: re-rendering the packed percentages gives the original file back.
      const file = join(dataDir, `${day}.bin.br`);
      const { names, percent, samplesPerVm } = decodePackedDay(readFileSync(file), file);
      for (const vm of original.vms) {
        const text = originalText(percent, names.indexOf(vm.name), samplesPerVm);
        expect(text).toBe(readFileSync(join(fixtures, day, vm.name), 'utf8'));
      }
    }
  });

  it('reproduces the hash of every original file recorded at pack time (all 11 746 VMs lossless)', () => {
    for (const day of listDays()) {
      const entry = manifest.days[day]!;
      const bytes = readFileSync(join(dataDir, entry.file));
      expect(bytes.length).toBe(entry.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.sha256);
      const { names, percent, samplesPerVm } = decodePackedDay(bytes, entry.file);
      const h = createHash('sha256');
      names.forEach((name, i) => h.update(name).update('\0').update(originalText(percent, i, samplesPerVm)).update('\0'));
      expect(h.digest('hex'), day).toBe(entry.sourceSha256);
    }
  });

  it('rejects an unknown day, listing the available ones', () => {
    expect(() => loadDay('20110304')).toThrow(/unknown PlanetLab day "20110304"; available: 20110303, 20110306, .*20110420/);
  });

  it('returns fresh arrays on every call', () => {
    const a = loadDay('20110306');
    a.vms[0]!.utilisation[0] = 42;
    expect(loadDay('20110306').vms[0]!.utilisation[0]).not.toBe(42);
    expect(INTERVAL_S).toBe(300);
  });
});
