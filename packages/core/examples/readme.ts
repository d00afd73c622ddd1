import { pageCountOf, parseBytes, parseRate, parseSeconds, resolveOptions, runStream, simulateMigration } from '@livemig/core';
import { stopCondition } from '@livemig/stop-conditions';
import { precopy } from '@livemig/strategy-precopy';
import { hotCold } from '@livemig/workloads';

// Units are parsed once, at the edge, into SI numbers (bytes, seconds, bytes per second).
const vm = { id: 'web', memory_bytes: parseBytes('2 GiB'), pageSize_bytes: 4096, vcpus: 2 };
const bandwidth_Bps = parseRate('1 Gbit/s'); // 1.25e8 bytes/s
const latency_s = parseSeconds('0.1 ms');

// Run 0 of experiment seed 42: every component draws from its own named stream.
const rng = (name: string) => runStream(42, 0, name);

// A guest writing 100 MiB/s, 90 % of it into a hot tenth of a 512 MiB working set.
const workload = hotCold.create(resolveOptions(hotCold, { rate: '100 MiB/s', workingSet: '512 MiB' }, 'workload.options'), {
  pageCount: pageCountOf(vm),
  pageSize_bytes: vm.pageSize_bytes,
  rng: rng('workload'),
});
const strategy = precopy.create(resolveOptions(precopy, { skipRedirtied: true }, 'strategy.options'), { rng });
// QEMU's rule (expected downtime <= 300 ms), with Xen's round cap as a safety net.
const stop = stopCondition({ any: [{ use: 'downtime-limit', options: { limit: '300 ms' } }, { use: 'max-rounds', options: { rounds: 30 } }] });

const { metrics } = simulateMigration({ vm, workload, strategy, stop, fidelity: 'fluid', bandwidth_Bps, latency_s, rng: rng('memory') });
console.log(metrics);
// { status: 'completed', converged: true, stop_reason: 'downtime-limit: …', downtime_s: …, total_time_s: …, bytes_sent: …, rounds: …, … }
