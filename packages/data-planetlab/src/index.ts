/**
 * @livemig/data-planetlab — the 10 PlanetLab/CoMon CPU-utilisation days used by Beloglazov & Buyya
 * (2012) and CloudSim, packed losslessly into this package (~1.6 MB), plus a reader for folders in
 * the original one-file-per-VM text format. All functions are synchronous.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { INTERVAL_S, decodePackedDay } from './format.js';
import type { DayTrace } from './types.js';

export type { DayTrace, VmTrace } from './types.js';
export { INTERVAL_S, SAMPLES_PER_DAY, decodePackedDay, type PackedDay } from './format.js';
export { TraceFormatError, loadTraceFolder, parseTraceText } from './text.js';

/** Folder holding the packed days (`<day>.bin.br`) and `manifest.json`; same path from `src/` and `dist/`. */
export const dataDir: string = fileURLToPath(new URL('../data/', import.meta.url));

const DAY_FILE = /^(\d{8})\.bin\.br$/;

/** The packed days, sorted: `['20110303', '20110306', …, '20110420']`. */
export function listDays(): string[] {
  return readdirSync(dataDir)
    .map((f) => DAY_FILE.exec(f)?.[1])
    .filter((d): d is string => d !== undefined)
    .sort();
}

/**
 * Loads one packed day synchronously (a few ms): every VM of that day, sorted by name, with its
 * 288 samples as fractions 0..1. Each call returns fresh arrays.
 * @param day `YYYYMMDD`, one of {@link listDays}.
 * @throws {Error} for an unknown day, listing the available days.
 */
export function loadDay(day: string): DayTrace {
  const days = listDays();
  if (!days.includes(day)) {
    throw new Error(`unknown PlanetLab day ${JSON.stringify(day)}; available: ${days.join(', ')}`);
  }
  const file = join(dataDir, `${day}.bin.br`);
  const { names, samplesPerVm, percent } = decodePackedDay(readFileSync(file), file);
  const vms = names.map((name, i) => {
    const utilisation = new Float64Array(samplesPerVm);
    for (let k = 0; k < samplesPerVm; k++) utilisation[k] = percent[i * samplesPerVm + k]! / 100;
    return { name, utilisation };
  });
  return { day, interval_s: INTERVAL_S, vms };
}
