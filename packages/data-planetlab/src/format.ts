/** Decoder for the packed day files written by `scripts/pack.mjs` (see the layout there). */
import { brotliDecompressSync } from 'node:zlib';

/** Samples per VM per day: one every 5 minutes for 24 h. */
export const SAMPLES_PER_DAY = 288;
/** Seconds between two samples. */
export const INTERVAL_S = 300 as const;

const MAGIC = 'LMPL';
const HEADER = 15;

/** A decoded day: VM names and their samples as integer percentages, VM after VM. */
export interface PackedDay {
  names: string[];
  samplesPerVm: number;
  /** `names.length × samplesPerVm` integer percentages 0–100; VM i is at `[i·samplesPerVm, (i+1)·samplesPerVm)`. */
  percent: Uint8Array;
}

/** Decompresses and decodes one packed day; `source` names the file in error messages. */
export function decodePackedDay(compressed: Uint8Array, source: string): PackedDay {
  let buf: Buffer;
  try {
    buf = brotliDecompressSync(compressed);
  } catch (err) {
    throw new Error(`${source}: not a brotli stream (${(err as Error).message})`);
  }
  if (buf.length < HEADER || buf.toString('latin1', 0, 4) !== MAGIC) throw new Error(`${source}: not a packed PlanetLab day (bad magic)`);
  const version = buf.readUInt8(4);
  if (version !== 1) throw new Error(`${source}: unsupported format version ${version}`);
  const samplesPerVm = buf.readUInt16LE(5);
  const count = buf.readUInt32LE(7);
  const nameLen = buf.readUInt32LE(11);
  const expected = HEADER + nameLen + count * samplesPerVm;
  if (buf.length !== expected) throw new Error(`${source}: truncated or corrupt (${buf.length} bytes, expected ${expected})`);
  const names = count === 0 ? [] : buf.toString('utf8', HEADER, HEADER + nameLen).split('\n');
  if (names.length !== count) throw new Error(`${source}: header says ${count} VMs but lists ${names.length} names`);
  const percent = new Uint8Array(buf.buffer, buf.byteOffset + HEADER + nameLen, count * samplesPerVm);
  for (let i = 0; i < percent.length; i++) {
    if (percent[i]! > 100) throw new Error(`${source}: sample ${percent[i]} of VM ${names[Math.floor(i / samplesPerVm)]} is out of range 0–100`);
  }
  return { names, samplesPerVm, percent };
}
