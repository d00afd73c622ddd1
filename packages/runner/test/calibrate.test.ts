// End-to-end: the QMP recorder against a fake QMP server on a unix socket, and
// `livemig calibrate qemu` on the built CLI (dist/cli.js; run `npm run build` first).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const RECORDER = fileURLToPath(new URL('../scripts/qmp-record.mjs', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../../experiments/reproductions/qemu-sample/precopy-256MiB-64MiBps-high.jsonl', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'livemig-calibrate-'));

describe('qmp-record.mjs', () => {
  it('negotiates capabilities, polls query-migrate and writes one line per reply until completed', async () => {
    const sockPath = join(dir, 'qmp.sock');
    const received: string[] = [];
    // A fake QEMU: greeting, then replies; the migration is active for 3 polls, then completed. An event is interleaved.
    let polls = 0;
    const server = createServer((c) => {
      c.write(JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 } }, capabilities: [] } }) + '\r\n');
      let buf = '';
      c.on('data', (d) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const cmd = JSON.parse(buf.slice(0, nl)) as { execute: string; arguments?: unknown };
          buf = buf.slice(nl + 1);
          received.push(cmd.execute);
          if (cmd.execute === 'qmp_capabilities') c.write('{"return": {}}\r\n');
          else if (cmd.execute === 'migrate') c.write('{"event": "MIGRATION", "data": {"status": "setup"}}\r\n{"return": {}}\r\n');
          else if (cmd.execute === 'query-migrate') {
            polls++;
            const status = polls <= 3 ? 'active' : 'completed';
            c.write(JSON.stringify({ return: { status, 'setup-time': 5, ram: { transferred: polls * 1000, remaining: 0, total: 4096, 'dirty-sync-count': polls } } }) + '\r\n');
          }
        }
      });
    });
    await new Promise<void>((res) => server.listen(sockPath, res));
    const out = join(dir, 'series.jsonl');
    const code = await new Promise<number | null>((res) => {
      const p = spawn(process.execPath, [RECORDER, '--socket', sockPath, '--migrate', 'tcp:127.0.0.1:4444', '--interval', '20', '-o', out]);
      p.on('close', res);
    });
    server.close();
    expect(code).toBe(0);
    expect(received).toEqual(['qmp_capabilities', 'migrate', 'query-migrate', 'query-migrate', 'query-migrate', 'query-migrate']);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: number; reply: { status: string; ram: { transferred: number } } });
    expect(lines.map((l) => l.reply.status)).toEqual(['active', 'active', 'active', 'completed']);
    expect(lines.map((l) => l.reply.ram.transferred)).toEqual([1000, 2000, 3000, 4000]);
    // Times since the migrate command, increasing, about 20 ms apart (a loaded machine may be slower).
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.t).toBeGreaterThanOrEqual(lines[i - 1]!.t + 0.015);
  });
});

describe('livemig calibrate qemu', () => {
  it('--model precopy: fits the real QEMU 7.2 sample with the generic pre-copy and predicts its total time, bytes and downtime (errors within 25, 25, 15 %; see docs/reproductions.md)', () => {
    const exp = join(dir, 'cal', 'qemu.json');
    const r = spawnSync(process.execPath, [CLI, 'calibrate', 'qemu', SAMPLE, '--model', 'precopy', '-o', exp, '--json'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout) as { calibration: Record<string, number>; prediction: Record<string, number>; observed: Record<string, number> };
    // Inputs read directly: 256 MiB + 520 KiB of RAM, 144 ms setup, the 300 ms limit, 8-byte headers.
    expect(v.calibration.memory_bytes).toBe(268976128);
    expect(v.calibration.setup_s).toBe(0.144);
    expect(v.calibration.downtimeLimit_s).toBe(0.3);
    expect(v.calibration.headerBytes).toBe(8);
    // 17 002 zero markers of 65 668 pages; zero pages the guest wrote before the first pass
    // reached them went whole, so more were zero at the start (31.1 %).
    expect(v.calibration.zeroFraction).toBeGreaterThan(17002 / 65668);
    expect(v.calibration.zeroFraction).toBeCloseTo(0.311, 3);
    // max-bandwidth was 64 MiB/s: the rounds' rate within 2 %.
    expect(Math.abs(v.calibration.migrationRate_Bps / (64 * 2 ** 20) - 1)).toBeLessThan(0.02);
    // The guest wrote 16 384 pages/s over 32 768 pages; the fit sees QEMU's syncs, not the guest: within 30 %.
    expect(Math.abs(v.calibration.dirtyRate_pages_per_s / 16384 - 1)).toBeLessThan(0.3);
    expect(Math.abs(v.calibration.workingSet_pages / 32768 - 1)).toBeLessThan(0.3);
    const err = (k: string) => Math.abs(v.prediction[k]! / v.observed[k]! - 1);
    expect(err('total_time_s')).toBeLessThan(0.25);
    expect(err('bytes_sent')).toBeLessThan(0.25);
    expect(err('downtime_s')).toBeLessThan(0.15);
    const doc = JSON.parse(readFileSync(exp, 'utf8')) as { strategy: { options: { finalRateLimited: boolean; sync: string } } };
    expect(doc.strategy.options.finalRateLimited).toBe(false);
    // QEMU syncs the bitmap when the unsent bytes fall below the threshold.
    expect(doc.strategy.options.sync).toBe('below-threshold');
    // The written experiment runs as is (a "what if" starts from it).
    const run = spawnSync(process.execPath, [CLI, 'plan', exp], { encoding: 'utf8' });
    expect(run.status).toBe(0);
  });

  it("default --model qemu: QEMU's migration thread with the host constants fitted to the sample, and its prediction of the sample", () => {
    const exp = join(dir, 'cal', 'qemu-thread.json');
    const r = spawnSync(process.execPath, [CLI, 'calibrate', 'qemu', SAMPLE, '--max-bandwidth', '64 MiB/s', '-o', exp, '--json'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const v = JSON.parse(r.stdout) as { host: Record<string, number | number[]>; prediction: Record<string, number>; observed: Record<string, number> };
    // The first window's budget (6 710 886 B) went 13 ms after the 144 ms setup (mbps 342.03 over 156.96 ms): ≈ 500 MB/s.
    expect(v.host.sendRate_Bps as number).toBeGreaterThan(4e8);
    expect(v.host.sendRate_Bps as number).toBeLessThan(6e8);
    // The longest no-progress stretch at a sync (136 ms at 5.08-5.22 s) less a window's sleep.
    expect(v.host.syncCost_s as number).toBeGreaterThan(0.03);
    expect(v.host.syncCost_s as number).toBeLessThan(0.07);
    expect((v.host.zeroProfile as number[]).length).toBe(16);
    const err = (k: string) => Math.abs(v.prediction[k]! / v.observed[k]! - 1);
    expect(err('total_time_s')).toBeLessThan(0.1);
    expect(err('bytes_sent')).toBeLessThan(0.1);
    expect(Math.abs(v.prediction.downtime_s! - v.observed.downtime_s!)).toBeLessThan(0.01);
    const doc = JSON.parse(readFileSync(exp, 'utf8')) as { strategy: { use: string; options: Record<string, unknown> } };
    expect(doc.strategy.use).toBe('@livemig/strategy-precopy/qemu');
    expect(doc.strategy.options['max-bandwidth']).toBe('67108864 B/s');
    expect(spawnSync(process.execPath, [CLI, 'plan', exp], { encoding: 'utf8' }).status).toBe(0);
  });

  it('exits 2 on --model other than qemu or precopy, naming the option', () => {
    const r = spawnSync(process.execPath, [CLI, 'calibrate', 'qemu', SAMPLE, '--model', 'kvm'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--model: expected 'qemu'/);
  });

  it('exits 2 on a line that is not a query-migrate record', () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"t": 0.1, "reply": {"status": "active"}}\nnot json\n');
    const r = spawnSync(process.execPath, [CLI, 'calibrate', 'qemu', bad], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad\.jsonl: line 2: not JSON/);
  });
});
