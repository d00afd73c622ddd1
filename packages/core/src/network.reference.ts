/**
 * Test oracle for {@link createNetwork}: the plainest correct max-min fair solver (progressive
 * filling, every flow every time) and a network that re-solves every flow and reschedules every
 * completion at each change. Slow on purpose — never used by the model, only by the tests.
 * @internal
 */
import type { EventHandle, Kernel } from './kernel.js';
import type { Link } from './network.js';

/** A flow for the reference solver. */
export interface ReferenceFlow {
  readonly route: readonly number[];
  readonly usage?: readonly number[];
  readonly cap_Bps?: number;
  readonly weight?: number;
}

/**
 * Weighted max-min fair rates by progressive filling: a level λ rises for every unfrozen flow
 * together (flow i at weight_i × λ, using usage × its rate of each link of its route) until a
 * link is full or a flow reaches its cap; those flows freeze; repeat.
 */
export function progressiveFilling(capacities: readonly number[], flows: readonly ReferenceFlow[]): number[] {
  const rates = flows.map(() => 0);
  const frozen = flows.map((f) => (f.cap_Bps ?? Infinity) <= 0);
  const used = capacities.map(() => 0);
  const w = (i: number) => flows[i]!.weight ?? 1;
  const u = (i: number, j: number) => flows[i]!.usage?.[j] ?? 1;
  for (;;) {
    const open = flows.map((_, i) => i).filter((i) => !frozen[i]);
    if (open.length === 0) return rates;
    // The largest step of λ before a link fills or a flow reaches its cap; the links and flows
    // that set it freeze by name (not only by comparing sums, which rounding may keep below).
    let step = Infinity;
    const linkStep = capacities.map((c, l) => {
      let demand = 0;
      for (const i of open) flows[i]!.route.forEach((x, j) => x === l && (demand += u(i, j) * w(i)));
      return demand > 0 ? Math.max(0, (c - used[l]!) / demand) : Infinity;
    });
    for (const x of linkStep) step = Math.min(step, x);
    const capStep = (i: number): number => Math.max(0, ((flows[i]!.cap_Bps ?? Infinity) - rates[i]!) / w(i));
    for (const i of open) step = Math.min(step, capStep(i));
    const atCap = new Set(open.filter((i) => capStep(i) <= step));
    for (const i of open) {
      rates[i]! += w(i) * step;
      flows[i]!.route.forEach((l, j) => (used[l]! += u(i, j) * w(i) * step));
    }
    for (const i of open) {
      const full = flows[i]!.route.some((l) => linkStep[l]! <= step || used[l]! >= capacities[l]! * (1 - 1e-12));
      if (full || atCap.has(i) || rates[i]! >= (flows[i]!.cap_Bps ?? Infinity) * (1 - 1e-12)) frozen[i] = true;
    }
  }
}

/** A flow of the reference network. */
export interface ReferenceHandle {
  readonly rate_Bps: number;
  cancel(): void;
  setCap(cap_Bps: number): void;
}

/** The same interface as createNetwork's transfers and streams, every flow re-solved at every change. */
export function createReferenceNetwork(kernel: Kernel, links: readonly Link[]) {
  interface F extends ReferenceHandle {
    spec: ReferenceFlow;
    rate_Bps: number;
    left: number;
    done?: () => void;
    completion?: EventHandle;
    active: boolean;
    cancelled: boolean;
  }
  const active: F[] = [];
  let last = kernel.now;
  const settle = () => {
    for (const f of active) f.left -= f.rate_Bps * (kernel.now - last);
    last = kernel.now;
  };
  const reshare = () => {
    const rates = progressiveFilling(
      links.map((l) => l.bandwidth_Bps),
      active.map((f) => f.spec),
    );
    active.forEach((f, i) => {
      f.rate_Bps = rates[i]!;
      if (f.completion) kernel.cancel(f.completion);
      f.completion = undefined;
      if (f.left !== Infinity && f.rate_Bps > 0) f.completion = kernel.schedule(Math.max(0, f.left) / f.rate_Bps, () => finish(f));
    });
  };
  const finish = (f: F) => {
    settle();
    active.splice(active.indexOf(f), 1);
    f.active = false;
    f.rate_Bps = 0;
    reshare();
    f.done?.();
  };
  const start = (spec: ReferenceFlow & { latency_s?: number }, bytes: number, done?: () => void): ReferenceHandle => {
    const f: F = {
      spec,
      rate_Bps: 0,
      left: bytes,
      done,
      active: false,
      cancelled: false,
      cancel() {
        if (f.cancelled) return;
        f.cancelled = true;
        if (!f.active) return;
        settle();
        if (f.completion) kernel.cancel(f.completion);
        active.splice(active.indexOf(f), 1);
        f.active = false;
        f.rate_Bps = 0;
        reshare();
      },
      setCap(cap_Bps) {
        f.spec = { ...f.spec, cap_Bps };
        if (!f.active) return;
        settle();
        reshare();
      },
    };
    const begin = () => {
      if (f.cancelled) return;
      settle();
      f.active = true;
      active.push(f);
      reshare();
    };
    const latency = spec.latency_s ?? spec.route.reduce((s, l) => s + links[l]!.latency_s, 0);
    if (latency > 0) kernel.schedule(latency, begin);
    else begin();
    return f;
  };
  return {
    transfer: (d: ReferenceFlow & { latency_s?: number; bytes: number; onDone: () => void }) => start(d, d.bytes, d.onDone),
    stream: (d: ReferenceFlow & { latency_s?: number }) => start(d, Infinity),
  };
}
