// Versioned SQL migrations, bundled into every function that needs them (no files to ship).
// Append only: a landed migration is never edited; a change is a new version.

import { APP_DB_ROLE, DbRole, SyntheticKind, Table } from '../names.js';

/** Audit columns a writer may set; id and the chain's hashes are the trigger's (migration 35). */
const AUDIT_WRITABLE = [
  'at',
  'route',
  'method',
  'outcome',
  'status',
  'source_ip',
  'request_id',
  'caller',
  'credential',
  'role',
  'detail',
];

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'messages and status updates',
    sql: `
      CREATE TABLE ${Table.messages} (
        message_sid           text PRIMARY KEY,
        account_sid           text NOT NULL,
        messaging_service_sid text,
        from_index            text NOT NULL,
        to_index              text NOT NULL,
        num_media             smallint NOT NULL CHECK (num_media BETWEEN 0 AND 10),
        sealed                bytea NOT NULL,
        idempotency_token     text,
        received_at           timestamptz NOT NULL,
        stored_at             timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX messages_from_index ON ${Table.messages} (from_index);
      CREATE INDEX messages_to_index ON ${Table.messages} (to_index);
      CREATE INDEX messages_received_at ON ${Table.messages} (received_at);

      -- Status callbacks often concern outbound messages that never came in through the webhook,
      -- so there is no foreign key; one row per (message, status) makes redelivery a no-op.
      CREATE TABLE ${Table.statusUpdates} (
        id                bigserial PRIMARY KEY,
        message_sid       text NOT NULL,
        status            text NOT NULL,
        error_code        text,
        from_index        text,
        to_index          text,
        sealed            bytea NOT NULL,
        idempotency_token text,
        received_at       timestamptz NOT NULL,
        stored_at         timestamptz NOT NULL DEFAULT now(),
        UNIQUE (message_sid, status)
      );
      CREATE INDEX status_updates_from_index ON ${Table.statusUpdates} (from_index);
      CREATE INDEX status_updates_to_index ON ${Table.statusUpdates} (to_index);
      CREATE INDEX status_updates_received_at ON ${Table.statusUpdates} (received_at);
    `,
  },
  {
    version: 2,
    name: 'admin audit log and lockouts',
    sql: `
      -- Append-only for the application role (see the grants): every admin call, allowed or not.
      -- route is the template (never a raw phone number); caller is a token fingerprint, never a token.
      CREATE TABLE ${Table.auditLog} (
        id          bigserial PRIMARY KEY,
        at          timestamptz NOT NULL,
        route       text NOT NULL,
        method      text NOT NULL,
        outcome     text NOT NULL,
        status      smallint NOT NULL,
        source_ip   text NOT NULL,
        request_id  text NOT NULL,
        caller      text NOT NULL,
        detail      jsonb
      );
      CREATE INDEX admin_audit_log_at ON ${Table.auditLog} (at DESC, id DESC);

      -- Failed admin authentications per source IP, shared by every Lambda instance.
      CREATE TABLE ${Table.adminLockouts} (
        source_ip    text PRIMARY KEY,
        window_start timestamptz NOT NULL,
        failures     integer NOT NULL,
        locked_until timestamptz
      );
    `,
  },
  {
    version: 10,
    name: 'quarantined payloads',
    sql: `
      -- Signed webhooks whose payload failed the schema or a limit (ARCHITECTURE §1): stored sealed, with
      -- the names of the failed checks (never their values). Generic over routes (messages, statuses,
      -- later voice callbacks). payload_key is a keyed digest of the payload: a redelivery is a no-op.
      CREATE TABLE ${Table.quarantined} (
        id                bigserial PRIMARY KEY,
        payload_key       text NOT NULL UNIQUE CHECK (payload_key ~ '^[0-9a-f]{64}$'),
        route             text NOT NULL,
        failed_checks     text[] NOT NULL,
        message_sid       text,
        account_sid       text,
        from_index        text,
        to_index          text,
        sealed            bytea NOT NULL,
        idempotency_token text,
        received_at       timestamptz NOT NULL,
        stored_at         timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX quarantined_payloads_from_index ON ${Table.quarantined} (from_index);
      CREATE INDEX quarantined_payloads_to_index ON ${Table.quarantined} (to_index);
      CREATE INDEX quarantined_payloads_received_at ON ${Table.quarantined} (received_at);
    `,
  },
  {
    version: 30,
    name: 'erased subject tombstones',
    sql: `
      -- An erased subject leaves its blind index and the time, never the number (ARCHITECTURE §4).
      -- The retention run does not touch this table: a tombstone outlives every copy of the data
      -- (Twilio redeliveries, SQS retries, DLQ redrives, the local journal) it must stop.
      CREATE TABLE ${Table.erasedSubjects} (
        blind_index text PRIMARY KEY,
        erased_at   timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 35,
    name: 'admin credentials with roles, four-eyes approvals, hash-chained audit log',
    sql: `
      -- Who called: the credential's holder id and its role (the token fingerprint stays in caller).
      ALTER TABLE ${Table.auditLog} ADD COLUMN credential text, ADD COLUMN role text,
        ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;

      -- The chain (ARCHITECTURE §2): hash = SHA-256(previous hash || this row's fields). One function
      -- computes it for the trigger and for the verification, so the two cannot drift apart. The time
      -- is hashed as epoch microseconds, so the session's TimeZone cannot change the bytes.
      CREATE FUNCTION admin_audit_hash(prev bytea, r ${Table.auditLog}) RETURNS bytea
        LANGUAGE sql IMMUTABLE AS $fn$
        SELECT sha256(coalesce(prev, '\\x'::bytea) || convert_to(jsonb_build_array(
          r.id, (extract(epoch FROM r.at) * 1000000)::bigint, r.route, r.method, r.outcome, r.status,
          r.source_ip, r.request_id, r.caller, r.credential, r.role, r.detail)::text, 'UTF8'))
      $fn$;

      -- Runs as the schema owner (SECURITY DEFINER) so writers need INSERT only; it overwrites any
      -- id or hash the writer supplied, and a transaction-scoped advisory lock makes concurrent
      -- inserts line up one after another instead of forking the chain.
      CREATE FUNCTION admin_audit_chain() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
        BEGIN
          PERFORM pg_advisory_xact_lock(hashtext('${Table.auditLog}'));
          NEW.id := nextval('${Table.auditLog}_id_seq');
          SELECT hash INTO NEW.prev_hash FROM ${Table.auditLog} ORDER BY id DESC LIMIT 1;
          NEW.hash := admin_audit_hash(NEW.prev_hash, NEW);
          RETURN NEW;
        END
      $fn$;

      -- Rows written before the chain existed are chained now, in order.
      DO $backfill$
      DECLARE
        r ${Table.auditLog};
        prev bytea;
      BEGIN
        FOR r IN SELECT * FROM ${Table.auditLog} ORDER BY id LOOP
          UPDATE ${Table.auditLog} SET prev_hash = prev, hash = admin_audit_hash(prev, r) WHERE id = r.id
            RETURNING hash INTO prev;
        END LOOP;
      END
      $backfill$;
      ALTER TABLE ${Table.auditLog} ALTER COLUMN hash SET NOT NULL;
      -- The id comes from the trigger (as the owner), so writers need no sequence privilege and
      -- cannot pick an id.
      ALTER TABLE ${Table.auditLog} ALTER COLUMN id DROP DEFAULT;
      CREATE TRIGGER admin_audit_chain BEFORE INSERT ON ${Table.auditLog}
        FOR EACH ROW EXECUTE FUNCTION admin_audit_chain();

      -- Four-eyes (ARCHITECTURE §2): one credential requests, a different privacy credential approves.
      -- The subject is held by its blind index only, never its number.
      CREATE TABLE ${Table.adminApprovals} (
        id            text PRIMARY KEY,
        action        text NOT NULL CHECK (action IN ('erase', 'export')),
        subject_index text NOT NULL,
        params        jsonb NOT NULL DEFAULT '{}',
        requested_by  text NOT NULL,
        requested_at  timestamptz NOT NULL,
        expires_at    timestamptz NOT NULL,
        approved_by   text,
        approved_at   timestamptz
      );
    `,
  },
  {
    version: 40,
    name: 'synthetic messages (verify, canary)',
    sql: `
      -- NULL for real traffic; 'verify' or 'canary' for a message marked with SYNTHETIC_PARAM (names.ts).
      ALTER TABLE ${Table.messages}
        ADD COLUMN synthetic text CHECK (synthetic IN ('${SyntheticKind.verify}', '${SyntheticKind.canary}'));
      -- The latest synthetic message (health) and their short retention read only these few rows.
      CREATE INDEX messages_synthetic_stored_at ON ${Table.messages} (stored_at) WHERE synthetic IS NOT NULL;
    `,
  },
  {
    version: 50,
    name: 'every address of a quarantined payload indexed',
    sql: `
      -- A quarantined payload may carry more addresses than one From and one To (a repeated key is one of
      -- the ways it fails the schema): the blind indexes of the others, sorted, bound into the sealed
      -- record's AAD, so export and erasure find the payload by any of its numbers (ARCHITECTURE §4).
      ALTER TABLE ${Table.quarantined}
        ADD COLUMN other_indexes text[] CHECK (other_indexes IS NULL OR cardinality(other_indexes) > 0);
      CREATE INDEX quarantined_payloads_other_indexes ON ${Table.quarantined} USING gin (other_indexes);
    `,
  },
  {
    version: 60,
    name: 'voice calls, call statuses and recordings',
    sql: `
      -- Incoming calls (issue 14): one row per CallSid. Numbers only sealed, found by blind index.
      CREATE TABLE ${Table.calls} (
        call_sid          text PRIMARY KEY CHECK (call_sid ~ '^CA[0-9a-fA-F]{32}$'),
        account_sid       text NOT NULL,
        status            text NOT NULL,
        direction         text NOT NULL,
        from_index        text NOT NULL,
        to_index          text NOT NULL,
        -- Blind index of the call itself: an erasure tombstones it, so the call's later callbacks
        -- (statuses, recordings, which may name no number) are dropped by ingest.
        call_index        text NOT NULL,
        sealed            bytea NOT NULL,
        idempotency_token text,
        received_at       timestamptz NOT NULL,
        stored_at         timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX voice_calls_from_index ON ${Table.calls} (from_index);
      CREATE INDEX voice_calls_to_index ON ${Table.calls} (to_index);
      CREATE INDEX voice_calls_received_at ON ${Table.calls} (received_at);

      -- Call status callbacks: Twilio numbers each callback of a call (SequenceNumber), and one status
      -- may come more than once; a redelivery repeats all three. No foreign key: outbound calls never
      -- came in through the webhook.
      CREATE TABLE ${Table.callStatuses} (
        id                bigserial PRIMARY KEY,
        call_sid          text NOT NULL,
        status            text NOT NULL,
        sequence_number   integer NOT NULL,
        call_duration     integer,
        from_index        text,
        to_index          text,
        call_index        text NOT NULL,
        sealed            bytea NOT NULL,
        idempotency_token text,
        received_at       timestamptz NOT NULL,
        stored_at         timestamptz NOT NULL DEFAULT now(),
        UNIQUE (call_sid, status, sequence_number)
      );
      CREATE INDEX voice_call_statuses_from_index ON ${Table.callStatuses} (from_index);
      CREATE INDEX voice_call_statuses_to_index ON ${Table.callStatuses} (to_index);
      CREATE INDEX voice_call_statuses_received_at ON ${Table.callStatuses} (received_at);

      -- Recording status callbacks: one row per RecordingSid; the recording URL is only in the sealed
      -- record. call_index is the blind index of the call, which an erasure tombstones.
      CREATE TABLE ${Table.recordings} (
        recording_sid     text PRIMARY KEY CHECK (recording_sid ~ '^RE[0-9a-fA-F]{32}$'),
        call_sid          text NOT NULL,
        status            text NOT NULL,
        duration          integer,
        call_index        text NOT NULL,
        sealed            bytea NOT NULL,
        idempotency_token text,
        received_at       timestamptz NOT NULL,
        stored_at         timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX voice_recordings_call_sid ON ${Table.recordings} (call_sid);
      CREATE INDEX voice_recordings_received_at ON ${Table.recordings} (received_at);

      -- A quarantined voice payload keeps its CallSid (when it passed its pattern): export and erasure
      -- follow the subject's calls to it.
      ALTER TABLE ${Table.quarantined} ADD COLUMN call_sid text;
      CREATE INDEX quarantined_payloads_call_sid ON ${Table.quarantined} (call_sid);
    `,
  },
];

type Privilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' | 'USAGE';

interface Grant {
  /** A table or sequence; skipped while it does not exist (a database migrated only part way). */
  readonly on: string;
  readonly privileges: readonly Privilege[];
  /** Column-level grant: only these columns. */
  readonly columns?: readonly string[];
}

/**
 * What each function's role may do (ARCHITECTURE §4), and nothing else on these tables: the grants
 * block revokes everything on them first. Column lists keep a role from reading sealed records it
 * does not need: RETURNING, ON CONFLICT targets and WHERE clauses need SELECT on the columns they name.
 */
export const ROLE_PRIVILEGES: Readonly<Record<DbRole, readonly Grant[]>> = {
  // The queue consumer inserts; it reads back only the keys its ON CONFLICT … RETURNING names.
  [DbRole.ingest]: [
    { on: Table.messages, privileges: ['INSERT'] },
    { on: Table.messages, privileges: ['SELECT'], columns: ['message_sid'] },
    { on: Table.statusUpdates, privileges: ['INSERT'] },
    { on: Table.statusUpdates, privileges: ['SELECT'], columns: ['message_sid', 'status'] },
    { on: `${Table.statusUpdates}_id_seq`, privileges: ['USAGE'] },
    { on: Table.quarantined, privileges: ['INSERT'] },
    { on: Table.quarantined, privileges: ['SELECT'], columns: ['payload_key'] },
    { on: `${Table.quarantined}_id_seq`, privileges: ['USAGE'] },
    { on: Table.calls, privileges: ['INSERT'] },
    { on: Table.calls, privileges: ['SELECT'], columns: ['call_sid'] },
    { on: Table.callStatuses, privileges: ['INSERT'] },
    { on: Table.callStatuses, privileges: ['SELECT'], columns: ['call_sid', 'status', 'sequence_number'] },
    { on: `${Table.callStatuses}_id_seq`, privileges: ['USAGE'] },
    { on: Table.recordings, privileges: ['INSERT'] },
    { on: Table.recordings, privileges: ['SELECT'], columns: ['recording_sid'] },
    // Erasure is final (ARCHITECTURE §4): an envelope of an erased subject is dropped, never stored.
    { on: Table.erasedSubjects, privileges: ['SELECT'], columns: ['blind_index'] },
  ],
  // Reads and erases subjects, runs retention on demand, keeps approvals and lockouts, appends audit.
  [DbRole.admin]: [
    { on: Table.messages, privileges: ['SELECT', 'DELETE'] },
    { on: Table.statusUpdates, privileges: ['SELECT', 'DELETE'] },
    { on: Table.quarantined, privileges: ['SELECT', 'DELETE'] },
    { on: Table.calls, privileges: ['SELECT', 'DELETE'] },
    { on: Table.callStatuses, privileges: ['SELECT', 'DELETE'] },
    { on: Table.recordings, privileges: ['SELECT', 'DELETE'] },
    { on: Table.migrations, privileges: ['SELECT'] },
    { on: Table.auditLog, privileges: ['SELECT'] },
    { on: Table.auditLog, privileges: ['INSERT'], columns: AUDIT_WRITABLE },
    { on: Table.adminLockouts, privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
    { on: Table.adminApprovals, privileges: ['SELECT', 'INSERT', 'UPDATE'] },
    // The erasure writes its tombstone; nobody but the owner may UPDATE or DELETE one (that would un-erase).
    { on: Table.erasedSubjects, privileges: ['SELECT', 'INSERT'] },
  ],
  // The schedule deletes old rows by their time and key, never reading a sealed record; it audits its runs.
  [DbRole.retention]: [
    { on: Table.messages, privileges: ['DELETE'] },
    // synthetic: verify and canary messages go after SYNTHETIC_RETENTION_HOURS (names.ts).
    { on: Table.messages, privileges: ['SELECT'], columns: ['message_sid', 'received_at', 'synthetic'] },
    { on: Table.statusUpdates, privileges: ['DELETE'] },
    { on: Table.statusUpdates, privileges: ['SELECT'], columns: ['id', 'received_at'] },
    { on: Table.quarantined, privileges: ['DELETE'] },
    { on: Table.quarantined, privileges: ['SELECT'], columns: ['id', 'received_at'] },
    { on: Table.calls, privileges: ['DELETE'] },
    { on: Table.calls, privileges: ['SELECT'], columns: ['call_sid', 'received_at'] },
    { on: Table.callStatuses, privileges: ['DELETE'] },
    { on: Table.callStatuses, privileges: ['SELECT'], columns: ['id', 'received_at'] },
    { on: Table.recordings, privileges: ['DELETE'] },
    { on: Table.recordings, privileges: ['SELECT'], columns: ['recording_sid', 'received_at'] },
    { on: Table.auditLog, privileges: ['INSERT'], columns: AUDIT_WRITABLE },
  ],
};

/** Tables and sequences whose privileges the grants block owns (everything on them is revoked first). */
const GOVERNED = [
  Table.messages,
  Table.statusUpdates,
  `${Table.statusUpdates}_id_seq`,
  Table.migrations,
  Table.auditLog,
  `${Table.auditLog}_id_seq`,
  Table.adminLockouts,
  Table.adminApprovals,
  Table.quarantined,
  `${Table.quarantined}_id_seq`,
  Table.erasedSubjects,
  Table.calls,
  Table.callStatuses,
  `${Table.callStatuses}_id_seq`,
  Table.recordings,
];

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return name;
};

function grantStatement(role: string, grant: Grant): string {
  const on = ident(grant.on);
  const kind = grant.on.endsWith('_seq') ? 'SEQUENCE ' : '';
  const privileges = grant.columns
    ? grant.privileges.map((p) => `${p} (${grant.columns?.map(ident).join(', ')})`).join(', ')
    : grant.privileges.join(', ');
  return `IF to_regclass('${on}') IS NOT NULL THEN GRANT ${privileges} ON ${kind}${on} TO ${role}; END IF;`;
}

function roleBlock(role: string, grants: readonly Grant[]): string {
  return `
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
    BEGIN
      CREATE ROLE ${role} NOLOGIN;
    -- unique_violation: two databases on one server migrated at once race on the cluster-wide role name.
    EXCEPTION WHEN insufficient_privilege OR duplicate_object OR unique_violation THEN
      RAISE NOTICE 'role ${role} not created: %', SQLERRM;
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${role}', current_database());
    GRANT USAGE ON SCHEMA public TO ${role};
    ${GOVERNED.map((on) => `IF to_regclass('${on}') IS NOT NULL THEN REVOKE ALL ON ${on.endsWith('_seq') ? 'SEQUENCE ' : ''}${on} FROM ${role}; END IF;`).join('\n    ')}
    ${grants.map((grant) => grantStatement(role, grant)).join('\n    ')}
  END IF;`;
}

/**
 * The roles and their grants, re-applied after every migration run so a new table is never left
 * with too many (or without) privileges. The roles are created NOLOGIN: how each function logs in
 * (a password locally, IAM through RDS Proxy in AWS) is set outside the migrations. Where the
 * connecting user may not create roles (an externally managed DATABASE_URL), a role is skipped with
 * a notice. The former shared role keeps no privilege on these tables.
 */
export const APP_ROLE_GRANTS = `
DO $grants$
BEGIN
  -- A function role must never be the user that runs the migrations (the schema owner): revoking its
  -- privileges would strip the owner. Fail the migration run loudly instead, before changing anything.
  IF current_user IN (${Object.keys(ROLE_PRIVILEGES)
    .map((role) => `'${role}'`)
    .join(', ')}) THEN
    RAISE EXCEPTION 'function role % is the migrating user; give the owner another name', current_user;
  END IF;
  -- The former shared role is still created (NOLOGIN, no privilege) because the deploy-time migration
  -- sets its password until the deployment logs in per function role.
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_DB_ROLE}') THEN
    BEGIN
      CREATE ROLE ${APP_DB_ROLE} NOLOGIN;
    EXCEPTION WHEN insufficient_privilege OR duplicate_object OR unique_violation THEN
      RAISE NOTICE 'role ${APP_DB_ROLE} not created: %', SQLERRM;
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_DB_ROLE}') THEN
    ${GOVERNED.map((on) => `IF to_regclass('${on}') IS NOT NULL THEN REVOKE ALL ON ${on.endsWith('_seq') ? 'SEQUENCE ' : ''}${on} FROM ${APP_DB_ROLE}; END IF;`).join('\n    ')}
  END IF;
${Object.entries(ROLE_PRIVILEGES)
  .map(([role, grants]) => roleBlock(role, grants))
  .join('\n')}
END
$grants$;
`;
