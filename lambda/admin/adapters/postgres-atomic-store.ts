// AtomicStore in Postgres: one connection, BEGIN … COMMIT, ROLLBACK on any fault, so an erasure's
// claim, rows and audit row are written together or not at all.

import type { Pool, PoolClient } from 'pg';
import { OpenTransaction } from '../../shared/db/transaction.js';
import type { AdminTransaction, AtomicStore } from '../ports.js';
import { PostgresApprovals } from './postgres-approvals.js';
import { PostgresAuditLog } from './postgres-audit-log.js';
import { PostgresSubjectRecords } from './postgres-subject-records.js';

export class PostgresAtomicStore implements AtomicStore {
  readonly #pool: Pick<Pool, 'connect'>;

  constructor(pool: Pick<Pool, 'connect'>) {
    this.#pool = pool;
  }

  async atomically<T>(work: (tx: AdminTransaction) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // Marked as inside this transaction, so an adapter that needs one of its own nests instead.
      const tx = new OpenTransaction(client);
      const result = await work({
        subjects: new PostgresSubjectRecords(tx),
        approvals: new PostgresApprovals(tx),
        audit: new PostgresAuditLog(tx),
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
