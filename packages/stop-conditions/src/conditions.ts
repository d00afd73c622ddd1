/**
 * Round thresholds (stop conditions) as real hypervisors use them. Each is a plugin; `xen`
 * and `qemu` are presets that combine them with the defaults of those systems.
 */
import { anyOf, defineStopCondition, schemas, z, type StopCondition } from '@livemig/core';

/** Stop after N pre-copy passes (the first full pass counts). Gives up: not converged. */
export const maxRounds = defineStopCondition({
  name: 'max-rounds',
  description: 'stop after N pre-copy passes (Xen: 29 iterations plus the first pass); a forced stop',
  options: z.object({ rounds: z.number().int().min(1).default(30) }).strict(),
  create: (o) => ({
    check: (v) => (v.rounds.length >= o.rounds ? { converged: false, reason: `max-rounds: ${v.rounds.length} rounds reached` } : null),
  }),
});

/** Stop when fewer than N pages are dirty (Xen: 50). Converged. */
export const dirtyPagesBelow = defineStopCondition({
  name: 'dirty-pages-below',
  description: 'stop when fewer than N pages remain dirty (Xen: 50)',
  options: z.object({ pages: z.number().min(0).default(50) }).strict(),
  create: (o) => ({
    check: (v) => (v.last.dirtyPages < o.pages ? { converged: true, reason: `dirty-pages-below: ${v.last.dirtyPages} < ${o.pages} pages` } : null),
  }),
});

/** Stop when more than k × memory has been sent (Xen: 3×). Gives up. */
export const sentAbove = defineStopCondition({
  name: 'sent-above',
  description: 'stop when more than k times the memory size has been sent (Xen: 3)',
  options: z.object({ factor: z.number().gt(0).default(3) }).strict(),
  create: (o) => ({
    check: (v) =>
      v.bytesSent > o.factor * v.memory_bytes ? { converged: false, reason: `sent-above: ${(v.bytesSent / v.memory_bytes).toFixed(3)} x memory sent` } : null,
  }),
});

/**
 * QEMU: stop when the expected downtime — remaining dirty bytes ÷ the bandwidth measured in
 * the last round — is at most the limit (default 300 ms). Converged.
 */
export const downtimeLimit = defineStopCondition({
  name: 'downtime-limit',
  description: 'QEMU: stop when remaining dirty bytes / last round bandwidth <= limit (default 300 ms)',
  options: z.object({ limit: schemas.seconds().prefault('300 ms') }).strict(),
  create: (o) => ({
    check(v) {
      const expected = v.last.dirtyBytes / v.last.bandwidth_Bps;
      return expected <= o.limit ? { converged: true, reason: `downtime-limit: expected ${expected.toPrecision(4)} s <= ${o.limit} s` } : null;
    },
  }),
});

/**
 * SimGrid 3.32: stop when remaining dirty bytes < (bytes ÷ duration of the previous transfer)
 * × max downtime (0.03 s). No round limit. Converged.
 */
export const simgrid = defineStopCondition({
  name: 'simgrid',
  description: 'SimGrid: stop when remaining dirty bytes <= last transfer bandwidth x 0.03 s; with timeout, give up (not converged) once the migration has run that long (SimGrid: 1e7 s)',
  options: z
    .object({
      maxDowntime: schemas.seconds().prefault('30 ms'),
      timeout: schemas
        .seconds({ positive: true })
        .optional()
        .describe("SimGrid's pre-copy time budget (MigrationTx: mig_timeout = 1e7 s, where SimGrid 3.32 aborts the whole simulation): past it, stop-and-copy, not converged; checked when a round ends (SimGrid cuts the round at the budget); default: none"),
    })
    .strict(),
  create: (o) => ({
    check(v) {
      const threshold = v.last.bandwidth_Bps * o.maxDowntime;
      if (v.last.dirtyBytes <= threshold) return { converged: true, reason: `simgrid: ${v.last.dirtyBytes.toFixed(0)} B <= ${threshold.toFixed(0)} B` };
      if (o.timeout !== undefined && v.elapsed_s >= o.timeout)
        return { converged: false, reason: `simgrid: timeout, ${v.elapsed_s.toPrecision(6)} s >= ${o.timeout} s with ${v.last.dirtyBytes.toFixed(0)} B > ${threshold.toFixed(0)} B left` };
      return null;
    },
  }),
});

/** Give up when the dirty set did not shrink by at least x % for k consecutive rounds. */
export const noProgress = defineStopCondition({
  name: 'no-progress',
  description: 'stop when the dirty set did not shrink by at least `minShrink` for `rounds` consecutive rounds',
  options: z.object({ minShrink: z.number().min(0).max(1).default(0.1), rounds: z.number().int().min(1).default(3) }).strict(),
  create: (o) => ({
    check(v) {
      const r = v.rounds;
      if (r.length < o.rounds + 1) return null;
      for (let i = r.length - o.rounds; i < r.length; i++) {
        if (r[i]!.dirtyPages < (1 - o.minShrink) * r[i - 1]!.dirtyPages) return null;
      }
      return { converged: false, reason: `no-progress: dirty set shrank less than ${o.minShrink * 100}% for ${o.rounds} rounds` };
    },
  }),
});

/** Give up once the migration has run for longer than a limit. */
export const timeLimit = defineStopCondition({
  name: 'time-limit',
  description: 'stop when the migration has run longer than the limit',
  options: z.object({ limit: schemas.seconds({ positive: true }).prefault('1 h') }).strict(),
  create: (o) => ({
    check: (v) => (v.elapsed_s >= o.limit ? { converged: false, reason: `time-limit: ${v.elapsed_s.toPrecision(4)} s >= ${o.limit} s` } : null),
  }),
});

/** Xen's defaults (libxc): 50 dirty pages, 29 iterations after the first pass, 3 × memory sent. */
export const xen = defineStopCondition({
  name: 'xen',
  description: "Xen's defaults: any of dirty-pages-below 50, max-rounds 30 (29 iterations + first pass), sent-above 3",
  options: z.object({ pages: z.number().min(0).default(50), rounds: z.number().int().min(1).default(30), factor: z.number().gt(0).default(3) }).strict(),
  create: (o): StopCondition =>
    anyOf([
      dirtyPagesBelow.create({ pages: o.pages }, undefined as never),
      maxRounds.create({ rounds: o.rounds }, undefined as never),
      sentAbove.create({ factor: o.factor }, undefined as never),
    ]),
});

/** QEMU's default: the 300 ms downtime limit, nothing else (it iterates for ever otherwise). */
export const qemu = defineStopCondition({
  name: 'qemu',
  description: "QEMU's default: downtime-limit 300 ms and no round limit",
  options: z.object({ limit: schemas.seconds().prefault('300 ms') }).strict(),
  create: (o) => downtimeLimit.create({ limit: o.limit }, undefined as never),
});
