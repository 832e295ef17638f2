// Runs statements in one transaction on one connection, from a pool (borrowed and returned) or a client.

import pg from 'pg';
import type { Queryable } from './pool.js';

/** Commits when `work` resolves, rolls back when it throws (and rethrows). */
export async function inTransaction<T>(db: Queryable, work: (tx: Queryable) => Promise<T>): Promise<T> {
  // A pool hands each query to any connection: BEGIN and COMMIT must go through one client.
  const pooled = db instanceof pg.Pool ? await db.connect() : undefined;
  const tx: Queryable = pooled ?? db;
  try {
    await tx.query('BEGIN');
    const result = await work(tx);
    await tx.query('COMMIT');
    return result;
  } catch (error) {
    await tx.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    pooled?.release();
  }
}
