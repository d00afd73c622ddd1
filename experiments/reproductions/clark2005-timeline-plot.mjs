// Renders results/reproductions/<name>/timeline.svg from its timeline.csv (first run): service
// throughput and migration rate over time, with the published levels of Clark et al. 2005
// (Figure 8) as dashed rules. Usage: node experiments/reproductions/clark2005-timeline-plot.mjs <results dir> [demand Mbit/s]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import * as vega from 'vega';
import { compile } from 'vega-lite';

const dir = process.argv[2] ?? 'results/reproductions/clark2005-specweb-100clients';
const before_s = 27; // the paper's trace starts 27 s before the migration
const rows = parse(readFileSync(join(dir, 'timeline.csv'), 'utf8'), { columns: true });
const first = rows.filter((r) => r.run_id === rows[0].run_id);
const points = [];
const push = (t, s, m) => {
  points.push({ t_s: t, series: 'service throughput', Mbit_s: (s * 8) / 1e6 });
  points.push({ t_s: t, series: 'migration rate', Mbit_s: (m * 8) / 1e6 });
};
// Before and after the migration: the service alone at its demand (scenario.service.demand, Mbit/s).
const sv0 = (Number(process.argv[3] ?? 870) * 1e6) / 8;
push(0, sv0, 0);
let end = 0;
for (const r of first) {
  const t = before_s + Number(r.t_s);
  // Latency gaps between rounds (0.1 ms) carry no information at this scale: skip them.
  if (Number(r.duration_s) < 1e-3 && r.phase === 'precopy') continue;
  push(t, Number(r.service_Bps), Number(r.migration_Bps));
  end = t + Number(r.duration_s);
}
push(end, sv0, 0);
push(end + 10, sv0, 0);
const published = [
  { level: 870, label: 'published: 870 before' },
  { level: 765, label: 'published: 765 first pass' },
  { level: 694, label: 'published: 694 later rounds' },
];
const spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  width: 640,
  height: 320,
  title: 'Clark et al. 2005, web server (100 clients): livemig timeline vs published levels',
  layer: [
    {
      data: { values: points },
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 't_s', type: 'quantitative', title: 'time (s)' },
        y: { field: 'Mbit_s', type: 'quantitative', title: 'rate (Mbit/s)', scale: { domain: [0, 1000] } },
        color: { field: 'series', type: 'nominal', title: null },
      },
    },
    {
      data: { values: published },
      mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
      encoding: { y: { field: 'level', type: 'quantitative' } },
    },
    {
      data: { values: published },
      mark: { type: 'text', align: 'left', dx: 4, dy: -5, fontSize: 10, color: 'gray' },
      encoding: { y: { field: 'level', type: 'quantitative' }, x: { datum: 0 }, text: { field: 'label' } },
    },
  ],
};
const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
writeFileSync(join(dir, 'timeline.svg'), await view.toSVG());
view.finalize();
console.log(`wrote ${join(dir, 'timeline.svg')}`);
