// SubjectRecords, RetentionStore and DatabaseStatus in Postgres: lookups by blind index only, every
// statement parameterised, each erase and retention batch one atomic statement.

import type { Queryable } from '../../shared/db/pool.js';
import { inTransaction } from '../../shared/db/transaction.js';
import { Table } from '../../shared/names.js';
import type {
  DatabaseStatus,
  RetentionStore,
  RowCounts,
  StoredMessage,
  StoredQuarantined,
  StoredStatus,
  SubjectRecords,
} from '../ports.js';

/** Rows deleted per statement, so a large backlog never holds one long lock or one huge transaction. */
const RETENTION_BATCH = 5_000;

// Status updates belong to the subject when they name it, or when they concern one of its messages
// (inbound status callbacks often omit From/To).
const SUBJECT_MESSAGES = `SELECT message_sid FROM ${Table.messages} WHERE from_index = $1 OR to_index = $1`;
const SUBJECT_STATUSES = `from_index = $1 OR to_index = $1 OR message_sid IN (${SUBJECT_MESSAGES})`;

interface MessageRow {
  message_sid: string;
  account_sid: string;
  messaging_service_sid: string | null;
  num_media: number;
  received_at: Date;
  stored_at: Date;
  sealed: Buffer;
}

interface StatusRow {
  message_sid: string;
  status: string;
  error_code: string | null;
  received_at: Date;
  stored_at: Date;
  sealed: Buffer;
}

interface QuarantinedRow {
  route: string;
  failed_checks: string[];
  message_sid: string | null;
  payload_key: string;
  received_at: Date;
  stored_at: Date;
  sealed: Buffer;
}

export class PostgresSubjectRecords implements SubjectRecords, RetentionStore, DatabaseStatus {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async find(
    index: string,
  ): Promise<{ messages: StoredMessage[]; statuses: StoredStatus[]; quarantined: StoredQuarantined[] }> {
    const messages = await this.#db.query<MessageRow>(
      `SELECT message_sid, account_sid, messaging_service_sid, num_media, received_at, stored_at, sealed
       FROM ${Table.messages} WHERE from_index = $1 OR to_index = $1 ORDER BY received_at, message_sid`,
      [index],
    );
    const statuses = await this.#db.query<StatusRow>(
      `SELECT message_sid, status, error_code, received_at, stored_at, sealed
       FROM ${Table.statusUpdates} WHERE ${SUBJECT_STATUSES} ORDER BY received_at, id`,
      [index],
    );
    const quarantined = await this.#db.query<QuarantinedRow>(
      `SELECT route, failed_checks, message_sid, payload_key, received_at, stored_at, sealed
       FROM ${Table.quarantined} WHERE from_index = $1 OR to_index = $1 ORDER BY received_at, id`,
      [index],
    );
    return {
      quarantined: quarantined.rows.map((r) => ({
        route: r.route,
        failedChecks: r.failed_checks,
        messageSid: r.message_sid,
        payloadKey: r.payload_key,
        receivedAt: r.received_at,
        storedAt: r.stored_at,
        sealed: r.sealed,
      })),
      messages: messages.rows.map((r) => ({
        messageSid: r.message_sid,
        accountSid: r.account_sid,
        messagingServiceSid: r.messaging_service_sid,
        numMedia: r.num_media,
        receivedAt: r.received_at,
        storedAt: r.stored_at,
        sealed: r.sealed,
      })),
      statuses: statuses.rows.map((r) => ({
        messageSid: r.message_sid,
        status: r.status,
        errorCode: r.error_code,
        receivedAt: r.received_at,
        storedAt: r.stored_at,
        sealed: r.sealed,
      })),
    };
  }

  async erase(index: string): Promise<RowCounts> {
    return inTransaction(this.#db, async (tx) => {
      // SHARE ROW EXCLUSIVE conflicts with the ROW EXCLUSIVE lock every ingest INSERT takes (and with
      // itself), so this waits for inserts in flight to commit, and inserts that start meanwhile wait
      // for this erasure. Under READ COMMITTED each statement's snapshot is taken after its locks, so
      // the deletes below see every row committed before, and every later insert sees the tombstone
      // (store-envelopes.ts): no message of the subject can slip in between (ARCHITECTURE §4).
      await tx.query(
        `LOCK TABLE ${Table.messages}, ${Table.statusUpdates}, ${Table.quarantined} IN SHARE ROW EXCLUSIVE MODE`,
      );
      // One statement: tombstone and deletes commit together or not at all (nothing is half-erased).
      const result = await tx.query<RowCounts>(
        `WITH tombstone AS (
           INSERT INTO ${Table.erasedSubjects} (blind_index) VALUES ($1)
           ON CONFLICT (blind_index) DO NOTHING RETURNING 1
         ), gone_statuses AS (
           DELETE FROM ${Table.statusUpdates} WHERE ${SUBJECT_STATUSES} RETURNING 1
         ), gone_messages AS (
           DELETE FROM ${Table.messages} WHERE from_index = $1 OR to_index = $1 RETURNING 1
         ), gone_quarantined AS (
           DELETE FROM ${Table.quarantined} WHERE from_index = $1 OR to_index = $1 RETURNING 1
         )
         SELECT (SELECT count(*) FROM gone_messages)::int AS messages,
                (SELECT count(*) FROM gone_statuses)::int AS statuses,
                (SELECT count(*) FROM gone_quarantined)::int AS quarantined,
                (SELECT count(*) FROM tombstone)::int AS tombstones`,
        [index],
      );
      const row = result.rows[0];
      return {
        messages: row?.messages ?? 0,
        statuses: row?.statuses ?? 0,
        quarantined: row?.quarantined ?? 0,
      };
    });
  }

  async deleteReceivedBefore(cutoff: Date): Promise<RowCounts> {
    return {
      messages: await this.#deleteInBatches(Table.messages, 'message_sid', cutoff),
      statuses: await this.#deleteInBatches(Table.statusUpdates, 'id', cutoff),
      quarantined: await this.#deleteInBatches(Table.quarantined, 'id', cutoff),
    };
  }

  async migrationVersion(): Promise<number> {
    const result = await this.#db.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${Table.migrations}`,
    );
    return result.rows[0]?.version ?? 0;
  }

  async storedCounts(): Promise<RowCounts> {
    const result = await this.#db.query<RowCounts>(
      `SELECT (SELECT count(*) FROM ${Table.messages})::int AS messages,
              (SELECT count(*) FROM ${Table.statusUpdates})::int AS statuses,
              (SELECT count(*) FROM ${Table.quarantined})::int AS quarantined`,
    );
    return result.rows[0] ?? { messages: 0, statuses: 0, quarantined: 0 };
  }

  async #deleteInBatches(table: string, key: string, cutoff: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.#db.query<{ deleted: number }>(
        `WITH gone AS (
           DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE received_at < $1 LIMIT $2)
           RETURNING 1
         ) SELECT count(*)::int AS deleted FROM gone`,
        [cutoff, RETENTION_BATCH],
      );
      const deleted = result.rows[0]?.deleted ?? 0;
      total += deleted;
      if (deleted < RETENTION_BATCH) return total;
    }
  }
}
