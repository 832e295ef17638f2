// A fresh, migrated database per test file on the shared test PostgreSQL server.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { runMigrations } from '../../lambda/shared/db/migrate.js';
import type { DbRole } from '../../lambda/shared/names.js';
import { databaseUrl } from '../../local/embedded-postgres.js';

export interface TestDatabase {
  readonly url: string;
  /** The schema owner's pool (a superuser): for setting up and inspecting state. */
  readonly pool: pg.Pool;
  /** A pool logged in as one function's role, as that function connects. */
  poolAs(role: DbRole, max?: number): pg.Pool;
  /** Drops the database; call from afterAll. */
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = inject('postgresUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(serverUrl);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = databaseUrl(serverUrl, name);
  // DROP DATABASE … WITH (FORCE) ends connections that are still closing; their error is expected then.
  const pool = new pg.Pool({ connectionString: url, max: 25 }).on('error', () => {});
  if (options.migrate !== false) {
    const client = await pool.connect();
    try {
      await runMigrations(client);
    } finally {
      client.release();
    }
  }
  const rolePools: pg.Pool[] = [];
  return {
    url,
    pool,
    poolAs: (role, max = 10) => {
      const roleUrl = new URL(url);
      roleUrl.username = role;
      roleUrl.password = inject('dbRolePassword');
      const rolePool = new pg.Pool({ connectionString: roleUrl.toString(), max }).on('error', () => {});
      rolePools.push(rolePool);
      return rolePool;
    },
    drop: async () => {
      await Promise.all(rolePools.map((p) => p.end()));
      await pool.end();
      const c = new pg.Client(serverUrl);
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
