// Versioned SQL migrations, bundled into every function that needs them (no files to ship).
// Append only: a landed migration is never edited; a change is a new version.

import { APP_DB_ROLE, Table } from '../names.js';

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
    EXCEPTION WHEN insufficient_privilege OR duplicate_object THEN
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
  END IF;
END
$grants$;
`;
