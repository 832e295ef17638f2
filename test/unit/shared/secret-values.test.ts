// Secret helpers: derivation once per value, the previous-version grace rule, parse errors without values.
import { describe, expect, it } from 'vitest';
import {
  derivedPerValue,
  parseSecret,
  previousWithinGrace,
  TwilioTokenSecret,
} from '../../../lambda/shared/secret-values.js';

describe('derivedPerValue', () => {
  it('derives once per secret value, again when the value changes', () => {
    const seen: string[] = [];
    const derive = derivedPerValue((raw) => {
      seen.push(raw);
      return raw.length;
    });
    expect([derive('a'), derive('a'), derive('bb'), derive('a'), derive('bb')]).toEqual([1, 1, 2, 1, 2]);
    expect(seen).toEqual(['a', 'bb']);
  });
});

describe('previousWithinGrace', () => {
  const versions = { current: 'new', previous: 'old', currentCreatedAt: 1_000 };
  it('accepts the previous version only within the grace after the current one was created', () => {
    expect(previousWithinGrace(versions, 500, 1_500)).toBe(true);
    expect(previousWithinGrace(versions, 500, 1_501)).toBe(false);
  });
  it('refuses when there is no previous version or its rotation time is unknown', () => {
    expect(previousWithinGrace({ current: 'new', currentCreatedAt: 1_000 }, 500, 1_100)).toBe(false);
    expect(previousWithinGrace({ current: 'new', previous: 'old' }, 500, 1_100)).toBe(false);
  });
});

describe('parseSecret', () => {
  it('names the secret but never its value when the value is malformed', () => {
    const raw = '{"accountSid":"nope","authToken":"s3cret-value"}';
    expect(() => parseSecret('Twilio auth token', TwilioTokenSecret, raw)).toThrow(/Twilio auth token/);
    expect(() => parseSecret('Twilio auth token', TwilioTokenSecret, raw)).not.toThrow(/s3cret/);
  });
});
