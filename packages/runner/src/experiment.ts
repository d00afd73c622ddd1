/**
 * The experiment file: a JSON document validated by a zod schema (published as
 * `schema/experiment.schema.json`), with units as strings parsed into SI by core's schemas.
 */
import { readFileSync } from 'node:fs';
import { parse as parseJsonc, printParseErrorCode, visit, type ParseError } from 'jsonc-parser';
import { schemas, z } from '@livemig/core';
import { InputError, show } from './errors.js';

/** A plugin reference: `"precopy"` or `{ "use": "precopy", "options": { … } }`. */
export const componentSchema = z.union([
  z.string().min(1).describe('plugin name: a first-party alias (precopy, hot-cold, xen) or a package name, "pkg/member" picks one member'),
  z.strictObject({
    use: z.string().min(1).describe('plugin name: a first-party alias or a package name ("livemig-plugin-x", "pkg/member")'),
    options: z.record(z.string(), z.unknown()).optional().describe("the plugin's options (see `livemig plugins`)"),
    label: z.string().min(1).optional().describe('name of this variant in the label columns and plots (default: `use`), e.g. "precopy+xbzrle"'),
  }),
]);
export type ComponentSpec = z.input<typeof componentSchema>;

/** A stop condition: a name, `{ use, options }`, or `{ any: [...] }` / `{ all: [...] }`. */
export type StopSpecInput = string | { use: string; options?: Record<string, unknown>; label?: string } | { any: StopSpecInput[] } | { all: StopSpecInput[] };
export const stopSchema: z.ZodType<StopSpecInput> = z.lazy(() =>
  z.union([componentSchema, z.strictObject({ any: z.array(stopSchema).min(1) }), z.strictObject({ all: z.array(stopSchema).min(1) })]),
);

/** A size in words: '4 GiB' when it is a whole number of KiB…TiB, else its bytes. */
function showSize(n: number): string {
  for (const [unit, b] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) if (n >= b && Number.isInteger(n / b)) return `${n / b} ${unit}`;
  return `${n} B`;
}

/**
 * Memory is a whole number of pages of whole bytes: a page larger than the memory, or memory
 * that is not a multiple of the page size, would otherwise be rounded up to whole pages
 * silently (8 GiB pages on a 4 GiB VM sent 8 GiB per pass).
 */
function checkVmSizes(vm: { memory: number; pageSize: number }, ctx: z.RefinementCtx): void {
  for (const key of ['memory', 'pageSize'] as const)
    if (!Number.isInteger(vm[key])) ctx.addIssue({ code: 'custom', path: [key], message: `must be a whole number of bytes, got ${vm[key]} bytes (a size in bits must be a multiple of 8 bit)` });
  if (!Number.isInteger(vm.memory) || !Number.isInteger(vm.pageSize)) return;
  if (vm.pageSize > vm.memory)
    ctx.addIssue({ code: 'custom', path: ['pageSize'], message: `the page size (${showSize(vm.pageSize)}) is larger than the memory (scenario.vm.memory: ${showSize(vm.memory)}): use a smaller page size, e.g. '4 KiB'` });
  else if (vm.memory % vm.pageSize !== 0)
    ctx.addIssue({
      code: 'custom',
      path: ['memory'],
      message: `${showSize(vm.memory)} is not a whole number of ${showSize(vm.pageSize)} pages (${(vm.memory / vm.pageSize).toFixed(3)} pages): use a multiple of scenario.vm.pageSize, e.g. ${showSize(Math.round(vm.memory / vm.pageSize) * vm.pageSize || vm.pageSize)}`,
    });
}

/** The simulated world of one migration; every value with a unit is converted to SI. */
export const scenarioSchema = z
  .strictObject({
    vm: z
      .strictObject({
        memory: schemas.bytes({ positive: true }).describe("guest RAM, a whole number of pages, e.g. '4 GiB'"),
        pageSize: schemas.bytes({ positive: true }).prefault('4 KiB').describe("page size, e.g. '4 KiB'"),
        vcpus: z.number().int().min(1).default(1),
      })
      .superRefine(checkVmSizes),
    network: z.strictObject({
      bandwidth: schemas.rate({ positive: true }).describe("bottleneck bandwidth of the migration path, e.g. '1 Gbit/s'"),
      latency: schemas.seconds().prefault('0 s').describe("latency per message, e.g. '0.1 ms'"),
    }),
    wire: z
      .strictObject({
        headerBytes: schemas.bytes().prefault(0).describe('per-page header on the wire (QEMU: 8)'),
        zeroPageBytes: schemas.bytes().prefault(0).describe('bytes of an elided all-zero page (QEMU: 9)'),
        elideZeroPages: z.boolean().default(false).describe('send all-zero pages as short markers'),
        zeroFraction: schemas.fraction().default(0).describe('fraction of all-zero pages at the start'),
        zeroProfile: z
          .array(schemas.fraction())
          .min(1)
          .optional()
          .describe('where the zero pages are: the share of zero pages in each of equal address segments (overrides zeroFraction; livemig calibrate qemu measures it); default: at random'),
      })
      .prefault({}),
    costs: z
      .strictObject({
        setup: schemas.seconds().prefault(0).describe('connection and reservation before the first round'),
        bitmapSyncPerGiB: schemas.seconds().prefault(0).describe('dirty-bitmap sync at each round start, per GiB of memory'),
        deviceState: schemas.bytes().prefault(0).describe('CPU and device state sent while paused'),
        resume: schemas.seconds().prefault(0).describe('destination loads state and resumes'),
        redirect: schemas.seconds().prefault(0).describe('network redirect (counted in the downtime)'),
        release: schemas.seconds().prefault(0).describe('releasing the source'),
      })
      .prefault({}),
    destinationFree: schemas.bytes().optional().describe("free memory at the destination, e.g. '1 TiB'; default: unlimited"),
    service: z
      .strictObject({
        demand: schemas.rate().describe("rate the VM's service sends at without a migration, e.g. '870 Mbit/s'"),
        nic: schemas.rate({ positive: true }).optional().describe('capacity of the source NIC shared by the service and the migration; default: the network bandwidth'),
        cpuCostPerMigrationByte: z.number().min(0).default(0).describe('service bytes/s lost per migration byte/s (CPU contention); default 0'),
        trackingOverhead: schemas.fraction().default(0).describe('fraction of the service lost while dirty logging is on; default 0'),
      })
      .optional()
      .describe("the VM's own traffic on the source NIC, shared max-min fairly with the migration; default: none"),
  })
  .describe('the VM, the network path, wire format and fixed costs');
export type Scenario = z.output<typeof scenarioSchema>;

/** A swept range for `random` and `lhs`: two values with the same unit, sampled on a scale. */
export const rangeSchema = z.strictObject({
  range: z.tuple([z.union([z.number(), z.string()]), z.union([z.number(), z.string()])]).describe("[low, high], e.g. ['1 Gbit/s', '10 Gbit/s']"),
  scale: z.enum(['linear', 'log']).default('linear'),
  integer: z.boolean().default(false).describe('round samples to integers (e.g. round counts)'),
});

export const sweepSchema = z.strictObject({
  method: z.enum(['grid', 'random', 'lhs']).default('grid').describe('grid: cartesian product of value lists; random / lhs (Latin hypercube): `samples` points over ranges'),
  samples: z.number().int().min(1).optional().describe('number of points for random and lhs'),
  params: z
    .record(z.string(), z.union([z.array(z.unknown()), rangeSchema]))
    .describe(
      'dotted paths into this document ("scenario.network.bandwidth", "workload.options.rate", "strategy") mapped to a list of values, or a range for random/lhs; "a, b" links paths whose values are lists [va, vb]',
    ),
});

export const experimentSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-" (it names the output directory)')
    .describe('names the output directory results/<name>/'),
  seed: z.number().int().min(0).default(1).describe('master seed; every run derives its own from it'),
  replications: z.number().int().min(1).default(1).describe('runs per configuration, each with its own seed'),
  fidelity: z.enum(['fluid', 'page-exact']).default('fluid').describe('memory engine: fluid (expected counts, fast) or page-exact (bitsets)'),
  scenario: scenarioSchema,
  workload: componentSchema.describe('dirty-page model, e.g. { "use": "hot-cold", "options": { "rate": "50 MiB/s" } }'),
  strategy: componentSchema.describe('copy strategy, e.g. "precopy" or "stop-and-copy"'),
  stop: stopSchema.default('xen').describe('stop condition: a name, { use, options }, { any: [...] } or { all: [...] }'),
  sweep: sweepSchema.optional(),
  timeline: z.boolean().default(false).describe('also write timeline.csv: service and migration rates over time for every run (needs scenario.service for the service column to mean anything)'),
});
export type ExperimentInput = z.input<typeof experimentSchema>;

/**
 * Type an experiment written as a module: `export default defineExperiment({ ... })` in an
 * `.mjs` (or compiled `.ts`) file, then `livemig run my-experiment.mjs`. Returns its argument.
 */
export const defineExperiment = <const E extends ExperimentInput & { sweep?: unknown }>(experiment: E): E => experiment;
export type Experiment = z.output<typeof experimentSchema>;

/** The JSON Schema of experiment files, for editors (`"$schema"` in the file). */
export function experimentJsonSchema(...kinds: z.ZodType[]): Record<string, unknown> {
  // Cluster ("kind": "cluster") and scenario ("kind": "scenario") experiments are the other branches (their schemas import this module's parts).
  const s = z.toJSONSchema(kinds.length ? z.union([experimentSchema, ...kinds]) : experimentSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...s, title: 'livemig experiment', $id: 'https://livemig.dev/schema/experiment.schema.json' };
}

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** What jsonc-parser's error codes mean, in words; `found` is what stands at the error. */
const PARSE_ERROR_WORDS: Record<string, (found: string) => string> = {
  InvalidSymbol: (f) => `unexpected ${f}${/^'[A-Za-z_$]/.test(f) ? ' (property names, strings and values with units need double quotes, e.g. "memory": "4 GiB")' : ''}`,
  InvalidNumberFormat: () => 'not a valid number (JSON numbers look like 12, -0.5 or 1e9; put values with units in quotes: "4 GiB")',
  PropertyNameExpected: (f) => `expected a property name in double quotes, found ${f}${f === "'}'" ? ' (JSON allows no comma after the last property)' : ''}`,
  ValueExpected: (f) => `expected a value (a string in double quotes, a number, an object, a list, true, false or null), found ${f}${f === "']'" ? ' (JSON allows no comma after the last list entry)' : ''}`,
  ColonExpected: (f) => `expected ':' after the property name, found ${f}`,
  CommaExpected: (f) => `expected ',' between two entries (or the closing bracket), found ${f}`,
  CloseBraceExpected: (f) => `expected '}' to close an object, found ${f}`,
  CloseBracketExpected: (f) => `expected ']' to close a list, found ${f}`,
  EndOfFileExpected: (f) => `expected the end of the file after the experiment's closing '}', found ${f}`,
  InvalidCommentToken: () => 'comments are not allowed in JSON (an experiment written as an .mjs module can have them)',
  UnexpectedEndOfComment: () => 'a comment is not closed (and comments are not allowed in JSON)',
  UnexpectedEndOfString: () => 'a string is not closed: a \'"\' is missing',
  UnexpectedEndOfNumber: () => 'a number ends too early',
  InvalidUnicode: () => 'invalid \\u escape in a string (expected four hex digits)',
  InvalidEscapeCharacter: () => 'invalid escape sequence in a string (write \\\\ for a backslash)',
  InvalidCharacter: () => 'a control character (a line break or a tab) inside a string: write it as \\n or \\t',
};

/** The text at `offset`, for an error message: a quoted character, or the end of the file. */
function foundAt(text: string, offset: number): string {
  if (offset >= text.length) return 'the end of the file';
  const word = /^[A-Za-z_$][\w$-]*/.exec(text.slice(offset, offset + 40))?.[0];
  return word ? `'${word}'` : JSON.stringify(text[offset]).replace(/^"|"$/g, "'");
}

/** The first property that appears twice in one object (JSON.parse would keep the last silently). */
function firstDuplicateKey(text: string): { key: string; path: string; offset: number } | null {
  const stack: Array<Set<string>> = [];
  let found: { key: string; path: string; offset: number } | null = null;
  visit(text, {
    onObjectBegin: () => void stack.push(new Set()),
    onObjectEnd: () => void stack.pop(),
    onObjectProperty: (property, offset, _length, _line, _column, pathSupplier) => {
      const keys = stack.at(-1)!;
      if (keys.has(property) && !found) found = { key: property, path: jsonPath('', pathSupplier()), offset };
      keys.add(property);
    },
  });
  return found;
}

/** Read and parse a JSON file; malformed JSON is reported in words with its line and column, a duplicated key is refused. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such file (check the path)' : `cannot read the file (${code ?? String(e)})`, file);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const errors: ParseError[] = [];
    parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    const offset = first?.offset ?? 0;
    const at = lineColumn(text, offset);
    const code = first ? printParseErrorCode(first.error) : 'InvalidSymbol';
    const words = PARSE_ERROR_WORDS[code]?.(foundAt(text, offset)) ?? code;
    throw new InputError(`malformed JSON at line ${at.line}, column ${at.column}: ${words}`, file);
  }
  const dup = firstDuplicateKey(text);
  if (dup) {
    const at = lineColumn(text, dup.offset);
    const where = dup.path ? `in ${dup.path}` : 'at the top level';
    throw new InputError(`duplicate key '${dup.key}' ${where} (line ${at.line}, column ${at.column}): JSON keeps only the last one silently; remove one of them`, file);
  }
  return doc;
}

/** Format zod issues as `path: message (found …)` lines, each path rooted at `root`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown, root = ''): string[] {
  return issues.map((issue) => {
    const path = jsonPath(root, issue.path);
    let msg = issue.message;
    if (issue.code === 'unrecognized_keys') msg = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} (check the spelling; allowed fields are listed in the JSON schema)`;
    else if (issue.code === 'invalid_value') msg = `expected one of ${issue.values.map((v) => show(v)).join(', ')}, found ${show(valueAt(input, issue.path))}`;
    else if (issue.code === 'invalid_type') {
      const found = valueAt(input, issue.path);
      msg = found === undefined ? `missing required field (expected ${issue.expected})` : `expected ${issue.expected}, found ${show(found)}`;
    } else if (issue.code === 'invalid_union') {
      const found = valueAt(input, issue.path);
      const deepest = issue.errors.flat().find((i) => i.code === 'custom' || i.code === 'unrecognized_keys');
      msg = deepest ? formatIssues([{ ...deepest, path: [] }], found)[0]!.replace(/^: /, '') : `unexpected value ${show(found)}`;
    }
    return `${path || '(root)'}: ${msg}`;
  });
}

/** `a.b[2].c` from a root and a zod path. */
export function jsonPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$-]*$/.test(String(k)) ? `${out ? '.' : ''}${String(k)}` : `[${JSON.stringify(String(k))}]`;
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** Validate the structure of an experiment document (the sweep's values are checked per configuration). */
export function validateExperiment(doc: unknown, file: string): Experiment {
  const r = experimentSchema.safeParse(doc);
  if (!r.success) throw new InputError(`invalid experiment:\n  - ${formatIssues(r.error.issues, doc).join('\n  - ')}`, file);
  return r.data;
}
