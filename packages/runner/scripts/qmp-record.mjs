#!/usr/bin/env node
// Record a QEMU migration for `livemig calibrate qemu`: connect to a QMP unix socket, negotiate
// capabilities, poll query-migrate every --interval ms and write one JSON line per reply:
//   {"t": seconds since the migrate command (or since the first poll that saw a migration), "reply": <MigrationInfo>}
// until the status is completed, failed or cancelled.
//
//   node qmp-record.mjs --socket /tmp/qmp.sock [--migrate tcp:dst:4444] [--interval 100] [-o series.jsonl]
//
// Start QEMU with `-qmp unix:/tmp/qmp.sock,server=on,wait=off`. With --migrate the script issues the
// migrate command itself (t = 0 then); otherwise start the migration from elsewhere.
import { createConnection } from 'node:net';
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const { values: o } = parseArgs({
  options: {
    socket: { type: 'string' },
    migrate: { type: 'string' },
    interval: { type: 'string', default: '100' },
    out: { type: 'string', short: 'o' },
  },
});
if (!o.socket) {
  process.stderr.write('usage: qmp-record.mjs --socket <qmp unix socket> [--migrate <uri>] [--interval <ms>] [-o <file.jsonl>]\n');
  process.exit(2);
}
const interval = Number(o.interval);
const out = o.out ? createWriteStream(o.out) : process.stdout;
const sock = createConnection(o.socket);
let buf = '';
const waiting = []; // resolvers of commands in flight, in order
sock.on('data', (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl).trim();
    buf = buf.slice(nl + 1);
    if (!line) continue;
    const msg = JSON.parse(line);
    if ('return' in msg || 'error' in msg) waiting.shift()?.(msg);
    else if ('QMP' in msg) greeted();
    // events ({"event": …}) are ignored
  }
});
sock.on('error', (e) => {
  process.stderr.write(`qmp-record: ${e.message}\n`);
  process.exit(1);
});
const command = (execute, args) =>
  new Promise((res) => {
    waiting.push(res);
    sock.write(JSON.stringify(args ? { execute, arguments: args } : { execute }) + '\n');
  });
let greeted;
await new Promise((res) => (greeted = res));
const caps = await command('qmp_capabilities');
if (caps.error) throw new Error(`qmp_capabilities: ${caps.error.desc}`);
let t0;
if (o.migrate) {
  t0 = performance.now();
  const r = await command('migrate', { uri: o.migrate });
  if (r.error) throw new Error(`migrate: ${r.error.desc}`);
}
for (;;) {
  const r = await command('query-migrate');
  if (r.error) throw new Error(`query-migrate: ${r.error.desc}`);
  const reply = r.return;
  const status = reply.status ?? 'none';
  if (status !== 'none') {
    t0 ??= performance.now();
    const t = Math.round(performance.now() - t0) / 1000;
    out.write(JSON.stringify({ t, reply }) + '\n');
    if (status === 'completed' || status === 'failed' || status === 'cancelled') break;
  }
  await new Promise((res) => setTimeout(res, interval));
}
sock.end();
if (out !== process.stdout) out.end();
