import { packageConfig } from '../../tsup.base.js';
// src/cli.ts starts with the `#!/usr/bin/env node` line; esbuild keeps it in dist/cli.js.
export default packageConfig({ index: 'src/index.ts', cli: 'src/cli.ts', worker: 'src/worker.ts', 'cluster-worker': 'src/cluster/worker.ts', 'scenario-worker': 'src/scenario/worker.ts' });
