import { describe, expect, it } from 'vitest';
import { hitRateText } from '../../../console/src/pages/gateway/model.ts';

describe('hitRateText', () => {
  it('shows a percentage, a decimal below 10%, and a dash before any cacheable call', () => {
    expect(hitRateText(null)).toBe('—');
    expect(hitRateText(Number.NaN)).toBe('—');
    expect(hitRateText(0)).toBe('0%');
    expect(hitRateText(2 / 3)).toBe('67%');
    expect(hitRateText(0.042)).toBe('4.2%');
    expect(hitRateText(1)).toBe('100%');
  });
});
