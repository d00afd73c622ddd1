import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkPluginShape, defineStopCondition, defineStrategy, defineTrigger, defineWorkload, OptionsError, PLUGIN_API, resolveOptions } from './plugin.js';
import * as schemas from './schemas.js';

const demo = defineStrategy({
  name: 'demo',
  description: 'a strategy for tests',
  options: z
    .object({
      bandwidth: schemas.rate().prefault('1 Gbit/s'),
      limit: schemas.seconds({ positive: true }).optional(),
      dynamic: z.object({ min: schemas.rate(), max: schemas.rate() }).optional(),
      rounds: z.number().int().min(1).default(30),
    })
    .strict(),
  create: () => ({ migrate: function* () {} }),
});

/** The OptionsError thrown by resolveOptions, or a failure. */
function optionsError(raw: unknown, path = 'strategy.options'): OptionsError {
  try {
    resolveOptions(demo, raw, path);
  } catch (e) {
    expect(e).toBeInstanceOf(OptionsError);
    return e as OptionsError;
  }
  throw new Error(`resolveOptions accepted ${JSON.stringify(raw)}`);
}

describe('define…', () => {
  it('stamps the kind and the plugin API and freezes the definition', () => {
    expect(demo.kind).toBe('strategy');
    expect(demo.api).toBe(PLUGIN_API);
    expect(Object.isFrozen(demo)).toBe(true);
    const def = { name: 'n', description: 'd', options: z.object({}), create: () => ({}) as never };
    expect(defineStopCondition(def).kind).toBe('stop-condition');
    expect(defineTrigger(def).kind).toBe('trigger');
    expect(defineWorkload(def).kind).toBe('workload');
  });
});

describe('resolveOptions', () => {
  it('fills defaults, including unit defaults, when options are missing', () => {
    expect(resolveOptions(demo, undefined, 'strategy.options')).toEqual({ bandwidth: 1.25e8, rounds: 30 });
    expect(resolveOptions(demo, null, 'strategy.options')).toEqual({ bandwidth: 1.25e8, rounds: 30 });
    expect(resolveOptions(demo, {}, 'strategy.options')).toEqual({ bandwidth: 1.25e8, rounds: 30 });
  });

  it('converts unit strings to SI numbers and keeps given values', () => {
    expect(resolveOptions(demo, { bandwidth: '100 MiB/s', limit: '300 ms', dynamic: { min: '1 Mbit/s', max: 5e8 }, rounds: 5 }, 'x')).toEqual({
      bandwidth: 100 * 2 ** 20,
      limit: 0.3,
      dynamic: { min: 125_000, max: 5e8 },
      rounds: 5,
    });
  });

  it('a wrong dimension is reported at the full path of the field, with the expected quantity', () => {
    const e = optionsError({ bandwidth: '5 GiB' });
    expect(e.plugin).toBe('demo');
    expect(e.path).toBe('strategy.options');
    expect(e.issues).toEqual(["strategy.options.bandwidth: expected a data rate like '1 Gbit/s', got '5 GiB'"]);
    expect(e.message).toBe("strategy.options: invalid options for 'demo':\n  - strategy.options.bandwidth: expected a data rate like '1 Gbit/s', got '5 GiB'");
  });

  it('nested fields, several problems at once, and non-unit fields', () => {
    const e = optionsError({ dynamic: { min: 'fast', max: 1 }, rounds: 0, limit: 0 }, 'experiment.strategy.options');
    expect(e.issues).toHaveLength(3);
    expect(e.issues).toContain("experiment.strategy.options.dynamic.min: expected a data rate like '1 Gbit/s', got 'fast'");
    expect(e.issues).toContain('experiment.strategy.options.limit: must be > 0, got 0');
    expect(e.issues.find((i) => i.startsWith('experiment.strategy.options.rounds: '))).toMatch(/>=\s*1/);
  });

  it('unknown keys of a strict schema are named', () => {
    expect(optionsError({ bandwith: '1 Gbit/s' }).issues).toEqual(['strategy.options: Unrecognized key: "bandwith"']);
  });

  it('options that are not an object are refused at the path', () => {
    expect(optionsError(5).issues[0]).toMatch(/^strategy\.options: .*expected object/);
  });
});

describe('checkPluginShape', () => {
  it('accepts a defined plugin', () => {
    expect(checkPluginShape(demo)).toBeNull();
  });

  it.each([
    [null, 'is not an object'],
    ['precopy', 'is not an object'],
    [{ ...demo, kind: 'strategie' }, 'has kind "strategie"; expected strategy, stop-condition, trigger, workload or scheduler (make it with defineStrategy & co.)'],
    [{ ...demo, name: '' }, 'has no name'],
    [{ ...demo, create: undefined }, 'has no create() factory'],
    [{ ...demo, options: { type: 'object' } }, 'has no zod options schema'],
    [{ ...demo, api: 2 }, 'was built for plugin API 2, but this @livemig/core speaks API 1'],
    [{ ...demo, api: undefined }, 'was built for plugin API undefined, but this @livemig/core speaks API 1'],
  ])('refuses %j: %s', (value, reason) => {
    expect(checkPluginShape(value)).toBe(reason);
  });
});
