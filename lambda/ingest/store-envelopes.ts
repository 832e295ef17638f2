// Stores queued envelopes exactly once (ARCHITECTURE §1): the unique MessageSid (MessageSid + status,
// the payload key of a quarantined payload) make a redelivery a no-op. A batch is written with one statement per kind; if that
// statement fails, each record is retried alone so one bad record fails by itself.

import type { Queryable } from '../shared/db/pool.js';
import type {
  MessageEnvelope,
  QuarantinedEnvelope,
  QueuedEnvelope,
  StatusEnvelope,
} from '../shared/envelope-schema.js';
import { Table } from '../shared/names.js';

export interface StoreResult {
  /** Envelope positions (in the input) that were newly stored. */
  readonly stored: number[];
  /** Envelope positions that were already stored (duplicates dropped). */
  readonly duplicates: number[];
  /** Envelope positions that could not be stored, with the fault. */
  readonly failed: { index: number; error: unknown }[];
}

const INSERT_MESSAGES = `
  INSERT INTO ${Table.messages}
    (message_sid, account_sid, messaging_service_sid, from_index, to_index, num_media, sealed, idempotency_token, received_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::bytea[], $8::text[], $9::timestamptz[])
  ON CONFLICT (message_sid) DO NOTHING
  RETURNING message_sid`;

const INSERT_STATUSES = `
  INSERT INTO ${Table.statusUpdates}
    (message_sid, status, error_code, from_index, to_index, sealed, idempotency_token, received_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::text[], $8::timestamptz[])
  ON CONFLICT (message_sid, status) DO NOTHING
  RETURNING message_sid, status`;

const INSERT_QUARANTINED = `
  INSERT INTO ${Table.quarantined}
    (payload_key, route, failed_checks, message_sid, account_sid, from_index, to_index, sealed, idempotency_token, received_at)
  SELECT key, route, string_to_array(checks, ','), sid, account, from_index, to_index, sealed, token, received_at
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[], $9::text[], $10::timestamptz[])
    AS t(key, route, checks, sid, account, from_index, to_index, sealed, token, received_at)
  ON CONFLICT (payload_key) DO NOTHING
  RETURNING payload_key`;

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
    rows.map((r) => Buffer.from(r.sealed, 'base64url')),
    rows.map((r) => r.idempotencyToken ?? null),
    rows.map((r) => r.receivedAt),
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
  }
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
): Promise<StoreResult> {
  const stored: number[] = [];
  const duplicates: number[] = [];
  const failed: { index: number; error: unknown }[] = [];

  for (const kind of ['message', 'status', 'quarantined'] as const) {
    const positions = envelopes.flatMap((e, i) => (e.kind === kind ? [i] : []));
    if (positions.length === 0) continue;
    try {
      const fresh = await insertKind(
        db,
        kind,
        positions.map((i) => envelopes[i] as QueuedEnvelope),
      );
      classify(positions, fresh);
    } catch {
      // Isolate the record that broke the batch statement: each one alone.
      for (const i of positions) {
        try {
          classify([i], await insertKind(db, kind, [envelopes[i] as QueuedEnvelope]));
        } catch (error) {
          failed.push({ index: i, error });
        }
      }
    }
  }
  return { stored: stored.sort((a, b) => a - b), duplicates: duplicates.sort((a, b) => a - b), failed };

  function classify(positions: number[], fresh: Set<string>): void {
    // Within one batch the same key may appear twice: only its first occurrence is the new row.
    const claimed = new Set<string>();
    for (const i of positions) {
      const key = keyOf(envelopes[i] as QueuedEnvelope);
      if (fresh.has(key) && !claimed.has(key)) {
        claimed.add(key);
        stored.push(i);
      } else {
        duplicates.push(i);
      }
    }
  }
}
