#!/usr/bin/env node
// The `livemig` command. This file is committed (dist/ is not) so that `npm ci` on a fresh clone
// links node_modules/.bin/livemig: npm links a bin only when its target file exists, and
// dist/cli.js is only built later by `npm run build` (or `npm run sweep`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('livemig: not built yet: run `npm run build` (or `npm run sweep`) at the root of the livemig repository first\n');
  process.exit(1);
}
await import(cli.href);
