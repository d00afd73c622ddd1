// Fuzzed bad input: random edits of a valid experiment file (characters deleted or inserted, a
// key given twice, a value replaced by a nonsensical one) are either still a valid experiment or
// an InputError that names the file — never a crash of another kind, never a plan built from a
// silently dropped key or an impossible size. The CLI's table of cases (exit code 2, nothing
// written) is in test/cli.test.ts. buildPlan resolves first-party plugins: `npm run build` first.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { buildPlan } from './plan.js';

const dir = mkdtempSync(join(tmpdir(), 'livemig-fuzz-'));
const valid = {
  name: 'fuzz',
  seed: 1,
  scenario: { vm: { memory: '64 MiB', pageSize: '4 KiB' }, network: { bandwidth: '1 Gbit/s', latency: '0.1 ms' } },
  workload: { use: 'hot-cold', options: { rate: '10 MiB/s' } },
  strategy: 'precopy',
  stop: 'xen',
  sweep: { params: { 'scenario.network.bandwidth': ['1 Gbit/s', '10 Gbit/s'] } },
};
const validText = JSON.stringify(valid, null, 2);

/** Values that are wrong somewhere: impossible sizes, bits that are not bytes, wrong kinds. */
const NONSENSE = ['8 GiB', '3 KiB', '1001 bit', '12 bit', '-1 Gbit/s', '0 B', '', '4 parsecs', 'NaN', -1, 0, 1.5, null, true, [], {}, '1e999 B'];

type Edit = { kind: 'delete'; at: number } | { kind: 'insert'; at: number; text: string } | { kind: 'duplicate'; line: number } | { kind: 'value'; line: number; value: unknown };

const edit = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('{', '}', '[', ']', ',', ':', '"', ' x', '//', '\t', '0', '"k": 1,') }),
  fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('value' as const), line: fc.nat(), value: fc.constantFrom(...NONSENSE) }),
);

function apply(text: string, e: Edit): string {
  const lines = text.split('\n');
  switch (e.kind) {
    case 'delete':
      return text.slice(0, e.at % text.length) + text.slice((e.at % text.length) + 1);
    case 'insert':
      return text.slice(0, e.at % text.length) + e.text + text.slice(e.at % text.length);
    case 'duplicate': {
      // A `"key": value,` line written twice: the same key twice in one object.
      const pairs = lines.flatMap((l, i) => (/^\s*"[^"]+": [^{[]*,$/.test(l) ? [i] : []));
      const i = pairs[e.line % pairs.length]!;
      return [...lines.slice(0, i + 1), lines[i]!, ...lines.slice(i + 1)].join('\n');
    }
    case 'value': {
      const pairs = lines.flatMap((l, i) => (/^\s*"[^"]+": "[^"]*",?$/.test(l) ? [i] : []));
      const i = pairs[e.line % pairs.length]!;
      lines[i] = lines[i]!.replace(/: "[^"]*"/, `: ${JSON.stringify(e.value)}`);
      return lines.join('\n');
    }
  }
}

let n = 0;
async function outcome(text: string): Promise<'valid' | 'input-error'> {
  const file = join(dir, `f${n++}.json`);
  writeFileSync(file, text);
  try {
    const plan = await buildPlan(file);
    // A valid plan holds sizes that make sense.
    for (const c of plan.configs) {
      expect(Number.isInteger(c.scenario.vm.memory / c.scenario.vm.pageSize)).toBe(true);
      expect(Number.isInteger(c.scenario.vm.memory)).toBe(true);
    }
    return 'valid';
  } catch (e) {
    if (!(e instanceof InputError)) throw new Error(`not an InputError for:\n${text}\n→ ${(e as Error).stack}`);
    expect(e.message.startsWith(file)).toBe(true);
    return 'input-error';
  }
}

describe('fuzzed experiment files', () => {
  it('the valid file is valid', async () => {
    expect(await outcome(validText)).toBe('valid');
  });

  it('one to three random edits give a valid experiment or an InputError naming the file', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
        seen.add(await outcome(edits.reduce(apply, validText)));
      }),
      { numRuns: 150 },
    );
    // The edits do reach both outcomes (the property is not vacuous).
    expect(seen).toEqual(new Set(['valid', 'input-error']));
  });

  it('a key given twice is refused wherever it is, even with the same value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), async (line) => {
        expect(await outcome(apply(validText, { kind: 'duplicate', line }))).toBe('input-error');
      }),
      { numRuns: 30 },
    );
  });

  it('a page size larger than the memory, not dividing it, or a memory in bits that is not whole bytes, is refused', async () => {
    const vm = (v: object) => JSON.stringify({ ...valid, scenario: { ...valid.scenario, vm: v } });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 12, max: 30 }), fc.integer({ min: 1, max: 4095 }), fc.integer({ min: 1, max: 7 }), async (pageLog2, odd, bits) => {
        const page = 2 ** pageLog2;
        expect(await outcome(vm({ memory: `${page / 2} B`, pageSize: `${page} B` }))).toBe('input-error');
        expect(await outcome(vm({ memory: `${page * 4 + odd} B`, pageSize: `${page} B` }))).toBe('input-error');
        expect(await outcome(vm({ memory: `${8 * page + bits} bit`, pageSize: '4 KiB' }))).toBe('input-error');
      }),
      { numRuns: 20 },
    );
  });
});
