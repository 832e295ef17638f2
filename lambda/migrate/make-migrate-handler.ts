// Deploy-time migration (a CDK Trigger): applies pending migrations, then lets each function's login role
// authenticate with IAM through RDS Proxy (end-to-end IAM auth: no role has a password to set or rotate).

import type { ClientBase } from 'pg';
import { type MigrationResult, runMigrations } from '../shared/db/migrate.js';
import type { Logger } from '../shared/logger.js';
import { DbRole, LogEvent, RDS_IAM_ROLE } from '../shared/names.js';

export interface MigrateDeps {
  /** A connected client with rights to create tables and roles (the master user). */
  readonly connect: () => Promise<ClientBase & { end(): Promise<void> }>;
  readonly logger: Logger;
  /** The roles the functions log in as. @default every DbRole */
  readonly loginRoles?: readonly string[];
  /** The server's IAM-authentication role. @default rds_iam (RDS only; plain Postgres has none) */
  readonly iamAuthRole?: string;
}

export interface MigrateOutcome extends MigrationResult {
  /** Login roles given IAM authentication on this run (empty where the server has no IAM role). */
  readonly iamLoginRoles: readonly string[];
}

/**
 * Grants `iamAuthRole` and LOGIN to each existing login role. Idempotent, runs on every deploy, sets no
 * password. Skipped where the server has no such role (plain Postgres, the local stack), so the same
 * migrations serve both.
 */
export async function enableIamLogin(
  client: Pick<ClientBase, 'query'>,
  loginRoles: readonly string[],
  iamAuthRole: string,
): Promise<string[]> {
  const iam = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [iamAuthRole]);
  if (iam.rowCount === 0) return [];
  const existing = await client.query<{ rolname: string }>(
    'SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[]) ORDER BY rolname',
    [loginRoles],
  );
  const granted: string[] = [];
  for (const { rolname } of existing.rows) {
    // The server quotes the identifiers (format %I); no value comes from outside the code.
    const statements = await client.query<{ sql: string }>(
      'SELECT format($$GRANT %I TO %I$$, $1::text, $2::text) AS sql UNION ALL SELECT format($$ALTER ROLE %I LOGIN$$, $2::text)',
      [iamAuthRole, rolname],
    );
    for (const { sql } of statements.rows) await client.query(sql);
    granted.push(rolname);
  }
  return granted;
}

export function makeMigrateHandler(getDeps: () => Promise<MigrateDeps>): () => Promise<MigrateOutcome> {
  return async () => {
    const deps = await getDeps();
    const client = await deps.connect();
    try {
      const result = await runMigrations(client);
      const iamLoginRoles = await enableIamLogin(
        client,
        deps.loginRoles ?? Object.values(DbRole),
        deps.iamAuthRole ?? RDS_IAM_ROLE,
      );
      deps.logger.info(LogEvent.migrationsApplied, {
        applied: result.applied,
        current: result.current,
        iamLoginRoles,
      });
      return { ...result, iamLoginRoles };
    } finally {
      await client.end();
    }
  };
}
