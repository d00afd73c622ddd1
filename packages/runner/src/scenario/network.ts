/**
 * A scenario configuration's network as core takes it: the named model with the file's
 * overrides, and the topology with host groups expanded.
 */
import { NETWORK_MODELS, type NetworkModel, type TopologySpec } from '@livemig/core';
import type { ExpandedScenario } from './plan.js';
import type { ScenarioExperiment } from './experiment.js';

type NetworkSpec = ScenarioExperiment['network'];

/** The network model of a configuration: the named one with the file's overrides. */
export function networkModelOf(n: NetworkSpec): NetworkModel {
  const m = NETWORK_MODELS[n.model];
  return {
    bandwidthFactor: n.bandwidthFactor ?? m.bandwidthFactor,
    latencyFactor: n.latencyFactor ?? m.latencyFactor,
    window_bytes: n.window ?? m.window_bytes,
    ackFraction: n.ackFraction ?? m.ackFraction,
    weightS_Bps: n.weightS ?? m.weightS_Bps,
    latencyFairness: m.latencyFairness,
  };
}

/** The topology of a configuration, its host groups expanded. */
export function topologyOf(n: NetworkSpec, x: ExpandedScenario): TopologySpec {
  if (n.topology === 'star') return { kind: 'star', duplex: n.duplex, latency_s: n.latency, ...(n.core !== undefined ? { core_Bps: n.core } : {}) };
  if (n.topology === 'dumbbell') return { kind: 'dumbbell', duplex: n.duplex, latency_s: n.latency, left: x.dumbbellLeft ?? [], bottleneck_Bps: n.bottleneck!, bottleneckLatency_s: n.bottleneckLatency };
  return {
    kind: 'links',
    links: (n.links ?? []).map((l) => ({ id: l.id, bandwidth_Bps: l.bandwidth, latency_s: l.latency })),
    routes: (n.routes ?? []).map((r) => ({ from: r.from, to: r.to, links: r.links, symmetric: r.symmetric })),
  };
}
