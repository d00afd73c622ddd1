/**
 * Scenario experiments (`"kind": "scenario"`): many VMs on hosts joined by one network, a list of
 * migrations asked for (explicit VMs or a whole host's), started by a scheduler plugin, over a
 * network model, with the VMs' service traffic and background flows on the same links. One run
 * per (configuration, replication): a row of runs.csv, and a row per migration in migrations.csv.
 */
import { schemas, z } from '@livemig/core';
import { componentSchema, scenarioSchema, stopSchema, sweepSchema } from '../experiment.js';

const id = z.string().regex(/^[A-Za-z0-9._:-]+$/, 'use letters, digits, ".", "_", ":" and "-"');

const hostSchema = z.strictObject({
  id: id.describe('host id; with count > 1, the hosts are <id>0, <id>1, …'),
  count: z.number().int().min(1).default(1).describe('identical hosts in this group'),
  nic: schemas.rate({ positive: true }).describe("NIC bandwidth (each direction with split duplex), e.g. '10 Gbit/s'"),
  memory: schemas.bytes({ positive: true }).optional().describe("memory for VMs, e.g. '256 GiB'; a migration starts only when its VM fits; default: unlimited"),
});

const vmSchema = z.strictObject({
  id: id.describe('VM id; with count > 1, the VMs are <id>0, <id>1, …'),
  count: z.number().int().min(1).default(1).describe('identical VMs in this group (each with its own random streams)'),
  host: id.describe('the host (or host group: its hosts in turn) the VMs run on at time 0'),
  memory: schemas.bytes({ positive: true }).describe("guest RAM, e.g. '4 GiB'"),
  pageSize: schemas.bytes({ positive: true }).prefault('4 KiB'),
  vcpus: z.number().int().min(1).default(1),
  workload: componentSchema.describe('dirty-page model of these VMs'),
  service: scenarioSchema.shape.service.unwrap().omit({ nic: true }).optional().describe("the VMs' own traffic to clients, leaving their host by its uplink, all the time (default: none)"),
});

const migrationSchema = z.union([
  z.strictObject({
    vms: id.describe('a VM id or a VM group id (all its VMs, in order)'),
    to: z.union([id, z.array(id).min(1)]).describe('destination host or host group, or a list; the VMs are dealt to them in turn'),
    at: schemas.seconds().prefault('0 s').describe('when the migrations are asked for'),
    priority: z.number().default(0).describe("for schedulers ordering by priority (higher first)"),
  }),
  z.strictObject({
    evacuate: id.describe('a host (or host group): every VM on it at time 0 migrates'),
    to: z.union([id, z.array(id).min(1)]).describe('destination hosts or host groups; the VMs are dealt to them in turn'),
    at: schemas.seconds().prefault('0 s'),
    priority: z.number().default(0),
  }),
]);

export const networkSpecSchema = z.strictObject({
  model: z.enum(['ideal', 'cm02', 'lv08']).default('ideal').describe("ideal: latency + size ÷ bandwidth, equal shares; cm02 / lv08: SimGrid 3.32's models (TCP window bound, 5 % acknowledgement cross-traffic, RTT-unfair shares; lv08 also bandwidth × 0.97, latency × 13.01, weight-S 20537)"),
  topology: z.enum(['star', 'dumbbell', 'links']).default('star').describe('star: every host NIC on one switch; dumbbell: two such switches (the left hosts, the others) joined by one bottleneck link; links: the links and routes given here'),
  duplex: z.enum(['split', 'shared']).default('split').describe('star, dumbbell: a link per direction per NIC and bottleneck (split) or one for both (shared)'),
  core: schemas.rate({ positive: true }).optional().describe("star: the switch's capacity (default: never a bottleneck)"),
  latency: schemas.seconds().prefault('0 s').describe('star, dumbbell: one-way latency between two hosts on one switch'),
  left: z.array(id).min(1).optional().describe('dumbbell: the hosts or host groups on the left switch (the others are on the right)'),
  bottleneck: schemas.rate({ positive: true }).optional().describe("dumbbell: the capacity of the link between the switches, e.g. '10 Gbit/s'"),
  bottleneckLatency: schemas.seconds().prefault('0 s').describe('dumbbell: the latency the bottleneck adds to a route across it'),
  links: z.array(z.strictObject({ id, bandwidth: schemas.rate({ positive: true }), latency: schemas.seconds().prefault('0 s') })).optional().describe('links topology: the links'),
  routes: z
    .array(z.strictObject({ from: id, to: id, links: z.array(id).min(1), symmetric: z.boolean().default(true).describe('also the reverse route, links reversed') }))
    .optional()
    .describe('links topology: the route between two hosts'),
  bandwidthFactor: z.number().gt(0).max(1).optional().describe("override the model's usable fraction of a link"),
  latencyFactor: z.number().gt(0).optional().describe("override the model's latency factor"),
  window: schemas.bytes().optional().describe("override the model's TCP window (0: no bound), e.g. '4 MiB'"),
  ackFraction: schemas.fraction().optional().describe("override the acknowledgements' share of the reverse route"),
  weightS: schemas.rate().optional().describe("override SimGrid's weight-S share penalty (B/s)"),
});

const backgroundSchema = z.strictObject({
  from: id,
  to: id,
  rate: z.union([schemas.rate({ positive: true }), z.literal('unlimited')]).describe("rate cap, e.g. '2 Gbit/s', or 'unlimited' (a bulk transfer taking its fair share)"),
  start: schemas.seconds().prefault('0 s'),
  end: schemas.seconds().optional().describe('default: until the last migration ends'),
  on: schemas.seconds({ positive: true }).optional().describe("on/off traffic: how long each burst lasts, e.g. '2 s' (with off)"),
  off: schemas.seconds({ positive: true }).optional().describe('on/off traffic: the pause between bursts (with on)'),
  periods: z.enum(['constant', 'exponential']).default('constant').describe('on/off traffic: every period as given, or drawn from exponentials of those means (seeded per run)'),
});

export const scenarioExperimentSchema = z.strictObject({
  $schema: z.string().optional(),
  kind: z.literal('scenario'),
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-" (it names the output directory)')
    .describe('names the output directory results/<name>/'),
  description: z.string().optional(),
  seed: z.number().int().min(0).default(1),
  replications: z.number().int().min(1).default(1),
  fidelity: z.enum(['fluid', 'page-exact']).default('fluid'),
  network: networkSpecSchema.prefault({}),
  hosts: z.array(hostSchema).min(1).describe('host groups (at least two hosts in all)'),
  vms: z.array(vmSchema).min(1).describe('VM groups'),
  migrations: z.array(migrationSchema).min(1).describe('the migrations asked for'),
  strategy: componentSchema.describe('copy strategy of every migration, e.g. "precopy"'),
  stop: stopSchema.default('xen'),
  scheduler: componentSchema.default('all-at-once').describe('which migrations start when: all-at-once, sequential, limited, kubevirt (see `livemig plugins`)'),
  background: z.array(backgroundSchema).optional().describe('flows between hosts that are not migrations'),
  wire: scenarioSchema.shape.wire,
  costs: scenarioSchema.shape.costs,
  sweep: sweepSchema.optional(),
});
export type ScenarioExperiment = z.output<typeof scenarioExperimentSchema>;

/** Whether a parsed document is a scenario experiment. */
export const isScenarioDocument = (doc: unknown): boolean => doc !== null && typeof doc === 'object' && !Array.isArray(doc) && (doc as { kind?: unknown }).kind === 'scenario';
