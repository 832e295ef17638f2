import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalKeyProvider } from '../../../lambda/shared/adapters/local/local-key-provider.js';
import { SealedRecordError, Sealer } from '../../../lambda/shared/seal.js';
import { CountingKeyProvider } from '../../helpers/counting-key-provider.js';
import { ManualClock } from '../../helpers/webhook-fixture.js';

const context = { purpose: 'messages', id: 'SM0123' };
const AUTHENTICATION_FAILED = 'sealed record failed authentication';

describe('Sealer', () => {
  it('opens what it sealed', async () => {
    const sealer = new Sealer(new LocalKeyProvider(randomBytes(32)));
    const plaintext = Buffer.from('{"From":"+14155550100","Body":"hi"}');
    const sealed = await sealer.seal(plaintext, context);
    expect(sealed.includes(plaintext)).toBe(false);
    expect(await sealer.open(sealed, context)).toEqual(plaintext);
  });

  it('uses a fresh IV per record, so equal plaintexts seal differently', async () => {
    const sealer = new Sealer(new LocalKeyProvider(randomBytes(32)));
    const a = await sealer.seal(Buffer.from('same'), context);
    const b = await sealer.seal(Buffer.from('same'), context);
    expect(a.equals(b)).toBe(false);
  });

  it('fails to open after any single bit flip anywhere in the record', async () => {
    const sealer = new Sealer(new LocalKeyProvider(randomBytes(32)));
    const sealed = await sealer.seal(Buffer.from('a message body with a phone +14155550100'), context);
    for (let byte = 0; byte < sealed.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const tampered = Buffer.from(sealed);
        tampered[byte] = (tampered[byte] as number) ^ (1 << bit);
        await expect(sealer.open(tampered, context), `byte ${byte} bit ${bit}`).rejects.toThrow(
          SealedRecordError,
        );
      }
    }
  });

  it('fails to open under a different context (another row or table)', async () => {
    const sealer = new Sealer(new LocalKeyProvider(randomBytes(32)));
    const sealed = await sealer.seal(Buffer.from('x'), context);
    await expect(sealer.open(sealed, { ...context, id: 'SM0124' })).rejects.toThrow(AUTHENTICATION_FAILED);
    await expect(sealer.open(sealed, { ...context, purpose: 'message_status_updates' })).rejects.toThrow(
      AUTHENTICATION_FAILED,
    );
  });

  it('fails to open truncated or foreign data', async () => {
    const sealer = new Sealer(new LocalKeyProvider(randomBytes(32)));
    const sealed = await sealer.seal(Buffer.from('x'), context);
    await expect(sealer.open(sealed.subarray(0, sealed.length - 1), context)).rejects.toThrow(
      AUTHENTICATION_FAILED,
    );
    await expect(sealer.open(Buffer.from('not sealed at all'), context)).rejects.toThrow(
      'not a sealed record',
    );
    await expect(sealer.open(Buffer.alloc(0), context)).rejects.toThrow('not a sealed record');
  });

  it('round-trips any plaintext and context', async () => {
    const sealer = new Sealer(new LocalKeyProvider(randomBytes(32)));
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5000 }),
        fc.string(),
        fc.string(),
        async (bytes, purpose, id) => {
          const plaintext = Buffer.from(bytes);
          const sealed = await sealer.seal(plaintext, { purpose, id });
          expect(await sealer.open(sealed, { purpose, id })).toEqual(plaintext);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('opens a record sealed by another instance that shares only the key provider', async () => {
    const wrappingKey = randomBytes(32);
    const sealed = await new Sealer(new LocalKeyProvider(wrappingKey)).seal(Buffer.from('portable'), context);
    const fresh = new Sealer(new LocalKeyProvider(Buffer.from(wrappingKey)));
    expect((await fresh.open(sealed, context)).toString()).toBe('portable');
  });

  it('asks the key provider for at most one data key per 1,000 records under the default bounds', async () => {
    const keys = new CountingKeyProvider(new LocalKeyProvider(randomBytes(32)));
    const sealer = new Sealer(keys);
    await Promise.all(Array.from({ length: 1000 }, (_, i) => sealer.seal(Buffer.from(`m${i}`), context)));
    expect(keys.generated).toBe(1);
  });

  it('replaces the data key after the configured number of records', async () => {
    const keys = new CountingKeyProvider(new LocalKeyProvider(randomBytes(32)));
    const sealer = new Sealer(keys, { maxRecordsPerKey: 10 });
    for (let i = 0; i < 25; i++) await sealer.seal(Buffer.from('m'), context);
    expect(keys.generated).toBe(3);
  });

  it('replaces the data key after the configured age', async () => {
    const clock = new ManualClock();
    const keys = new CountingKeyProvider(new LocalKeyProvider(randomBytes(32)));
    const sealer = new Sealer(keys, { maxKeyAgeMs: 1000, clock });
    await sealer.seal(Buffer.from('m'), context);
    clock.advance(999);
    await sealer.seal(Buffer.from('m'), context);
    expect(keys.generated).toBe(1);
    clock.advance(1);
    await sealer.seal(Buffer.from('m'), context);
    expect(keys.generated).toBe(2);
  });

  it('unwraps each data key once when opening many records', async () => {
    const keys = new CountingKeyProvider(new LocalKeyProvider(randomBytes(32)));
    const sealer = new Sealer(keys);
    const records = await Promise.all(
      Array.from({ length: 50 }, () => sealer.seal(Buffer.from('m'), context)),
    );
    const reader = new Sealer(keys);
    for (const record of records) await reader.open(record, context);
    expect(keys.decrypted).toBe(1);
  });

  it('keeps its unwrap cache within the configured number of entries', async () => {
    const keys = new CountingKeyProvider(new LocalKeyProvider(randomBytes(32)));
    const writer = new Sealer(keys, { maxRecordsPerKey: 1 });
    const records = [];
    for (let i = 0; i < 4; i++) records.push(await writer.seal(Buffer.from('m'), context));
    const reader = new Sealer(keys, { maxDecryptCacheEntries: 2 });
    for (const record of records) await reader.open(record, context);
    await reader.open(records[0] as Buffer, context); // evicted, so unwrapped again
    expect(keys.decrypted).toBe(5);
  });
});

describe('blind indexes bound into the record (format v2)', () => {
  const indexed = { ...context, indexes: { from: 'a'.repeat(64), to: 'b'.repeat(64) } };

  it('opens a record only with the blind indexes it was sealed with, so a re-pointed row fails', async () => {
    const sealer = new Sealer(new LocalKeyProvider(randomBytes(32)));
    const sealed = await sealer.seal(Buffer.from('{"From":"+14155550100"}'), indexed);
    expect(sealed[2]).toBe(2); // the version byte
    expect((await sealer.open(sealed, indexed)).toString()).toBe('{"From":"+14155550100"}');
    const repointed = { ...context, indexes: { from: 'c'.repeat(64), to: 'b'.repeat(64) } };
    await expect(sealer.open(sealed, repointed)).rejects.toThrow(SealedRecordError);
    const swapped = { ...context, indexes: { from: 'b'.repeat(64), to: 'a'.repeat(64) } };
    await expect(sealer.open(sealed, swapped)).rejects.toThrow(SealedRecordError);
    await expect(sealer.open(sealed, context)).rejects.toThrow(SealedRecordError);
  });

  it('still opens v1 records written before the indexes were bound', async () => {
    const sealer = new Sealer(new LocalKeyProvider(randomBytes(32)));
    const v1 = await sealer.seal(Buffer.from('old'), context);
    expect(v1[2]).toBe(1);
    expect((await sealer.open(v1, indexed)).toString()).toBe('old');
  });

  it('refuses a v2 record relabelled as v1 to skip the index check', async () => {
    const sealer = new Sealer(new LocalKeyProvider(randomBytes(32)));
    const sealed = await sealer.seal(Buffer.from('x'), indexed);
    const downgraded = Buffer.from(sealed);
    downgraded[2] = 1;
    await expect(sealer.open(downgraded, { ...context, indexes: { from: 'z', to: 'z' } })).rejects.toThrow(
      SealedRecordError,
    );
  });
});
