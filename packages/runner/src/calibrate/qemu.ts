/**
 * Calibration from a real QEMU migration: read the `query-migrate` replies recorded over QMP
 * (one JSON line `{"t": seconds, "reply": MigrationInfo}` per poll), fit livemig's model to them
 * and write an experiment file that reproduces the migration — and answers "what if" questions
 * by changing one field (bandwidth, downtime limit, strategy).
 *
 * What is fitted and from which fields:
 * - memory = `ram.total`; page size = `ram.page-size` (QEMU ≥ 8.x) or 4 KiB;
 * - setup = `setup-time`; downtime limit = the first `expected-downtime` (QEMU starts it at the
 *   limit) unless given;
 * - migration rate (`max-bandwidth` as it acts) = the slope of `ram.transferred` over `t`
 *   (least squares over the active polls): the rate the rounds achieve, sync pauses included;
 * - link speed of the final copy (not rate-limited in QEMU) = `downtime-bytes` / `downtime` of
 *   the final reply, unless given (then the downtime is a consistency check, not a prediction);
 * - zero pages: headers = (`transferred` − `normal-bytes` − 9 × `duplicate`) / `normal`,
 *   rounded (QEMU: 8 B per page, 9 B per zero page); `duplicate` counts the zero pages QEMU
 *   *sent* as markers, and a zero page the guest wrote before the first pass reached it went
 *   whole, so the fraction of zero pages at the start is the one whose expected markers are
 *   `duplicate` in the fitted model ({@link initialZeroFraction});
 * - dirty pages: the uniform curve D(τ) = W·(1 − e^(−r·τ/W)) fitted (Levenberg–Marquardt) to
 *   QEMU's `dirty-pages-rate`: QEMU updates it at a bitmap sync at least 1 s after the previous
 *   update, as the new dirty pages found by the syncs of that period ÷ its length; the model
 *   of a period is the sum of D over the intervals between its syncs (sync times = the polls
 *   where `dirty-sync-count` rose, to the poll interval). The period of the first pass is left
 *   out: pages written before the first pass reached them are not counted by QEMU.
 *   QEMU counts only pages *new* to its bitmap (`cpu_physical_memory_sync_dirty_bitmap`:
 *   `new_dirty = ~dest[k] & bits`), and it syncs while pages are still unsent (below the
 *   threshold): a page written again before it was sent is not counted. With P pages unsent at a
 *   sync (the poll's `remaining` before it, less what was sent up to the sync) and the writes
 *   uniform over the working set, which holds those pages, the sync counts D(τ)·(1 − P/W);
 *   without `remaining` in the polls P = 0;
 *   `query-dirty-rate` (`--dirty-rate`) adds the point (calc-time, dirty-rate × calc-time).
 * - sync timing: QEMU ≥ 2.x syncs when the unsent bytes fall below bandwidth × downtime limit,
 *   so the experiment uses the pre-copy option `sync: 'below-threshold'`.
 */
import { readFileSync } from 'node:fs';
import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import { linearRegression, linearRegressionLine, median, rSquared } from 'simple-statistics';
import { z } from '@livemig/core';
import { InputError } from '../errors.js';

const num = z.number();
const ramSchema = z
  .object({
    transferred: num,
    remaining: num,
    total: num,
    duplicate: num.default(0),
    normal: num.default(0),
    'normal-bytes': num.default(0),
    'dirty-sync-count': num.default(0),
    'dirty-pages-rate': num.default(0),
    mbps: num.default(0),
    'page-size': num.optional(),
    'precopy-bytes': num.optional(),
    'downtime-bytes': num.optional(),
  })
  .loose();
/** The part of QMP's MigrationInfo that calibration reads. */
export const migrationInfoSchema = z
  .object({
    status: z.string(),
    'total-time': num.optional(),
    'setup-time': num.optional(),
    downtime: num.optional(),
    'expected-downtime': num.optional(),
    ram: ramSchema.optional(),
  })
  .loose();
export type MigrationInfo = z.output<typeof migrationInfoSchema>;
export interface QmpSample {
  readonly t: number;
  readonly reply: MigrationInfo;
}
const lineSchema = z.object({ t: num, reply: migrationInfoSchema }).loose();

/** Parse a recorded series (JSON lines); errors name the line. */
export function parseQmpSeries(text: string, file = '<series>'): QmpSample[] {
  const out: QmpSample[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      throw new InputError(`line ${i + 1}: not JSON (expected {"t": seconds, "reply": <query-migrate reply>})`, file);
    }
    const r = lineSchema.safeParse(doc);
    if (!r.success) throw new InputError(`line ${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.') || '(root)'}: ${x.message}`).join('; ')}`, file);
    out.push({ t: r.data.t, reply: r.data.reply });
  });
  if (!out.some((s) => s.reply.ram)) throw new InputError('no reply with RAM statistics (status active or completed)', file);
  return out;
}

/** A `query-dirty-rate` reply (bare or as `{"return": …}`): dirty-rate in MiB/s over calc-time seconds. */
export function parseDirtyRate(text: string, file = '<dirty-rate>'): { rate_MiBps: number; calcTime_s: number } {
  const doc = JSON.parse(text) as Record<string, unknown>;
  const r = z
    .object({ 'dirty-rate': num, 'calc-time': num, status: z.string().optional() })
    .loose()
    .safeParse('return' in doc ? doc.return : doc);
  if (!r.success) throw new InputError('expected a query-dirty-rate reply with "dirty-rate" (MiB/s) and "calc-time" (s)', file);
  return { rate_MiBps: r.data['dirty-rate'], calcTime_s: r.data['calc-time'] };
}

/** Expected distinct pages of the uniform model after τ seconds. */
export const uniformCurve = (W: number, r: number, tau: number): number => W * -Math.expm1((-r * tau) / W);

/** One observation of the dirty curve: the new dirty pages found over intervals τ_i. */
export interface DirtyPoint {
  readonly intervals_s: readonly number[];
  /** Pages still unsent at the sync that ends each interval (not counted as new); default 0. */
  readonly pending_pages?: readonly number[];
  readonly pages: number;
}

/** Pages new to the bitmap over `p`'s intervals under the uniform curve (W, r). */
export const newDirtyPages = (p: DirtyPoint, W: number, r: number): number =>
  p.intervals_s.reduce((sum, tau, i) => sum + uniformCurve(W, r, tau) * (1 - Math.min(1, (p.pending_pages?.[i] ?? 0) / W)), 0);

/**
 * The observations in a series (see the module comment). `pageSize_bytes` and `pageWire_bytes`
 * (a page on the wire, header included) turn `remaining` and `transferred` into pages.
 */
export function dirtyPoints(samples: readonly QmpSample[], setup_s: number, opts: { pageSize_bytes?: number; pageWire_bytes?: number } = {}): DirtyPoint[] {
  const pageSize = opts.pageSize_bytes ?? 4096;
  const pageWire = opts.pageWire_bytes ?? pageSize + 8;
  const syncs: number[] = [setup_s]; // sync 1 starts the first pass
  const pendingAt: number[] = [0]; // pages unsent just before each sync
  let prevCount = 1;
  let prevT = setup_s;
  let prevRam: { transferred: number; remaining: number } | undefined;
  let lastRate = 0;
  let lastUpdateSync = 0; // index in syncs of the last rate update
  const points: DirtyPoint[] = [];
  for (const s of samples) {
    const ram = s.reply.ram;
    if (!ram || s.reply.status !== 'active') {
      prevT = s.t;
      continue;
    }
    const count = ram['dirty-sync-count'];
    if (count > prevCount) {
      // Syncs prevCount+1 … count happened in (prevT, t]: spread them evenly over the interval.
      // Unsent before each: the last poll's remaining less the pages sent since (transferred
      // interpolated linearly); a second sync in one interval gets the same estimate.
      const k = count - prevCount;
      for (let j = 1; j <= k; j++) {
        syncs.push(prevT + ((s.t - prevT) * j) / (k + 1));
        const sentSince = prevRam ? ((ram.transferred - prevRam.transferred) * j) / (k + 1) : 0;
        pendingAt.push(prevRam ? Math.max(0, prevRam.remaining / pageSize - sentSince / pageWire) : 0);
      }
      prevCount = count;
    }
    // A new rate belongs to the latest sync (QEMU may show it one poll after the sync count).
    const rate = ram['dirty-pages-rate'];
    const to = syncs.length - 1;
    if (rate !== lastRate && rate > 0 && to > lastUpdateSync) {
      const from = lastUpdateSync;
      const intervals = syncs.slice(from + 1, to + 1).map((x, i) => x - syncs[from + i]!);
      if (from > 0) points.push({ intervals_s: intervals, pending_pages: pendingAt.slice(from + 1, to + 1), pages: rate * (syncs[to]! - syncs[from]!) });
      lastRate = rate;
      lastUpdateSync = to;
    }
    prevT = s.t;
    prevRam = { transferred: ram.transferred, remaining: ram.remaining };
  }
  return points;
}

/** Fit W (pages) and r (pages/s) of the uniform curve to the observations. */
export function fitUniform(points: readonly DirtyPoint[], maxPages: number): { workingSet_pages: number; rate_pages_per_s: number; rmsRelError: number } {
  if (points.length < 2) throw new InputError(`the series has ${points.length} usable dirty-rate period(s) after the first pass; at least 2 are needed to fit a working set and a rate (record a longer migration, or add --dirty-rate)`);
  const maxPages_ = Math.max(...points.map((p) => p.pages));
  const maxRate = Math.max(...points.map((p) => p.pages / p.intervals_s.reduce((a, b) => a + b, 0)));
  const W0 = Math.min(maxPages, 2 * maxPages_);
  const r0 = 1.5 * maxRate;
  // Parameters scaled to about 1; the residuals relative (each point weighs the same).
  const model = ([w, r]: number[]) => (i: number) => newDirtyPages(points[i]!, w! * W0, r! * r0) / points[i]!.pages;
  const fit = levenbergMarquardt(
    { x: points.map((_, i) => i), y: points.map(() => 1) },
    model,
    { initialValues: [1, 1], minValues: [1e-3, 1e-3], maxValues: [maxPages / W0, 1e3], maxIterations: 500, gradientDifference: 1e-6, centralDifference: true, errorTolerance: 1e-12, damping: 1e-2 },
  );
  const [w, r] = fit.parameterValues as [number, number];
  return { workingSet_pages: w * W0, rate_pages_per_s: r * r0, rmsRelError: Math.sqrt(fit.parameterError / points.length) };
}

export interface CalibrateOptions {
  /** Link speed of the final copy in bytes/s (default: downtime-bytes ÷ downtime). */
  linkBandwidth_Bps?: number;
  /** QEMU downtime-limit in seconds (default: the first expected-downtime). */
  downtimeLimit_s?: number;
  /** A `query-dirty-rate` measurement. */
  dirtyRate?: { rate_MiBps: number; calcTime_s: number };
  /** Experiment name. */
  name?: string;
}

export interface Calibration {
  readonly memory_bytes: number;
  readonly pageSize_bytes: number;
  readonly setup_s: number;
  readonly migrationRate_Bps: number;
  readonly migrationRate_r2: number;
  readonly mbpsMedian_Bps: number;
  readonly linkBandwidth_Bps: number;
  readonly linkBandwidthFrom: 'option' | 'downtime-bytes / downtime';
  readonly downtimeLimit_s: number;
  readonly zeroFraction: number;
  readonly headerBytes: number;
  readonly workingSet_pages: number;
  readonly dirtyRate_pages_per_s: number;
  readonly dirtyFitRmsRelError: number;
  readonly dirtyPoints: readonly DirtyPoint[];
  /** What QEMU reported at the end, when the series has the final reply. */
  readonly observed?: { total_time_s: number; downtime_s: number; bytes_sent: number; syncs: number; normal_pages: number; zero_pages: number };
}

/** Fit the model to a series. */
export function calibrateQemu(samples: readonly QmpSample[], opts: CalibrateOptions = {}): Calibration {
  const withRam = samples.filter((s) => s.reply.ram);
  const last = withRam.at(-1)!;
  const ram = last.reply.ram!;
  const pageSize = ram['page-size'] ?? 4096;
  const setup_s = (samples.find((s) => s.reply['setup-time'] !== undefined)?.reply['setup-time'] ?? 0) / 1000;
  const active = withRam.filter((s) => s.reply.status === 'active');
  if (active.length < 3) throw new InputError(`the series has ${active.length} active poll(s); at least 3 are needed`);
  const pts = active.map((s) => [s.t, s.reply.ram!.transferred] as [number, number]);
  const reg = linearRegression(pts);
  const migrationRate_r2 = rSquared(pts, linearRegressionLine(reg));
  const mbps = active.map((s) => s.reply.ram!.mbps).filter((x) => x > 0);
  const final = last.reply.status === 'completed' ? last.reply : undefined;
  let linkBandwidth_Bps = opts.linkBandwidth_Bps;
  const from = linkBandwidth_Bps ? 'option' : 'downtime-bytes / downtime';
  if (!linkBandwidth_Bps) {
    const db = final?.ram?.['downtime-bytes'];
    const dt = final?.downtime;
    if (!db || !dt) throw new InputError('no final reply with downtime-bytes and downtime: give the link speed with --link-bandwidth');
    linkBandwidth_Bps = db / (dt / 1000);
  }
  const firstExpected = active.find((s) => s.reply['expected-downtime'] !== undefined)?.reply['expected-downtime'];
  const downtimeLimit_s = opts.downtimeLimit_s ?? (firstExpected !== undefined ? firstExpected / 1000 : 0.3);
  const pages = ram.total / pageSize;
  const headerBytes = ram.normal > 0 ? Math.max(0, Math.round((ram.transferred - ram['normal-bytes'] - 9 * ram.duplicate) / ram.normal)) : 8;
  const points = dirtyPoints(samples, setup_s, { pageSize_bytes: pageSize, pageWire_bytes: pageSize + headerBytes });
  if (opts.dirtyRate) points.push({ intervals_s: [opts.dirtyRate.calcTime_s], pages: (opts.dirtyRate.rate_MiBps * 2 ** 20 * opts.dirtyRate.calcTime_s) / pageSize });
  const fit = fitUniform(points, pages);
  const zeroFraction = initialZeroFraction({
    markers: ram.duplicate,
    pages,
    workingSet_pages: Math.round(fit.workingSet_pages),
    rate_pages_per_s: fit.rate_pages_per_s,
    setup_s,
    migrationRate_Bps: reg.m,
    pageWire_bytes: pageSize + headerBytes,
  });
  return {
    memory_bytes: ram.total,
    pageSize_bytes: pageSize,
    setup_s,
    migrationRate_Bps: reg.m,
    migrationRate_r2,
    mbpsMedian_Bps: mbps.length ? (median(mbps) * 1e6) / 8 : NaN,
    linkBandwidth_Bps,
    linkBandwidthFrom: from,
    downtimeLimit_s,
    zeroFraction,
    headerBytes,
    workingSet_pages: fit.workingSet_pages,
    dirtyRate_pages_per_s: fit.rate_pages_per_s,
    dirtyFitRmsRelError: fit.rmsRelError,
    dirtyPoints: points,
    ...(final && final.ram
      ? {
          observed: {
            total_time_s: (final['total-time'] ?? NaN) / 1000,
            downtime_s: (final.downtime ?? NaN) / 1000,
            bytes_sent: final.ram.transferred,
            syncs: final.ram['dirty-sync-count'],
            normal_pages: final.ram.normal,
            zero_pages: final.ram.duplicate,
          },
        }
      : {}),
  };
}

const round = (x: number, digits = 6): number => Number(x.toPrecision(digits));

/**
 * The fraction of zero pages at the start whose expected zero markers are `markers`, in the model
 * the experiment runs: zero pages at random, uniform writes at r pages/s over the working set of
 * W pages from page 0 (a page in it is unwritten after t seconds with probability e^(−r·t/W),
 * setup included), the first pass in page order at the migration rate, a zero page sent as a
 * marker (9 B) only if the pass reaches it unwritten. The pass's pace depends on the markers
 * ahead, so the reach times are integrated page by page and the fraction found by fixed point.
 */
export function initialZeroFraction(o: {
  markers: number;
  pages: number;
  workingSet_pages: number;
  rate_pages_per_s: number;
  setup_s: number;
  migrationRate_Bps: number;
  pageWire_bytes: number;
}): number {
  const { markers, pages } = o;
  if (!(markers > 0) || !(pages > 0)) return 0;
  const W = Math.max(0, Math.min(pages, o.workingSet_pages));
  const decay = W > 0 && o.rate_pages_per_s > 0 ? o.rate_pages_per_s / W : 0;
  if (!(decay > 0) || !(o.migrationRate_Bps > 0)) return Math.min(1, markers / pages);
  // Expected pages still zero-able (unwritten) when the pass reaches them, per unit of zero fraction.
  const reachable = (z: number): number => {
    const steps = 4000;
    const dp = W / steps;
    let t = o.setup_s;
    let sum = 0;
    for (let i = 0; i < steps; i++) {
      // Midpoint step of dt/dp = (wire − (wire − 9)·z·e^(−decay·t)) ÷ rate.
      const pace = (tt: number) => (o.pageWire_bytes - (o.pageWire_bytes - 9) * z * Math.exp(-decay * tt)) / o.migrationRate_Bps;
      const tm = t + (pace(t) * dp) / 2;
      sum += Math.exp(-decay * tm) * dp;
      t += pace(tm) * dp;
    }
    return pages - W + sum;
  };
  let z = Math.min(1, markers / pages);
  for (let k = 0; k < 50; k++) {
    const next = Math.min(1, markers / reachable(z));
    if (Math.abs(next - z) <= 1e-12 * Math.max(z, 1e-12)) return next;
    z = next;
  }
  return z;
}

/** The experiment file that reproduces a calibrated migration. */
export function calibratedExperiment(c: Calibration, name = 'qemu-calibrated'): Record<string, unknown> {
  return {
    name,
    seed: 1,
    fidelity: 'fluid',
    scenario: {
      vm: { memory: `${c.memory_bytes} B`, pageSize: `${c.pageSize_bytes} B` },
      network: { bandwidth: `${round(c.linkBandwidth_Bps)} B/s`, latency: '0 s' },
      wire: { headerBytes: c.headerBytes, zeroPageBytes: 9, elideZeroPages: true, zeroFraction: round(c.zeroFraction) },
      costs: { setup: `${c.setup_s} s` },
    },
    workload: { use: 'uniform', options: { rate: `${round(c.dirtyRate_pages_per_s)} pages/s`, workingSet: `${Math.round(c.workingSet_pages) * c.pageSize_bytes} B` } },
    strategy: { use: 'precopy', options: { maxBandwidth: `${round(c.migrationRate_Bps)} B/s`, finalRateLimited: false, onNonConvergence: 'cancel', sync: 'below-threshold' } },
    stop: { any: [{ use: 'downtime-limit', options: { limit: `${c.downtimeLimit_s} s` } }, { use: 'time-limit', options: { limit: '1 h' } }] },
  };
}

/** Read a series file and calibrate. */
export function calibrateQemuFile(file: string, opts: CalibrateOptions = {}): Calibration {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError('cannot read the file', file);
  }
  return calibrateQemu(parseQmpSeries(text, file), opts);
}

/**
 * The host constants of QEMU's migration thread (the `qemu` strategy of
 * @livemig/strategy-precopy), measured on one recorded migration:
 * - `sendRate_Bps`, the thread's speed while the guest runs: the rate-limit window begins before
 *   the setup (migration.c calls `update_iteration_initial_status` before
 *   `qemu_savevm_state_setup`), so when the setup outlasts a window the first counter update
 *   comes right after the first budget (`max-bandwidth` ÷ 10) has been sent; its `mbps` is that
 *   budget over the time since the window began, so the budget took
 *   budget × 8 ÷ mbps − setup seconds. Undefined when the setup is shorter than a window (the
 *   first update then waits for the window's end and tells nothing of the speed);
 * - `syncCost_s`, a bitmap sync while the guest runs: the longest stretch of polls during which
 *   nothing was sent while the sync count rose is at most a window's sleep (the window less the
 *   budget's sending time) plus one sync; what it exceeds that by is the sync's cost (0 when no
 *   stretch does). The setup ends with the first sync (`ram_init_bitmaps`), so the setup's fixed
 *   part is the setup less one sync, and the setup grows with the RAM as the sync does;
 * - the paused copy's speed is the link's: `downtime-bytes` ÷ `downtime`;
 * - `zeroProfile`, where the zero pages are: the first pass sends every page once in address
 *   order, so the zero markers counted against the pages sent (`normal` + `duplicate`) at the
 *   polls before the second sync give the share of zero pages per sixteenth of the RAM (the
 *   rest of the pass to the final count).
 */
export interface QemuHost {
  readonly maxBandwidth_Bps: number;
  readonly sendRate_Bps: number | undefined;
  readonly syncCost_s: number;
  readonly syncCostPerGiB_s: number;
  readonly setupFixed_s: number;
  readonly zeroProfile: readonly number[] | undefined;
}

/** Rate-limit window of QEMU's migration thread (migration.c BUFFER_DELAY) and the budget's share of max-bandwidth (XFER_LIMIT_RATIO). */
const WINDOW_S = 0.1;
const XFER_LIMIT_RATIO = 10;
const PROFILE_SEGMENTS = 16;

/** Fit the host constants of the `qemu` strategy; `maxBandwidth_Bps` defaults to the slope of transferred (the rate the rounds achieve). */
export function calibrateQemuHost(samples: readonly QmpSample[], c: Calibration, maxBandwidth_Bps?: number): QemuHost {
  const bw = maxBandwidth_Bps ?? c.migrationRate_Bps;
  const budget = bw / XFER_LIMIT_RATIO;
  const active = samples.filter((s) => s.reply.status === 'active' && s.reply.ram);
  const first = active.find((s) => s.reply.ram!.mbps > 0);
  let sendRate_Bps: number | undefined;
  if (first && c.setup_s > WINDOW_S) {
    const spent = (budget * 8) / (first.reply.ram!.mbps * 1e6);
    if (spent > c.setup_s + 1e-4) sendRate_Bps = budget / (spent - c.setup_s);
  }
  const sending = sendRate_Bps ? budget / sendRate_Bps : 0;
  let stall = 0;
  for (let i = 0; i < active.length; i++) {
    let j = i;
    while (j + 1 < active.length && active[j + 1]!.reply.ram!.transferred === active[i]!.reply.ram!.transferred) j++;
    if (j > i && active[j]!.reply.ram!['dirty-sync-count'] > active[i]!.reply.ram!['dirty-sync-count']) stall = Math.max(stall, active[j]!.t - active[i]!.t);
    i = j;
  }
  const syncCost_s = Math.max(0, stall - (WINDOW_S - sending));
  const syncCostPerGiB_s = (syncCost_s * 2 ** 30) / c.memory_bytes;
  // The zero-page map of the first pass.
  let zeroProfile: number[] | undefined;
  const pages = c.memory_bytes / c.pageSize_bytes;
  const pts: Array<[number, number]> = [[0, 0]];
  for (const s of active) {
    const r = s.reply.ram!;
    if (r['dirty-sync-count'] !== 1) break;
    pts.push([Math.min(pages, r.normal + r.duplicate), r.duplicate]);
  }
  const zeros = c.observed?.zero_pages;
  if (pts.length > 2 && zeros !== undefined) {
    pts.push([pages, Math.max(zeros, pts.at(-1)![1])]);
    const at = (x: number): number => {
      for (let i = 1; i < pts.length; i++) {
        const [a, za] = pts[i - 1]!;
        const [b, zb] = pts[i]!;
        if (x <= b) return b > a ? za + ((zb - za) * (x - a)) / (b - a) : zb;
      }
      return pts.at(-1)![1];
    };
    const seg = pages / PROFILE_SEGMENTS;
    zeroProfile = Array.from({ length: PROFILE_SEGMENTS }, (_, i) => Math.min(1, Math.max(0, round((at((i + 1) * seg) - at(i * seg)) / seg, 4))));
  }
  return { maxBandwidth_Bps: bw, sendRate_Bps, syncCost_s, syncCostPerGiB_s, setupFixed_s: Math.max(0, c.setup_s - syncCost_s), zeroProfile };
}

/**
 * The experiment of a calibrated migration on QEMU's migration thread (the `qemu` strategy):
 * host constants from {@link calibrateQemuHost}, the fitted uniform guest, page-exact.
 */
export function qemuCalibratedExperiment(c: Calibration, h: QemuHost, name = 'qemu-calibrated'): Record<string, unknown> {
  return {
    name,
    seed: 1,
    fidelity: 'page-exact',
    scenario: {
      vm: { memory: `${c.memory_bytes} B`, pageSize: `${c.pageSize_bytes} B` },
      network: { bandwidth: `${round(c.linkBandwidth_Bps)} B/s`, latency: '0 s' },
      wire: {
        headerBytes: c.headerBytes,
        zeroPageBytes: 9,
        elideZeroPages: true,
        zeroFraction: round(c.observed ? c.observed.zero_pages / (c.memory_bytes / c.pageSize_bytes) : c.zeroFraction),
        ...(h.zeroProfile ? { zeroProfile: h.zeroProfile } : {}),
      },
      costs: { setup: `${round(h.setupFixed_s)} s`, bitmapSyncPerGiB: `${round(h.syncCostPerGiB_s)} s` },
    },
    workload: { use: 'uniform', options: { rate: `${round(c.dirtyRate_pages_per_s)} pages/s`, workingSet: `${Math.round(c.workingSet_pages) * c.pageSize_bytes} B` } },
    strategy: {
      use: '@livemig/strategy-precopy/qemu',
      options: {
        'max-bandwidth': `${Number.isInteger(h.maxBandwidth_Bps) ? h.maxBandwidth_Bps : round(h.maxBandwidth_Bps)} B/s`,
        'downtime-limit': `${c.downtimeLimit_s} s`,
        ...(h.sendRate_Bps ? { host: { sendRate: `${round(h.sendRate_Bps)} B/s` } } : {}),
      },
    },
    stop: { use: 'time-limit', options: { limit: '1 h' } },
  };
}
