/**
 * Reports of experiments with their own metric columns (cluster and scenario experiments):
 * summary.csv, pareto.csv over the kind's objectives (configuration means, all minimised) and
 * scatter plots of configuration means.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { TopLevelSpec } from 'vega-lite';
import { formatNumber } from './format.js';
import { paretoFront } from './pareto.js';
import { renderSvg } from './plots.js';
import { summariseRuns, summaryHeader, summaryRow, type ConfigSummary, type SummaryColumns } from './summary.js';

/** The configurations not dominated on the objectives' means, sorted by them, then first appearance. */
export function sortedParetoFront(summaries: readonly ConfigSummary[], objectives: readonly string[]): ConfigSummary[] {
  const eligible = summaries.filter((s) => s.n > 0 && objectives.every((m) => Number.isFinite(s.metrics[m]?.mean)));
  const points = eligible.map((s) => objectives.map((m) => s.metrics[m]!.mean as number));
  const order = new Map(summaries.map((s, i) => [s, i]));
  const front = paretoFront(points).map((i) => ({ s: eligible[i]!, p: points[i]! }));
  front.sort((a, b) => {
    for (let k = 0; k < a.p.length; k++) if (a.p[k]! !== b.p[k]!) return a.p[k]! - b.p[k]!;
    return order.get(a.s)! - order.get(b.s)!;
  });
  return front.map((f) => f.s);
}

/** Read runs.csv and write summary.csv, pareto.csv over `objectives` and each plot (file name → spec) into `dir`. */
export async function writeKindReports(
  opts: SummaryColumns & { dir: string; runsCsvPath: string },
  objectives: readonly string[],
  plots: (summaries: readonly ConfigSummary[]) => ReadonlyArray<readonly [string, TopLevelSpec]>,
): Promise<void> {
  const columns: SummaryColumns = { paramColumns: opts.paramColumns, labelColumns: opts.labelColumns, metricColumns: opts.metricColumns };
  const summaries = await summariseRuns(opts.runsCsvPath, columns);
  await writeFile(join(opts.dir, 'summary.csv'), stringify(summaries.map((s) => summaryRow(s, columns)), { header: true, columns: summaryHeader(columns) }));
  await writeFile(
    join(opts.dir, 'pareto.csv'),
    stringify(
      sortedParetoFront(summaries, objectives).map((s) => [
        s.configId,
        ...opts.paramColumns.map((c) => s.params[c] ?? ''),
        ...opts.labelColumns.map((c) => s.labels[c] ?? ''),
        String(s.n),
        ...objectives.map((m) => formatNumber(s.metrics[m]?.mean)),
      ]),
      { header: true, columns: ['config_id', ...opts.paramColumns, ...opts.labelColumns, 'n', ...objectives.map((m) => `${m}_mean`)] },
    ),
  );
  for (const [file, spec] of plots(summaries)) await writeFile(join(opts.dir, file), await renderSvg(spec));
}
