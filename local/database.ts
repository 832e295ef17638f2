// The local stack's PostgreSQL: the embedded server under the data directory, or DATABASE_URL's.
// Either way the migrations are applied before the first request, as the deploy-time Trigger does.

import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type pg from 'pg';
import { runMigrations } from '../lambda/shared/db/migrate.js';
import { poolFromUrl } from '../lambda/shared/db/pool.js';
import type { LocalPaths } from './config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface LocalDatabase {
  readonly url: string;
  /** Where the data lives, for the banner; the external URL's password is never shown. */
  readonly description: string;
  readonly pool: pg.Pool;
  /** The embedded postmaster's pid; undefined with DATABASE_URL. */
  readonly postmasterPid: number | undefined;
  readonly migrationsApplied: readonly number[];
  /** Closes the pool and stops the embedded server, if this stack started it. */
  stop(): Promise<void>;
}

/** Connections for the ingest batches and (later) admin queries; the embedded server allows 200. */
const POOL_SIZE = 8;

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '****';
  return parsed.toString();
}

async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    return (await runMigrations(client)).applied;
  } finally {
    client.release();
  }
}

export async function openLocalDatabase(
  paths: LocalPaths,
  externalUrl: string | undefined,
): Promise<LocalDatabase> {
  if (externalUrl !== undefined) {
    // poolFromUrl keeps an idle connection's fault (a server restart) from crashing the stack.
    const pool = poolFromUrl(externalUrl, { max: POOL_SIZE });
    try {
      const applied = await migrate(pool);
      return {
        url: externalUrl,
        description: `${withoutPassword(externalUrl)} (DATABASE_URL)`,
        pool,
        postmasterPid: undefined,
        migrationsApplied: applied,
        stop: () => pool.end(),
      };
    } catch (error) {
      await pool.end();
      // Name the database (without its password) so the message says what to fix.
      throw new Error(`cannot use DATABASE_URL ${withoutPassword(externalUrl)}: ${(error as Error).message}`);
    }
  }

  const serverLog = createWriteStream(paths.postgresLog, { flags: 'a', mode: 0o600 });
  const server = await startEmbeddedPostgres({
    dataDir: paths.postgres,
    onLog: (line) => serverLog.write(line),
  });
  const pool = poolFromUrl(server.url, { max: POOL_SIZE });
  const stop = async () => {
    await pool.end().catch(() => undefined);
    await server.stop();
    await new Promise((resolve) => serverLog.end(resolve));
  };
  try {
    const applied = await migrate(pool);
    // The password is fixed and documented (local/embedded-postgres.ts), so the URL is no secret.
    await writeFile(paths.databaseUrl, `${server.url}\n`, { mode: 0o600 });
    return {
      url: server.url,
      description: `embedded PostgreSQL, data in ${paths.postgres}`,
      pool,
      postmasterPid: server.pid,
      migrationsApplied: applied,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
