// A throwaway embedded PostgreSQL for one bench: fresh temp cluster, migrated, removed afterwards.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runMigrations } from '../../lambda/shared/db/migrate.js';
import { generatePostgresPassword, startEmbeddedPostgres } from '../../local/embedded-postgres.js';
import { waitUntilGone } from './processes.js';

export interface BenchPostgres {
  readonly pool: pg.Pool;
  /** Stops the server, deletes the cluster; returns pids that still mention it (should be none). */
  stop(): Promise<number[]>;
}

export async function startBenchPostgres(poolSize: number): Promise<BenchPostgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'signalgate-bench-pg-'));
  const dataDir = path.join(dir, 'data');
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  try {
    server = await startEmbeddedPostgres({ dataDir, password: generatePostgresPassword() });
    const pool = new pg.Pool({ connectionString: server.url, max: poolSize });
    pool.on('error', () => {}); // an idle client dropped at shutdown is expected, not a crash
    const client = await pool.connect();
    try {
      await runMigrations(client);
    } finally {
      client.release();
    }
    const running = server;
    return {
      pool,
      stop: async () => {
        await pool.end();
        await running.stop();
        const left = await waitUntilGone(dataDir);
        await rm(dir, { recursive: true, force: true });
        return left;
      },
    };
  } catch (error) {
    await server?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
