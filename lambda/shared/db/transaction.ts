// Runs statements in one transaction on one connection, from a pool (borrowed and returned) or a client.

import pg from 'pg';
import type { Queryable } from './pool.js';

/**
 * A connection inside a transaction someone else opened (and will commit). Work run on it through
 * `inTransaction` becomes a savepoint of that transaction instead of a BEGIN/COMMIT of its own: a
 * nested COMMIT would otherwise commit the outer transaction early (Postgres only warns on a nested
 * BEGIN), and the outer work could then no longer roll it back.
 */
export class OpenTransaction implements Queryable {
  readonly #client: Queryable;

  constructor(client: Queryable) {
    this.#client = client;
  }

  query: Queryable['query'] = ((...args: Parameters<Queryable['query']>) =>
    (this.#client.query as (...a: unknown[]) => unknown)(...args)) as Queryable['query'];
}

/** Commits when `work` resolves, rolls back when it throws (and rethrows). */
export async function inTransaction<T>(db: Queryable, work: (tx: Queryable) => Promise<T>): Promise<T> {
  if (db instanceof OpenTransaction) return inSavepoint(db, work);
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

async function inSavepoint<T>(tx: OpenTransaction, work: (tx: Queryable) => Promise<T>): Promise<T> {
  await tx.query('SAVEPOINT nested_work');
  try {
    const result = await work(tx);
    await tx.query('RELEASE SAVEPOINT nested_work');
    return result;
  } catch (error) {
    await tx.query('ROLLBACK TO SAVEPOINT nested_work').catch(() => {});
    throw error;
  }
}
