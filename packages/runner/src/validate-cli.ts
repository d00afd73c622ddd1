/** The `validate` and `calibrate` verbs of the livemig CLI. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { parseQuantity } from '@livemig/core';
import { calibratedExperiment, calibrateQemuFile, calibrateQemuHost, parseDirtyRate, parseQmpSeries, qemuCalibratedExperiment, type CalibrateOptions } from './calibrate/qemu.js';
import { buildPlan } from './plan.js';
import { compileConfig, loadPlugins, runOnce } from './simulate.js';
import { formatTable, validate } from './validate.js';
import { InputError } from './errors.js';

const quantity = (q: 'rate' | 'seconds', flag: string) => (v: string) => {
  try {
    return parseQuantity(v, q, flag);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

/** Simulate the single configuration of an experiment document in-process. */
async function simulateDoc(doc: Record<string, unknown>) {
  const d = mkdtempSync(join(tmpdir(), 'livemig-calibrate-'));
  try {
    const f = join(d, 'experiment.json');
    writeFileSync(f, JSON.stringify(doc));
    const plan = await buildPlan(f);
    const c = plan.configs[0]!;
    return runOnce(c, compileConfig(c, await loadPlugins(plan.refs)), plan.runs[0]!.seed, 0);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

export function registerValidationCommands(program: Command): void {
  program
    .command('validate')
    .description('run every reproduction (an experiment <name>.json with a <name>.reference.csv beside it) and compare with its reference values; exit code 1 when a check fails')
    .argument('[dir]', 'directory of reproductions, or one experiment file', 'experiments/reproductions')
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nReference CSV columns: case, where (column=value; ... on the swept columns), metric, reference, tolerance (0.1% relative or an absolute number), source.')
    .action(async (dir: string, o: { json?: boolean }) => {
      const v = await validate(dir);
      process.stdout.write(o.json ? JSON.stringify(v, null, 2) + '\n' : formatTable(v));
      if (v.failed) process.exitCode = 1;
    });

  const calibrate = program.command('calibrate').description('fit livemig models to recorded real migrations');
  calibrate
    .command('qemu')
    .description('fit an experiment to a QEMU migration recorded as query-migrate replies (JSON lines {"t": s, "reply": {...}}, e.g. by packages/runner/scripts/qmp-record.mjs); prints the fit and its prediction of the recorded migration')
    .argument('<file>', 'recorded series (.jsonl)')
    .option('--dirty-rate <file>', 'a query-dirty-rate reply (dirty-rate in MiB/s over calc-time s) as one more point of the dirty-page curve')
    .option('--link-bandwidth <rate>', "link speed of the final copy, e.g. '10 Gbit/s' (default: downtime-bytes / downtime of the final reply)", quantity('rate', '--link-bandwidth'))
    .option('--downtime-limit <time>', "QEMU downtime-limit, e.g. '300 ms' (default: the first expected-downtime)", quantity('seconds', '--downtime-limit'))
    .option('--max-bandwidth <rate>', "the max-bandwidth the migration ran with, e.g. '64 MiB/s' (default: the slope of transferred)", quantity('rate', '--max-bandwidth'))
    .option('--model <model>', "qemu: QEMU's migration thread (strategy @livemig/strategy-precopy/qemu with the host constants: setup, bitmap sync cost, send rate, paused-copy speed, zero-page map); precopy: the generic pre-copy with sync below-threshold", 'qemu')
    .option('--name <name>', 'experiment name', 'qemu-calibrated')
    .option('-o, --out <file>', 'write the experiment file here (default: print it)')
    .option('--json', 'print the calibration and the prediction as JSON')
    .action(async (file: string, o: { dirtyRate?: string; linkBandwidth?: number; downtimeLimit?: number; maxBandwidth?: number; model: string; name: string; out?: string; json?: boolean }) => {
      if (o.model !== 'qemu' && o.model !== 'precopy') throw new InputError(`expected 'qemu' (QEMU's migration thread) or 'precopy' (the generic pre-copy), got '${o.model}'`, undefined, '--model');
      const opts: CalibrateOptions = {
        ...(o.linkBandwidth ? { linkBandwidth_Bps: o.linkBandwidth } : {}),
        ...(o.downtimeLimit !== undefined ? { downtimeLimit_s: o.downtimeLimit } : {}),
        ...(o.dirtyRate ? { dirtyRate: parseDirtyRate(readFileSync(o.dirtyRate, 'utf8'), o.dirtyRate) } : {}),
      };
      const c = calibrateQemuFile(file, opts);
      const host = o.model === 'qemu' ? calibrateQemuHost(parseQmpSeries(readFileSync(file, 'utf8'), file), c, o.maxBandwidth) : undefined;
      const doc = host ? qemuCalibratedExperiment(c, host, o.name) : calibratedExperiment(c, o.name);
      const m = await simulateDoc(doc);
      const obs = c.observed;
      const prediction = { total_time_s: m.total_time_s, downtime_s: m.downtime_s, bytes_sent: m.bytes_sent, rounds: m.rounds, status: m.status };
      const err = (p: number, q: number) => (p - q) / q;
      if (o.out) {
        mkdirSync(dirname(o.out), { recursive: true });
        const schema = relative(dirname(o.out), fileURLToPath(new URL('../schema/experiment.schema.json', import.meta.url))).split('\\').join('/');
        writeFileSync(o.out, JSON.stringify({ $schema: schema, ...doc }, null, 2) + '\n');
      }
      if (o.json) {
        process.stdout.write(JSON.stringify({ calibration: c, ...(host ? { host } : {}), prediction, observed: obs ?? null, ...(o.out ? {} : { experiment: doc }) }, null, 2) + '\n');
        return;
      }
      const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
      const lines = [
        `memory ${c.memory_bytes} B, page ${c.pageSize_bytes} B, zero pages ${(c.zeroFraction * 100).toFixed(1)} %, header ${c.headerBytes} B/page, setup ${c.setup_s} s`,
        `rate of the rounds ${(c.migrationRate_Bps / 2 ** 20).toFixed(2)} MiB/s (slope of transferred, r² ${c.migrationRate_r2.toFixed(5)}; median mbps ${(c.mbpsMedian_Bps / 2 ** 20).toFixed(2)} MiB/s)`,
        `final copy at ${(c.linkBandwidth_Bps / 2 ** 20).toFixed(1)} MiB/s (${c.linkBandwidthFrom}), downtime limit ${c.downtimeLimit_s} s`,
        ...(host
          ? [
              `migration thread: send rate ${host.sendRate_Bps ? `${(host.sendRate_Bps / 2 ** 20).toFixed(1)} MiB/s` : 'unknown (setup shorter than a window): the link'}, bitmap sync ${(host.syncCost_s * 1000).toFixed(1)} ms (${(host.syncCostPerGiB_s * 1000).toFixed(1)} ms/GiB), setup ${(host.setupFixed_s * 1000).toFixed(1)} ms + one sync, zero-page map ${host.zeroProfile ? host.zeroProfile.map((x) => x.toFixed(2)).join(' ') : 'none'}`,
            ]
          : []),
        `dirty pages: uniform, W = ${Math.round(c.workingSet_pages)} pages (${((c.workingSet_pages * c.pageSize_bytes) / 2 ** 20).toFixed(1)} MiB), r = ${Math.round(c.dirtyRate_pages_per_s)} pages/s (${((c.dirtyRate_pages_per_s * c.pageSize_bytes) / 2 ** 20).toFixed(1)} MiB/s), from ${c.dirtyPoints.length} dirty-rate periods (rms ${(c.dirtyFitRmsRelError * 100).toFixed(2)} %)`,
        '',
        'metric        recorded      livemig       error',
        ...(['total_time_s', 'downtime_s', 'bytes_sent'] as const).map((k) => {
          const q = obs?.[k];
          return `${k.padEnd(13)} ${String(q ?? '').padEnd(13)} ${String(Number(prediction[k].toPrecision(6))).padEnd(13)} ${q !== undefined ? pct(err(prediction[k], q)) : ''}`;
        }),
        // QEMU syncs once at setup, once per round (the sync that ends it) and once in the final copy.
        `rounds        ${String(obs ? `${obs.syncs} syncs` : '').padEnd(13)} ${prediction.rounds} rounds = ${prediction.rounds + (prediction.status === 'completed' ? 2 : 1)} syncs`,
      ];
      process.stderr.write(lines.join('\n') + '\n');
      if (o.out) process.stderr.write(`livemig: wrote ${o.out}\n`);
      else process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    });
}
