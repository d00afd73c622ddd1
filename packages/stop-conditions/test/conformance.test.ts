// Every stop condition of this package passes @livemig/testkit's stop-condition suite.
import { stopConditionConformance } from '@livemig/testkit';
import { stopConditions } from '../src/index.js';

for (const plugin of Object.values(stopConditions)) stopConditionConformance(plugin);
