/**
 * `livemig merge`: combine the runs.csv of shards (or of any partial runs of one plan) into one
 * runs.csv in plan order. Every shard directory holds manifest.json (plan size and hash) and
 * plan.txt (every run id of the plan, in order), so a missing or duplicated run is detected.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeReports } from './report/index.js';
import { InputError } from './errors.js';
import { csvText, readRunsCsv, writeAtomic } from './output.js';
import { REPORT_METRICS, replicationsWarning } from './run.js';
import { CLUSTER_REPORT_METRICS } from './cluster/plan.js';
import { writeClusterReports } from './cluster/report.js';

/** The merge found a problem with the rows (exit code 1): duplicates, strangers or gaps. */
export class MergeError extends Error {
  override name = 'MergeError';
}

interface Manifest {
  status: string;
  /** 'cluster' for cluster experiments (older manifests: recognised by their `days`). */
  kind?: 'migration' | 'cluster';
  days?: string[];
  plan: { runs: number; sha256: string };
  columns: { ids: string[]; params: string[]; labels: string[]; metrics: string[] };
  [k: string]: unknown;
}

export interface MergeOptions {
  out?: string;
  /** Only report the missing run ids (plan index and id); write nothing. */
  listMissing?: boolean;
  reports?: boolean;
}

export interface MergeResult {
  readonly outDir?: string;
  readonly rows: number;
  /** Missing runs as [plan index, run id]. */
  readonly missing: ReadonlyArray<readonly [number, string]>;
  /** What the reports found worth saying (also in the manifest), e.g. replications that all gave the same row. */
  readonly warnings?: readonly string[];
}

function readManifest(dir: string): Manifest {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) throw new InputError(`no manifest.json: not the output directory of 'livemig run'`, dir);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw new InputError(`cannot parse manifest.json (${(e as Error).message})`, dir);
  }
}

/** Merge shard directories; throws {@link MergeError} on duplicated, foreign or (unless listing) missing runs. */
export async function mergeShards(dirs: readonly string[], opts: MergeOptions = {}): Promise<MergeResult> {
  if (dirs.length === 0) throw new InputError('give at least one directory to merge');
  const manifests = dirs.map(readManifest);
  const first = manifests[0]!;
  manifests.forEach((m, i) => {
    if (m.plan === undefined || m.columns === undefined) throw new InputError(`manifest.json lacks its plan or columns: not the output directory of 'livemig run'`, dirs[i]!);
    if (m.plan?.sha256 !== first.plan?.sha256)
      throw new InputError(`its plan (${m.plan?.runs} runs, ${m.plan?.sha256?.slice(0, 12)}) differs from ${dirs[0]}'s (${first.plan?.runs} runs, ${first.plan?.sha256?.slice(0, 12)}): shards of different experiments or seeds`, dirs[i]!);
  });
  const planIds = readFileSync(join(dirs[0]!, 'plan.txt'), 'utf8').split('\n').filter(Boolean);
  if (planIds.length !== first.plan.runs) throw new InputError(`plan.txt has ${planIds.length} ids, the manifest says ${first.plan.runs}`, dirs[0]!);
  const position = new Map(planIds.map((id, i) => [id, i]));

  let header: string[] | undefined;
  const rows = new Map<string, { row: string[]; dir: string }>();
  const duplicates: string[] = [];
  for (const dir of dirs) {
    const csv = readRunsCsv(join(dir, 'runs.csv'));
    if (!csv) continue;
    if (header && csv.header.join(',') !== header.join(',')) throw new InputError(`runs.csv has other columns than ${dirs[0]}'s`, dir);
    header ??= csv.header;
    for (const row of csv.rows) {
      const id = row[0]!;
      if (!position.has(id)) throw new MergeError(`${join(dir, 'runs.csv')}: run ${id} is not in the plan`);
      const seen = rows.get(id);
      if (seen) duplicates.push(`${id} (in ${seen.dir} and ${dir})`);
      else rows.set(id, { row, dir });
    }
  }
  if (duplicates.length) throw new MergeError(`${duplicates.length} duplicated run id(s): ${duplicates.slice(0, 5).join('; ')}${duplicates.length > 5 ? '; ...' : ''}`);
  const missing = planIds.flatMap((id, i) => (rows.has(id) ? [] : [[i, id] as const]));
  if (opts.listMissing) return { rows: rows.size, missing };
  if (missing.length)
    throw new MergeError(
      `${missing.length} of ${planIds.length} runs are missing (plan index:run id ${missing.slice(0, 5).map(([i, id]) => `${i}:${id}`).join(', ')}${missing.length > 5 ? ', ...' : ''}); ` +
        'run the missing shards (or livemig run --resume), or see them all with --list-missing',
    );

  const outDir = resolve(opts.out ?? '.');
  mkdirSync(outDir, { recursive: true });
  const runsPath = join(outDir, 'runs.csv');
  writeAtomic(runsPath, csvText([header!, ...planIds.map((id) => rows.get(id)!.row)]));
  writeAtomic(join(outDir, 'plan.txt'), planIds.join('\n') + '\n');
  const c = first.columns;
  const isCluster = first.kind === 'cluster' || Array.isArray(first.days);
  const warnings: string[] = [];
  if (opts.reports ?? true) {
    // A cluster experiment's rows are (configuration, day): its own summary, front and plots.
    if (isCluster) await writeClusterReports({ dir: outDir, runsCsvPath: runsPath, paramColumns: c.params, labelColumns: c.labels, metricColumns: CLUSTER_REPORT_METRICS });
    else {
      const found = await writeReports({ dir: outDir, runsCsvPath: runsPath, paramColumns: c.params, labelColumns: c.labels, metricColumns: REPORT_METRICS });
      if (found.identicalReplications !== null) warnings.push(replicationsWarning(found.identicalReplications, String(first.fidelity)));
    }
  }
  const manifest = { ...first, status: 'complete', shard: null, rows: planIds.length, merged: { from: dirs.map((d) => resolve(d)), at: new Date().toISOString() }, ...(warnings.length ? { warnings } : {}) };
  writeAtomic(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { outDir, rows: planIds.length, missing: [], warnings };
}
