/**
 * `livemig new plugin <name>`: scaffold a plugin package (package.json with a peer dependency on
 * @livemig/core, src/index.ts with a define… skeleton and its zod options schema, a one-line
 * testkit conformance test, tsup config, README).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { InputError } from '../errors.js';
import { pluginFiles, type ScaffoldKind } from './templates.js';

export { pluginFiles, type ScaffoldKind, type TemplateInput } from './templates.js';

/** npm's rules for new package names: lower case, URL-safe, at most 214 characters, an optional scope. */
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** The short plugin name of a package: scope and `livemig-` / `livemig-<kind>-` prefixes dropped. */
export function shortName(pkg: string, kind: ScaffoldKind): string {
  const base = pkg.replace(/^@[^/]+\//, '');
  const short = base.replace(new RegExp(`^livemig-(plugin-)?(${kind}-)?`), '').replace(/[^a-z0-9-]/g, '-');
  return short || base.replace(/[^a-z0-9-]/g, '-');
}

function coreRange(): string {
  try {
    const v = (createRequire(import.meta.url)('@livemig/core/package.json') as { version: string }).version;
    return `^${v}`;
  } catch {
    return '^0.1.0';
  }
}

export interface ScaffoldResult {
  readonly dir: string;
  readonly files: readonly string[];
  readonly pluginName: string;
}

/** Write a new plugin package `pkg` into `<parent>/<package name without scope>`; refuses a non-empty directory. */
export function scaffoldPlugin(pkg: string, opts: { kind?: ScaffoldKind; parent?: string; range?: string } = {}): ScaffoldResult {
  const kind = opts.kind ?? 'strategy';
  if (pkg.length > 214 || !PACKAGE_NAME.test(pkg))
    throw new InputError(`'${pkg}' is not a valid npm package name (lower case letters, digits, - . _ ~, an optional @scope/; e.g. livemig-${kind}-mine)`);
  const dir = resolve(opts.parent ?? '.', pkg.replace(/^@[^/]+\//, ''));
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new InputError(`${dir} exists and is not empty: choose another name or --dir`);
  const name = shortName(pkg, kind);
  const files = pluginFiles({ pkg, name, kind, range: opts.range ?? coreRange() });
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return { dir, files: Object.keys(files), pluginName: name };
}

/** Register `livemig new plugin <name> [--kind …] [--dir …]` on the CLI. */
export function registerNew(program: Command): void {
  program
    .command('new')
    .description('scaffold a new project file')
    .command('plugin')
    .description('scaffold a plugin package (package.json, src/index.ts with a define… skeleton and zod options, a testkit test, tsup config, README)')
    .argument('<name>', 'npm package name, e.g. livemig-strategy-mine or @lab/livemig-strategy-mine')
    .addOption(new Option('-k, --kind <kind>', 'plugin kind').choices(['strategy', 'stop-condition', 'workload']).default('strategy'))
    .option('-d, --dir <dir>', 'parent directory', '.')
    .action((name: string, o: { kind: ScaffoldKind; dir: string }) => {
      const r = scaffoldPlugin(name, { kind: o.kind, parent: o.dir });
      process.stdout.write(`created ${o.kind} plugin '${r.pluginName}' in ${r.dir}:\n${r.files.map((f) => `  ${f}`).join('\n')}\nnext: cd ${r.dir} && npm install && npm test && npm run build\n`);
    });
}
