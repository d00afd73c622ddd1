/**
 * fast-check runs with a fixed seed so that `npm test` is repeatable (a property that fails
 * fails every time, with the same counterexample). Explore other seeds with
 * `FC_SEED=random npm test` or `FC_SEED=<n>`; the seed in use is printed on failure.
 */
import fc from 'fast-check';

const raw = process.env.FC_SEED ?? '20261125';
const seed = raw === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(raw);
if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer or 'random', got '${raw}'`);
fc.configureGlobal({ seed });
