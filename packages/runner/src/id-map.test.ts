import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdMap } from './id-map.js';

const hexId = fc.stringMatching(/^[0-9a-f]{16}$/);
// Few distinct ids, so that repeats (and the table growing past 1 024 slots) both happen.
const ids = fc.array(fc.oneof(hexId, fc.constantFrom('0000000000000000', 'ffffffffffffffff', '00000000ffffffff', 'ffffffff00000000'), fc.string()), { maxLength: 3000 });

describe('IdMap', () => {
  it('answers as a Map does: the first value set stays, others are ignored and returned', () => {
    fc.assert(
      fc.property(ids, (list) => {
        const m = new IdMap();
        const ref = new Map<string, number>();
        list.forEach((id, i) => {
          expect(m.set(id, i)).toBe(ref.get(id));
          if (!ref.has(id)) ref.set(id, i);
        });
        for (const id of [...list, 'not-an-id', '0123456789abcdef']) expect(m.get(id)).toBe(ref.get(id));
      }),
      { numRuns: 50 },
    );
  });
});
