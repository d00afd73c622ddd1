/**
 * The setup of Beloglazov & Buyya's PlanetLab experiments in CloudSim 4.0
 * (`org.cloudbus.cloudsim.examples.power.planetlab`): 800 hosts alternating HP ProLiant ML110 G4
 * and G5, four VM types, one VM per trace file, and the simulation options that reproduce
 * CloudSim's accounting.
 */
import type { ClusterHost, ClusterSimOptions, ClusterVm } from './simulate.js';
import { hpProLiantMl110G4, hpProLiantMl110G5 } from './power.js';

/**
 * CloudSim sizes memory in MB and bandwidth in kbit/s and divides one by the other with
 * 1 MB = 8000 kbit, i.e. 10⁶-byte megabytes; memory is converted with that factor so that the
 * migration times match (1740 MB at 62.5 MB/s = 27.84 s).
 */
export const CLOUDSIM_MB = 1e6;

/** VM types of the PlanetLab experiments: MIPS and RAM (MB), one vCPU each. */
export const CLOUDSIM_VM_TYPES = [
  { mips: 2500, ram_MB: 870 },
  { mips: 2000, ram_MB: 1740 },
  { mips: 1000, ram_MB: 1740 },
  { mips: 500, ram_MB: 613 },
] as const;

/** Host types: G4 (2 × 1860 MIPS) and G5 (2 × 2660 MIPS), 4096 MB, 1 Gbit/s. */
export const CLOUDSIM_HOST_TYPES = [
  { name: 'G4', mipsPerCore: 1860, power: hpProLiantMl110G4 },
  { name: 'G5', mipsPerCore: 2660, power: hpProLiantMl110G5 },
] as const;

/** `n` hosts; host i is of type i mod 2 (G4, G5, G4, …) as in CloudSim's `Helper.createHostList`. */
export function cloudsimHosts(n = 800): ClusterHost[] {
  return Array.from({ length: n }, (_, i) => {
    const t = CLOUDSIM_HOST_TYPES[i % 2]!;
    return {
      id: `host-${i}-${t.name}`,
      mipsPerCore: t.mipsPerCore,
      cores: 2,
      memory_bytes: 4096 * CLOUDSIM_MB,
      nic_Bps: 1e9 / 8,
      power: t.power,
    };
  });
}

/** One VM per trace; VM i of n gets type floor(i / ceil(n / 4)) as in CloudSim's `Helper.createVmList`. */
export function cloudsimVms(traces: readonly { name?: string; utilisation: ArrayLike<number> }[]): ClusterVm[] {
  const per = Math.ceil(traces.length / CLOUDSIM_VM_TYPES.length);
  return traces.map((tr, i) => {
    const t = CLOUDSIM_VM_TYPES[Math.floor(i / per)]!;
    return { id: tr.name ?? `vm-${i}`, mips: t.mips, vcpus: 1, memory_bytes: t.ram_MB * CLOUDSIM_MB, utilisation: tr.utilisation };
  });
}

/**
 * Simulation options that reproduce CloudSim 4.0 (`PowerDatacenter`, `PowerVm`,
 * `HostDynamicWorkload`): a host at 0 % CPU counts as switched off; decisions at 300k + 0.1 s;
 * VM histories start at the first decision and keep zero samples (`PowerVm` only skips a 0 at
 * clock 0); a VM whose demand is 0 at an update has "completed" and leaves for good
 * (`getCompletedVms`: on 20110303, 532 of the 1052 VMs by the end of the day); the initial PABFD
 * adds each VM's full MIPS to the MIPS already allocated on a host and compares with the host's
 * (still 0 %) measured power, so each VM goes to an empty host while there is one (on 20110303 all
 * 800 hosts get VMs); no energy is charged before the first decision (every host's previous
 * utilisation is 0 there); migrations cost RAM ÷ half the NIC with 10 % CPU overhead; a host
 * receiving a migration counts as violating its SLA meanwhile (requested > allocated in its state
 * history, so SLATAH).
 */
export const cloudsimCompat: Pick<
  ClusterSimOptions,
  | 'offWhen'
  | 'historySkipsZeros'
  | 'historyAtStart'
  | 'decisionOffset_s'
  | 'endVmsAtZeroDemand'
  | 'cpuOverhead'
  | 'migration'
  | 'interval_s'
  | 'placement'
  | 'energyFromFirstDecision'
  | 'slaCountsIncoming'
> = {
  offWhen: 'idle',
  historySkipsZeros: false,
  historyAtStart: false,
  decisionOffset_s: 0.1,
  endVmsAtZeroDemand: true,
  cpuOverhead: 0.1,
  migration: { mode: 'cloudsim', bandwidthShare: 0.5 },
  interval_s: 300,
  placement: 'pabfd',
  energyFromFirstDecision: true,
  slaCountsIncoming: true,
};

/**
 * Trigger options that reproduce CloudSim 4.0's policies: no memory check after the initial
 * placement (its PlanetLab VMs request 0 MB once created), hosts that received VMs may be emptied
 * in the same decision, and PABFD adds the VM to the MIPS the plan has allocated on the host
 * (`PowerVmAllocationPolicyMigrationAbstract.getUtilizationOfCpuMips(host)`, which counts the VMs
 * placed earlier in the same decision) before comparing with the host's measured power. (For LR as
 * CloudSim computes it, add `weighting: 'none'`.)
 */
export const cloudsimTriggerOptions = { checkMemory: false, excludeOverloadTargets: false, placementLoad: 'planned' } as const;
