import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pageCountOf, starCluster, type HostSpec } from './model.js';
import { routeLatency } from './network.js';
import { progressiveFilling } from './network.reference.js';

const host = (id: string, nic_Bps: number): HostSpec => ({ id, mipsPerCore: 1000, cores: 8, memory_bytes: 64 * 2 ** 30, nic_Bps });

describe('starCluster', () => {
  const hosts = [host('a', 1.25e9), host('b', 1.25e8), host('c', 1.25e9)];
  const cluster = starCluster(hosts, { core_Bps: 2.5e9, latency_s: 2e-4 });

  it('a route crosses the source uplink, the core and the destination downlink', () => {
    expect(cluster.route(0, 1).map((l) => cluster.links[l]!.id)).toEqual(['a:up', 'core', 'b:down']);
    expect(cluster.route(2, 0).map((l) => cluster.links[l]!.id)).toEqual(['c:up', 'core', 'a:down']);
    expect(cluster.route(1, 1)).toEqual([]);
  });

  it('NIC links have the host bandwidth, the core its own; one route has the configured latency', () => {
    const byId = Object.fromEntries(cluster.links.map((l) => [l.id, l]));
    expect(byId['b:up']!.bandwidth_Bps).toBe(1.25e8);
    expect(byId['b:down']!.bandwidth_Bps).toBe(1.25e8);
    expect(byId.core!.bandwidth_Bps).toBe(2.5e9);
    expect(cluster.links).toHaveLength(2 * hosts.length + 1);
    expect(routeLatency(cluster.links, cluster.route(0, 2))).toBeCloseTo(2e-4, 15);
  });

  it('property: every route is [uplink of a, core, downlink of b], and links are distinct per direction', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 20 }), fc.nat(), fc.nat(), (n, x, y) => {
        const c = starCluster(Array.from({ length: n }, (_, i) => host(`h${i}`, 1e8)), { core_Bps: 1e9, latency_s: 0 });
        const a = x % n;
        const b = y % n;
        const ids = c.route(a, b).map((l) => c.links[l]!.id);
        expect(ids).toEqual(a === b ? [] : [`h${a}:up`, 'core', `h${b}:down`]);
        expect(new Set(c.links.map((l) => l.id)).size).toBe(c.links.length);
      }),
    );
  });

  it('every route crosses the core; two migrations into one host split its downlink (hand-computed max-min rates)', () => {
    const rates = progressiveFilling(
      cluster.links.map((l) => l.bandwidth_Bps),
      [{ route: cluster.route(0, 2) }, { route: cluster.route(1, 2) }, { route: cluster.route(2, 0) }],
    );
    // c's downlink (1.25e9) takes a→c and b→c; b→c is limited to b's 1.25e8 uplink, so a→c gets
    // the rest, 1.125e9. c→a runs alone on c's uplink and a's downlink: 1.25e9. The core
    // carries 2.5e9 in total, exactly its capacity.
    expect(rates[1]).toBeCloseTo(1.25e8, 3);
    expect(rates[0]).toBeCloseTo(1.125e9, 3);
    expect(rates[2]).toBeCloseTo(1.25e9, 3);
  });
});

describe('pageCountOf', () => {
  it('rounds memory up to whole pages', () => {
    expect(pageCountOf({ memory_bytes: 4 * 2 ** 30, pageSize_bytes: 4096 })).toBe(2 ** 20);
    expect(pageCountOf({ memory_bytes: 4097, pageSize_bytes: 4096 })).toBe(2);
    expect(pageCountOf({ memory_bytes: 0, pageSize_bytes: 4096 })).toBe(0);
  });
});
