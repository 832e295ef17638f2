// Log masking: phone numbers keep at most about a third of their digits; secrets are redacted by key.
import { describe, expect, it } from 'vitest';
import { maskPhone, redact } from '../../../lambda/shared/mask.js';

describe('maskPhone', () => {
  it('masks an E.164 number as +1234****00 and keeps the channel prefix', () => {
    expect(maskPhone('+14155550100')).toBe('+1415****00');
    expect(maskPhone('whatsapp:+14155550100')).toBe('whatsapp:+1415****00');
  });

  it('shows less of short numbers, so few digits are ever revealed', () => {
    expect(maskPhone('+1234567')).toBe('+12****7');
    expect(maskPhone('12345')).toBe('****');
  });
});

describe('redact', () => {
  it('redacts secrets by key and masks numbers by key and inside text', () => {
    const out = redact({
      authToken: 'abc',
      signature: 'sig',
      From: '+14155550100',
      message: 'failed for +14155550111 at step 2',
      nested: { password: 'pw', count: 3 },
    });
    expect(out).toEqual({
      authToken: '[redacted]',
      signature: '[redacted]',
      From: '+1415****00',
      message: 'failed for +1415****11 at step 2',
      nested: { password: '[redacted]', count: 3 },
    });
  });
});
