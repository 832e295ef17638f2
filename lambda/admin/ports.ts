// Ports of the admin API: the roles its core depends on. Postgres, AWS and in-memory adapters live in ./adapters.

import type { MetricName } from '../shared/names.js';

/** One audit row (ARCHITECTURE §2): what was called, by whom (a token fingerprint), and how it ended. */
export interface AuditEntry {
  readonly at: Date;
  /** The route template (`/admin/subjects/{phone}`), `unknown` for an unknown path; never a raw phone. */
  readonly route: string;
  readonly method: string;
  readonly outcome: AuditOutcome;
  readonly status: number;
  readonly sourceIp: string;
  readonly requestId: string;
  /** First 12 hex digits of SHA-256 of the presented token, or `none`; never the token. */
  readonly caller: string;
  /** Counts and other non-personal facts about the call (never a phone number or a token). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export type AuditOutcome =
  | 'allowed'
  | 'unauthorized'
  | 'locked_out'
  | 'invalid'
  | 'not_found'
  | 'method_not_allowed'
  | 'error';

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** The latest entries, newest first. */
  latest(limit: number): Promise<AuditEntry[]>;
}

export interface LockoutPolicy {
  /** Failures within the window that start a lockout. */
  readonly threshold: number;
  readonly windowMs: number;
  /** How long a lockout lasts. */
  readonly lockoutMs: number;
}

/** Failed-authentication counts per source, shared by every instance (ARCHITECTURE §2). */
export interface LockoutStore {
  /** When the source's lockout ends (epoch ms), or undefined when it is not locked out at `now`. */
  lockedUntil(source: string, now: number): Promise<number | undefined>;
  /** Counts one failure at `now`; `lockedUntil` is set when this failure starts a lockout. */
  recordFailure(
    source: string,
    now: number,
    policy: LockoutPolicy,
  ): Promise<{ failures: number; lockedUntil?: number }>;
}

export interface StoredMessage {
  readonly messageSid: string;
  readonly accountSid: string;
  readonly messagingServiceSid: string | null;
  readonly numMedia: number;
  readonly receivedAt: Date;
  readonly storedAt: Date;
  readonly sealed: Buffer;
}

export interface StoredStatus {
  readonly messageSid: string;
  readonly status: string;
  readonly errorCode: string | null;
  readonly receivedAt: Date;
  readonly storedAt: Date;
  readonly sealed: Buffer;
}

/** A signed payload stored as quarantined (ARCHITECTURE §1): sealed whole, with its failed checks. */
export interface StoredQuarantined {
  readonly route: string;
  readonly failedChecks: string[];
  readonly messageSid: string | null;
  /** Keyed digest of the payload; the sealed record's encryption-context id. */
  readonly payloadKey: string;
  readonly receivedAt: Date;
  readonly storedAt: Date;
  readonly sealed: Buffer;
}

/** Rows of each kind a subject (or a retention run) concerns. */
export interface RowCounts {
  readonly messages: number;
  readonly statuses: number;
  readonly quarantined: number;
}

/** Rows found by a subject's blind index (ARCHITECTURE §4): never by plaintext. */
export interface SubjectRecords {
  /**
   * Messages from or to the subject, status updates that name the subject or one of those messages, and
   * quarantined payloads whose From or To is the subject.
   */
  find(index: string): Promise<{
    messages: StoredMessage[];
    statuses: StoredStatus[];
    quarantined: StoredQuarantined[];
  }>;
  /** Deletes the same rows as `find`, atomically; returns how many of each. */
  erase(index: string): Promise<RowCounts>;
}

export interface RetentionStore {
  /** Deletes every stored row received before `cutoff`; returns how many of each kind. */
  deleteReceivedBefore(cutoff: Date): Promise<RowCounts>;
}

export interface DatabaseStatus {
  /** The highest applied migration version (0 when none); throws when the database is unreachable. */
  migrationVersion(): Promise<number>;
  /** Rows stored now. */
  storedCounts(): Promise<RowCounts>;
}

export interface QueueDepth {
  /** Messages waiting (ApproximateNumberOfMessages). */
  readonly depth: number;
  /** Messages received but not yet deleted (ApproximateNumberOfMessagesNotVisible). */
  readonly inFlight: number;
  /** Age of the oldest waiting message; null where the adapter cannot know it. */
  readonly oldestAgeSeconds: number | null;
  /** Messages in the dead-letter queue; null when none is configured. */
  readonly deadLetterDepth: number | null;
}

export interface QueueStats {
  stats(): Promise<QueueDepth>;
}

export interface SecretAge {
  /** Seconds since the current version was created or last rotated; null when unknown. */
  readonly currentAgeSeconds: number | null;
  readonly rotationEnabled: boolean | null;
}

/** Ages of the secrets the deployment depends on, keyed by a label (never by value). */
export interface SecretAges {
  ages(now: number): Promise<Record<string, SecretAge>>;
}

export interface CounterTotals {
  /** Where the numbers come from, e.g. `cloudwatch` or `local`. */
  readonly source: string;
  /** The window the totals cover, in seconds; null when they cover the process's life. */
  readonly windowSeconds: number | null;
  readonly values: Partial<Record<MetricName, number>>;
}

/** Totals of the EMF metrics the functions emit (ARCHITECTURE §6). */
export interface MetricCounters {
  totals(now: number): Promise<CounterTotals>;
}
