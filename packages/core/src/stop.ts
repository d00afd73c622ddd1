/**
 * Stop conditions (round thresholds) see the history of pre-copy rounds and decide whether to
 * stop iterating. A verdict says whether the stop is because the migration converged (the
 * remaining dirty set is small enough) or because it gave up (a round, byte or time limit).
 */

/** One completed pre-copy round, as a stop condition sees it. */
export interface RoundRecord {
  /** 0 for the first full pass. */
  readonly round: number;
  readonly startedAt_s: number;
  readonly duration_s: number;
  readonly pagesSent: number;
  readonly bytesSent: number;
  /** Bytes of this round divided by its duration: what QEMU and SimGrid measure. */
  readonly bandwidth_Bps: number;
  /** Pages written during the round: the next round's send set. */
  readonly dirtyPages: number;
  /** Bytes needed to send those pages (payload and headers). */
  readonly dirtyBytes: number;
}

/** What a stop condition sees after each round. */
export interface RoundView {
  readonly rounds: readonly RoundRecord[];
  readonly last: RoundRecord;
  readonly memory_bytes: number;
  readonly pageCount: number;
  /** Bytes sent by the migration so far. */
  readonly bytesSent: number;
  /** Seconds since the migration started. */
  readonly elapsed_s: number;
}

/** `null` to go on; otherwise why to stop and whether the migration converged. */
export type StopVerdict = null | { readonly converged: boolean; readonly reason: string };

/** A stop condition instance. */
export interface StopCondition {
  check(view: RoundView): StopVerdict;
}

/** How an experiment names a stop condition: a plugin with options, or a combination. */
export type StopSpec =
  | string
  | { readonly use: string; readonly options?: Record<string, unknown> }
  | { readonly any: readonly StopSpec[] }
  | { readonly all: readonly StopSpec[] };

/** Stop when any child says stop (the first one's verdict is reported). */
export function anyOf(children: readonly StopCondition[]): StopCondition {
  return {
    check(view) {
      for (const c of children) {
        const v = c.check(view);
        if (v) return v;
      }
      return null;
    },
  };
}

/** Stop when every child says stop; converged only if all of them converged. */
export function allOf(children: readonly StopCondition[]): StopCondition {
  return {
    check(view) {
      const verdicts: NonNullable<StopVerdict>[] = [];
      for (const c of children) {
        const v = c.check(view);
        if (!v) return null;
        verdicts.push(v);
      }
      if (verdicts.length === 0) return null;
      return { converged: verdicts.every((v) => v.converged), reason: verdicts.map((v) => v.reason).join(' and ') };
    },
  };
}

/**
 * Build a stop condition from its spec; `make(name, options, path)` creates one named
 * condition (`path` locates the spec; its options are at `${path}.options`) (the runner resolves plugin names; tests pass first-party plugins directly).
 */
export function buildStop(spec: StopSpec, path: string, make: (name: string, options: unknown, path: string) => StopCondition): StopCondition {
  if (typeof spec === 'string') return make(spec, {}, path);
  if (typeof spec !== 'object' || spec === null) throw new TypeError(`${path}: expected a stop condition ({ "use": name } or { "any": [...] } / { "all": [...] }), got ${JSON.stringify(spec)}`);
  if ('any' in spec) return anyOf(spec.any.map((s, i) => buildStop(s, `${path}.any[${i}]`, make)));
  if ('all' in spec) return allOf(spec.all.map((s, i) => buildStop(s, `${path}.all[${i}]`, make)));
  if ('use' in spec && typeof spec.use === 'string') return make(spec.use, spec.options ?? {}, path);
  throw new TypeError(`${path}: expected { "use": name }, { "any": [...] } or { "all": [...] }, got ${JSON.stringify(spec)}`);
}
