/** The files of a new plugin package, one template per plugin kind. */

export type ScaffoldKind = 'strategy' | 'stop-condition' | 'workload';

export interface TemplateInput {
  /** npm package name, e.g. `livemig-strategy-eager` or `@lab/livemig-strategy-eager`. */
  readonly pkg: string;
  /** Short plugin name (what `create` registers), e.g. `eager`. */
  readonly name: string;
  readonly kind: ScaffoldKind;
  /** Version range of @livemig/core and @livemig/testkit, e.g. `^0.1.0`. */
  readonly range: string;
  /**
   * Where the development copies of the livemig packages come from when not from the registry:
   * package name → npm spec (`file:vendor/livemig-core-0.1.0.tgz`), the testkit's own
   * @livemig dependencies included. Default: `range` from the registry.
   */
  readonly vendored?: Readonly<Record<string, string>>;
}

const DEFINE: Record<ScaffoldKind, string> = { strategy: 'defineStrategy', 'stop-condition': 'defineStopCondition', workload: 'defineWorkload' };

const SOURCE: Record<ScaffoldKind, (t: TemplateInput) => string> = {
  strategy: (t) => `/**
 * ${t.pkg}: a livemig copy strategy. This skeleton runs a fixed number of pre-copy rounds (each
 * sends the pages dirtied during the previous one), then stops the VM and copies the rest;
 * the experiment's stop condition may end the rounds earlier.
 */
import { defineStrategy, prepare, schemas, stopAndCopy, syncBitmap, z } from '@livemig/core';

/** Options, validated and defaulted by zod; units are strings in experiment files ("1 Gbit/s"). */
export const options = z
  .object({
    rounds: z.number().int().min(0).default(3).describe('pre-copy rounds before the stop-and-copy phase'),
    maxBandwidth: schemas.rate({ positive: true }).optional().describe("rate cap of the rounds ('1 Gbit/s'); default: none"),
  })
  .strict();

export const ${camel(t.name)} = defineStrategy({
  name: '${t.name}',
  description: '${t.name}: pre-copy rounds, then stop-and-copy',
  options,
  create: (o) => ({
    *migrate(m) {
      if (!(yield* prepare(m))) return;
      m.phase('precopy');
      m.memory.selectAll();
      for (let round = 0; round < o.rounds; round++) {
        const stats = yield* m.memory.send({ cap_Bps: o.maxBandwidth ?? Infinity });
        const verdict = m.endRound(stats);
        if (verdict) {
          yield* stopAndCopy(m, { selectAll: false, converged: verdict.converged, reason: verdict.reason });
          return;
        }
        yield* syncBitmap(m);
      }
      yield* stopAndCopy(m, { selectAll: o.rounds === 0, converged: false, reason: \`${t.name}: \${o.rounds} rounds\` });
    },
  }),
});

export default ${camel(t.name)};
`,
  'stop-condition': (t) => `/**
 * ${t.pkg}: a livemig stop condition (round threshold). This skeleton stops when the pages
 * dirtied during the last round fall below a fraction of memory (converged).
 */
import { defineStopCondition, z } from '@livemig/core';

/** Options, validated and defaulted by zod. */
export const options = z
  .object({
    fraction: z.number().min(0).max(1).default(0.01).describe('stop when dirty pages < fraction × memory pages'),
  })
  .strict();

export const ${camel(t.name)} = defineStopCondition({
  name: '${t.name}',
  description: '${t.name}: stop when the dirty set is a small fraction of memory',
  options,
  create: (o) => ({
    check: (view) =>
      view.last.dirtyPages < o.fraction * view.pageCount ? { converged: true, reason: \`${t.name}: \${view.last.dirtyPages} dirty pages\` } : null,
  }),
});

export default ${camel(t.name)};
`,
  workload: (t) => `/**
 * ${t.pkg}: a livemig workload (dirty-page model). This skeleton writes pages uniformly at
 * random over the whole memory at a fixed rate; its fluid curve is the expected number of
 * distinct pages hit by n uniform writes, n × work rounded as writes() does on average.
 */
import { defineWorkload, z } from '@livemig/core';

/** Options, validated and defaulted by zod. */
export const options = z
  .object({
    rate: z.number().min(0).default(1000).describe('writes per second (pages)'),
  })
  .strict();

export const ${camel(t.name)} = defineWorkload({
  name: '${t.name}',
  description: '${t.name}: uniform random writes over the whole memory',
  options,
  create: (o, ctx) => {
    const pages = ctx.pageCount;
    let carry = 0;
    return {
      writeRate: () => o.rate,
      // Writes in a window are Poisson-like in count; with a fractional carry their mean is rate × work.
      expectedDistinct: (_t, work) => pages * -Math.expm1(o.rate * work * Math.log1p(-1 / pages)),
      writes(_t, dt, speed, write) {
        carry += o.rate * dt * speed;
        const n = Math.floor(carry);
        carry -= n;
        for (let i = 0; i < n; i++) write(ctx.rng.int(pages));
      },
    };
  },
});

export default ${camel(t.name)};
`,
};

const TEST: Record<ScaffoldKind, (t: TemplateInput) => string> = {
  strategy: () => `import { strategyConformance } from '@livemig/testkit';\nimport plugin from './index.js';\n\nstrategyConformance(plugin, { fullCopy: true });\n`,
  'stop-condition': () => `import { stopConditionConformance } from '@livemig/testkit';\nimport plugin from './index.js';\n\nstopConditionConformance(plugin);\n`,
  workload: () => `import { workloadConformance } from '@livemig/testkit';\nimport plugin from './index.js';\n\nworkloadConformance(plugin);\n`,
};

function camel(name: string): string {
  const c = name.replace(/[^a-zA-Z0-9]+(.)/g, (_, ch: string) => ch.toUpperCase()).replace(/[^a-zA-Z0-9]/g, '');
  return /^[0-9]/.test(c) ? `plugin${c}` : c || 'plugin';
}

/** Every file of the package, by relative path. */
export function pluginFiles(t: TemplateInput): Record<string, string> {
  const pkg = {
    name: t.pkg,
    version: '0.1.0',
    description: `livemig ${t.kind} plugin ${t.name}`,
    license: 'MIT',
    keywords: ['livemig', 'livemig-plugin', `livemig-${t.kind}`],
    type: 'module',
    sideEffects: false,
    engines: { node: '>=20' },
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    files: ['dist', 'src', '!src/**/*.test.ts'],
    scripts: { build: 'tsup', test: 'vitest run', prepublishOnly: 'npm run build' },
    peerDependencies: { '@livemig/core': t.range },
    devDependencies: {
      '@livemig/core': t.range,
      '@livemig/testkit': t.range,
      ...t.vendored,
      'fast-check': '^4.0.0',
      tsup: '^8.5.0',
      typescript: '~6.0.3',
      vitest: '^4.0.0',
    },
  };
  return {
    'package.json': JSON.stringify(pkg, null, 2) + '\n',
    'src/index.ts': SOURCE[t.kind](t),
    'src/index.test.ts': TEST[t.kind](t),
    'tsup.config.ts': `import { defineConfig } from 'tsup';\n\nexport default defineConfig({ entry: ['src/index.ts'], format: ['esm'], dts: true, sourcemap: true, clean: true, target: 'node20', platform: 'node' });\n`,
    'vitest.config.ts': `import { defineConfig } from 'vitest/config';\n\nexport default defineConfig({ test: { include: ['src/**/*.test.ts'], testTimeout: 60_000 } });\n`,
    'tsconfig.json':
      JSON.stringify(
        { compilerOptions: { ignoreDeprecations: '6.0', target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, skipLibCheck: true, declaration: true, verbatimModuleSyntax: true, noEmit: true, lib: ['ES2023'] }, include: ['src'] },
        null,
        2,
      ) + '\n',
    // The vendored tarballs are what `npm install` installs: keep them with the sources.
    '.gitignore': `node_modules/\ndist/\n*.tgz\n${t.vendored ? '!vendor/*.tgz\n' : ''}`,
    'README.md': `# ${t.pkg}

A [livemig](https://github.com/livemig/livemig) ${t.kind} plugin: \`${t.name}\`.

\`\`\`sh
npm install ${t.pkg}      # next to your experiment file, with @livemig/runner
\`\`\`

\`\`\`json
${
  t.kind === 'strategy'
    ? `{ "strategy": { "use": "${t.pkg}", "options": { "rounds": 3 } } }`
    : t.kind === 'stop-condition'
      ? `{ "stop": { "use": "${t.pkg}", "options": { "fraction": 0.01 } } }`
      : `{ "workload": { "use": "${t.pkg}", "options": { "rate": 1000 } } }`
}
\`\`\`

Development: \`npm install\`, \`npm test\` (the @livemig/testkit conformance suite), \`npm run build\`
(tsup: ESM and type declarations in \`dist/\`). \`@livemig/core\` is a peer dependency: the runner
provides it, so your plugin and the runner share one core.
${
  t.vendored
    ? `
The livemig packages this plugin is developed against (${Object.keys(t.vendored).join(', ')}) are
not on the npm registry yet: \`livemig new plugin\` packed them into \`vendor/\` and
\`package.json\` installs them from there. Once they are published, replace the \`file:vendor/…\`
specs with \`${t.range}\` and delete \`vendor/\`.
`
    : ''
}`,
  };
}
