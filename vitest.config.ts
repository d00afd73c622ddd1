/** One vitest config; each package under packages/ and examples/ is a project named after its package.json, and scripts/ is one. */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const setup = fileURLToPath(new URL('./scripts/vitest-setup.ts', import.meta.url));

const packages = ['packages', 'examples'].flatMap((top) =>
  existsSync(top) ? readdirSync(top).map((d) => `${top}/${d}`).filter((d) => existsSync(`${d}/package.json`)) : [],
);

export default defineConfig({
  test: {
    projects: [
      // The repository's own scripts (scripts/*.test.ts).
      { test: { name: 'scripts', root: 'scripts', include: ['*.test.ts'], setupFiles: [setup], testTimeout: 60_000 } },
      ...packages.map((dir) => ({
      resolve: { conditions: ['@livemig/source'] },
      ssr: { resolve: { conditions: ['@livemig/source'] } },
      test: {
        name: JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')).name as string,
        root: dir,
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        benchmark: { include: ['src/**/*.bench.ts', 'bench/**/*.bench.ts'] },
        setupFiles: [setup],
        testTimeout: 60_000,
      },
    })),
    ],
  },
});
