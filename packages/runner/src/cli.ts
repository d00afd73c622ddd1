#!/usr/bin/env node
/**
 * The `livemig` command line. Exit codes: 0 success, 1 a run or merge failed (e.g. missing or
 * duplicated runs, a disk full or a read-only output folder: one line naming the path), 2 bad
 * input (experiment file, options, an output folder another run is writing into) — nothing is
 * written then —, 130 after Ctrl-C (SIGINT) and 143 after SIGTERM: the runs in flight are
 * dropped, the rows done are kept, the manifest says `interrupted`, and `--resume` finishes the run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { z } from '@livemig/core';
import { InputError } from './errors.js';
import { OutputError } from './outdir.js';
import { experimentJsonSchema } from './experiment.js';
import { mergeShards, MergeError } from './merge.js';
import { buildPlan, headerOf } from './plan.js';
import { firstPartyPlugins, installedPlugins } from './plugins.js';
import { runnerVersion } from './output.js';
import { DEFAULT_MAX_RUNS, parseShard, runExperiment, shardFromEnv } from './run.js';
import { CLUSTER_METRIC_COLUMNS, clusterPlanOf } from './cluster/plan.js';
import { clusterExperimentSchema } from './cluster/experiment.js';
import { SCENARIO_METRIC_COLUMNS, scenarioPlanOf } from './scenario/plan.js';
import { scenarioExperimentSchema } from './scenario/experiment.js';
import { registerNew } from './scaffold/index.js';
import { registerValidationCommands } from './validate-cli.js';

// `livemig plan … | head`: the reader is gone once it has what it wanted; stop quietly, as a Unix filter does.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got '${v}'`);
  return n;
};

const program = new Command('livemig')
  .description('Simulate live VM migration policies: run experiment files (sweeps) into CSVs, summaries, Pareto fronts and plots.')
  .version(runnerVersion(), '-V, --version')
  .showHelpAfterError('(run livemig --help for usage)')
  .exitOverride();

program
  .command('run')
  .description('run an experiment file (every run of its sweep) in worker threads; writes runs.csv, manifest.json, summary.csv, pareto.csv and SVG plots. A file with "kind": "scenario" runs many VMs on one network (a row per run, migrations.csv a row per migration); "kind": "cluster" runs trigger policies over whole PlanetLab days (one row per configuration and day)')
  .argument('<file>', 'experiment file (JSON)')
  .option('-o, --out <dir>', 'output directory (default: results/<name>, for a shard results/<name>/shards/<i>-of-<n>)')
  .option('-w, --workers <n>', 'worker threads (default and maximum: the cores, os.availableParallelism())', int('--workers', 1))
  .option('--force-workers', 'use --workers threads even when there are fewer cores')
  .option('--shard <i/n>', 'run only the plan indices with index % n == i-1 (default from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT when set); combine with livemig merge')
  .option('--resume', 'keep the complete rows of an interrupted run in the output directory and run only the missing ones')
  .option('--allow-plugin-drift', 'with --resume: keep rows made by other plugin or livemig versions (refused by default)')
  .option('--seed <n>', "override the experiment's seed", int('--seed', 0))
  .option('--max-runs <n>', 'refuse a sweep of more runs than this (plan.txt takes 17 bytes a run; cluster and scenario plans are held in memory, about 1 KB a run)', int('--max-runs', 1), DEFAULT_MAX_RUNS)
  .option('-q, --quiet', 'no progress output')
  .addOption(new Option('--progress <kind>', 'progress display').choices(['auto', 'bar', 'lines', 'none']).default('auto'))
  .addHelpText('after', '\nExample:\n  livemig run experiments/quickstart.json --workers 2\n  livemig run big.json --shard 3/8 --out results/big/shard-3 && livemig merge results/big/shard-* --out results/big')
  .action(async (file: string, o: { out?: string; workers?: number; forceWorkers?: boolean; shard?: string; resume?: boolean; allowPluginDrift?: boolean; seed?: number; maxRuns: number; quiet?: boolean; progress: 'auto' | 'bar' | 'lines' | 'none' }) => {
    const shard = o.shard ? parseShard(o.shard) : shardFromEnv();
    const ac = new AbortController();
    let signals = 0;
    const EXIT_CODE = { SIGINT: 130, SIGTERM: 143 } as const;
    const onSignal = (sig: 'SIGINT' | 'SIGTERM'): void => {
      if (++signals > 1) process.exit(EXIT_CODE[sig]);
      process.stderr.write(`\nlivemig: stopping on ${sig} (rows done are kept; finish with --resume; ${sig === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to quit now)\n`);
      ac.abort(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const t0 = Date.now();
    const r = await runExperiment(file, {
      ...(o.out ? { out: o.out } : {}),
      ...(o.workers ? { workers: o.workers } : {}),
      forceWorkers: o.forceWorkers ?? false,
      ...(shard ? { shard } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      maxRuns: o.maxRuns,
      resume: o.resume ?? false,
      allowPluginDrift: o.allowPluginDrift ?? false,
      progress: o.quiet ? 'none' : o.progress,
      signal: ac.signal,
    });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const s = (Date.now() - t0) / 1000;
    if (!o.quiet)
      process.stderr.write(
        `livemig: ${r.interrupted ? 'interrupted after' : 'done,'} ${r.ran} runs simulated${r.reused ? `, ${r.reused} kept from before` : ''}` +
          `${shard ? ` (shard ${shard.index}/${shard.count}: ${r.selected} of ${r.planned} runs)` : ''} in ${s.toFixed(1)} s → ${r.outDir}\n`,
      );
    if (r.interrupted) process.exitCode = EXIT_CODE[ac.signal.reason as 'SIGINT' | 'SIGTERM'] ?? 130;
  });

program
  .command('merge')
  .description('merge the output directories of shards into one runs.csv in plan order (fails on a missing or duplicated run) and write the reports')
  .argument('<dirs...>', 'shard output directories')
  .option('-o, --out <dir>', 'output directory', '.')
  .option('--list-missing', 'print the missing runs (plan index and run id) and write nothing; exit code 1 if any')
  .action(async (dirs: string[], o: { out: string; listMissing?: boolean }) => {
    const r = await mergeShards(dirs, { out: o.out, listMissing: o.listMissing ?? false });
    if (o.listMissing) {
      for (const [i, id] of r.missing) process.stdout.write(`${i}\t${id}\n`);
      process.stderr.write(`livemig: ${r.missing.length} run(s) missing, ${r.rows} present\n`);
      if (r.missing.length) process.exitCode = 1;
      return;
    }
    for (const w of r.warnings ?? []) process.stderr.write(`livemig: warning: ${w}\n`);
    process.stderr.write(`livemig: merged ${r.rows} runs from ${dirs.length} director${dirs.length > 1 ? 'ies' : 'y'} → ${r.outDir}\n`);
  });

program
  .command('plan')
  .description('validate an experiment file and print its number of runs, its columns and its first runs; runs nothing')
  .argument('<file>', 'experiment file (JSON)')
  .option('-n, --head <n>', 'runs to show', int('--head', 0), 10)
  .option('--seed <n>', "override the experiment's seed", int('--seed', 0))
  .action(async (file: string, o: { head: number; seed?: number }) => {
    const seedOpt = o.seed !== undefined ? { seed: o.seed } : {};
    const cluster = await clusterPlanOf(file, seedOpt);
    if (cluster) {
      // One run per (configuration, day); `replication` is the day's index.
      const configs = cluster.configs.length;
      process.stdout.write(`${cluster.runs.length} runs (${configs} configuration${configs > 1 ? 's' : ''} × ${cluster.days.length} day${cluster.days.length > 1 ? 's' : ''}), seed ${cluster.seed}, cluster experiment\n`);
      process.stdout.write(`columns: ${['run_id', 'config_id', 'replication', 'seed', ...cluster.paramColumns, ...cluster.labelColumns, ...CLUSTER_METRIC_COLUMNS].join(', ')}\n`);
      process.stdout.write(['index', 'run_id', 'config_id', 'day', 'seed', ...cluster.paramColumns, ...cluster.labelColumns].join('\t') + '\n');
      for (const r of cluster.runs.slice(0, o.head)) {
        const m = cluster.configMeta[r.configIndex]!;
        process.stdout.write([r.index, r.runId, m.configId, cluster.days[r.replication], r.seed, ...m.cells].join('\t') + '\n');
      }
      if (cluster.runs.length > o.head) process.stdout.write(`... ${cluster.runs.length - o.head} more\n`);
      return;
    }
    const scenario = await scenarioPlanOf(file, seedOpt);
    if (scenario) {
      const configs = scenario.configs.length;
      const x = scenario.configs[0]!.expanded;
      process.stdout.write(`${scenario.runs.length} runs (${configs} configuration${configs > 1 ? 's' : ''} × ${scenario.experiment.replications} replication${scenario.experiment.replications > 1 ? 's' : ''}), seed ${scenario.seed}, scenario experiment: ${x.hosts.length} hosts, ${x.vms.length} VMs, ${x.requests.length} migrations (first configuration)\n`);
      process.stdout.write(`columns: ${['run_id', 'config_id', 'replication', 'seed', ...scenario.paramColumns, ...scenario.labelColumns, ...SCENARIO_METRIC_COLUMNS].join(', ')}\n`);
      process.stdout.write(['index', 'run_id', 'config_id', 'replication', 'seed', ...scenario.paramColumns, ...scenario.labelColumns].join('\t') + '\n');
      for (const r of scenario.runs.slice(0, o.head)) {
        const m = scenario.configMeta[r.configIndex]!;
        process.stdout.write([r.index, r.runId, m.configId, r.replication, r.seed, ...m.cells].join('\t') + '\n');
      }
      if (scenario.runs.length > o.head) process.stdout.write(`... ${scenario.runs.length - o.head} more\n`);
      return;
    }
    // Only the runs shown are built: the count of a 10⁹-run sweep comes at once.
    const plan = await buildPlan(file, { ...seedOpt, head: o.head });
    const configs = plan.configCount;
    process.stdout.write(`${plan.runCount} runs (${configs} configuration${configs > 1 ? 's' : ''} × ${plan.experiment.replications} replication${plan.experiment.replications > 1 ? 's' : ''}), seed ${plan.seed}, ${plan.experiment.fidelity} engine\n`);
    process.stdout.write(`columns: ${headerOf(plan).join(', ')}\n`);
    const cols = ['index', 'run_id', 'config_id', 'replication', 'seed', ...plan.paramColumns, ...plan.labelColumns];
    process.stdout.write(cols.join('\t') + '\n');
    for (const r of plan.runs.slice(0, o.head)) {
      const m = plan.configMeta[r.configIndex]!;
      process.stdout.write([r.index, r.runId, m.configId, r.replication, r.seed, ...m.cells].join('\t') + '\n');
    }
    if (plan.runs.length === 0 && o.head > 0 && plan.runCount > 0) process.stdout.write(`(the samples of a ${plan.experiment.sweep?.method} sweep are drawn all at once: the runs of so many are not listed)\n`);
    if (plan.runCount > plan.runs.length) process.stdout.write(`... ${plan.runCount - plan.runs.length} more\n`);
  });

program
  .command('plugins')
  .description('list the plugins livemig can use here — first-party, and every installed package with the livemig-plugin keyword — with their options and defaults')
  .option('--json', 'print JSON (use, kind, package, version, description, options JSON Schema)')
  .action(async (o: { json?: boolean }) => {
    const installed = await installedPlugins([process.cwd()]);
    const all = [...(await firstPartyPlugins()), ...installed.plugins];
    const described = all.map(({ ref, plugin }) => ({
      use: ref.use,
      kind: plugin.kind,
      package: ref.package,
      version: ref.version,
      description: plugin.description,
      options: z.toJSONSchema(plugin.options as z.ZodType, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, { default?: unknown; description?: string; type?: unknown; enum?: unknown[] }> },
    }));
    for (const p of installed.problems) process.stderr.write(`livemig: warning: ${p}\n`);
    if (o.json) {
      process.stdout.write(JSON.stringify(described, null, 2) + '\n');
      return;
    }
    const titles = { strategy: 'Strategies', 'stop-condition': 'Stop conditions', workload: 'Workloads', scheduler: 'Schedulers (scenario experiments)', trigger: 'Triggers (cluster experiments)' } as const;
    for (const kind of ['strategy', 'stop-condition', 'workload', 'scheduler', 'trigger'] as const) {
      const ofKind = described.filter((d) => d.kind === kind);
      if (ofKind.length === 0) continue;
      process.stdout.write(`\n${titles[kind]}:\n`);
      for (const p of ofKind) {
        process.stdout.write(`  ${p.use}  (${p.package}@${p.version})\n      ${p.description}\n`);
        for (const [name, s] of Object.entries(p.options.properties ?? {})) {
          const def = s.default !== undefined ? ` [default: ${JSON.stringify(s.default)}]` : '';
          const choices = s.enum ? ` (${s.enum.map((v) => JSON.stringify(v)).join(' | ')})` : '';
          process.stdout.write(`      ${name}${choices}${def}${s.description ? ` — ${s.description}` : ''}\n`);
        }
      }
    }
  });

program
  .command('schema')
  .description('print (or write) the JSON Schema of experiment files, for editors ("$schema" in the file)')
  .option('-o, --out <file>', 'write to a file instead of stdout')
  .action((o: { out?: string }) => {
    const text = JSON.stringify(experimentJsonSchema(clusterExperimentSchema, scenarioExperimentSchema), null, 2) + '\n';
    if (o.out) {
      mkdirSync(dirname(o.out), { recursive: true });
      writeFileSync(o.out, text);
    }
    else process.stdout.write(text);
  });

registerValidationCommands(program);

registerNew(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof InputError) {
    process.stderr.write(`livemig: error: ${e.message}\n`);
    process.exitCode = 2;
  } else if (e instanceof OutputError) {
    process.stderr.write(`livemig: error: ${e.message}\n`);
    process.exitCode = 1;
  } else if (e instanceof MergeError) {
    process.stderr.write(`livemig: ${e.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`livemig: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
