/** One build factory for every package: ESM with declarations, dependencies kept external. */
import { defineConfig, type Options } from 'tsup';

export function packageConfig(entry: Record<string, string> = { index: 'src/index.ts' }, extra: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    // Project references need `composite`; tsup's own declaration build must not inherit it.
    dts: { compilerOptions: { composite: false, declarationMap: false } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    ...extra,
  });
}
