/**
 * SVG plots of configuration means: Vega-Lite specs compiled with vega-lite and rendered
 * headlessly by vega's View (renderer 'none' + toSVG, no canvas needed).
 *
 * Determinism: the specs hold only the data (in configuration order) and fixed settings, and
 * vega's SVG output has no random content; its only global state is the counters behind
 * clip-path and gradient ids, which `renderSvg` renumbers in order of appearance so the same
 * spec gives the same bytes whatever was rendered before.
 */
import type { TopLevelSpec } from 'vega-lite';
import { axisFormat, columnTitle } from './format.js';
import type { ConfigSummary } from './summary.js';

/** A log scale is used when every value is positive and max / min reaches this ratio. */
export const LOG_SPAN_RATIO = 100;

const WIDTH = 480;
const HEIGHT = 320;

/** Renders a Vega-Lite spec to an SVG document (deterministic, see the module comment). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Loaded when a plot is drawn, not when the CLI starts (vega and vega-lite are most of its modules).
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return normaliseSvgIds(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/** Renames every `id="…"` (and its `url(#…)` / `href="#…"` references) to `d0`, `d1`, … by first appearance. */
export function normaliseSvgIds(svg: string): string {
  const ids = new Map<string, string>();
  for (const match of svg.matchAll(/\bid="([^"]+)"/g)) {
    const id = match[1] as string;
    if (!ids.has(id)) ids.set(id, `d${ids.size}`);
  }
  if (ids.size === 0) return svg;
  const escaped = [...ids.keys()].map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(\\bid="|url\\(#|href="#)(${escaped.join('|')})(?=[")])`, 'g');
  return svg.replace(pattern, (_all, prefix: string, id: string) => `${prefix}${ids.get(id) as string}`);
}

/** Whether values spanning this range should get a log scale. */
export function spansDecades(values: readonly number[]): boolean {
  if (values.length === 0) return false;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!(v > 0) || !Number.isFinite(v)) return false;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi / lo >= LOG_SPAN_RATIO;
}

/** Pixels between the outermost data and the plot edge, so edge points are drawn whole. */
const SCALE_PADDING = 12;

function scaleFor(values: readonly number[]): { type: 'log' | 'linear'; zero?: boolean; nice?: boolean; padding: number } {
  // nice: false on log scales, which would otherwise widen to whole decades on top of the padding
  return spansDecades(values)
    ? { type: 'log', nice: false, padding: SCALE_PADDING }
    : { type: 'linear', zero: false, padding: SCALE_PADDING };
}

/** Axis settings of a column: SI-prefixed labels where `axisFormat` says so. */
function axisFor(column: string): { format?: string } {
  const format = axisFormat(column);
  return format === undefined ? {} : { format };
}

/** Legends wide enough for label combinations such as `stop-and-copy · qemu-downtime-limit`. */
const LEGEND = { labelLimit: 400, symbolOpacity: 1 } as const;

/** Colour and shape columns of the scatter plots: `strategy` (else the first label) and `stop`. */
export function encodingColumns(labelColumns: readonly string[]): { color?: string; shape?: string } {
  const color = labelColumns.includes('strategy') ? 'strategy' : labelColumns[0];
  const shape = labelColumns.includes('stop') && color !== 'stop' ? 'stop' : undefined;
  return { ...(color === undefined ? {} : { color }), ...(shape === undefined ? {} : { shape }) };
}

/**
 * Scatter of configuration means: one point per configuration with both means, x = `xMetric`,
 * y = `yMetric`, colour by strategy (or the first label), shape by stop when present.
 */
export function scatterSpec(
  summaries: readonly ConfigSummary[],
  xMetric: string,
  yMetric: string,
  labelColumns: readonly string[],
  /** What the points are, in the title (default: every configuration whose runs all completed). */
  which = 'means of configurations whose runs all completed',
): TopLevelSpec {
  const { color, shape } = encodingColumns(labelColumns);
  const values: Record<string, number | string>[] = [];
  for (const s of summaries) {
    const x = s.metrics[xMetric]?.mean;
    const y = s.metrics[yMetric]?.mean;
    if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) continue;
    const row: Record<string, number | string> = { x, y, config: s.configId };
    if (color !== undefined) row['color'] = s.labels[color] ?? '';
    if (shape !== undefined) row['shape'] = s.labels[shape] ?? '';
    values.push(row);
  }
  const xTitle = columnTitle(xMetric);
  const yTitle = columnTitle(yMetric);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${yTitle} vs ${xTitle} (${which})`,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    data: { values },
    mark: { type: 'point', filled: true, size: 70, opacity: 0.85 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle, scale: scaleFor(values.map((v) => v['x'] as number)), axis: axisFor(xMetric) },
      y: { field: 'y', type: 'quantitative', title: yTitle, scale: scaleFor(values.map((v) => v['y'] as number)), axis: axisFor(yMetric) },
      ...(color === undefined ? {} : { color: { field: 'color', type: 'nominal', title: color, legend: LEGEND } }),
      ...(shape === undefined ? {} : { shape: { field: 'shape', type: 'nominal', title: shape, legend: LEGEND } }),
    },
  };
}

/** Text of a configuration's label combination, e.g. `precopy · xen`. */
function labelKey(s: ConfigSummary, labelColumns: readonly string[]): string {
  return labelColumns.map((c) => s.labels[c] ?? '').join(' · ');
}

/**
 * Mean of `metric` against parameter `param`, one line per label combination (colour) and per
 * combination of the other parameters (same colour), with the 95 % CI as error bars where n ≥ 2.
 */
export function paramLineSpec(
  summaries: readonly ConfigSummary[],
  param: string,
  metric: string,
  paramColumns: readonly string[],
  labelColumns: readonly string[],
  /** What a point is, in the title (default: a configuration's mean and 95 % CI). */
  which = 'mean, 95 % CI',
): TopLevelSpec {
  const others = paramColumns.filter((p) => p !== param);
  const values: Record<string, number | string | null>[] = [];
  for (const s of summaries) {
    const x = Number(s.params[param]);
    const stats = s.metrics[metric];
    const y = stats?.mean;
    if (s.params[param] === '' || !Number.isFinite(x) || y === undefined || !Number.isFinite(y)) continue;
    values.push({
      x,
      y,
      lo: stats?.ci95Low ?? null,
      hi: stats?.ci95High ?? null,
      series: labelColumns.length > 0 ? labelKey(s, labelColumns) : metric,
      detail: others.map((p) => `${p}=${s.params[p] ?? ''}`).join(', '),
    });
  }
  const xTitle = columnTitle(param);
  const yTitle = columnTitle(metric);
  // The y scale is log when the means span decades; a CI whose lower bound is ≤ 0 cannot be
  // drawn on it, so on a log axis only the error bars with a positive lower bound are drawn.
  const yScale = scaleFor(values.map((v) => v['y'] as number));
  const ciFilter =
    yScale.type === 'log' ? 'isValid(datum.lo) && isValid(datum.hi) && datum.lo > 0' : 'isValid(datum.lo) && isValid(datum.hi)';
  const x = {
    field: 'x',
    type: 'quantitative',
    title: xTitle,
    scale: scaleFor(values.map((v) => v['x'] as number)),
    axis: axisFor(param),
  } as const;
  const yAxis = axisFor(metric);
  const color =
    labelColumns.length > 0
      ? { color: { field: 'series', type: 'nominal', title: labelColumns.join(' · '), legend: LEGEND } as const }
      : {};
  const detail = others.length > 0 ? { detail: { field: 'detail', type: 'nominal' } as const } : {};
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${yTitle} vs ${xTitle} (${which})`,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    data: { values },
    layer: [
      {
        transform: [{ filter: ciFilter }],
        mark: { type: 'errorbar', ticks: true },
        encoding: {
          x,
          y: { field: 'lo', type: 'quantitative', title: yTitle, scale: yScale, axis: yAxis },
          y2: { field: 'hi' },
          ...color,
          ...detail,
        },
      },
      {
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'y', type: 'quantitative', title: yTitle, scale: yScale, axis: yAxis },
          ...color,
          ...detail,
        },
      },
    ],
  };
}
