// Ports of the admin API: the roles its core depends on. Postgres, AWS and in-memory adapters live in ./adapters.

import type { MetricName, SyntheticKind } from '../shared/names.js';

/** One audit row (ARCHITECTURE §2): what was called, by whom (a token fingerprint), and how it ended. */
export interface AuditEntry {
  readonly at: Date;
  /** The route template (`/admin/approvals/{id}`), `unknown` for an unknown path; never a raw phone. */
  readonly route: string;
  readonly method: string;
  readonly outcome: AuditOutcome;
  readonly status: number;
  readonly sourceIp: string;
  readonly requestId: string;
  /** First 12 hex digits of SHA-256 of the presented token, or `none`; never the token. */
  readonly caller: string;
  /** The holder whose credential matched; absent when none did. */
  readonly credential?: string;
  /** That credential's role(s), comma-separated. */
  readonly role?: string;
  /** Counts and other non-personal facts about the call (never a phone number or a token). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export type AuditOutcome =
  | 'allowed'
  | 'accepted'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'gone'
  | 'locked_out'
  | 'invalid'
  | 'not_found'
  | 'method_not_allowed'
  | 'error';

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** The latest entries, newest first. */
  latest(limit: number): Promise<AuditEntry[]>;
  /** Recomputes the hash chain over every entry: an edited, inserted or deleted row breaks it. */
  verify(): Promise<ChainVerdict>;
}

export interface ChainVerdict {
  readonly intact: boolean;
  /** Entries checked. */
  readonly checked: number;
  /** Id of the first entry whose hash or link does not hold. */
  readonly firstBrokenId?: number;
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
  /**
   * Counts one failure at `now`, atomically: concurrent failures from one source are counted one after
   * another, so exactly `threshold` of them are answered before the lockout. `failures` is this
   * failure's number in the current window (above the threshold while locked out), `lockedUntil` the
   * end of the lockout in force after it, `started` whether this very failure started it.
   */
  recordFailure(source: string, now: number, policy: LockoutPolicy): Promise<FailureCount>;
  /** Lifts lockouts and forgets failure counts (one source, or all); returns how many sources. */
  clear(source?: string): Promise<number>;
}

export interface FailureCount {
  readonly failures: number;
  readonly lockedUntil?: number;
  readonly started: boolean;
}

export type ApprovalAction = 'erase' | 'export';

/** A four-eyes request (ARCHITECTURE §2): the subject by blind index only, never its number. */
export interface Approval {
  readonly id: string;
  readonly action: ApprovalAction;
  readonly subjectIndex: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly requestedBy: string;
  readonly requestedAt: Date;
  readonly expiresAt: Date;
  readonly approvedBy: string | null;
}

export interface ApprovalStore {
  create(approval: Omit<Approval, 'approvedBy'>): Promise<void>;
  get(id: string): Promise<Approval | undefined>;
  /** Records `approver`'s approval if the request is still pending and unexpired at `now`; false otherwise. */
  claim(id: string, approver: string, now: Date): Promise<boolean>;
}

export interface StoredMessage {
  readonly messageSid: string;
  readonly accountSid: string;
  readonly messagingServiceSid: string | null;
  readonly numMedia: number;
  readonly receivedAt: Date;
  readonly storedAt: Date;
  readonly sealed: Buffer;
  /** Stored sealed as quarantined (a payload that failed the schema); absent where the store has no such flag. */
  readonly quarantined?: boolean;
  /** received_at in epoch microseconds (exact, for the export cursor). */
  readonly atMicros: string;
  /** The row's blind indexes, part of the sealed record's authenticated context (format v2). */
  readonly fromIndex: string;
  readonly toIndex: string;
}

export interface StoredStatus {
  readonly id: string;
  readonly messageSid: string;
  readonly status: string;
  readonly errorCode: string | null;
  readonly receivedAt: Date;
  readonly storedAt: Date;
  readonly sealed: Buffer;
  readonly quarantined?: boolean;
  readonly atMicros: string;
  readonly fromIndex: string | null;
  readonly toIndex: string | null;
}

/** An incoming call (voice): its numbers only in the sealed record. */
export interface StoredCall {
  readonly callSid: string;
  readonly accountSid: string;
  readonly status: string;
  readonly direction: string;
  readonly receivedAt: Date;
  readonly storedAt: Date;
  readonly sealed: Buffer;
  readonly atMicros: string;
  readonly fromIndex: string;
  readonly toIndex: string;
}

/** A call status callback. */
export interface StoredCallStatus {
  readonly id: string;
  readonly callSid: string;
  readonly status: string;
  readonly sequenceNumber: number;
  readonly callDuration: number | null;
  readonly receivedAt: Date;
  readonly storedAt: Date;
  readonly sealed: Buffer;
  readonly atMicros: string;
  readonly fromIndex: string | null;
  readonly toIndex: string | null;
}

/** A recording status callback; the recording URL only in the sealed record. */
export interface StoredRecording {
  readonly recordingSid: string;
  readonly callSid: string;
  readonly status: string;
  readonly duration: number | null;
  readonly callIndex: string;
  readonly receivedAt: Date;
  readonly storedAt: Date;
  readonly sealed: Buffer;
  readonly atMicros: string;
}

/**
 * Where an export page starts: the subject's messages first, then its status updates, then its
 * quarantined payloads, then its calls, their status updates and their recordings, each in time order.
 */
export type ExportPosition = {
  readonly kind: ExportPhase;
  readonly after?: { readonly atMicros: string; readonly key: string };
};
export type ExportPhase = 'messages' | 'statuses' | 'quarantined' | 'calls' | 'call_statuses' | 'recordings';

export interface SubjectPage {
  readonly messages: StoredMessage[];
  readonly statuses: StoredStatus[];
  readonly quarantined: StoredQuarantined[];
  readonly calls: StoredCall[];
  readonly callStatuses: StoredCallStatus[];
  readonly recordings: StoredRecording[];
  /** Where the next page starts; undefined after the last one. */
  readonly next?: ExportPosition;
}

/** A signed payload stored as quarantined (ARCHITECTURE §1): sealed whole, with its failed checks. */
export interface StoredQuarantined {
  readonly id: string;
  readonly route: string;
  readonly failedChecks: string[];
  readonly messageSid: string | null;
  /** The CallSid of a quarantined voice payload, when it had a valid one. */
  readonly callSid?: string | null;
  /** Keyed digest of the payload; the sealed record's encryption-context id. */
  readonly payloadKey: string;
  /** The row's blind indexes, bound into its sealed record (format v2). */
  readonly fromIndex: string | null;
  readonly toIndex: string | null;
  /** The payload's other addresses' blind indexes (other_indexes), bound into its sealed record too. */
  readonly otherIndexes?: readonly string[] | null;
  readonly receivedAt: Date;
  readonly storedAt: Date;
  readonly sealed: Buffer;
  readonly atMicros: string;
}

/** Rows of each kind a subject (or a retention run) concerns. */
export interface RowCounts {
  readonly messages: number;
  readonly statuses: number;
  readonly quarantined: number;
  readonly calls: number;
  readonly callStatuses: number;
  readonly recordings: number;
}

/** Rows found by a subject's blind index (ARCHITECTURE §4): never by plaintext. */
export interface SubjectRecords {
  /** How many records belong to the subject, quarantined ones included (the four-eyes threshold counts them). */
  count(index: string): Promise<number>;
  /**
   * Up to `limit` of the subject's records from `from`: messages from or to the subject, then status
   * updates that name the subject or one of those messages, then quarantined payloads whose From or To
   * is the subject, then calls from or to the subject, the status updates and recordings of those calls.
   */
  page(index: string, from: ExportPosition, limit: number): Promise<SubjectPage>;
  /** Deletes the same rows as `find`, atomically; returns how many of each. */
  erase(index: string): Promise<RowCounts>;
}

/** What one erasure writes together: the approval's claim, the rows (and whatever the erase writes), the audit row. */
export interface AdminTransaction {
  readonly subjects: SubjectRecords;
  readonly approvals: ApprovalStore;
  readonly audit: AuditLog;
}

/** Runs work in one database transaction: all of it commits, or none of it (ARCHITECTURE §4: nothing half-erased). */
export interface AtomicStore {
  atomically<T>(work: (tx: AdminTransaction) => Promise<T>): Promise<T>;
}

export interface RetentionStore {
  /** Deletes every stored row received before `cutoff`; returns how many of each kind. */
  deleteReceivedBefore(cutoff: Date): Promise<RowCounts>;
}

export interface DatabaseStatus {
  /** The highest applied migration version (0 when none); throws when the database is unreachable. */
  migrationVersion(): Promise<number>;
  /** Rows stored now (messages: real ones only, synthetic ones left out). */
  storedCounts(): Promise<RowCounts>;
  /** The synthetic message (npm run verify, the canary) stored last; null when there is none. */
  latestSynthetic(): Promise<{ messageSid: string; kind: SyntheticKind; storedAt: Date } | null>;
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
