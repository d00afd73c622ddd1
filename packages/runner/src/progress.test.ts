import { describe, expect, it } from 'vitest';
import { formatRate } from './progress.js';

describe('progress rate', () => {
  it('keeps two significant digits for slow runs and whole numbers from 10 runs/s', () => {
    expect(formatRate(0.1234)).toBe('0.12');
    expect(formatRate(3.456)).toBe('3.5');
    expect(formatRate(12.6)).toBe('13');
    expect(formatRate(48213.4)).toBe('48213');
  });
});
