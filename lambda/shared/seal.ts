// Envelope encryption of PII (ARCHITECTURE §4): one sealed record per message.
//
// Format v1 and v2 (all integers big-endian):
//   "SG" | version | u16 length of encrypted data key | encrypted data key | 12-byte IV | ciphertext | 16-byte tag
// AES-256-GCM; the additional authenticated data is the header (magic, version, wrapped key) plus
// the encryption context (purpose = table, id = message id), so a record cannot be moved to another
// row or have its key swapped. v2 also binds the row's blind indexes (from, to) into the AAD, so a
// row cannot be re-pointed at another subject to dodge an erasure (ARCHITECTURE §4). New records are
// v2; v1 records (written before) still open with the v1 AAD, since the version is authenticated too. Data keys come from a KeyProvider (KMS GenerateDataKey in AWS) and
// are reused for a bounded age and number of records; wrapped keys are unwrapped once and cached.
//
// Chosen over the AWS Encryption SDK for size and speed (it bundles ~0.95 MB and adds 250-450 bytes
// and ~0.5 ms per record here); the primitives are Node's own, the format is small and versioned.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Clock, DataKey, KeyProvider } from './ports.js';
import { systemClock } from './ports.js';

const MAGIC = Buffer.from('SG', 'latin1');
/** Written by seal when the context carries blind indexes; v1 records are still opened. */
const VERSION_WITH_INDEXES = 2;
const VERSION_V1 = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_FIXED = MAGIC.length + 1 + 2;

export interface SealContext {
  /** What the record belongs to (the table), e.g. `messages`. */
  readonly purpose: string;
  /** The row it belongs to, e.g. the MessageSid. */
  readonly id: string;
  /**
   * The row's blind indexes (its from_index and to_index columns; null where the row has none).
   * Sealing with them writes a v2 record; opening a v2 record needs the same values.
   */
  readonly indexes?: { readonly from: string | null; readonly to: string | null };
}

export interface SealerOptions {
  /** Reuse a data key for at most this long. @default 300_000 (5 minutes) */
  readonly maxKeyAgeMs?: number;
  /** Reuse a data key for at most this many records. @default 10_000 */
  readonly maxRecordsPerKey?: number;
  /** Unwrapped data keys kept for opening records. @default 256 */
  readonly maxDecryptCacheEntries?: number;
  readonly clock?: Clock;
}

/** A sealed record could not be opened: tampered, wrong context, or not a sealed record at all. */
export class SealedRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedRecordError';
  }
}

interface CachedKey {
  readonly key: DataKey;
  readonly createdAt: number;
  uses: number;
}

function contextBytes(context: SealContext, version: number): Buffer {
  const parts: unknown[] = [context.purpose, context.id];
  // A v2 record opened without indexes authenticates against [null, null] and fails, as it should.
  if (version >= VERSION_WITH_INDEXES) parts.push(context.indexes?.from ?? null, context.indexes?.to ?? null);
  return Buffer.from(JSON.stringify(parts), 'utf8');
}

export class Sealer {
  readonly #keys: KeyProvider;
  readonly #maxAgeMs: number;
  readonly #maxRecords: number;
  readonly #maxDecryptEntries: number;
  readonly #clock: Clock;
  #current: CachedKey | undefined;
  #pending: Promise<CachedKey> | undefined;
  readonly #unwrapped = new Map<string, { key: Buffer; at: number }>();

  constructor(keys: KeyProvider, options: SealerOptions = {}) {
    this.#keys = keys;
    this.#maxAgeMs = options.maxKeyAgeMs ?? 300_000;
    this.#maxRecords = options.maxRecordsPerKey ?? 10_000;
    this.#maxDecryptEntries = options.maxDecryptCacheEntries ?? 256;
    this.#clock = options.clock ?? systemClock;
  }

  async seal(plaintext: Buffer, context: SealContext): Promise<Buffer> {
    const cached = await this.#dataKey();
    const wrapped = cached.key.encrypted;
    if (wrapped.length > 0xffff) throw new Error('wrapped data key too long');
    const version = context.indexes ? VERSION_WITH_INDEXES : VERSION_V1;
    const header = Buffer.allocUnsafe(HEADER_FIXED + wrapped.length);
    MAGIC.copy(header, 0);
    header.writeUInt8(version, 2);
    header.writeUInt16BE(wrapped.length, 3);
    wrapped.copy(header, HEADER_FIXED);
    // A fresh random 96-bit IV per record (ARCHITECTURE §4), straight from the CSPRNG: ~2 µs, a few
    // per cent of a webhook request (docs/BENCHMARKS.md), so no pool of pre-drawn IVs is kept.
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', cached.key.plaintext, iv);
    cipher.setAAD(Buffer.concat([header, contextBytes(context, version)]));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, iv, ciphertext, cipher.getAuthTag()]);
  }

  async open(record: Buffer, context: SealContext): Promise<Buffer> {
    if (record.length < HEADER_FIXED + IV_BYTES + TAG_BYTES || !record.subarray(0, 2).equals(MAGIC)) {
      throw new SealedRecordError('not a sealed record');
    }
    const version = record.readUInt8(2);
    if (version !== VERSION_V1 && version !== VERSION_WITH_INDEXES)
      throw new SealedRecordError(`unsupported sealed record version ${version}`);
    const wrappedLength = record.readUInt16BE(3);
    const headerEnd = HEADER_FIXED + wrappedLength;
    if (record.length < headerEnd + IV_BYTES + TAG_BYTES)
      throw new SealedRecordError('truncated sealed record');
    const header = record.subarray(0, headerEnd);
    const wrapped = record.subarray(HEADER_FIXED, headerEnd);
    const iv = record.subarray(headerEnd, headerEnd + IV_BYTES);
    const ciphertext = record.subarray(headerEnd + IV_BYTES, record.length - TAG_BYTES);
    const tag = record.subarray(record.length - TAG_BYTES);
    const key = await this.#unwrap(Buffer.from(wrapped));
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.concat([header, contextBytes(context, version)]));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw new SealedRecordError('sealed record failed authentication');
    }
  }

  async #dataKey(): Promise<CachedKey> {
    const now = this.#clock.now();
    const current = this.#current;
    if (current && current.uses < this.#maxRecords && now - current.createdAt < this.#maxAgeMs) {
      current.uses++;
      return current;
    }
    if (!this.#pending) {
      // Concurrent seals share one GenerateDataKey call instead of each asking KMS.
      this.#pending = this.#keys
        .generateDataKey()
        .then((key) => {
          const fresh: CachedKey = { key, createdAt: this.#clock.now(), uses: 0 };
          this.#current = fresh;
          return fresh;
        })
        .finally(() => {
          this.#pending = undefined;
        });
    }
    const fresh = await this.#pending;
    fresh.uses++;
    return fresh;
  }

  async #unwrap(wrapped: Buffer): Promise<Buffer> {
    const id = wrapped.toString('base64');
    const now = this.#clock.now();
    const hit = this.#unwrapped.get(id);
    if (hit && now - hit.at < this.#maxAgeMs) return hit.key;
    const key = await this.#keys.decryptDataKey(wrapped);
    if (this.#unwrapped.size >= this.#maxDecryptEntries) {
      const oldest = this.#unwrapped.keys().next().value;
      if (oldest !== undefined) this.#unwrapped.delete(oldest);
    }
    this.#unwrapped.set(id, { key, at: now });
    return key;
  }
}
