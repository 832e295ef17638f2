// Stores queued envelopes exactly once (ARCHITECTURE §1): the unique MessageSid (MessageSid + status,
// the payload key of a quarantined payload; CallSid, CallSid + status + SequenceNumber, RecordingSid
// for voice) make a redelivery a no-op. A batch is written with one statement per kind; if that
// statement fails, each record is retried alone so one bad record fails by itself, unless the fault
// says the database cannot be reached (isDatabaseUnreachable): then no further statement is tried and
// every record not yet stored fails with that fault, to be deferred with the backoff (ARCHITECTURE §1).
// An attempt that would not fit in the time left is not started either.
// Erasure is final (ARCHITECTURE §4): the INSERT itself skips any envelope whose blind index has a
// tombstone, so a Twilio redelivery, an SQS retry, a DLQ redrive or a journal replay of an erased
// subject's message is dropped (and counted), never stored again. The check sits in the same
// statement as the insert; the erasure's table lock orders the two (postgres-subject-records.ts).

import type { Queryable } from '../shared/db/pool.js';
import type {
  CallEnvelope,
  CallStatusEnvelope,
  MessageEnvelope,
  QuarantinedEnvelope,
  QueuedEnvelope,
  RecordingEnvelope,
  StatusEnvelope,
} from '../shared/envelope-schema.js';
import { Table } from '../shared/names.js';
import { isDatabaseUnreachable } from './redelivery.js';

export interface StoreOptions {
  /**
   * Whether one more database attempt still fits in the invocation. When it says no, no further
   * statement is sent and the records not yet stored fail with an `OutOfTimeError`.
   * @default always true
   */
  readonly hasTimeForAttempt?: () => boolean;
}

/** The records it marks were not tried: the invocation had too little time left. */
export class OutOfTimeError extends Error {
  constructor() {
    super('too little time left in the invocation for another database attempt');
    this.name = 'OutOfTimeError';
  }
}

export interface StoreResult {
  /** Envelope positions (in the input) that were newly stored. */
  readonly stored: number[];
  /** Envelope positions that were already stored (duplicates dropped). */
  readonly duplicates: number[];
  /** Envelope positions dropped because they name an erased subject. */
  readonly erased: number[];
  /** Envelope positions that could not be stored, with the fault. */
  readonly failed: { index: number; error: unknown }[];
}

const INSERT_MESSAGES = `
  INSERT INTO ${Table.messages}
    (message_sid, account_sid, messaging_service_sid, from_index, to_index, num_media, sealed, idempotency_token, received_at, synthetic)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::bytea[], $8::text[], $9::timestamptz[], $10::text[])
    AS r(message_sid, account_sid, messaging_service_sid, from_index, to_index, num_media, sealed, idempotency_token, received_at, synthetic)
  WHERE NOT EXISTS (
    SELECT 1 FROM ${Table.erasedSubjects} t WHERE t.blind_index IN (r.from_index, r.to_index))
  ON CONFLICT (message_sid) DO NOTHING
  RETURNING message_sid`;

const INSERT_STATUSES = `
  INSERT INTO ${Table.statusUpdates}
    (message_sid, status, error_code, from_index, to_index, sealed, idempotency_token, received_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::text[], $8::timestamptz[])
    AS r(message_sid, status, error_code, from_index, to_index, sealed, idempotency_token, received_at)
  WHERE NOT EXISTS (
    SELECT 1 FROM ${Table.erasedSubjects} t WHERE t.blind_index IN (r.from_index, r.to_index))
  ON CONFLICT (message_sid, status) DO NOTHING
  RETURNING message_sid, status`;

const INSERT_QUARANTINED = `
  INSERT INTO ${Table.quarantined}
    (payload_key, route, failed_checks, message_sid, account_sid, from_index, to_index, other_indexes, sealed, idempotency_token, received_at, call_sid)
  SELECT key, route, string_to_array(checks, ','), sid, account, from_index, to_index, string_to_array(others, ','), sealed, token, received_at, call_sid
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[], $10::text[], $11::timestamptz[], $12::text[])
    AS t(key, route, checks, sid, account, from_index, to_index, others, sealed, token, received_at, call_sid)
  WHERE NOT EXISTS (
    SELECT 1 FROM ${Table.erasedSubjects} e
    WHERE e.blind_index IN (t.from_index, t.to_index) OR e.blind_index = ANY(string_to_array(t.others, ',')))
  ON CONFLICT (payload_key) DO NOTHING
  RETURNING payload_key`;

const INSERT_CALLS = `
  INSERT INTO ${Table.calls}
    (call_sid, account_sid, status, direction, from_index, to_index, call_index, sealed, idempotency_token, received_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::text[], $10::timestamptz[])
    AS r(call_sid, account_sid, status, direction, from_index, to_index, call_index, sealed, idempotency_token, received_at)
  WHERE NOT EXISTS (
    SELECT 1 FROM ${Table.erasedSubjects} t WHERE t.blind_index IN (r.from_index, r.to_index, r.call_index))
  ON CONFLICT (call_sid) DO NOTHING
  RETURNING call_sid`;

const INSERT_CALL_STATUSES = `
  INSERT INTO ${Table.callStatuses}
    (call_sid, status, sequence_number, call_duration, from_index, to_index, call_index, sealed, idempotency_token, received_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::text[], $10::timestamptz[])
    AS r(call_sid, status, sequence_number, call_duration, from_index, to_index, call_index, sealed, idempotency_token, received_at)
  WHERE NOT EXISTS (
    SELECT 1 FROM ${Table.erasedSubjects} t WHERE t.blind_index IN (r.from_index, r.to_index, r.call_index))
  ON CONFLICT (call_sid, status, sequence_number) DO NOTHING
  RETURNING call_sid, status, sequence_number`;

// A recording names no number: the tombstone of its call (written by the erasure) drops it, as it
// drops a call status callback that names no number.
const INSERT_RECORDINGS = `
  INSERT INTO ${Table.recordings}
    (recording_sid, call_sid, status, duration, call_index, sealed, idempotency_token, received_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::bytea[], $7::text[], $8::timestamptz[])
    AS r(recording_sid, call_sid, status, duration, call_index, sealed, idempotency_token, received_at)
  WHERE NOT EXISTS (
    SELECT 1 FROM ${Table.erasedSubjects} t WHERE t.blind_index = r.call_index)
  ON CONFLICT (recording_sid) DO NOTHING
  RETURNING recording_sid`;

function callColumns(rows: CallEnvelope[]): unknown[] {
  return [
    rows.map((r) => r.callSid),
    rows.map((r) => r.accountSid),
    rows.map((r) => r.status),
    rows.map((r) => r.direction),
    rows.map((r) => r.fromIndex),
    rows.map((r) => r.toIndex),
    rows.map((r) => r.callIndex),
    rows.map((r) => Buffer.from(r.sealed, 'base64url')),
    rows.map((r) => r.idempotencyToken ?? null),
    rows.map((r) => r.receivedAt),
  ];
}

function callStatusColumns(rows: CallStatusEnvelope[]): unknown[] {
  return [
    rows.map((r) => r.callSid),
    rows.map((r) => r.status),
    rows.map((r) => r.sequenceNumber),
    rows.map((r) => r.callDuration ?? null),
    rows.map((r) => r.fromIndex ?? null),
    rows.map((r) => r.toIndex ?? null),
    rows.map((r) => r.callIndex),
    rows.map((r) => Buffer.from(r.sealed, 'base64url')),
    rows.map((r) => r.idempotencyToken ?? null),
    rows.map((r) => r.receivedAt),
  ];
}

function recordingColumns(rows: RecordingEnvelope[]): unknown[] {
  return [
    rows.map((r) => r.recordingSid),
    rows.map((r) => r.callSid),
    rows.map((r) => r.status),
    rows.map((r) => r.duration ?? null),
    rows.map((r) => r.callIndex),
    rows.map((r) => Buffer.from(r.sealed, 'base64url')),
    rows.map((r) => r.idempotencyToken ?? null),
    rows.map((r) => r.receivedAt),
  ];
}

function quarantinedColumns(rows: QuarantinedEnvelope[]): unknown[] {
  return [
    rows.map((r) => r.payloadKey),
    rows.map((r) => r.route),
    // Check names match /^[A-Za-z]+:[a-z_]+$/ (the envelope contract): a comma never occurs in one.
    rows.map((r) => r.failedChecks.join(',')),
    rows.map((r) => r.messageSid ?? null),
    rows.map((r) => r.accountSid ?? null),
    rows.map((r) => r.fromIndex ?? null),
    rows.map((r) => r.toIndex ?? null),
    // Hex blind indexes (the envelope contract): a comma never occurs in one.
    rows.map((r) => r.otherIndexes?.join(',') ?? null),
    rows.map((r) => Buffer.from(r.sealed, 'base64url')),
    rows.map((r) => r.idempotencyToken ?? null),
    rows.map((r) => r.receivedAt),
    rows.map((r) => r.callSid ?? null),
  ];
}

function messageColumns(rows: MessageEnvelope[]): unknown[] {
  return [
    rows.map((r) => r.messageSid),
    rows.map((r) => r.accountSid),
    rows.map((r) => r.messagingServiceSid ?? null),
    rows.map((r) => r.fromIndex),
    rows.map((r) => r.toIndex),
    rows.map((r) => r.numMedia),
    rows.map((r) => Buffer.from(r.sealed, 'base64url')),
    rows.map((r) => r.idempotencyToken ?? null),
    rows.map((r) => r.receivedAt),
    rows.map((r) => r.synthetic ?? null),
  ];
}

function statusColumns(rows: StatusEnvelope[]): unknown[] {
  return [
    rows.map((r) => r.messageSid),
    rows.map((r) => r.status),
    rows.map((r) => r.errorCode ?? null),
    rows.map((r) => r.fromIndex ?? null),
    rows.map((r) => r.toIndex ?? null),
    rows.map((r) => Buffer.from(r.sealed, 'base64url')),
    rows.map((r) => r.idempotencyToken ?? null),
    rows.map((r) => r.receivedAt),
  ];
}

function keyOf(e: QueuedEnvelope): string {
  switch (e.kind) {
    case 'message':
      return e.messageSid;
    case 'status':
      return `${e.messageSid}\u0000${e.status}`;
    case 'quarantined':
      return e.payloadKey;
    case 'call':
      return e.callSid;
    case 'call_status':
      return `${e.callSid}\u0000${e.status}\u0000${e.sequenceNumber}`;
    case 'recording':
      return e.recordingSid;
  }
}

/**
 * Every blind index a tombstone may name: the subject's numbers (a quarantined payload's other addresses
 * included) and, for voice, the erased call's.
 */
function indexesOf(e: QueuedEnvelope): string[] {
  const indexes =
    e.kind === 'recording'
      ? [e.callIndex]
      : e.kind === 'quarantined'
        ? [e.fromIndex, e.toIndex, ...(e.otherIndexes ?? [])]
        : e.kind === 'call' || e.kind === 'call_status'
          ? [e.fromIndex, e.toIndex, e.callIndex]
          : [e.fromIndex, e.toIndex];
  return indexes.filter((i): i is string => i !== undefined);
}

/** Blind indexes of these envelopes that have a tombstone (asked only when some row was not inserted). */
async function erasedIndexes(db: Queryable, rows: readonly QueuedEnvelope[]): Promise<Set<string>> {
  const indexes = [...new Set(rows.flatMap(indexesOf))];
  if (indexes.length === 0) return new Set();
  const result = await db.query<{ blind_index: string }>(
    `SELECT blind_index FROM ${Table.erasedSubjects} WHERE blind_index = ANY($1::text[])`,
    [indexes],
  );
  return new Set(result.rows.map((r) => r.blind_index));
}

/** Inserts one kind's rows; returns the keys that were new. */
async function insertKind(
  db: Queryable,
  kind: QueuedEnvelope['kind'],
  rows: QueuedEnvelope[],
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  if (kind === 'message') {
    const result = await db.query<{ message_sid: string }>(
      INSERT_MESSAGES,
      messageColumns(rows as MessageEnvelope[]),
    );
    return new Set(result.rows.map((r) => r.message_sid));
  }
  if (kind === 'call') {
    const result = await db.query<{ call_sid: string }>(INSERT_CALLS, callColumns(rows as CallEnvelope[]));
    return new Set(result.rows.map((r) => r.call_sid));
  }
  if (kind === 'call_status') {
    const result = await db.query<{ call_sid: string; status: string; sequence_number: number }>(
      INSERT_CALL_STATUSES,
      callStatusColumns(rows as CallStatusEnvelope[]),
    );
    return new Set(result.rows.map((r) => `${r.call_sid}\u0000${r.status}\u0000${r.sequence_number}`));
  }
  if (kind === 'recording') {
    const result = await db.query<{ recording_sid: string }>(
      INSERT_RECORDINGS,
      recordingColumns(rows as RecordingEnvelope[]),
    );
    return new Set(result.rows.map((r) => r.recording_sid));
  }
  if (kind === 'quarantined') {
    const result = await db.query<{ payload_key: string }>(
      INSERT_QUARANTINED,
      quarantinedColumns(rows as QuarantinedEnvelope[]),
    );
    return new Set(result.rows.map((r) => r.payload_key));
  }
  const result = await db.query<{ message_sid: string; status: string }>(
    INSERT_STATUSES,
    statusColumns(rows as StatusEnvelope[]),
  );
  return new Set(result.rows.map((r) => `${r.message_sid}\u0000${r.status}`));
}

export async function storeEnvelopes(
  db: Queryable,
  envelopes: readonly QueuedEnvelope[],
  options: StoreOptions = {},
): Promise<StoreResult> {
  const { hasTimeForAttempt = () => true } = options;
  const stored: number[] = [];
  const duplicates: number[] = [];
  const erased: number[] = [];
  const failed: { index: number; error: unknown }[] = [];
  /** Set once the database is unavailable or the time is short: no further statement is sent. */
  let stop: unknown;
  const mayAttempt = (): boolean => {
    if (stop === undefined && !hasTimeForAttempt()) stop = new OutOfTimeError();
    return stop === undefined;
  };

  for (const kind of ['message', 'status', 'quarantined', 'call', 'call_status', 'recording'] as const) {
    const positions = envelopes.flatMap((e, i) => (e.kind === kind ? [i] : []));
    if (positions.length === 0) continue;
    if (!mayAttempt()) {
      for (const i of positions) failed.push({ index: i, error: stop });
      continue;
    }
    try {
      const fresh = await insertKind(
        db,
        kind,
        positions.map((i) => envelopes[i] as QueuedEnvelope),
      );
      await classify(positions, fresh);
    } catch (batchError) {
      if (isDatabaseUnreachable(batchError)) {
        // Retrying each record alone would only wait for the same fault again, record by record.
        stop = batchError;
        for (const i of positions) failed.push({ index: i, error: batchError });
        continue;
      }
      // Isolate the record that broke the batch statement: each one alone.
      for (const i of positions) {
        if (!mayAttempt()) {
          failed.push({ index: i, error: stop });
          continue;
        }
        try {
          await classify([i], await insertKind(db, kind, [envelopes[i] as QueuedEnvelope]));
        } catch (error) {
          failed.push({ index: i, error });
          if (isDatabaseUnreachable(error)) stop = error;
        }
      }
    }
  }
  const sorted = (list: number[]) => list.sort((a, b) => a - b);
  return { stored: sorted(stored), duplicates: sorted(duplicates), erased: sorted(erased), failed };

  async function classify(positions: number[], fresh: Set<string>): Promise<void> {
    const missing = positions.filter((i) => !fresh.has(keyOf(envelopes[i] as QueuedEnvelope)));
    const tombstoned =
      missing.length > 0
        ? await erasedIndexes(
            db,
            missing.map((i) => envelopes[i] as QueuedEnvelope),
          )
        : new Set<string>();
    // Within one batch the same key may appear twice: only its first occurrence is the new row.
    const claimed = new Set<string>();
    for (const i of positions) {
      const envelope = envelopes[i] as QueuedEnvelope;
      const key = keyOf(envelope);
      if (fresh.has(key) && !claimed.has(key)) {
        claimed.add(key);
        stored.push(i);
      } else if (!fresh.has(key) && indexesOf(envelope).some((index) => tombstoned.has(index))) {
        erased.push(i);
      } else {
        duplicates.push(i);
      }
    }
  }
}
