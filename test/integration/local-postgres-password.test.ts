// The local stack's embedded PostgreSQL (ARCHITECTURE §8): loopback only, with a generated password
// kept in the data directory with mode 0600; the formerly documented fixed password no longer works.
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPaths } from '../../local/config.js';
import { openLocalDatabase } from '../../local/database.js';
import { startEmbeddedPostgres } from '../../local/embedded-postgres.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'signalgate-local-pg-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Whether a login with this password on the server of `url` succeeds. */
async function canLogin(url: string, password: string): Promise<boolean> {
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  const client = new pg.Client({ connectionString: u.toString() });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

describe('local embedded PostgreSQL', () => {
  it('uses a generated password stored with mode 0600, refuses the old fixed one, and listens on loopback only', async () => {
    const paths = localPaths(path.join(dir, 'fresh'));
    await mkdir(paths.dataDir, { recursive: true }); // the stack creates it before opening the database
    const db = await openLocalDatabase(paths, undefined);
    try {
      const password = (await readFile(paths.postgresPassword, 'utf8')).trim();
      expect(password.length).toBeGreaterThanOrEqual(32);
      expect((await stat(paths.postgresPassword)).mode & 0o777).toBe(0o600);
      expect((await stat(paths.databaseUrl)).mode & 0o777).toBe(0o600);
      expect(await canLogin(db.url, password)).toBe(true);
      expect(await canLogin(db.url, 'signalgate-local')).toBe(false);
      expect(await canLogin(db.url, '')).toBe(false);
      const listen = await db.rolePools.admin.query<{ listen_addresses: string }>('SHOW listen_addresses');
      expect(listen.rows[0]?.listen_addresses).toBe('127.0.0.1');
    } finally {
      await db.stop();
    }
    // The next start reuses the stored password on the same cluster.
    const again = await openLocalDatabase(paths, undefined);
    try {
      expect((await again.rolePools.admin.query('SELECT 1 AS ok')).rows[0]).toEqual({ ok: 1 });
    } finally {
      await again.stop();
    }
  }, 180_000);

  it('replaces the old fixed password of a cluster created before passwords were generated', async () => {
    const paths = localPaths(path.join(dir, 'legacy'));
    await mkdir(paths.dataDir, { recursive: true });
    const old = await startEmbeddedPostgres({ dataDir: paths.postgres, password: 'signalgate-local' });
    await old.stop();
    const db = await openLocalDatabase(paths, undefined);
    try {
      const password = (await readFile(paths.postgresPassword, 'utf8')).trim();
      expect(await canLogin(db.url, 'signalgate-local')).toBe(false);
      expect(await canLogin(db.url, password)).toBe(true);
    } finally {
      await db.stop();
    }
  }, 180_000);
});
