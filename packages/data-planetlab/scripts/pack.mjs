#!/usr/bin/env node
/**
 * Packs PlanetLab/CoMon CPU-utilisation traces (one folder per day, one text file per VM,
 * 288 integer percentages 0–100, one per line) into one brotli-compressed file per day.
 *
 *   node scripts/pack.mjs <source-dir> [--out <dir>]
 *
 * <source-dir> holds one sub-folder per day (e.g. 20110303/). Every day is written to
 * <out>/<day>.bin.br (default out: this package's data/), plus <out>/manifest.json.
 *
 * Uncompressed layout (all integers little-endian), see src/format.ts for the reader:
 *   0  "LMPL"             magic
 *   4  u8   version = 1
 *   5  u16  samples per VM (288)
 *   7  u32  VM count n
 *   11 u32  byte length L of the names block
 *   15 L bytes            UTF-8 VM names (= file names) joined by "\n", sorted by code unit
 *   15+L n × samples u8   samples, VM after VM (row-major), integer percent 0–100
 *
 * Deterministic: VMs are in sorted file-name order, the manifest has no timestamps, and brotli
 * (quality 11, window 24) is deterministic for a given zlib build. Each packed day is decoded
 * again and compared with the source before it is written.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

export const FORMAT = 'livemig-planetlab-u8/1';
export const SAMPLES = 288;
export const INTERVAL_S = 300;
const MAGIC = 'LMPL';
const HEADER = 15;

/** Sorted by UTF-16 code unit (= byte order for ASCII names), independent of the locale. */
const byCodeUnit = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** Parses one VM file strictly: SAMPLES lines, each an integer 0–100; one final newline allowed. */
export function parseVmFile(text, file) {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== SAMPLES) {
    throw new Error(`${file}: expected ${SAMPLES} samples (one per line), found ${lines.length}`);
  }
  const out = new Uint8Array(SAMPLES);
  for (let k = 0; k < SAMPLES; k++) {
    const raw = lines[k].trim();
    if (!/^\d+$/.test(raw)) throw new Error(`${file}:${k + 1}: sample ${JSON.stringify(lines[k])} is not an integer percentage`);
    const v = Number(raw);
    if (v > 100) throw new Error(`${file}:${k + 1}: sample ${v} is out of range 0–100`);
    out[k] = v;
  }
  return out;
}

function encode(names, samples) {
  const nameBytes = Buffer.from(names.join('\n'), 'utf8');
  const buf = Buffer.alloc(HEADER + nameBytes.length + samples.length);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt8(1, 4);
  buf.writeUInt16LE(SAMPLES, 5);
  buf.writeUInt32LE(names.length, 7);
  buf.writeUInt32LE(nameBytes.length, 11);
  nameBytes.copy(buf, HEADER);
  buf.set(samples, HEADER + nameBytes.length);
  return buf;
}

function compress(buf) {
  return brotliCompressSync(buf, {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_GENERIC,
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_LGWIN]: 24,
      [constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
    },
  });
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

/** Packs one day folder; returns the compressed bytes and its manifest entry. */
export function packDay(dayDir, day) {
  const names = readdirSync(dayDir)
    .filter((n) => !n.startsWith('.') && statSync(join(dayDir, n)).isFile())
    .sort(byCodeUnit);
  if (names.length === 0) throw new Error(`${dayDir}: no trace files`);
  for (const n of names) if (n.includes('\n')) throw new Error(`${join(dayDir, n)}: file name contains a newline`);
  const samples = new Uint8Array(names.length * SAMPLES);
  // Hash of the original bytes, name by name, so a test can check losslessness without the source.
  const sourceHash = createHash('sha256');
  names.forEach((name, i) => {
    const file = join(dayDir, name);
    const raw = readFileSync(file);
    samples.set(parseVmFile(raw.toString('utf8'), file), i * SAMPLES);
    sourceHash.update(name).update('\0').update(raw).update('\0');
  });
  const plain = encode(names, samples);
  const packed = compress(plain);
  if (!brotliDecompressSync(packed).equals(plain)) throw new Error(`${day}: brotli round trip failed`);
  return {
    packed,
    entry: {
      file: `${day}.bin.br`,
      vms: names.length,
      bytes: packed.length,
      sha256: sha256(packed),
      sourceSha256: sourceHash.digest('hex'),
    },
  };
}

/** Packs every day sub-folder of `srcDir` into `outDir`; returns the manifest. */
export function packAll(srcDir, outDir) {
  const days = readdirSync(srcDir)
    .filter((d) => !d.startsWith('.') && statSync(join(srcDir, d)).isDirectory())
    .sort(byCodeUnit);
  if (days.length === 0) throw new Error(`${srcDir}: no day folders`);
  const manifest = { format: FORMAT, interval_s: INTERVAL_S, samples: SAMPLES, days: {} };
  const packedDays = days.map((day) => packDay(join(srcDir, day), day)); // all or nothing
  mkdirSync(outDir, { recursive: true });
  days.forEach((day, i) => {
    const { packed, entry } = packedDays[i];
    writeFileSync(join(outDir, entry.file), packed);
    manifest.days[day] = entry;
  });
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const outDir = outIdx >= 0 ? args[outIdx + 1] : fileURLToPath(new URL('../data/', import.meta.url));
  const positional = outIdx >= 0 ? [...args.slice(0, outIdx), ...args.slice(outIdx + 2)] : args;
  const src = positional.length === 1 ? positional[0] : undefined;
  if (!src || !outDir) {
    console.error('usage: node scripts/pack.mjs <source-dir> [--out <dir>]');
    process.exit(2);
  }
  try {
    const m = packAll(src, outDir);
    let total = 0;
    for (const [day, e] of Object.entries(m.days)) {
      total += e.bytes;
      console.log(`${day}  ${String(e.vms).padStart(5)} VMs  ${String(e.bytes).padStart(9)} bytes`);
    }
    console.log(`total ${Object.keys(m.days).length} days, ${total} bytes → ${outDir}`);
  } catch (err) {
    console.error(`pack: ${err.message}`);
    process.exit(1);
  }
}
