// Writes simgrid-3.32.reference.csv (the reference of `livemig validate`) from SimGrid 3.32's
// measurements in simgrid-3.32-precopy-cm02.csv: per row, total time, downtime, bytes (0.1 %) and
// rounds = SimGrid's precopy_rounds + 1 (livemig counts the first full pass; exact).
// Run from the repository root: node experiments/reproductions/make-simgrid-reference.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

const dir = new URL('.', import.meta.url);
const rows = parse(readFileSync(new URL('simgrid-3.32-precopy-cm02.csv', dir)), { columns: true });
const source = 'SimGrid 3.32, CM02 (simgrid-3.32-precopy-cm02.csv)';
const out = [];
for (const r of rows) {
  const id = `${r.ram_gib} GiB, ${Number(r.bw_Bps)} B/s, intensity ${r.intensity}`;
  const where = `vm_memory_bytes=${Number(r.ram_gib) * 2 ** 30}; network_bandwidth_Bps=${Number(r.bw_Bps)}; workload_intensity=${Number(r.intensity)}`;
  out.push([id, where, 'total_time_s', r.mig_time_s, '0.1%', source]);
  out.push([id, where, 'downtime_s', r.downtime_s, '0.1%', source]);
  out.push([id, where, 'bytes_sent', r.bytes_total, '0.1%', source]);
  out.push([id, where, 'rounds', String(Number(r.precopy_rounds) + 1), '0', `${source}: precopy_rounds + 1`]);
}
writeFileSync(new URL('simgrid-3.32.reference.csv', dir), stringify(out, { header: true, columns: ['case', 'where', 'metric', 'reference', 'tolerance', 'source'] }));
