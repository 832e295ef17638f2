// Deploy-time migration (a CDK Trigger): applies pending migrations, then lets the application role
// log in with the password held in its own secret (RDS Proxy connects as that role).

import type { ClientBase } from 'pg';
import { type MigrationResult, runMigrations } from '../shared/db/migrate.js';
import type { Logger } from '../shared/logger.js';
import { APP_DB_ROLE, LogEvent } from '../shared/names.js';

export interface MigrateDeps {
  /** A connected client with rights to create tables and roles (the master user). */
  readonly connect: () => Promise<ClientBase & { end(): Promise<void> }>;
  /** The application role's password, from its secret; undefined leaves the role NOLOGIN. */
  readonly appRolePassword: () => Promise<string | undefined>;
  readonly logger: Logger;
}

export function makeMigrateHandler(getDeps: () => Promise<MigrateDeps>): () => Promise<MigrationResult> {
  return async () => {
    const deps = await getDeps();
    const client = await deps.connect();
    try {
      const result = await runMigrations(client);
      const password = await deps.appRolePassword();
      if (password !== undefined) {
        // The server quotes the identifier and literal; the password never appears in a log.
        const statement = await client.query<{ sql: string }>(
          'SELECT format($$ALTER ROLE %I LOGIN PASSWORD %L$$, $1::text, $2::text) AS sql',
          [APP_DB_ROLE, password],
        );
        await client.query(statement.rows[0]?.sql as string);
      }
      deps.logger.info(LogEvent.migrationsApplied, { applied: result.applied, current: result.current });
      return result;
    } finally {
      await client.end();
    }
  };
}
