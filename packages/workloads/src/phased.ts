/**
 * A workload that changes over (wall) time: a list of phases, each a duration and another
 * workload of this package, repeated or with the last held at the end.
 *
 * Page-exact: writes() follows the phase at each instant; each phase is its own instance with
 * its own random stream (a phase met again when the list repeats continues where it stopped).
 *
 * Fluid: `expectedDistinct(t, work)` lays the work on the phase timeline as if the guest ran
 * at full speed from t, i.e. over [t, t + work]. Each phase piece contributes its
 * untouched-page profile and {@link distinctFromProfiles} combines them as independent windows:
 * exact (up to Zipf's bucketing) for phases over the same working set or disjoint ones when at
 * most one distinct non-uniform layout overlaps (uniform, sequential and trace phases mix with
 * anything); see distinctFromProfiles for the rest. Under throttling (speed < 1) the real
 * window is longer than `work` in wall time, so a window that crosses a phase boundary puts too
 * much of its work into the earlier phase; windows inside one phase are exact.
 */
import { createRng, defineWorkload, deriveSeed, schemas, z, type WorkloadPlugin } from '@livemig/core';
import { distinctFromProfiles, isProfiled, type ProfiledWorkload, type UntouchedProfile } from './common.js';
import { hotCold, idle, sequential, simgrid, uniform } from './models.js';
import { trace } from './trace.js';
import { zipf } from './zipf.js';

/** The workloads a phase may use, by name (every workload of this package). */
export const phaseWorkloads = (): Record<string, WorkloadPlugin> => ({ idle, uniform, 'hot-cold': hotCold, zipf, sequential, simgrid, trace, phased });

const phaseWorkload = z
  .object({
    use: z.string().describe('name of a workload of this package'),
    options: z.unknown().optional(),
  })
  .strict()
  .transform((spec, ctx) => {
    const registry = phaseWorkloads();
    const plugin = registry[spec.use];
    if (!plugin) {
      ctx.addIssue({ code: 'custom', path: ['use'], message: `unknown workload '${spec.use}'; expected one of ${Object.keys(registry).join(', ')}` });
      return z.NEVER;
    }
    const parsed = plugin.options.safeParse(spec.options ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: ['options', ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: issue.message });
      return z.NEVER;
    }
    return { use: spec.use, plugin, options: parsed.data as unknown };
  });

export const phased = defineWorkload({
  name: 'phased',
  description: 'a sequence of phases, each a duration and a workload; repeated or with the last held',
  options: z
    .object({
      phases: z
        .array(z.object({ duration: schemas.seconds({ positive: true }).describe("phase length ('30 s')"), workload: phaseWorkload }).strict())
        .min(1)
        .describe("phases in order: { duration: '30 s', workload: { use: 'uniform', options: {...} } }"),
      after: z.enum(['repeat', 'hold']).default('repeat').describe('after the last phase: start over, or stay in the last phase for ever'),
    })
    .strict(),
  create(o, ctx): ProfiledWorkload {
    const base = ctx.rng.int(2 ** 32);
    const subs = o.phases.map((ph, i) => {
      const w = ph.workload.plugin.create(ph.workload.options, { pageCount: ctx.pageCount, pageSize_bytes: ctx.pageSize_bytes, rng: createRng(deriveSeed(base, i)), ...(ctx.baseDir === undefined ? {} : { baseDir: ctx.baseDir }) });
      if (!isProfiled(w)) throw new TypeError(`phases.${i}.workload: '${ph.workload.use}' gives no untouched-page profile, so it cannot be a phase`);
      return w;
    });
    const durations = o.phases.map((p) => p.duration);
    const ends: number[] = [];
    durations.reduce((acc, d) => (ends.push(acc + d), acc + d), 0);
    const cycle = ends[ends.length - 1]!;
    const last = subs.length - 1;
    const tol = 1e-9 * cycle;

    /** The phase at time t: its index, local time and the time left in it (> tol). */
    function locate(t: number): { i: number; local: number; left: number } {
      if (o.after === 'hold' && t >= cycle - tol) return { i: last, local: t - (cycle - durations[last]!), left: Infinity };
      let c = o.after === 'repeat' ? t - Math.floor(t / cycle) * cycle : t;
      if (c >= cycle - tol) c = 0; // a boundary missed by rounding
      let i = 0;
      while (i < last && ends[i]! - c <= tol) i++;
      const start = ends[i]! - durations[i]!;
      return { i, local: Math.max(0, c - start), left: ends[i]! - c };
    }

    /** Calls `f` for each phase piece of [t, t + len). */
    function pieces(t: number, len: number, f: (sub: ProfiledWorkload, local: number, piece: number) => void): void {
      let cur = t;
      const end = t + len;
      while (cur < end) {
        const { i, local, left } = locate(cur);
        if (left >= end - cur) {
          f(subs[i]!, local, end - cur);
          return;
        }
        f(subs[i]!, local, left);
        cur += left;
      }
    }

    const profile = (t: number, work: number): UntouchedProfile[] => {
      const out: UntouchedProfile[] = [];
      if (work > 0) pieces(t, work, (sub, local, piece) => out.push(...sub.untouchedProfile(local, piece)));
      return out;
    };

    return {
      writeRate(t) {
        const { i, local } = locate(t);
        return subs[i]!.writeRate(local);
      },
      expectedDistinct: (t, work) => distinctFromProfiles(profile(t, work)),
      writes(t, dt, speed, write) {
        pieces(t, dt, (sub, local, piece) => sub.writes(local, piece, speed, write));
      },
      untouchedProfile: profile,
    };
  },
});
