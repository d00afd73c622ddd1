/**
 * Cluster experiments (`"kind": "cluster"`): a trigger policy over whole simulated days of a
 * cluster (`@livemig/triggers` on PlanetLab traces from `@livemig/data-planetlab`), one run per
 * (configuration, day). The sweep is the runner's (`sweep.params` over dotted paths such as
 * `trigger.detector`); the days are the replications.
 */
import { schemas, z } from '@livemig/core';
import { componentSchema, stopSchema, sweepSchema } from '../experiment.js';

export const clusterMigrationSchema = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('cloudsim').describe("CloudSim's cost: RAM ÷ (½ × NIC), 10 % CPU overhead, no downtime, no contention"),
    bandwidthShare: schemas.fraction().default(0.5).describe('share of the NIC a migration gets (CloudSim: 0.5)'),
  }),
  z.strictObject({
    mode: z.literal('strategy').describe('each migration runs a copy strategy over the shared network (max-min fair NICs)'),
    strategy: componentSchema.describe('copy strategy, e.g. "precopy"'),
    stop: stopSchema.default('qemu').describe('stop condition, e.g. { "any": ["qemu", { "use": "time-limit", "options": { "seconds": "120 s" } }] }'),
    fidelity: z.enum(['fluid', 'page-exact']).default('fluid'),
    maxDirtyRate: schemas.pageRate().default(20_000).describe("dirty rate at 100 % CPU; the guest writes utilisation × this (e.g. '20000 pages/s')"),
    workingSetFraction: schemas.fraction().default(0.25).describe('the writes fall uniformly on this fraction of memory'),
    bandwidthShare: schemas.fraction().default(0.5).describe("cap of a migration's rate as a share of the NIC"),
    maxPerHost: z
      .union([z.number().int().min(1), z.literal('unlimited')])
      .default('unlimited')
      .describe('migrations a host runs at once (in or out); the others wait in a FIFO queue (OpenStack max_concurrent_live_migrations, vSphere per-host limits)'),
  }),
]);

export const clusterExperimentSchema = z.strictObject({
  $schema: z.string().optional(),
  kind: z.literal('cluster'),
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-" (it names the output directory)')
    .describe('names the output directory results/<name>/'),
  description: z.string().optional(),
  seed: z.number().int().min(0).default(1).describe('master seed; each day derives its own (the same for every configuration)'),
  days: z
    .union([z.literal('all'), z.array(z.string().regex(/^\d{8}$/, 'a day is YYYYMMDD')).min(1)])
    .default('all')
    .describe('PlanetLab days (YYYYMMDD) or "all": one run per configuration and day'),
  cluster: z
    .strictObject({
      hosts: z.number().int().min(1).default(800).describe('hosts, alternating HP ProLiant G4 / G5 (CloudSim)'),
      vms: z.union([z.literal('all'), z.number().int().min(1)]).default('all').describe("VMs: one per trace of the day, or the first n"),
      cloudsimCompat: z.boolean().default(true).describe("CloudSim 4.0's accounting and policy quirks (cloudsimCompat and cloudsimTriggerOptions of @livemig/triggers)"),
    })
    .prefault({}),
  trigger: z.strictObject({
    detector: z.enum(['thr', 'iqr', 'mad', 'lr', 'lrr']).describe('overload detector'),
    selection: z.enum(['mmt', 'mc', 'mu', 'rs']).default('mmt').describe('VM selection'),
    placement: z.enum(['pabfd', 'first-fit', 'nic-aware']).default('pabfd'),
    options: z.record(z.string(), z.unknown()).default({}).describe("the detector's other options (e.g. { \"safety\": 1.2 }); see @livemig/triggers"),
  }),
  migration: clusterMigrationSchema.prefault({ mode: 'cloudsim' }),
  failures: z
    .strictObject({
      mtbf: schemas.seconds({ positive: true }).optional().describe("mean time between failures of each host (exponential), e.g. '30 days' or '720 h'"),
      mttr: schemas.seconds({ positive: true }).optional().describe("mean time to repair (exponential), e.g. '4 h'"),
      trace: z
        .string()
        .min(1)
        .optional()
        .describe('instead of mtbf/mttr: a CSV file (relative to the experiment file) with columns host,at_s,repair_s — host index, failure time and repair time in seconds of the day'),
      detection: schemas.seconds().default(30).describe('until the manager notices a failure and restarts its VMs elsewhere'),
      boot: schemas.seconds().default(60).describe('boot time of a restarted VM'),
      announce: schemas
        .seconds()
        .default(0)
        .describe('a perfect predictor announces each failure this long ahead (0: none); with trigger.options.evacuationLead ≥ this, the policy evacuates the host first'),
    })
    .refine((f) => f.trace !== undefined || (f.mtbf !== undefined && f.mttr !== undefined), { message: "give either 'trace' (a CSV of failures) or both 'mtbf' and 'mttr'" })
    .refine((f) => f.trace === undefined || (f.mtbf === undefined && f.mttr === undefined), { message: "give either 'trace' or 'mtbf'/'mttr', not both" })
    .optional()
    .describe('host failures (exponential MTBF/MTTR from the day\'s seed, or a trace); VMs on a failed host are lost until restarted elsewhere'),
  sweep: sweepSchema.optional(),
});
export type ClusterExperimentInput = z.input<typeof clusterExperimentSchema>;
export type ClusterExperiment = z.output<typeof clusterExperimentSchema>;

/** Whether a parsed experiment document is a cluster experiment. */
export const isClusterDocument = (doc: unknown): boolean => doc !== null && typeof doc === 'object' && (doc as { kind?: unknown }).kind === 'cluster';
