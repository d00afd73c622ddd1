/**
 * @livemig/schedulers — migration schedulers for livemig scenarios: all at once (gang),
 * sequential, limited (per host, per source, per destination, per link, in total; orderings;
 * backfill) and KubeVirt's defaults.
 * @packageDocumentation
 */
import type { SchedulerPlugin } from '@livemig/core';
import { allAtOnce, kubevirt, limited, sequential } from './schedulers.js';
export { allAtOnce, kubevirt, limited, sequential, limitedScheduler, ORDERS, type OrderName, type LimitedOptions } from './schedulers.js';

/** Every scheduler of this package, by name. */
export const schedulers: Readonly<Record<string, SchedulerPlugin>> = Object.fromEntries([allAtOnce, sequential, limited, kubevirt].map((p) => [p.name, p]));
