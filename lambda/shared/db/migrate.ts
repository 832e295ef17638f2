// Applies pending migrations exactly once, even when several processes start at the same moment.

import type { ClientBase } from 'pg';
import { Table } from '../names.js';
import { APP_ROLE_GRANTS, MIGRATIONS, type Migration } from './migrations.js';

/** Any constant shared by every Signalgate migrator; it serialises concurrent runs. */
const MIGRATION_LOCK_ID = 0x5167_6174;

export interface MigrationResult {
  readonly applied: number[];
  readonly current: number;
}

export async function runMigrations(
  client: ClientBase,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
  try {
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${Table.migrations} (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const done = await client.query<{ version: number }>(`SELECT version FROM ${Table.migrations}`);
    const have = new Set(done.rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (have.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${Table.migrations} (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(
          `migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`,
        );
      }
      applied.push(migration.version);
    }
    await client.query(APP_ROLE_GRANTS);
    return { applied, current: Math.max(0, ...migrations.map((m) => m.version)) };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
  }
}

/** The latest migration version this code knows; `/admin/health` compares it with the database. */
export const LATEST_MIGRATION = Math.max(...MIGRATIONS.map((m) => m.version));
