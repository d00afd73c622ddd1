/**
 * `livemig new plugin <name>`: scaffold a plugin package (package.json with a peer dependency on
 * @livemig/core, src/index.ts with a define… skeleton and its zod options schema, a one-line
 * testkit conformance test, tsup config, README).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
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
  /** The livemig packages packed into vendor/ (empty with `registry`), and the folders they were packed from. */
  readonly vendored: ReadonlyArray<{ name: string; from: string; tarball: string }>;
}

const selfRequire = createRequire(import.meta.url);

/**
 * The livemig packages a plugin is developed against, @livemig/core and @livemig/testkit, and
 * the @livemig packages they depend on, as installed next to this runner: name → folder.
 */
function livemigClosure(): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (name: string): void => {
    if (found.has(name)) return;
    const dir = dirname(selfRequire.resolve(`${name}/package.json`));
    found.set(name, dir);
    const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(json.dependencies ?? {})) if (dep.startsWith('@livemig/')) visit(dep);
  };
  visit('@livemig/core');
  visit('@livemig/testkit');
  return found;
}

/**
 * `npm pack` the livemig packages into `<dir>/vendor/`: they are not on the npm registry, so a
 * plugin's `npm install` takes them from there (their third-party dependencies still come from
 * the registry). Returns name → `file:` spec, and what was packed.
 */
function vendorLivemig(dir: string): { specs: Record<string, string>; packed: ScaffoldResult['vendored'] } {
  let closure: Map<string, string>;
  try {
    closure = livemigClosure();
  } catch (e) {
    throw new InputError(`cannot find the livemig packages to pack into vendor/ (${(e as Error).message}); install @livemig/testkit next to @livemig/runner, or pass --registry once they are published`);
  }
  const vendor = join(dir, 'vendor');
  mkdirSync(vendor, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--silent', '--pack-destination', vendor, ...closure.values()], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const tarballs = JSON.parse(out) as Array<{ name: string; filename: string }>;
  const specs: Record<string, string> = {};
  const packed = tarballs.map((t) => {
    specs[t.name] = `file:vendor/${t.filename}`;
    return { name: t.name, from: closure.get(t.name)!, tarball: join(vendor, t.filename) };
  });
  return { specs, packed };
}

/**
 * Write a new plugin package `pkg` into `<parent>/<package name without scope>`; refuses a
 * non-empty directory. With `vendor`, the livemig packages it is developed against are packed
 * into its vendor/ folder so that `npm install` works without them on the registry.
 */
export function scaffoldPlugin(pkg: string, opts: { kind?: ScaffoldKind; parent?: string; range?: string; vendor?: boolean } = {}): ScaffoldResult {
  const kind = opts.kind ?? 'strategy';
  if (pkg.length > 214 || !PACKAGE_NAME.test(pkg))
    throw new InputError(`'${pkg}' is not a valid npm package name (lower case letters, digits, - . _ ~, an optional @scope/; e.g. livemig-${kind}-mine)`);
  const dir = resolve(opts.parent ?? '.', pkg.replace(/^@[^/]+\//, ''));
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new InputError(`${dir} exists and is not empty: choose another name or --dir`);
  const name = shortName(pkg, kind);
  const vendored = opts.vendor ? vendorLivemig(dir) : undefined;
  const files = pluginFiles({ pkg, name, kind, range: opts.range ?? coreRange(), ...(vendored ? { vendored: vendored.specs } : {}) });
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return { dir, files: [...Object.keys(files), ...(vendored?.packed.map((p) => relative(dir, p.tarball)) ?? [])], pluginName: name, vendored: vendored?.packed ?? [] };
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
    .option('--registry', 'take @livemig/core and @livemig/testkit from the npm registry (once published) instead of packing the installed ones into vendor/')
    .action((name: string, o: { kind: ScaffoldKind; dir: string; registry?: boolean }) => {
      const r = scaffoldPlugin(name, { kind: o.kind, parent: o.dir, vendor: !o.registry });
      const from = r.vendored.length ? `\nthe livemig packages are not on the npm registry: ${r.vendored.map((p) => p.name).join(', ')} packed from ${dirname(r.vendored[0]!.from)} into vendor/` : '';
      process.stdout.write(`created ${o.kind} plugin '${r.pluginName}' in ${r.dir}:\n${r.files.map((f) => `  ${f}`).join('\n')}${from}\nnext: cd ${/^[\w./@-]+$/.test(r.dir) ? r.dir : JSON.stringify(r.dir)} && npm install && npm test && npm run build\n`);
    });
}
