/**
 * Migration schedulers: which requested migrations start, and when. Each is a pure function of
 * the scheduler's view (waiting and running migrations), consulted at every request and every
 * migration end.
 */
import { defineScheduler, z, type Scheduler, type SchedulerView, type WaitingMigration } from '@livemig/core';

const limit = () => z.number().int().min(1).optional();

/** Orderings of the waiting migrations; ties keep request order. */
export const ORDERS = {
  fifo: () => 0,
  priority: (a, b) => b.priority - a.priority,
  'smallest-memory': (a, b) => a.memory_bytes - b.memory_bytes,
  'largest-memory': (a, b) => b.memory_bytes - a.memory_bytes,
  'least-dirty': (a, b) => a.dirtyRate_Bps - b.dirtyRate_Bps,
  'most-dirty': (a, b) => b.dirtyRate_Bps - a.dirtyRate_Bps,
  'shortest-estimate': (a, b) => (a.estimate_s === b.estimate_s ? 0 : a.estimate_s < b.estimate_s ? -1 : 1),
  'longest-estimate': (a, b) => (a.estimate_s === b.estimate_s ? 0 : a.estimate_s > b.estimate_s ? -1 : 1),
} as const satisfies Record<string, (a: WaitingMigration, b: WaitingMigration) => number>;
export type OrderName = keyof typeof ORDERS;

const limitedOptions = z
  .strictObject({
    total: limit().describe('migrations running at once in all (KubeVirt parallelMigrationsPerCluster); default: unlimited'),
    perSourceHost: limit().describe('outbound migrations per host at once (KubeVirt parallelOutboundMigrationsPerNode); default: unlimited'),
    perDestinationHost: limit().describe('inbound migrations per host at once; default: unlimited'),
    perHost: limit().describe('migrations a host takes part in at once, in or out (OpenStack max_concurrent_live_migrations); default: unlimited'),
    perLink: limit().describe('migrations crossing any one link at once; default: unlimited'),
    order: z.enum(Object.keys(ORDERS) as [OrderName, ...OrderName[]]).default('fifo').describe('which waiting migration goes first: fifo (request order), priority, smallest-memory, largest-memory, least-dirty, most-dirty, shortest-estimate (memory ÷ (bandwidth − dirty rate)), longest-estimate'),
    backfill: z.boolean().default(true).describe('when the first in order cannot start (its host is at its limit), start later ones that can (false: strict order, the head blocks the queue)'),
  })
  .describe('start migrations in order while every limit allows');
export type LimitedOptions = z.output<typeof limitedOptions>;

/** The scheduler that enforces `o`'s limits over `o`'s ordering. */
export function limitedScheduler(o: LimitedOptions): Scheduler {
  const cmp = ORDERS[o.order];
  return {
    select(view: SchedulerView): number[] {
      const out = new Set<number>();
      const outbound = new Map<number, number>();
      const inbound = new Map<number, number>();
      const onLink = new Map<number, number>();
      const inc = (m: Map<number, number>, k: number): void => void m.set(k, (m.get(k) ?? 0) + 1);
      const get = (m: Map<number, number>, k: number): number => m.get(k) ?? 0;
      let total = view.running.length;
      const add = (m: { fromHost: number; toHost: number; route: readonly number[] }): void => {
        inc(outbound, m.fromHost);
        inc(inbound, m.toHost);
        for (const l of m.route) inc(onLink, l);
      };
      for (const r of view.running) add(r);
      const order = view.waiting.map((w, i) => ({ w, i })).sort((a, b) => cmp(a.w, b.w) || a.i - b.i);
      for (const { w } of order) {
        if (o.total !== undefined && total >= o.total) break;
        // No room at the destination is not the scheduler's limit: such a migration never blocks the queue.
        if (!w.fits) continue;
        const blocked =
          (o.perSourceHost !== undefined && get(outbound, w.fromHost) >= o.perSourceHost) ||
          (o.perDestinationHost !== undefined && get(inbound, w.toHost) >= o.perDestinationHost) ||
          (o.perHost !== undefined && (get(outbound, w.fromHost) + get(inbound, w.fromHost) >= o.perHost || get(outbound, w.toHost) + get(inbound, w.toHost) >= o.perHost)) ||
          (o.perLink !== undefined && w.route.some((l) => get(onLink, l) >= o.perLink!));
        if (blocked) {
          if (o.backfill) continue;
          break;
        }
        out.add(w.id);
        add(w);
        total++;
      }
      return [...out];
    },
  };
}

/** Every migration starts as soon as it is asked for (and fits): gang migration. */
export const allAtOnce = defineScheduler({
  name: 'all-at-once',
  description: 'start every migration as soon as it is asked for (gang migration): they share the network max-min fairly',
  options: z.strictObject({}),
  create: () => limitedScheduler({ order: 'fifo', backfill: true }),
});

/** One migration at a time, in the chosen order. */
export const sequential = defineScheduler({
  name: 'sequential',
  description: 'one migration at a time, in the chosen order (default: request order)',
  options: z.strictObject({ order: limitedOptions.shape.order }),
  create: (o) => limitedScheduler({ total: 1, order: o.order, backfill: true }),
});

/** Limits per host, per link and in total, over an ordering. */
export const limited = defineScheduler({
  name: 'limited',
  description: 'start migrations in order while per-host, per-link and total limits allow (backfilling by default)',
  options: limitedOptions,
  create: (o) => limitedScheduler(o),
});

/**
 * KubeVirt's defaults (MigrationConfiguration: parallelOutboundMigrationsPerNode 2,
 * parallelMigrationsPerCluster 5), pending migrations taken in creation order, a blocked one
 * skipped.
 */
export const kubevirt = defineScheduler({
  name: 'kubevirt',
  description: "KubeVirt's limits: 2 outbound migrations per node, 5 in the cluster (parallelOutboundMigrationsPerNode, parallelMigrationsPerCluster), in creation order",
  options: z.strictObject({
    parallelOutboundMigrationsPerNode: z.number().int().min(1).default(2).describe('KubeVirt default 2'),
    parallelMigrationsPerCluster: z.number().int().min(1).default(5).describe('KubeVirt default 5'),
  }),
  create: (o) => limitedScheduler({ total: o.parallelMigrationsPerCluster, perSourceHost: o.parallelOutboundMigrationsPerNode, order: 'fifo', backfill: true }),
});
