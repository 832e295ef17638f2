// Versioned SQL migrations, bundled into every function that needs them (no files to ship).
// Append only: a landed migration is never edited; a change is a new version.

import { APP_DB_ROLE, DbRole, Table } from '../names.js';

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
];

/**
 * Grants of the least-privilege application role, re-applied after every migration run so a new
 * table is never left without (or with too many) privileges. The role is created NOLOGIN here; the
 * deploy-time migration gives it a password from its own secret. Where the connecting user may not
 * create roles (an externally managed DATABASE_URL), the grants are skipped with a notice.
 */
export const APP_ROLE_GRANTS = `
DO $grants$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_DB_ROLE}') THEN
    BEGIN
      CREATE ROLE ${APP_DB_ROLE} NOLOGIN;
    -- unique_violation: two databases on one server migrated at once race on the cluster-wide role name.
    EXCEPTION WHEN insufficient_privilege OR duplicate_object OR unique_violation THEN
      RAISE NOTICE 'role ${APP_DB_ROLE} not created: %', SQLERRM;
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_DB_ROLE}') THEN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${APP_DB_ROLE}', current_database());
    GRANT USAGE ON SCHEMA public TO ${APP_DB_ROLE};
    -- Ingest inserts; admin exports, erases and applies retention. No UPDATE anywhere.
    GRANT SELECT, INSERT, DELETE ON ${Table.messages}, ${Table.statusUpdates} TO ${APP_DB_ROLE};
    REVOKE UPDATE, TRUNCATE ON ${Table.messages}, ${Table.statusUpdates} FROM ${APP_DB_ROLE};
    GRANT USAGE ON SEQUENCE ${Table.statusUpdates}_id_seq TO ${APP_DB_ROLE};
    GRANT SELECT ON ${Table.migrations} TO ${APP_DB_ROLE};
    -- Guarded so a database migrated only to version 1 still gets its grants.
    IF to_regclass('${Table.auditLog}') IS NOT NULL THEN
      -- The audit log is append-only for the application: a stolen app credential cannot rewrite history.
      GRANT SELECT, INSERT ON ${Table.auditLog} TO ${APP_DB_ROLE};
      REVOKE UPDATE, DELETE, TRUNCATE ON ${Table.auditLog} FROM ${APP_DB_ROLE};
      GRANT USAGE ON SEQUENCE ${Table.auditLog}_id_seq TO ${APP_DB_ROLE};
    END IF;
    IF to_regclass('${Table.quarantined}') IS NOT NULL THEN
      -- Like the other stored rows: ingest inserts, admin exports and erases, retention deletes; no UPDATE.
      GRANT SELECT, INSERT, DELETE ON ${Table.quarantined} TO ${APP_DB_ROLE};
      REVOKE UPDATE, TRUNCATE ON ${Table.quarantined} FROM ${APP_DB_ROLE};
      GRANT USAGE ON SEQUENCE ${Table.quarantined}_id_seq TO ${APP_DB_ROLE};
    END IF;
    IF to_regclass('${Table.adminLockouts}') IS NOT NULL THEN
      GRANT SELECT, INSERT, UPDATE, DELETE ON ${Table.adminLockouts} TO ${APP_DB_ROLE};
    END IF;
  END IF;
END
$grants$;
`;

/**
 * Grants on the erasure tombstones, re-applied after every migration run like APP_ROLE_GRANTS, for
 * each role that exists: ingest reads them (to drop envelopes of erased subjects), admin writes them
 * with the erasure. Nobody but the schema owner may UPDATE or DELETE a tombstone: that would un-erase.
 */
export const ERASURE_GRANTS = `
DO $erasure$
BEGIN
  IF to_regclass('${Table.erasedSubjects}') IS NULL THEN RETURN; END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_DB_ROLE}') THEN
    GRANT SELECT, INSERT ON ${Table.erasedSubjects} TO ${APP_DB_ROLE};
    REVOKE UPDATE, DELETE, TRUNCATE ON ${Table.erasedSubjects} FROM ${APP_DB_ROLE};
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${DbRole.ingest}') THEN
    GRANT SELECT ON ${Table.erasedSubjects} TO ${DbRole.ingest};
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${DbRole.admin}') THEN
    GRANT SELECT, INSERT ON ${Table.erasedSubjects} TO ${DbRole.admin};
  END IF;
END
$erasure$;
`;
