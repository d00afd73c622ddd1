// Every workload of this package passes @livemig/testkit's workload suite (with its defaults, or
// one configuration for those that need options).
import { workloadConformance } from '@livemig/testkit';
import { workloads } from '../src/index.js';

for (const [name, plugin] of Object.entries(workloads)) {
  const options =
    name === 'phased'
      ? [{ phases: [{ duration: '0.3 s', workload: { use: 'uniform', options: { rate: 2000, workingSetFraction: 0.5 } } }, { duration: '0.2 s', workload: { use: 'zipf', options: { rate: 4000 } } }] }]
      : name === 'trace'
        ? [{ interval: '0.25 s', dirtyPages: [100, 500, 0, 2000, 50] }]
        : name === 'sequential' || name === 'simgrid'
          ? [{ rate: 1000, workingSetFraction: 0.5 }]
          : [{}];
  workloadConformance(plugin, { options });
}
