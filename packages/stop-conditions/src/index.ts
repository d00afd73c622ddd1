/**
 * @livemig/stop-conditions — round thresholds for pre-copy.
 * @packageDocumentation
 */
import { buildStop, resolveOptions, type StopCondition, type StopConditionPlugin, type StopSpec } from '@livemig/core';
import { downtimeLimit, dirtyPagesBelow, maxRounds, noProgress, qemu, sentAbove, simgrid, timeLimit, xen } from './conditions.js';
export { downtimeLimit, dirtyPagesBelow, maxRounds, noProgress, qemu, sentAbove, simgrid, timeLimit, xen };

/** Every stop condition of this package, by name. */
export const stopConditions: Readonly<Record<string, StopConditionPlugin>> = Object.fromEntries(
  [maxRounds, dirtyPagesBelow, sentAbove, downtimeLimit, simgrid, noProgress, timeLimit, xen, qemu].map((p) => [p.name, p]),
);

/** Build a stop condition from a spec using this package's conditions (for tests and scripts). */
export function stopCondition(spec: StopSpec, path = 'stop'): StopCondition {
  return buildStop(spec, path, (name, options, at) => {
    const plugin = stopConditions[name];
    if (!plugin) throw new Error(`${at}: unknown stop condition '${name}'; choose one of ${Object.keys(stopConditions).join(', ')}`);
    const ctx = { rng: () => { throw new Error('stop conditions draw no random numbers'); }, build: (s: unknown, p: string) => stopCondition(s as StopSpec, p) };
    return plugin.create(resolveOptions(plugin, options, `${at}.options`), ctx as never);
  });
}
