/** One simulated PlanetLab day (800 hosts, 1052 VMs, 20110303) with LR-MMT-1.2, in cloudsim mode and with pre-copy over the shared network; and LR-MC-1.2 in cloudsim mode. */
import { bench, describe } from 'vitest';
import { resolveOptions } from '@livemig/core';
import { loadDay } from '@livemig/data-planetlab';
import { precopy } from '@livemig/strategy-precopy';
import { stopCondition } from '@livemig/stop-conditions';
import { cloudsimCompat, cloudsimHosts, cloudsimTriggerOptions, cloudsimVms, lr, simulateCluster } from './index.js';

const ctx = { rng: () => { throw new Error('no rng needed'); } } as never;
const hosts = cloudsimHosts(800);
const vms = cloudsimVms(loadDay('20110303').vms);
const trigger = (selection: 'mmt' | 'mc' = 'mmt') => lr.create(resolveOptions(lr, { ...cloudsimTriggerOptions, weighting: 'none', selection }, 'trigger'), ctx);

describe('one PlanetLab day, LR-MMT-1.2', () => {
  bench('cloudsim costs', () => void simulateCluster({ hosts, vms, trigger: trigger(), ...cloudsimCompat }), { iterations: 2, time: 0 });
  bench(
    'pre-copy (fluid) over the shared network, dirty rate = utilisation × 20 000 pages/s',
    () =>
      void simulateCluster({
        hosts,
        vms,
        trigger: trigger(),
        ...cloudsimCompat,
        // The policy does not check memory (CloudSim's setup): nor does the destination, so the
        // migrations run (before, 122 193 of 123 758 failed at once for lack of memory).
        checkDestinationMemory: false,
        migration: {
          mode: 'strategy',
          strategy: precopy.create(resolveOptions(precopy, {}, 'strategy'), ctx),
          stop: stopCondition('xen'),
          maxDirtyRate_pages_s: 20_000,
          bandwidthShare: 0.5,
        },
      }),
    { iterations: 1, time: 0 },
  );
});

describe('one PlanetLab day, LR-MC-1.2 (maximum-correlation selection: a regression per VM of an overloaded host)', () => {
  bench('cloudsim costs', () => void simulateCluster({ hosts, vms, trigger: trigger('mc'), ...cloudsimCompat }), { iterations: 1, time: 0 });
});
