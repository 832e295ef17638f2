// LockoutStore in Postgres, so a lockout holds across Lambda instances. One upsert per failure counts
// it and starts the lockout atomically, so concurrent failures from one source cannot undercount.

import type { Queryable } from '../../shared/db/pool.js';
import { Table } from '../../shared/names.js';
import type { LockoutPolicy, LockoutStore } from '../ports.js';

// $1 source, $2 now, $3 window (s), $4 threshold, $5 lockout (s). The count starts over once its
// window has passed or a lockout has been served, so a lockout is never extended by old failures.
const RESET = `(l.window_start <= $2::timestamptz - make_interval(secs => $3::float8)
  OR (l.locked_until IS NOT NULL AND l.locked_until <= $2::timestamptz))`;
const LOCK_END = '$2::timestamptz + make_interval(secs => $5::float8)';
const RECORD_FAILURE = `
  INSERT INTO ${Table.adminLockouts} AS l (source_ip, window_start, failures, locked_until)
  VALUES ($1, $2::timestamptz, 1, CASE WHEN $4::int <= 1 THEN ${LOCK_END} END)
  ON CONFLICT (source_ip) DO UPDATE SET
    window_start = CASE WHEN ${RESET} THEN $2::timestamptz ELSE l.window_start END,
    failures = CASE WHEN ${RESET} THEN 1 ELSE l.failures + 1 END,
    locked_until = CASE
      WHEN (CASE WHEN ${RESET} THEN 1 ELSE l.failures + 1 END) >= $4::int THEN ${LOCK_END}
      WHEN ${RESET} THEN NULL
      ELSE l.locked_until
    END
  RETURNING failures, locked_until, (locked_until = ${LOCK_END}) AS started`;

export class PostgresLockoutStore implements LockoutStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async lockedUntil(source: string, now: number): Promise<number | undefined> {
    const result = await this.#db.query<{ locked_until: Date | null }>(
      `SELECT locked_until FROM ${Table.adminLockouts} WHERE source_ip = $1 AND locked_until > $2`,
      [source, new Date(now)],
    );
    return result.rows[0]?.locked_until?.getTime();
  }

  async recordFailure(
    source: string,
    now: number,
    policy: LockoutPolicy,
  ): Promise<{ failures: number; lockedUntil?: number }> {
    const result = await this.#db.query<{
      failures: number;
      locked_until: Date | null;
      started: boolean | null;
    }>(RECORD_FAILURE, [
      source,
      new Date(now),
      policy.windowMs / 1000,
      policy.threshold,
      policy.lockoutMs / 1000,
    ]);
    const row = result.rows[0];
    if (!row) throw new Error('lockout upsert returned no row');
    return row.started && row.locked_until
      ? { failures: row.failures, lockedUntil: row.locked_until.getTime() }
      : { failures: row.failures };
  }
}
