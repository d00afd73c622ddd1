/**
 * Plugin contracts. A plugin is a plain object made by a `define…` helper: a kind, a name, a
 * description, a zod schema for its options (with defaults) and a factory. Nothing executable
 * is discovered by scanning; the runner imports plugins by package name.
 */
import { z } from 'zod';
import type { Rng } from './rng.js';
import type { Workload, WorkloadContext } from './workload.js';
import type { CopyStrategy } from './migration.js';
import type { StopCondition } from './stop.js';
import type { TriggerPolicy } from './trigger.js';
import type { Scheduler } from './schedule.js';

/** The plugin API version. A plugin built for another major of the core is refused. */
export const PLUGIN_API = 1;

export type PluginKind = 'strategy' | 'stop-condition' | 'trigger' | 'workload' | 'scheduler';

/** What any factory gets besides its options. */
export interface CreateContext {
  /** A named random stream of this run: independent of every other name. */
  rng(stream: string): Rng;
}

/** The shape shared by every plugin. */
export interface PluginDefinition<K extends PluginKind, Options, Instance, Ctx = CreateContext> {
  readonly kind: K;
  /** Short name, e.g. `precopy`; unique per kind. */
  readonly name: string;
  readonly description: string;
  /** The plugin API it was built for ({@link PLUGIN_API}). */
  readonly api: number;
  /** Validates and defaults the options; its input may hold unit strings ("1 Gbit/s"). */
  readonly options: z.ZodType<Options>;
  create(options: Options, ctx: Ctx): Instance;
}

export type StrategyPlugin<O = any> = PluginDefinition<'strategy', O, CopyStrategy>;
export type StopConditionPlugin<O = any> = PluginDefinition<'stop-condition', O, StopCondition, StopContext>;
export type TriggerPlugin<O = any> = PluginDefinition<'trigger', O, TriggerPolicy>;
export type WorkloadPlugin<O = any> = PluginDefinition<'workload', O, Workload, WorkloadContext>;
export type SchedulerPlugin<O = any> = PluginDefinition<'scheduler', O, Scheduler>;
export type AnyPlugin = StrategyPlugin | StopConditionPlugin | TriggerPlugin | WorkloadPlugin | SchedulerPlugin;

/** Stop conditions can nest others (any/all); their factory gets a way to build children. */
export interface StopContext extends CreateContext {
  build(spec: unknown, path: string): StopCondition;
}

type Def<P> = P extends PluginDefinition<infer K, infer O, infer I, infer C>
  ? { name: string; description: string; options: z.ZodType<O>; create(options: O, ctx: C): I }
  : never;

const make =
  <K extends PluginKind>(kind: K) =>
  <O, I, C>(def: { name: string; description: string; options: z.ZodType<O>; create(options: O, ctx: C): I }) =>
    Object.freeze({ kind, api: PLUGIN_API, ...def }) as PluginDefinition<K, O, I, C>;

/** Define a copy strategy plugin. */
export const defineStrategy: <O>(def: Def<StrategyPlugin<O>>) => StrategyPlugin<O> = make('strategy') as never;
/** Define a stop condition (round threshold) plugin. */
export const defineStopCondition: <O>(def: Def<StopConditionPlugin<O>>) => StopConditionPlugin<O> = make('stop-condition') as never;
/** Define a trigger policy plugin. */
export const defineTrigger: <O>(def: Def<TriggerPlugin<O>>) => TriggerPlugin<O> = make('trigger') as never;
/** Define a workload (dirty-page model) plugin. */
export const defineWorkload: <O>(def: Def<WorkloadPlugin<O>>) => WorkloadPlugin<O> = make('workload') as never;
/** Define a migration scheduler plugin: which of the requested migrations start when (see {@link Scheduler}). */
export const defineScheduler: <O>(def: Def<SchedulerPlugin<O>>) => SchedulerPlugin<O> = make('scheduler') as never;

/** Options that did not match a plugin's schema; the message names each field and the problem. */
export class OptionsError extends Error {
  override name = 'OptionsError';
  constructor(
    readonly plugin: string,
    readonly path: string,
    readonly issues: readonly string[],
  ) {
    super(`${path}: invalid options for '${plugin}':\n  - ${issues.join('\n  - ')}`);
  }
}

/** Validate and default `raw` with the plugin's schema; `path` locates the options in their file. */
export function resolveOptions<O>(plugin: { name: string; options: z.ZodType<O> }, raw: unknown, path: string): O {
  const result = plugin.options.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const at = [path, ...issue.path.map(String)].join('.');
    return `${at}: ${issue.message}`;
  });
  throw new OptionsError(plugin.name, path, issues);
}

/** Whether a value has the shape of a livemig plugin; the reason when it has not. */
export function checkPluginShape(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'is not an object';
  const v = value as Record<string, unknown>;
  if (!['strategy', 'stop-condition', 'trigger', 'workload', 'scheduler'].includes(v.kind as string))
    return `has kind ${JSON.stringify(v.kind)}; expected strategy, stop-condition, trigger, workload or scheduler (make it with defineStrategy & co.)`;
  if (typeof v.name !== 'string' || v.name === '') return 'has no name';
  if (typeof v.create !== 'function') return 'has no create() factory';
  if (typeof v.options !== 'object' || v.options === null || typeof (v.options as { safeParse?: unknown }).safeParse !== 'function')
    return 'has no zod options schema';
  if (v.api !== PLUGIN_API) return `was built for plugin API ${String(v.api)}, but this @livemig/core speaks API ${PLUGIN_API}`;
  return null;
}
