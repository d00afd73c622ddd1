// The JSON Schema that editors use (schema/experiment.schema.json, written by the build from the
// zod schemas) accepts every experiment file shipped and rejects what the CLI rejects.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const schema = JSON.parse(readFileSync(join(root, 'packages/runner/schema/experiment.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
const experiments = ['experiments', 'experiments/reproductions'].flatMap((d) =>
  readdirSync(join(root, d))
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(d, f)),
);

describe('experiment.schema.json', () => {
  it('finds the shipped experiments, migration and cluster ones', () => {
    expect(experiments.length).toBeGreaterThan(10);
    expect(experiments).toContain('experiments/planetlab-failures.json');
  });
  it.each(experiments)('accepts %s', (f) => {
    const ok = validate(JSON.parse(readFileSync(join(root, f), 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });
  it('rejects an unknown field, a cluster file with an unknown detector, and a missing strategy', () => {
    const quick = JSON.parse(readFileSync(join(root, 'experiments/quickstart.json'), 'utf8')) as Record<string, unknown>;
    expect(validate({ ...quick, replicatons: 3 })).toBe(false);
    const cluster = JSON.parse(readFileSync(join(root, 'experiments/planetlab-failures.json'), 'utf8')) as Record<string, unknown>;
    expect(validate({ ...cluster, trigger: { detector: 'nope' } })).toBe(false);
    const { strategy: _, ...noStrategy } = quick;
    expect(validate(noStrategy)).toBe(false);
  });
});
