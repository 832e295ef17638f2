import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBlindIndexer } from '../../../lambda/shared/blind-index.js';
import { normalizeAddress } from '../../../lambda/shared/phone.js';

describe('blind index', () => {
  it('equals HMAC-SHA256 of the normalised address for any key and address', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 32, maxLength: 100 }),
        fc.string({ maxLength: 40 }),
        (key, address) => {
          const expected = createHmac('sha256', key)
            .update(`address:${normalizeAddress(address)}`)
            .digest('hex');
          expect(createBlindIndexer(key)(address)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('finds one subject across channels and typed separators, and differs per key', () => {
    const index = createBlindIndexer('k'.repeat(40));
    expect(index('whatsapp:+14155550100')).toBe(index('+14155550100'));
    expect(index('+1 (415) 555-0100')).toBe(index('+14155550100'));
    expect(index('+14155550101')).not.toBe(index('+14155550100'));
    expect(createBlindIndexer('j'.repeat(40))('+14155550100')).not.toBe(index('+14155550100'));
  });

  it('refuses a key too short to resist guessing', () => {
    expect(() => createBlindIndexer('short')).toThrow('blind-index key is shorter than 32 characters');
  });
});
