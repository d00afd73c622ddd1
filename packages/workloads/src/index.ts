/**
 * @livemig/workloads — dirty-page models for livemig.
 * @packageDocumentation
 */
export { idle, uniform, hotCold, sequential, simgrid } from './models.js';
export { zipf, zipfDistinct, ZIPF_EXACT_RANKS, ZIPF_BUCKET_RATIO } from './zipf.js';
export { trace, readTraceCsv } from './trace.js';
export { phased, phaseWorkloads } from './phased.js';
export {
  writeRate,
  pagesPerSecond,
  workingSetPages,
  workingSetRegion,
  writeCounter,
  uniformDistinct,
  touched,
  untouchedAfter,
  distinctFromProfiles,
  isProfiled,
  EVEN,
  type WriteRate,
  type Region,
  type UntouchedProfile,
  type ProfiledWorkload,
} from './common.js';
import { idle, uniform, hotCold, sequential, simgrid } from './models.js';
import { zipf } from './zipf.js';
import { trace } from './trace.js';
import { phased } from './phased.js';
/** Every workload of this package, by name. */
export const workloads = { idle, uniform, 'hot-cold': hotCold, zipf, sequential, simgrid, phased, trace } as const;
