// Ports: the roles the cores depend on. Adapters in ./adapters implement them per technology.

import type { QueuedEnvelope } from './envelope-schema.js';

/** The webhook ↔ ingest contract lives in envelope-schema.ts (one zod schema, types inferred). */
export type { QueuedEnvelope } from './envelope-schema.js';

/** Wall-clock time, injectable so tests control cache ages, retention cut-offs and grace windows. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A data key as handed out by the key provider: plaintext for this process only, encrypted for the record. */
export interface DataKey {
  readonly plaintext: Buffer;
  readonly encrypted: Buffer;
}

/**
 * Wraps and unwraps data keys (KMS GenerateDataKey/Decrypt in AWS, a local wrapping key locally).
 * Faults (KMS down, access denied) are thrown; the caller turns them into 503.
 */
export interface KeyProvider {
  generateDataKey(): Promise<DataKey>;
  decryptDataKey(encrypted: Buffer): Promise<Buffer>;
}

/** Durable queue between the webhook and the ingest function (SQS in AWS, in-process locally). */
export interface MessageQueue {
  /** Resolves only once the message is durably accepted; throws when it cannot be queued. */
  send(envelope: QueuedEnvelope): Promise<void>;
}

/** The versions of one secret that may be valid at the same time (ARCHITECTURE §5). */
export interface SecretVersions {
  readonly current: string;
  /** Present while a rotation keeps the previous value valid. */
  readonly previous?: string;
  /** When the current version was created (epoch ms), where the source knows it. */
  readonly currentCreatedAt?: number;
  /**
   * The current version still carries AWSPENDING: a rotation moved AWSCURRENT to it and has not finished
   * (the rotation function takes the label off only after the service switched over, Twilio's promotion
   * included: rotate-secret.ts finishSecret). Absent when the source does not know or it has finished.
   */
  readonly rotationUnfinished?: true;
}

/** Reads secrets by id (an ARN in AWS, a name locally). Throws on faults; never logs values. */
export interface SecretSource {
  getVersions(secretId: string): Promise<SecretVersions>;
}
