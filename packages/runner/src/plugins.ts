/**
 * Plugin resolution. An experiment names plugins by package name ("@livemig/strategy-precopy",
 * "livemig-plugin-x", "pkg/member") or by a first-party alias ("precopy", "hot-cold", "xen").
 * Names are resolved once on the main thread, from the experiment file's directory then the
 * working directory, into module URLs; workers import those URLs (nothing executable crosses
 * threads) and pick the same member with {@link pickPlugin}.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkPluginShape, type AnyPlugin, type PluginKind } from '@livemig/core';

/** Where a plugin comes from: everything a worker needs to load it again. */
export interface PluginRef {
  readonly kind: PluginKind;
  /** The name as written in the experiment file. */
  readonly use: string;
  /** The resolved module (a file: URL). */
  readonly url: string;
  /** The export member picked, if any. */
  readonly member?: string;
  readonly package: string;
  readonly version: string;
}

/** First-party packages and the alias kind they serve. */
const FIRST_PARTY: ReadonlyArray<{ pkg: string; kind: PluginKind; alias?: string; member?: string }> = [
  { pkg: '@livemig/strategy-precopy', kind: 'strategy', alias: 'precopy' },
  // QEMU 7.2's migration thread (a member of the pre-copy package).
  { pkg: '@livemig/strategy-precopy', kind: 'strategy', alias: 'qemu', member: 'qemu' },
  { pkg: '@livemig/strategy-stop-and-copy', kind: 'strategy', alias: 'stop-and-copy' },
  { pkg: '@livemig/stop-conditions', kind: 'stop-condition' },
  { pkg: '@livemig/schedulers', kind: 'scheduler' },
  { pkg: '@livemig/workloads', kind: 'workload' },
  { pkg: '@livemig/triggers', kind: 'trigger' },
];

const KIND_WORD: Record<PluginKind, string> = { strategy: 'strategy', 'stop-condition': 'stop condition', workload: 'workload', trigger: 'trigger', scheduler: 'scheduler' };
const KIND_PLURAL: Record<PluginKind, string> = { strategy: 'strategies', 'stop-condition': 'stop conditions', workload: 'workloads', trigger: 'triggers', scheduler: 'schedulers' };

/** Every plugin object a module exports: default, `plugins`, and named plugins or records/arrays of them. */
export function pluginsOf(mod: Record<string, unknown>): Array<{ key: string; plugin: AnyPlugin }> {
  const out: Array<{ key: string; plugin: AnyPlugin }> = [];
  const seen = new Set<unknown>();
  const add = (key: string, v: unknown): void => {
    if (checkPluginShape(v) === null && !seen.has(v)) {
      seen.add(v);
      out.push({ key, plugin: v as AnyPlugin });
    }
  };
  // Records and arrays before single named exports, so record keys ('hot-cold') win over export names (hotCold).
  const rest = Object.keys(mod).filter((k) => k !== 'default' && k !== 'plugins').sort();
  const single = (k: string) => checkPluginShape(mod[k]) === null;
  const names = ['default', 'plugins', ...rest.filter((k) => !single(k)), ...rest.filter(single)];
  for (const name of names) {
    const v = mod[name];
    if (v === null || typeof v !== 'object') continue;
    if (checkPluginShape(v) === null) add(name === 'default' ? (v as AnyPlugin).name : name, v);
    else if (Array.isArray(v)) v.forEach((p) => add((p as AnyPlugin)?.name, p));
    else if (name === 'default' || name === 'plugins' || Object.values(v).some((p) => checkPluginShape(p) === null))
      for (const [k, p] of Object.entries(v)) add(k, p);
  }
  return out;
}

/**
 * Pick the plugin of `kind` from a module: `member` by key or name, else the default export,
 * else the only plugin of that kind. Throws with the reason and the valid choices.
 */
export function pickPlugin(mod: Record<string, unknown>, member: string | undefined, kind: PluginKind, label: string): AnyPlugin {
  const all = pluginsOf(mod);
  const ofKind = all.filter((p) => p.plugin.kind === kind);
  if (member !== undefined) {
    const hit = all.find((p) => p.key === member || p.plugin.name === member);
    if (!hit) {
      const direct = mod[member];
      if (direct !== undefined && checkPluginShape(direct) !== null) throw new Error(`${label}: export '${member}' ${checkPluginShape(direct)}`);
      throw new Error(`${label}: no plugin '${member}'; it exports ${ofKind.map((p) => p.key).join(', ') || 'no ' + KIND_WORD[kind]}`);
    }
    if (hit.plugin.kind !== kind) throw new Error(`${label}: '${member}' is a ${KIND_WORD[hit.plugin.kind]}, not a ${KIND_WORD[kind]}`);
    return hit.plugin;
  }
  const def = mod.default;
  if (def !== undefined && !Array.isArray(def) && checkPluginShape(def) === null) {
    const p = def as AnyPlugin;
    if (p.kind !== kind) throw new Error(`${label}: its default export is a ${KIND_WORD[p.kind]}, not a ${KIND_WORD[kind]}`);
    return p;
  }
  if (ofKind.length === 1) return ofKind[0]!.plugin;
  if (ofKind.length > 1) throw new Error(`${label}: exports several ${KIND_WORD[kind]} plugins; pick one with "${label}/<member>": ${ofKind.map((p) => p.key).join(', ')}`);
  if (def !== undefined && typeof def === 'object' && !Array.isArray(def)) throw new Error(`${label}: its default export ${checkPluginShape(def)}`);
  throw new Error(`${label}: exports no ${KIND_WORD[kind]} plugin (a default export made with defineStrategy & co., or a "plugins" array or record)`);
}

/** Split "pkg/member" / "@scope/pkg/member" / "./file.js#member". */
export function splitUse(use: string): { spec: string; member?: string } {
  if (use.startsWith('.') || use.startsWith('/') || use.startsWith('file:') || isAbsolute(use)) {
    const hash = use.lastIndexOf('#');
    return hash > 0 ? { spec: use.slice(0, hash), member: use.slice(hash + 1) } : { spec: use };
  }
  const parts = use.split('/');
  const n = use.startsWith('@') ? 2 : 1;
  const spec = parts.slice(0, n).join('/');
  const member = parts.slice(n).join('/');
  return member ? { spec, member } : { spec };
}

function packageInfo(file: string, pkgName?: string): { name: string; version: string } {
  let dir = dirname(file);
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        const j = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; version?: string };
        if (j.name && (!pkgName || j.name === pkgName)) return { name: j.name, version: j.version ?? '0.0.0' };
      } catch {
        /* keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) return { name: pkgName ?? file, version: 'unknown' };
    dir = up;
  }
}

const selfRequire = createRequire(import.meta.url);

/** Resolve a bare package name from each directory in turn. */
function resolvePackage(spec: string, dirs: readonly string[]): string | null {
  for (const dir of dirs) {
    try {
      return createRequire(join(dir, '__livemig_resolve__.js')).resolve(spec);
    } catch {
      /* next */
    }
  }
  return null;
}

/** Caches module imports by URL (main thread and workers). */
const modules = new Map<string, Promise<Record<string, unknown>>>();
export function importModule(url: string): Promise<Record<string, unknown>> {
  let p = modules.get(url);
  if (!p) {
    p = import(url) as Promise<Record<string, unknown>>;
    modules.set(url, p);
  }
  return p;
}

/** Load the plugin a {@link PluginRef} points at. */
export async function loadPlugin(ref: PluginRef): Promise<AnyPlugin> {
  return pickPlugin(await importModule(ref.url), ref.member, ref.kind, ref.use);
}

/** The first-party plugins, by kind and alias. */
export async function firstPartyPlugins(): Promise<Array<{ ref: PluginRef; plugin: AnyPlugin }>> {
  const out: Array<{ ref: PluginRef; plugin: AnyPlugin }> = [];
  for (const fp of FIRST_PARTY) {
    const file = selfRequire.resolve(fp.pkg);
    const url = pathToFileURL(file).href;
    const mod = await importModule(url);
    const { version } = packageInfo(file, fp.pkg);
    if (fp.alias) {
      const plugin = pickPlugin(mod, fp.member, fp.kind, fp.pkg);
      out.push({ ref: { kind: fp.kind, use: fp.alias, url, ...(fp.member ? { member: fp.member } : {}), package: fp.pkg, version }, plugin });
    } else {
      for (const { key, plugin } of pluginsOf(mod)) {
        if (plugin.kind === fp.kind) out.push({ ref: { kind: fp.kind, use: key, url, member: key, package: fp.pkg, version }, plugin });
      }
    }
  }
  return out;
}

/**
 * Plugins installed next to the first-party ones: every package in `node_modules` (of each
 * directory and its parents, as Node resolves) whose package.json keywords include
 * `livemig-plugin`. A package exporting one plugin of a kind is named by its package name, else by
 * `package/member`. Packages that fail to import are reported, not thrown.
 */
export async function installedPlugins(dirs: readonly string[]): Promise<{ plugins: Array<{ ref: PluginRef; plugin: AnyPlugin }>; problems: string[] }> {
  const firstParty = new Set(FIRST_PARTY.map((f) => f.pkg));
  const seen = new Set<string>();
  const plugins: Array<{ ref: PluginRef; plugin: AnyPlugin }> = [];
  const problems: string[] = [];
  const roots: string[] = [];
  for (const d of dirs) {
    for (let dir = resolve(d); ; dir = dirname(dir)) {
      roots.push(join(dir, 'node_modules'));
      if (dirname(dir) === dir) break;
    }
  }
  for (const root of roots) {
    if (!existsSync(root)) continue;
    const names: string[] = [];
    for (const e of readdirSync(root)) {
      if (e.startsWith('.')) continue;
      if (e.startsWith('@')) {
        try {
          for (const f of readdirSync(join(root, e))) names.push(`${e}/${f}`);
        } catch {
          /* not a folder */
        }
      } else names.push(e);
    }
    for (const name of names.sort()) {
      if (seen.has(name) || firstParty.has(name)) continue;
      let pj: { keywords?: unknown; version?: string };
      try {
        pj = JSON.parse(readFileSync(join(root, name, 'package.json'), 'utf8')) as typeof pj;
      } catch {
        continue;
      }
      if (!Array.isArray(pj.keywords) || !pj.keywords.includes('livemig-plugin')) continue;
      seen.add(name);
      const file = resolvePackage(name, [dirname(root)]);
      if (file === null) {
        problems.push(`${name}: has the livemig-plugin keyword but no importable entry point`);
        continue;
      }
      const url = pathToFileURL(file).href;
      let mod: Record<string, unknown>;
      try {
        mod = await importModule(url);
      } catch (e) {
        problems.push(`${name}: importing ${file} failed: ${(e as Error).message}`);
        continue;
      }
      const found = pluginsOf(mod);
      if (found.length === 0) problems.push(`${name}: has the livemig-plugin keyword but exports no plugin`);
      const version = pj.version ?? 'unknown';
      for (const { key, plugin } of found) {
        const single = found.filter((f) => f.plugin.kind === plugin.kind).length === 1;
        const use = single ? name : `${name}/${key}`;
        plugins.push({ ref: { kind: plugin.kind, use, url, ...(single ? {} : { member: key }), package: name, version }, plugin });
      }
    }
  }
  return { plugins, problems };
}

/** Resolves plugin names of one experiment file, caching each name. */
/**
 * The plugin refs of a plan, each listed once in first-use order; workers receive the list
 * and components point into it by index.
 */
export function createRefTable(): { refs: PluginRef[]; indexOf(ref: PluginRef): number } {
  const refs: PluginRef[] = [];
  const index = new Map<string, number>();
  return {
    refs,
    indexOf(ref) {
      const key = `${ref.kind}\0${ref.use}`;
      let i = index.get(key);
      if (i === undefined) {
        i = refs.push(ref) - 1;
        index.set(key, i);
      }
      return i;
    },
  };
}

export class PluginResolver {
  private readonly cache = new Map<string, Promise<{ ref: PluginRef; plugin: AnyPlugin }>>();
  private firstParty?: Promise<Array<{ ref: PluginRef; plugin: AnyPlugin }>>;
  /** Directories to resolve package names from: the experiment file's, then the cwd. */
  readonly dirs: readonly string[];
  constructor(dirs: readonly string[]) {
    this.dirs = [...new Set(dirs)];
  }

  /** Every name of a kind that would resolve here (first-party aliases, then installed packages), for error messages. */
  async choices(kind: PluginKind): Promise<string[]> {
    const installed = (await installedPlugins(this.dirs)).plugins;
    return [...(await (this.firstParty ??= firstPartyPlugins())), ...installed].filter((p) => p.ref.kind === kind).map((p) => p.ref.use);
  }

  /** Resolve `use` as a plugin of `kind`; errors name the plugin, the problem and the choices. */
  resolve(use: string, kind: PluginKind): Promise<{ ref: PluginRef; plugin: AnyPlugin }> {
    const key = `${kind}\0${use}`;
    let p = this.cache.get(key);
    if (!p) {
      p = this.doResolve(use, kind);
      this.cache.set(key, p);
    }
    return p;
  }

  private async doResolve(use: string, kind: PluginKind): Promise<{ ref: PluginRef; plugin: AnyPlugin }> {
    const fp = (await (this.firstParty ??= firstPartyPlugins())).find((p) => p.ref.kind === kind && p.ref.use === use);
    if (fp) return fp;
    const { spec, member } = splitUse(use);
    let file: string | null;
    let pkgName: string | undefined = spec;
    if (spec.startsWith('file:')) file = fileURLToPath(spec);
    else if (spec.startsWith('.') || isAbsolute(spec)) file = resolve(this.dirs[0] ?? '.', spec);
    else file = resolvePackage(spec, this.dirs);
    if (file === null || !existsSync(file)) {
      const choices = await this.choices(kind);
      throw new Error(
        `unknown ${KIND_WORD[kind]} '${use}': not a first-party name and no package '${spec}' is installed (looked from ${this.dirs.join(', ')}); ` +
          `installed ${KIND_PLURAL[kind]}: ${choices.join(', ')}; for a third-party plugin, npm install it next to the experiment file`,
      );
    }
    if (!/^(@[^/]+\/)?[^./][^/]*$/.test(spec)) pkgName = undefined;
    const url = pathToFileURL(file).href;
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(url);
    } catch (e) {
      throw new Error(`${KIND_WORD[kind]} '${use}': importing ${file} failed: ${(e as Error).message}`);
    }
    const plugin = pickPlugin(mod, member, kind, use);
    const info = packageInfo(file, pkgName);
    return { ref: { kind, use, url, ...(member ? { member } : {}), package: info.name, version: info.version }, plugin };
  }
}
