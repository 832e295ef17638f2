// SubjectRecords, RetentionStore and DatabaseStatus in Postgres: lookups by blind index only, every
// statement parameterised, each erase and retention batch one atomic statement.

import type { Queryable } from '../../shared/db/pool.js';
import { inTransaction } from '../../shared/db/transaction.js';
import { SYNTHETIC_RETENTION_HOURS, type SyntheticKind, Table } from '../../shared/names.js';
import type {
  DatabaseStatus,
  ExportPosition,
  RetentionStore,
  RowCounts,
  StoredCall,
  StoredCallStatus,
  StoredMessage,
  StoredQuarantined,
  StoredRecording,
  StoredStatus,
  SubjectPage,
  SubjectRecords,
} from '../ports.js';

/** Rows deleted per statement, so a large backlog never holds one long lock or one huge transaction. */
const RETENTION_BATCH = 5_000;

// Status updates belong to the subject when they name it, or when they concern one of its messages
// (inbound status callbacks often omit From/To).
const SUBJECT_MESSAGES = `SELECT message_sid FROM ${Table.messages} WHERE from_index = $1 OR to_index = $1`;
// Synthetic messages (verify, canary) are not a subject's data: exports leave them out.
const REAL = 'synthetic IS NULL';
const SUBJECT_STATUSES = `from_index = $1 OR to_index = $1 OR message_sid IN (${SUBJECT_MESSAGES})`;
// Calls from or to the subject; their status callbacks and recordings belong to the subject with them
// (a recording names no number, a status callback may not).
const SUBJECT_CALLS = `SELECT call_sid FROM ${Table.calls} WHERE from_index = $1 OR to_index = $1`;
const SUBJECT_CALL_STATUSES = `from_index = $1 OR to_index = $1 OR call_sid IN (${SUBJECT_CALLS})`;
const SUBJECT_RECORDINGS = `call_sid IN (${SUBJECT_CALLS})`;
// Quarantined payloads likewise: a status callback that failed the schema often names no number, only
// the subject's MessageSid or CallSid, and must be exported and erased with the subject (ARCHITECTURE §4).
// And by every other address the payload carries (a repeated From or To: other_indexes, migration 50).
const SUBJECT_QUARANTINED = `${SUBJECT_STATUSES} OR other_indexes @> ARRAY[$1::text] OR call_sid IN (${SUBJECT_CALLS})`;

/** Empty voice parts of a page that ends before the voice phases. */
const NO_VOICE: Pick<SubjectPage, 'calls' | 'callStatuses' | 'recordings'> = {
  calls: [],
  callStatuses: [],
  recordings: [],
};

interface MessageRow {
  message_sid: string;
  account_sid: string;
  messaging_service_sid: string | null;
  num_media: number;
  received_at: Date;
  stored_at: Date;
  sealed: Buffer;
  quarantined: boolean | null;
  at_us: string;
  from_index: string;
  to_index: string;
}

interface StatusRow {
  id: string;
  message_sid: string;
  status: string;
  error_code: string | null;
  received_at: Date;
  stored_at: Date;
  sealed: Buffer;
  quarantined: boolean | null;
  at_us: string;
  from_index: string | null;
  to_index: string | null;
}

// received_at in exact epoch microseconds (a JS Date would round it to milliseconds and let a page
// boundary skip or repeat rows), and back.
const AT_US = '(extract(epoch FROM received_at) * 1000000)::bigint::text AS at_us';
const FROM_US = "('epoch'::timestamptz + $2::bigint * interval '1 microsecond')";
// The quarantine flag where the table has one: read through the row's JSON, so the query also runs on
// a schema without the column (no flag then).
const QUARANTINED = "(to_jsonb(t) ->> 'quarantined')::boolean AS quarantined";

/** The columns every stored record has (what a subject's export shows of each), by their record names. */
interface StoredColumns {
  received_at: Date;
  stored_at: Date;
  sealed: Buffer;
  at_us: string;
}
const storedFields = (r: StoredColumns) => ({
  receivedAt: r.received_at,
  storedAt: r.stored_at,
  sealed: r.sealed,
  atMicros: r.at_us,
});

interface QuarantinedRow {
  id: string;
  route: string;
  failed_checks: string[];
  message_sid: string | null;
  call_sid: string | null;
  payload_key: string;
  from_index: string | null;
  to_index: string | null;
  other_indexes: string[] | null;
  received_at: Date;
  stored_at: Date;
  sealed: Buffer;
  at_us: string;
}

const toQuarantined = (r: QuarantinedRow): StoredQuarantined => ({
  id: String(r.id),
  route: r.route,
  failedChecks: r.failed_checks,
  messageSid: r.message_sid,
  callSid: r.call_sid,
  payloadKey: r.payload_key,
  fromIndex: r.from_index,
  toIndex: r.to_index,
  otherIndexes: r.other_indexes,
  ...storedFields(r),
});

const toMessage = (r: MessageRow): StoredMessage => ({
  messageSid: r.message_sid,
  accountSid: r.account_sid,
  messagingServiceSid: r.messaging_service_sid,
  numMedia: r.num_media,
  ...storedFields(r),
  fromIndex: r.from_index,
  toIndex: r.to_index,
  ...(r.quarantined === null ? {} : { quarantined: r.quarantined }),
});

const toStatus = (r: StatusRow): StoredStatus => ({
  id: String(r.id),
  messageSid: r.message_sid,
  status: r.status,
  errorCode: r.error_code,
  ...storedFields(r),
  fromIndex: r.from_index,
  toIndex: r.to_index,
  ...(r.quarantined === null ? {} : { quarantined: r.quarantined }),
});

interface CallRow {
  call_sid: string;
  account_sid: string;
  status: string;
  direction: string;
  received_at: Date;
  stored_at: Date;
  sealed: Buffer;
  at_us: string;
  from_index: string;
  to_index: string;
}

interface CallStatusRow {
  id: string;
  call_sid: string;
  status: string;
  sequence_number: number;
  call_duration: number | null;
  received_at: Date;
  stored_at: Date;
  sealed: Buffer;
  at_us: string;
  from_index: string | null;
  to_index: string | null;
}

interface RecordingRow {
  recording_sid: string;
  call_sid: string;
  status: string;
  duration: number | null;
  call_index: string;
  received_at: Date;
  stored_at: Date;
  sealed: Buffer;
  at_us: string;
}

type VoiceRecord = StoredCall | StoredCallStatus | StoredRecording;
interface VoicePhaseSpec {
  readonly kind: 'calls' | 'call_statuses' | 'recordings';
  /** The subject's rows ($1: its blind index), without ORDER BY and LIMIT. */
  readonly sql: string;
  /** The cursor's tie-break column after received_at, and its cast. */
  readonly key: string;
  readonly keyCast: string;
  readonly read: (row: never) => { readonly record: VoiceRecord; readonly key: string };
}

/** The voice export phases, in order: each one's table, rows, key (the cursor's tie-break) and mapping. */
const VOICE_PHASES: readonly VoicePhaseSpec[] = [
  {
    kind: 'calls',
    sql: `SELECT call_sid, account_sid, status, direction, received_at, stored_at, sealed, from_index, to_index, ${AT_US}
          FROM ${Table.calls} WHERE (from_index = $1 OR to_index = $1)`,
    key: 'call_sid',
    keyCast: '',
    read: (r: CallRow) => ({
      key: r.call_sid,
      record: {
        callSid: r.call_sid,
        accountSid: r.account_sid,
        status: r.status,
        direction: r.direction,
        ...storedFields(r),
        fromIndex: r.from_index,
        toIndex: r.to_index,
      },
    }),
  },
  {
    kind: 'call_statuses',
    sql: `SELECT id, call_sid, status, sequence_number, call_duration, received_at, stored_at, sealed, from_index,
                 to_index, ${AT_US}
          FROM ${Table.callStatuses} WHERE (${SUBJECT_CALL_STATUSES})`,
    key: 'id',
    keyCast: '::bigint',
    read: (r: CallStatusRow) => ({
      key: String(r.id),
      record: {
        id: String(r.id),
        callSid: r.call_sid,
        status: r.status,
        sequenceNumber: r.sequence_number,
        callDuration: r.call_duration,
        ...storedFields(r),
        fromIndex: r.from_index,
        toIndex: r.to_index,
      },
    }),
  },
  {
    kind: 'recordings',
    sql: `SELECT recording_sid, call_sid, status, duration, call_index, received_at, stored_at, sealed, ${AT_US}
          FROM ${Table.recordings} WHERE (${SUBJECT_RECORDINGS})`,
    key: 'recording_sid',
    keyCast: '',
    read: (r: RecordingRow) => ({
      key: r.recording_sid,
      record: {
        recordingSid: r.recording_sid,
        callSid: r.call_sid,
        status: r.status,
        duration: r.duration,
        callIndex: r.call_index,
        ...storedFields(r),
      },
    }),
  },
];
const VOICE_FIELD = { calls: 'calls', call_statuses: 'callStatuses', recordings: 'recordings' } as const;

export class PostgresSubjectRecords implements SubjectRecords, RetentionStore, DatabaseStatus {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async count(index: string): Promise<number> {
    const result = await this.#db.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM ${Table.messages} WHERE (from_index = $1 OR to_index = $1) AND ${REAL})
             + (SELECT count(*) FROM ${Table.statusUpdates} WHERE ${SUBJECT_STATUSES})
             + (SELECT count(*) FROM ${Table.quarantined} WHERE ${SUBJECT_QUARANTINED})
             + (SELECT count(*) FROM ${Table.calls} WHERE from_index = $1 OR to_index = $1)
             + (SELECT count(*) FROM ${Table.callStatuses} WHERE ${SUBJECT_CALL_STATUSES})
             + (SELECT count(*) FROM ${Table.recordings} WHERE ${SUBJECT_RECORDINGS}))::int AS n`,
      [index],
    );
    return result.rows[0]?.n ?? 0;
  }

  async page(index: string, from: ExportPosition, limit: number): Promise<SubjectPage> {
    const voiceStart = VOICE_PHASES.findIndex((p) => p.kind === from.kind);
    const first: SubjectPage =
      voiceStart >= 0
        ? { messages: [], statuses: [], quarantined: [], ...NO_VOICE }
        : await this.#messagingPage(index, from, limit);
    if (first.next) return first;
    // The messaging phases are done: the voice phases fill the room left, from where the cursor points.
    const page = {
      ...first,
      calls: [] as StoredCall[],
      callStatuses: [] as StoredCallStatus[],
      recordings: [] as StoredRecording[],
    };
    let room = limit - first.messages.length - first.statuses.length - first.quarantined.length;
    for (let p = Math.max(voiceStart, 0); p < VOICE_PHASES.length; p++) {
      const phase = VOICE_PHASES[p] as VoicePhaseSpec;
      const after = p === voiceStart ? from.after : undefined;
      const result = await this.#db.query(
        `${phase.sql} ${after ? `AND (received_at, ${phase.key}) > (${FROM_US}, $3${phase.keyCast})` : ''}
         ORDER BY received_at, ${phase.key} LIMIT ${after ? '$4' : '$2'}`,
        after ? [index, after.atMicros, after.key, room + 1] : [index, room + 1],
      );
      const rows = result.rows.map((row) => phase.read(row as never));
      const kept = rows.slice(0, room);
      (page[VOICE_FIELD[phase.kind]] as VoiceRecord[]) = kept.map((r) => r.record);
      if (rows.length > room) {
        const last = kept[kept.length - 1];
        return {
          ...page,
          next: {
            kind: phase.kind,
            ...(last ? { after: { atMicros: last.record.atMicros, key: last.key } } : {}),
          },
        };
      }
      room -= rows.length;
    }
    return page;
  }

  async #messagingPage(index: string, from: ExportPosition, limit: number): Promise<SubjectPage> {
    let messages: StoredMessage[] = [];
    if (from.kind === 'messages') {
      const after = from.after;
      const result = await this.#db.query<MessageRow>(
        `SELECT message_sid, account_sid, messaging_service_sid, num_media, received_at, stored_at, sealed,
                from_index, to_index, ${AT_US}, ${QUARANTINED}
         FROM ${Table.messages} t WHERE (from_index = $1 OR to_index = $1) AND ${REAL}
           ${after ? `AND (received_at, message_sid) > (${FROM_US}, $3)` : ''}
         ORDER BY received_at, message_sid LIMIT ${after ? '$4' : '$2'}`,
        after ? [index, after.atMicros, after.key, limit + 1] : [index, limit + 1],
      );
      messages = result.rows.map(toMessage);
      if (messages.length > limit) {
        messages = messages.slice(0, limit);
        const last = messages[messages.length - 1] as StoredMessage;
        return {
          messages,
          statuses: [],
          quarantined: [],
          ...NO_VOICE,
          next: { kind: 'messages', after: { atMicros: last.atMicros, key: last.messageSid } },
        };
      }
    }
    let statuses: StoredStatus[] = [];
    if (from.kind !== 'quarantined') {
      const room = limit - messages.length;
      const after = from.kind === 'statuses' ? from.after : undefined;
      const result = await this.#db.query<StatusRow>(
        `SELECT id, message_sid, status, error_code, received_at, stored_at, sealed, from_index, to_index,
                ${AT_US}, ${QUARANTINED}
         FROM ${Table.statusUpdates} t WHERE (${SUBJECT_STATUSES})
           ${after ? `AND (received_at, id) > (${FROM_US}, $3::bigint)` : ''}
         ORDER BY received_at, id LIMIT ${after ? '$4' : '$2'}`,
        after ? [index, after.atMicros, after.key, room + 1] : [index, room + 1],
      );
      statuses = result.rows.map(toStatus);
      if (statuses.length > room) {
        statuses = statuses.slice(0, room);
        const last = statuses[statuses.length - 1];
        return {
          messages,
          statuses,
          quarantined: [],
          ...NO_VOICE,
          next: { kind: 'statuses', ...(last ? { after: { atMicros: last.atMicros, key: last.id } } : {}) },
        };
      }
    }
    const room = limit - messages.length - statuses.length;
    const after = from.kind === 'quarantined' ? from.after : undefined;
    const result = await this.#db.query<QuarantinedRow>(
      `SELECT id, route, failed_checks, message_sid, call_sid, payload_key, from_index, to_index, other_indexes,
              received_at, stored_at, sealed, ${AT_US}
       FROM ${Table.quarantined} WHERE (${SUBJECT_QUARANTINED})
         ${after ? `AND (received_at, id) > (${FROM_US}, $3::bigint)` : ''}
       ORDER BY received_at, id LIMIT ${after ? '$4' : '$2'}`,
      after ? [index, after.atMicros, after.key, room + 1] : [index, room + 1],
    );
    let quarantined = result.rows.map(toQuarantined);
    if (quarantined.length <= room) return { messages, statuses, quarantined, ...NO_VOICE };
    quarantined = quarantined.slice(0, room);
    const last = quarantined[quarantined.length - 1];
    return {
      messages,
      statuses,
      quarantined,
      ...NO_VOICE,
      next: { kind: 'quarantined', ...(last ? { after: { atMicros: last.atMicros, key: last.id } } : {}) },
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
        `LOCK TABLE ${Table.messages}, ${Table.statusUpdates}, ${Table.quarantined}, ${Table.calls},
           ${Table.callStatuses}, ${Table.recordings} IN SHARE ROW EXCLUSIVE MODE`,
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
           DELETE FROM ${Table.quarantined} WHERE ${SUBJECT_QUARANTINED} RETURNING 1
         ), call_tombstones AS (
           -- Each erased call's own index: its later callbacks (which may name no number) are dropped.
           INSERT INTO ${Table.erasedSubjects} (blind_index)
           SELECT call_index FROM ${Table.calls} WHERE from_index = $1 OR to_index = $1
           ON CONFLICT (blind_index) DO NOTHING RETURNING 1
         ), gone_call_statuses AS (
           DELETE FROM ${Table.callStatuses} WHERE ${SUBJECT_CALL_STATUSES} RETURNING 1
         ), gone_recordings AS (
           DELETE FROM ${Table.recordings} WHERE ${SUBJECT_RECORDINGS} RETURNING 1
         ), gone_calls AS (
           DELETE FROM ${Table.calls} WHERE from_index = $1 OR to_index = $1 RETURNING 1
         )
         SELECT (SELECT count(*) FROM gone_messages)::int AS messages,
                (SELECT count(*) FROM gone_statuses)::int AS statuses,
                (SELECT count(*) FROM gone_quarantined)::int AS quarantined,
                (SELECT count(*) FROM gone_calls)::int AS calls,
                (SELECT count(*) FROM gone_call_statuses)::int AS "callStatuses",
                (SELECT count(*) FROM gone_recordings)::int AS recordings,
                (SELECT count(*) FROM tombstone)::int AS tombstones,
                (SELECT count(*) FROM call_tombstones)::int AS call_tombstones`,
        [index],
      );
      const row = result.rows[0];
      return {
        messages: row?.messages ?? 0,
        statuses: row?.statuses ?? 0,
        quarantined: row?.quarantined ?? 0,
        calls: row?.calls ?? 0,
        callStatuses: row?.callStatuses ?? 0,
        recordings: row?.recordings ?? 0,
      };
    });
  }

  async deleteReceivedBefore(cutoff: Date): Promise<RowCounts> {
    // Synthetic messages go after SYNTHETIC_RETENTION_HOURS, whatever the environment's retention.
    const synthetic = await this.#db.query<{ deleted: number }>(
      `WITH gone AS (
         DELETE FROM ${Table.messages} WHERE synthetic IS NOT NULL AND received_at < now() - make_interval(hours => $1)
         RETURNING 1
       ) SELECT count(*)::int AS deleted FROM gone`,
      [SYNTHETIC_RETENTION_HOURS],
    );
    return {
      messages:
        (synthetic.rows[0]?.deleted ?? 0) +
        (await this.#deleteInBatches(Table.messages, 'message_sid', cutoff)),
      statuses: await this.#deleteInBatches(Table.statusUpdates, 'id', cutoff),
      quarantined: await this.#deleteInBatches(Table.quarantined, 'id', cutoff),
      calls: await this.#deleteInBatches(Table.calls, 'call_sid', cutoff),
      callStatuses: await this.#deleteInBatches(Table.callStatuses, 'id', cutoff),
      recordings: await this.#deleteInBatches(Table.recordings, 'recording_sid', cutoff),
    };
  }

  async migrationVersion(): Promise<number> {
    const result = await this.#db.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${Table.migrations}`,
    );
    return result.rows[0]?.version ?? 0;
  }

  async latestSynthetic(): Promise<{ messageSid: string; kind: SyntheticKind; storedAt: Date } | null> {
    const result = await this.#db.query<{ message_sid: string; synthetic: SyntheticKind; stored_at: Date }>(
      `SELECT message_sid, synthetic, stored_at FROM ${Table.messages}
       WHERE synthetic IS NOT NULL ORDER BY stored_at DESC LIMIT 1`,
    );
    const row = result.rows[0];
    return row ? { messageSid: row.message_sid, kind: row.synthetic, storedAt: row.stored_at } : null;
  }

  async storedCounts(): Promise<RowCounts> {
    const result = await this.#db.query<RowCounts>(
      `SELECT (SELECT count(*) FROM ${Table.messages} WHERE ${REAL})::int AS messages,
              (SELECT count(*) FROM ${Table.statusUpdates})::int AS statuses,
              (SELECT count(*) FROM ${Table.quarantined})::int AS quarantined,
              (SELECT count(*) FROM ${Table.calls})::int AS calls,
              (SELECT count(*) FROM ${Table.callStatuses})::int AS "callStatuses",
              (SELECT count(*) FROM ${Table.recordings})::int AS recordings`,
    );
    return (
      result.rows[0] ?? { messages: 0, statuses: 0, quarantined: 0, calls: 0, callStatuses: 0, recordings: 0 }
    );
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
