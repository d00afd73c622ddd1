/**
 * Pieces shared by the plans of experiments with their own kind (cluster and scenario): setting
 * a swept value at its dotted path, and resolving plugin references (`"precopy"`,
 * `{ use, options }`, stop trees) into worker components with their normalised options.
 */
import { resolveOptions, type AnyPlugin, type PluginKind } from '@livemig/core';
import { InputError } from './errors.js';
import type { StopSpecInput } from './experiment.js';
import { configurationSuffix, splitPath, type WorkerComponent, type WorkerStop } from './plan.js';
import type { PluginRef, PluginResolver } from './plugins.js';
import type { Point } from './sweep.js';

/**
 * Set `value` at the dotted `path` of `doc`, making the objects and lists on the way; a plugin
 * named by a string at one of `componentKeys` becomes `{ use }` so that its options can be set.
 */
export function setPath(doc: Record<string, unknown>, path: string, value: unknown, componentKeys: ReadonlySet<string | number>): void {
  const segs = splitPath(path);
  let o: Record<string | number, unknown> = doc;
  segs.slice(0, -1).forEach((s, i) => {
    let next = o[s];
    if (typeof next === 'string' && componentKeys.has(s)) next = { use: next };
    const wantArray = typeof segs[i + 1] === 'number';
    if (next === null || typeof next !== 'object' || Array.isArray(next) !== wantArray) next = wantArray ? [] : {};
    o[s] = next;
    o = next as Record<string | number, unknown>;
  });
  o[segs.at(-1)!] = JSON.parse(JSON.stringify(value));
}

/** Resolvers of plugin references for one plan; errors name the file, the path and the configuration. */
export function componentResolvers(resolver: PluginResolver, refOf: (ref: PluginRef) => number, file: string) {
  const component = async (spec: unknown, kind: PluginKind, path: string, point: Point): Promise<{ wc: WorkerComponent; norm: unknown; plugin: AnyPlugin }> => {
    const use = typeof spec === 'string' ? spec : (spec as { use: string }).use;
    const options = typeof spec === 'string' ? {} : ((spec as { options?: unknown }).options ?? {});
    try {
      const found = await resolver.resolve(use, kind);
      const norm = resolveOptions(found.plugin, options, `${path}.options`);
      return { wc: { ref: refOf(found.ref), options, path }, norm: { plugin: found.ref.package + (found.ref.member ? `/${found.ref.member}` : ''), options: norm }, plugin: found.plugin };
    } catch (e) {
      throw new InputError(`${e instanceof Error ? e.message : String(e)}${configurationSuffix(point)}`, file, path);
    }
  };
  const stopOf = async (spec: StopSpecInput, path: string, point: Point): Promise<{ ws: WorkerStop; norm: unknown }> => {
    if (typeof spec === 'object' && 'any' in spec) {
      const kids = await Promise.all(spec.any.map((s, i) => stopOf(s, `${path}.any[${i}]`, point)));
      return { ws: { any: kids.map((k) => k.ws) }, norm: { any: kids.map((k) => k.norm) } };
    }
    if (typeof spec === 'object' && 'all' in spec) {
      const kids = await Promise.all(spec.all.map((s, i) => stopOf(s, `${path}.all[${i}]`, point)));
      return { ws: { all: kids.map((k) => k.ws) }, norm: { all: kids.map((k) => k.norm) } };
    }
    const c = await component(spec, 'stop-condition', path, point);
    return { ws: c.wc, norm: c.norm };
  };
  return { component, stopOf };
}
