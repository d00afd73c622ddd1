/**
 * The planning state of one decision: which VM sits on which host while a policy tries moves.
 * It mirrors CloudSim's `vmCreate`/`vmDestroy` during `optimizeAllocation`: requested and
 * allocated MIPS per host, memory, and the host utilisation history rebuilt from the histories
 * of the VMs it holds (CloudSim's `PowerHostUtilizationHistory.getUtilizationHistory`).
 */
import { powerTableOf } from './power.js';
import type { SimClusterView } from './view.js';

/** Samples of history kept per VM (CloudSim's `PowerVm.HISTORY_LENGTH`). */
export const HISTORY_LENGTH = 30;

export class Plan {
  readonly hostVms: number[][];
  readonly vmHost: Int32Array;
  /** Σ requested MIPS of the VMs on each host. */
  readonly requested: Float64Array;
  /** Σ allocated MIPS (each VM's demand capped at its cores' capacity). */
  readonly allocated: Float64Array;
  readonly memory_bytes: Float64Array;
  /** Migrations planned into each host during this decision. */
  readonly plannedIn: Int32Array;
  /** Capacity (MIPS) and MIPS per core of each host, as typed arrays for the placement loops. */
  readonly capacity: Float64Array;
  readonly mipsPerCore: Float64Array;
  /** Measured utilisation at the decision and the power drawn at it (constant during a decision). */
  readonly utilisationNow: Float64Array;
  readonly powerNow_W: Float64Array;
  /** 1 for a failed host. */
  readonly failed: Uint8Array;
  private readonly hist: Array<Float64Array | null>;
  /** Per host, the points of its table power model (evaluated inline), or null (ask the view). */
  readonly powerTable: Array<Float64Array | null>;
  /** Told the host after each change of its `allocated` MIPS (placement's index of empty hosts), or null. */
  allocationWatcher: ((h: number) => void) | null = null;

  constructor(readonly view: SimClusterView) {
    const H = view.hosts.length;
    this.hostVms = view.hosts.map((h) => [...h.vms]);
    this.vmHost = Int32Array.from(view.vms, (v) => v.host);
    this.requested = new Float64Array(H);
    this.allocated = new Float64Array(H);
    this.memory_bytes = new Float64Array(H);
    this.plannedIn = new Int32Array(H);
    this.hist = new Array(H).fill(null);
    this.capacity = new Float64Array(H);
    this.mipsPerCore = new Float64Array(H);
    this.utilisationNow = new Float64Array(H);
    this.powerNow_W = new Float64Array(H);
    this.failed = new Uint8Array(H);
    this.powerTable = new Array<Float64Array | null>(H);
    for (let h = 0; h < H; h++) {
      const host = view.hosts[h]!;
      this.powerTable[h] = (host.power && powerTableOf(host.power)) ?? null;
      this.capacity[h] = host.mips;
      this.mipsPerCore[h] = host.mipsPerCore;
      this.utilisationNow[h] = host.utilisationNow;
      this.powerNow_W[h] = host.power_W(Math.min(1, host.utilisationNow));
      this.failed[h] = host.failed ? 1 : 0;
    }
    for (let h = 0; h < H; h++) for (const v of this.hostVms[h]!) this.account(v, h, 1);
  }

  /** Power (W) of host h at utilisation u: its view's `power_W(u)`, table models evaluated inline. */
  power_W(h: number, u: number): number {
    const table = this.powerTable[h];
    // Out of range: the model's own call, which throws.
    if (!table || !(u >= 0 && u <= 1 + 1e-9)) return this.view.hosts[h]!.power_W(u);
    const steps = table.length - 1;
    const x = Math.min(u, 1) * steps;
    const k = Math.min(Math.floor(x), steps - 1);
    return table[k]! + (table[k + 1]! - table[k]!) * (x - k);
  }

  /** The MIPS a VM gets on host h when alone: its demand capped at its cores' capacity. */
  cappedMips(v: number, h: number): number {
    const vm = this.view.vms[v]!;
    return Math.min(vm.mips, this.view.hosts[h]!.mipsPerCore * vm.vcpus);
  }

  private account(v: number, h: number, sign: 1 | -1): void {
    const vm = this.view.vms[v]!;
    this.requested[h]! += sign * vm.mips;
    this.allocated[h]! += sign * this.cappedMips(v, h);
    this.memory_bytes[h]! += sign * vm.memory_bytes;
    this.hist[h] = null;
    if (this.allocationWatcher !== null) this.allocationWatcher(h);
  }

  /** Put VM v on host h (CloudSim `vmCreate`). */
  add(v: number, h: number): void {
    this.hostVms[h]!.push(v);
    this.vmHost[v] = h;
    this.account(v, h, 1);
  }

  /** Take VM v off host h (CloudSim `vmDestroy`). */
  remove(v: number, h: number): void {
    const list = this.hostVms[h]!;
    const i = list.indexOf(v);
    if (i < 0) throw new Error(`plan: VM ${v} is not on host ${h}`);
    list.splice(i, 1);
    if (this.vmHost[v] === h) this.vmHost[v] = -1;
    this.account(v, h, -1);
  }

  /** Requested MIPS ÷ capacity of host h. */
  utilisation(h: number): number {
    return this.requested[h]! / this.capacity[h]!;
  }

  /**
   * Host h's utilisation history, newest first, as the sum of its VMs' MIPS histories ÷ host
   * capacity, trailing zeros trimmed (CloudSim's definition: it follows the VMs that are there now).
   */
  history(h: number): Float64Array {
    const cached = this.hist[h];
    if (cached) return cached;
    if (this.hostVms[h]!.length === 0) return (this.hist[h] = NO_HISTORY);
    const sum = new Float64Array(HISTORY_LENGTH);
    for (const v of this.hostVms[h]!) this.addHistory(sum, v, h);
    const out = sum.subarray(0, trimmedLength(sum));
    this.hist[h] = out;
    return out;
  }

  /**
   * Host h's history as {@link history} would give it with VM v added last, written into `out`
   * (length {@link HISTORY_LENGTH}); returns its length. The plan is not changed, and the sums are
   * bit-identical to adding v and asking {@link history} (same order of additions).
   */
  historyWith(h: number, v: number, out: Float64Array): number {
    const base = this.history(h);
    out.fill(0);
    out.set(base);
    this.addHistory(out, v, h);
    return trimmedLength(out);
  }

  private addHistory(sum: Float64Array, v: number, h: number): void {
    const cap = this.capacity[h]!;
    const hs = this.view.vms[v]!.mipsHistory;
    const n = Math.min(hs.length, HISTORY_LENGTH);
    for (let i = 0; i < n; i++) sum[i]! += hs[hs.length - 1 - i]! / cap;
  }

  /**
   * Whether VM v fits on host h: each vCPU's demand within a core, the demand within the free
   * MIPS and, if `checkMemory`, its memory within the host's.
   */
  fits(v: number, h: number, checkMemory: boolean): boolean {
    const vm = this.view.vms[v]!;
    return this.fitsCpu(vm.mips, vm.mips / vm.vcpus, h) && (!checkMemory || this.memory_bytes[h]! + vm.memory_bytes <= this.view.hosts[h]!.memory_bytes);
  }

  /** The CPU part of {@link fits}: a demand of `mips` (`perCore_mips` per vCPU) on host h. */
  fitsCpu(mips: number, perCore_mips: number, h: number): boolean {
    return this.failed[h] === 0 && perCore_mips <= this.mipsPerCore[h]! && mips <= Math.max(0, this.capacity[h]! - this.allocated[h]!) + 1e-9;
  }
}

/** The history of a host without VMs (all zeros, trimmed): shared, it has no element to change. */
const NO_HISTORY = new Float64Array(0);

/** Length of a history without its trailing zeros (CloudSim's `MathUtil.trimZeroTail`). */
function trimmedLength(sum: Float64Array): number {
  let len = sum.length;
  while (len > 0 && sum[len - 1] === 0) len--;
  return len;
}
