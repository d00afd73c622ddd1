/** One VM's CPU-utilisation trace. */
export interface VmTrace {
  /** The trace file's name: PlanetLab node and slice, e.g. `planetlab1_cs_example_edu_slicename`. */
  name: string;
  /** Utilisation as a fraction 0..1 (percent ÷ 100), one sample per `interval_s`; 288 for a day. */
  utilisation: Float64Array;
}

/** One day of traces; sample k is the utilisation at t = 300·k s. */
export interface DayTrace {
  /** Day as `YYYYMMDD` (or the folder name, for `loadTraceFolder`). */
  day: string;
  /** Seconds between samples. */
  interval_s: 300;
  /** VMs sorted by name. */
  vms: VmTrace[];
}
