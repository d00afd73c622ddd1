/**
 * The README's example is `examples/readme.ts` verbatim, and it runs: a migration completes
 * and its metrics are printed. (It uses the first-party plugin packages of this repository.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { MigrationMetrics } from './migration.js';

const root = new URL('../', import.meta.url);

describe('README example', () => {
  it('is the code of examples/readme.ts', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'README.md has a ```ts block').toBeDefined();
    expect(block).toBe(readFileSync(new URL('examples/readme.ts', root), 'utf8'));
  });

  it('runs and prints the metrics of a completed migration', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      // A computed specifier keeps tsc from pulling the example (and the plugin packages) into core's program.
      await import(/* @vite-ignore */ new URL('examples/readme.ts', root).href);
      expect(log).toHaveBeenCalledTimes(1);
      const m = log.mock.calls[0]![0] as MigrationMetrics;
      expect(m.status).toBe('completed');
      expect(m.converged).toBe(true);
      expect(m.stop_reason).toMatch(/^downtime-limit/);
      // Everything crosses at least once: 2 GiB at 1.25e8 B/s is at least 17.18 s.
      expect(m.bytes_sent).toBeGreaterThanOrEqual(2 * 2 ** 30);
      expect(m.total_time_s).toBeGreaterThan((2 * 2 ** 30) / 1.25e8);
      expect(m.rounds).toBeGreaterThan(1);
      expect(m.downtime_s).toBeGreaterThan(0);
      expect(m.downtime_s).toBeLessThan(0.3 + 0.01);
    } finally {
      log.mockRestore();
    }
  });
});
