/**
 * Plain data types of the simulated world. All quantities are SI: bytes, seconds, bytes per
 * second; CPU in MIPS.
 */
import type { Link } from './network.js';

/** A virtual machine's static description. */
export interface VmSpec {
  readonly id: string;
  /** Guest RAM in bytes. */
  readonly memory_bytes: number;
  /** Page size in bytes (4096 on x86). */
  readonly pageSize_bytes: number;
  readonly vcpus: number;
}

/** Number of pages of a VM (its memory rounded up to whole pages). */
export const pageCountOf = (vm: Pick<VmSpec, 'memory_bytes' | 'pageSize_bytes'>): number =>
  Math.ceil(vm.memory_bytes / vm.pageSize_bytes);

/** A physical host. */
export interface HostSpec {
  readonly id: string;
  /** Capacity of one core in MIPS. */
  readonly mipsPerCore: number;
  readonly cores: number;
  readonly memory_bytes: number;
  /** NIC bandwidth in bytes per second. */
  readonly nic_Bps: number;
}

/** Hosts, links and the route (link indices) between any two hosts. */
export interface Cluster {
  readonly hosts: readonly HostSpec[];
  readonly links: readonly Link[];
  route(fromHost: number, toHost: number): readonly number[];
}

/**
 * The classic data-centre topology: every host has a NIC link (one per direction) to a core
 * switch of the given capacity; a route from a to b crosses a's uplink, the core and b's downlink.
 */
export function starCluster(hosts: readonly HostSpec[], opts: { core_Bps: number; latency_s: number }): Cluster {
  const links: Link[] = [];
  for (const h of hosts) {
    links.push({ id: `${h.id}:up`, bandwidth_Bps: h.nic_Bps, latency_s: opts.latency_s / 2 });
    links.push({ id: `${h.id}:down`, bandwidth_Bps: h.nic_Bps, latency_s: opts.latency_s / 2 });
  }
  const core = links.push({ id: 'core', bandwidth_Bps: opts.core_Bps, latency_s: 0 }) - 1;
  return {
    hosts,
    links,
    route(a, b) {
      if (a === b) return [];
      return [2 * a, core, 2 * b + 1];
    },
  };
}
