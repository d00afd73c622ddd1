/**
 * @livemig/strategy-postcopy — post-copy (Hines et al., VEE 2009) and hybrid migration.
 *
 * Post-copy: suspend, send the CPU and device state, resume at the destination at once
 * (downtime = that transfer + resume + redirect); then the pages move by demand paging (a guest
 * access to a page still at the source is a network fault: a round trip plus the page's
 * transfer, during which the vCPU waits) and by active push (background streaming of the other
 * pages: in page order, forward from the last fault, or Hines' pre-paging by bubbling around the
 * recent faults) until every page is at the destination; then the source is released. Each page
 * crosses the network once. On the page-exact engine the guest stalls at the faulting access
 * and the push goes on while the fault is served, on the same link.
 *
 * Hybrid (QEMU's postcopy after precopy): pre-copy passes (the first full pass included) up to
 * `rounds` or until the stop condition ends them; a converged stop finishes as pre-copy
 * (stop-and-copy of the few remaining pages); otherwise the VM switches to post-copy and only
 * the pages written since their last send are left to push or fault.
 *
 * The guest's page accesses are its writes from the workload: a page it only reads is assumed
 * to be one it also writes (reads of never-written pages are not modelled).
 * @packageDocumentation
 */
import { DEFAULT_PIVOTS, defineStrategy, prepare, schemas, stopAndCopy, syncBitmap, z, type Migration, type MigrationAction, type PostcopyOptions, type StopVerdict } from '@livemig/core';

const postcopyOptions = {
  maxBandwidth: schemas.rate({ positive: true }).optional().describe("rate cap of the active push ('1 Gbit/s'); faults are served at link speed; default: none"),
  chunkPages: z
    .number()
    .int()
    .min(1)
    .default(256)
    .describe('most pages per push message (page-exact: a message also ends where a fault request could need the link; fluid: faults are served between messages)'),
  pushOrder: z
    .enum(['sequential', 'around-faults', 'bubbling'])
    .default('sequential')
    .describe(
      "active push order (page-exact): page order; 'around-faults' resumes after the last faulting page; 'bubbling' pushes alternately forward and backward around the most recent faults (Hines & Gopalan's bubbling with multiple pivots)",
    ),
  // Optional rather than defaulted, so that configurations without it keep their config ids.
  pivots: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(`'bubbling': how many recent faults (pivots) the push bubbles around, taking turns page by page; default ${DEFAULT_PIVOTS}`),
};

/**
 * The post-copy phase: pause, send the device state, switch, resume at the destination, then
 * push and fault until every page has arrived; the redirect overlaps the transfer; release.
 */
export function* postcopyPhase(m: Migration, o: PostcopyOptions, reason: string): Generator<MigrationAction, void, number> {
  m.phase('stop-and-copy');
  m.suspend();
  // Only the CPU and device state (nothing is selected: pre-copy sends drain their selection).
  yield* m.memory.send({ extra_bytes: m.costs.deviceState_bytes });
  m.memory.switchToPostcopy();
  m.phase('commit');
  if (m.costs.resume_s > 0) yield* m.wait(m.costs.resume_s);
  m.resumeAtDestination();
  const resumedAt = m.now_s;
  m.phase('postcopy');
  const stats = yield* m.memory.postcopyTransfer(o);
  m.count('postcopy_faults', stats.faults);
  m.count('fault_wait_s', stats.faultWait_s);
  // Stalls that began or ended inside a message, which the clock did not count as lost work.
  m.count('app_degradation_s', stats.degradationAdjust_s);
  // The network redirect starts at resume and runs while pages move.
  m.phase('redirect');
  const redirectLeft = resumedAt + m.costs.redirect_s - m.now_s;
  if (redirectLeft > 0) yield* m.wait(redirectLeft);
  m.phase('release');
  if (m.costs.release_s > 0) yield* m.wait(m.costs.release_s);
  m.release(true, reason);
}

const pushOptions = (o: { maxBandwidth?: number | undefined; chunkPages: number; pushOrder: NonNullable<PostcopyOptions['pushOrder']>; pivots?: number | undefined }): PostcopyOptions => ({
  cap_Bps: o.maxBandwidth ?? Infinity,
  chunkPages: o.chunkPages,
  pushOrder: o.pushOrder,
  pivots: o.pivots ?? DEFAULT_PIVOTS,
});

/** Pure post-copy: no pre-copy round; every page is pushed or faulted exactly once. */
export const postcopy = defineStrategy({
  name: 'postcopy',
  description: 'post-copy: resume at the destination at once, then demand paging and active push (with optional pre-paging)',
  options: z.object(postcopyOptions).strict(),
  create: (o) => ({
    *migrate(m) {
      if (!(yield* prepare(m))) return;
      yield* postcopyPhase(m, pushOptions(o), 'postcopy');
    },
  }),
});

/** Hybrid: pre-copy passes, then post-copy (or a normal finish if the rounds converged). */
export const hybrid = defineStrategy({
  name: 'hybrid',
  description: 'hybrid: pre-copy rounds (up to k, or until the stop condition), then switch to post-copy',
  options: z
    .object({
      rounds: z.number().int().min(1).default(1).describe('pre-copy passes before the switch, the first full pass included'),
      precopyBandwidth: schemas.rate({ positive: true }).optional().describe('rate cap of the pre-copy rounds; default: none'),
      skipRedirtied: z.boolean().default(false).describe("Xen: don't send a page already re-dirtied during the current round"),
      ...postcopyOptions,
    })
    .strict(),
  create: (o) => ({
    *migrate(m) {
      if (!(yield* prepare(m))) return;
      m.phase('precopy');
      m.memory.selectAll();
      for (let pass = 1; ; pass++) {
        const stats = yield* m.memory.send({ cap_Bps: o.precopyBandwidth ?? Infinity, skipRedirtied: o.skipRedirtied });
        const verdict: StopVerdict = m.endRound(stats);
        if (verdict?.converged) {
          // Converged before the switch: finish as pre-copy (QEMU never enters post-copy then).
          yield* stopAndCopy(m, { selectAll: false, converged: true, reason: verdict.reason });
          return;
        }
        if (verdict || pass >= o.rounds) {
          const why = verdict ? verdict.reason : `${o.rounds} pre-copy passes`;
          yield* postcopyPhase(m, pushOptions(o), `postcopy after ${why}`);
          return;
        }
        yield* syncBitmap(m);
      }
    },
  }),
});

export default postcopy;
