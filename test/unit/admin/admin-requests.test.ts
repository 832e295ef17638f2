import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeCursor,
  EraseBody,
  ExportBody,
  encodeCursor,
  parseBody,
} from '../../../lambda/admin/admin-requests.js';
import type { ExportPosition } from '../../../lambda/admin/ports.js';

const E164 = /^\+[1-9]\d{1,14}$/;
const phoneArb = fc.stringMatching(/^\+[1-9]\d{1,14}$/);

describe('admin request bodies', () => {
  it('accepts exactly {phone, cursor?, limit?} with an E.164 phone and a limit of 1-100', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const parsed = parseBody(ExportBody, JSON.stringify(value) ?? 'undefined');
        if (parsed === undefined) return;
        expect(Object.keys(parsed).every((k) => ['phone', 'cursor', 'limit'].includes(k))).toBe(true);
        expect(parsed.phone).toMatch(E164);
        if (parsed.limit !== undefined) {
          expect(Number.isInteger(parsed.limit) && parsed.limit >= 1 && parsed.limit <= 100).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every well-formed export and erase body', () => {
    fc.assert(
      fc.property(
        phoneArb,
        fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
        (phone, limit) => {
          expect(parseBody(ExportBody, JSON.stringify({ phone, limit }))).toEqual(
            limit === undefined ? { phone } : { phone, limit },
          );
          expect(parseBody(EraseBody, JSON.stringify({ phone }))).toEqual({ phone });
        },
      ),
    );
  });

  it('refuses any extra field, whatever its name', () => {
    fc.assert(
      fc.property(
        phoneArb,
        fc.string({ minLength: 1 }).filter((k) => !['phone', '__proto__'].includes(k)),
        (phone, key) => {
          expect(parseBody(EraseBody, JSON.stringify({ phone, [key]: 1 }))).toBeUndefined();
        },
      ),
    );
  });

  it('refuses malformed JSON, bodies over 2048 bytes and non-object JSON', () => {
    expect(parseBody(EraseBody, '{"phone":')).toBeUndefined();
    expect(parseBody(EraseBody, `{"phone":"+14155550123"}${' '.repeat(2100)}`)).toBeUndefined();
    for (const body of ['null', '[]', '"+14155550123"', '14155550123', 'true'])
      expect(parseBody(EraseBody, body), body).toBeUndefined();
  });
});

describe('export cursor', () => {
  const positionArb: fc.Arbitrary<ExportPosition> = fc.oneof(
    fc.constantFrom<ExportPosition>({ kind: 'messages' }, { kind: 'statuses' }),
    fc.record({
      kind: fc.constantFrom('messages' as const, 'statuses' as const),
      after: fc.record({
        atMicros: fc.bigInt({ min: 0n, max: 10n ** 17n }).map(String),
        key: fc.oneof(fc.stringMatching(/^SM[0-9a-f]{32}$/), fc.nat().map(String)),
      }),
    }),
  );

  it('decodes every cursor it encodes to the same position and approval', () => {
    fc.assert(
      fc.property(
        positionArb,
        fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{22}$/), { nil: undefined }),
        (position, a) => {
          const cursor = a === undefined ? { position } : { position, approvalId: a };
          const encoded = encodeCursor(cursor);
          expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(decodeCursor(encoded)).toEqual(cursor);
        },
      ),
    );
  });

  it('refuses any string it did not issue', () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        const decoded = decodeCursor(Buffer.from(raw).toString('base64url'));
        if (decoded === undefined) return;
        expect(['messages', 'statuses']).toContain(decoded.position.kind);
      }),
    );
    for (const raw of [
      '',
      'bm9wZQ',
      Buffer.from('{"k":"x"}').toString('base64url'),
      Buffer.from('{"k":"m","t":"1"}').toString('base64url'),
    ])
      expect(decodeCursor(raw), raw).toBeUndefined();
  });
});
