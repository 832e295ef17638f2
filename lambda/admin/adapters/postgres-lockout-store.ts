// LockoutStore in Postgres, so a lockout holds across Lambda instances. One upsert per failure counts
// it and decides it: the row lock of INSERT … ON CONFLICT DO UPDATE makes concurrent failures from
// one source count one after another, so parallel guesses cannot pass the threshold together.

import type { Queryable } from '../../shared/db/pool.js';
import { Table } from '../../shared/names.js';
import type { FailureCount, LockoutPolicy, LockoutStore } from '../ports.js';

// $1 source, $2 now, $3 window (s), $4 threshold, $5 lockout (s). While a lockout is in force the
// count keeps going (so the caller sees it is past the threshold) and the lockout is not extended;
// once the lockout is served or the window has passed, the count starts over.
const LOCKED = '(l.locked_until IS NOT NULL AND l.locked_until > $2::timestamptz)';
const RESET = `(NOT ${LOCKED} AND (l.locked_until IS NOT NULL
  OR l.window_start <= $2::timestamptz - make_interval(secs => $3::float8)))`;
const COUNT = `(CASE WHEN ${RESET} THEN 1 ELSE l.failures + 1 END)`;
const LOCK_END = '$2::timestamptz + make_interval(secs => $5::float8)';
const RECORD_FAILURE = `
  INSERT INTO ${Table.adminLockouts} AS l (source_ip, window_start, failures, locked_until)
  VALUES ($1, $2::timestamptz, 1, CASE WHEN $4::int <= 1 THEN ${LOCK_END} END)
  ON CONFLICT (source_ip) DO UPDATE SET
    window_start = CASE WHEN ${RESET} THEN $2::timestamptz ELSE l.window_start END,
    failures = ${COUNT},
    locked_until = CASE
      WHEN ${LOCKED} THEN l.locked_until
      WHEN ${COUNT} >= $4::int THEN ${LOCK_END}
      ELSE NULL
    END
  RETURNING failures, locked_until`;

export class PostgresLockoutStore implements LockoutStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async recordFailure(source: string, now: number, policy: LockoutPolicy): Promise<FailureCount> {
    const result = await this.#db.query<{ failures: number; locked_until: Date | null }>(RECORD_FAILURE, [
      source,
      new Date(now),
      policy.windowMs / 1000,
      policy.threshold,
      policy.lockoutMs / 1000,
    ]);
    const row = result.rows[0];
    if (!row) throw new Error('lockout upsert returned no row');
    return {
      failures: row.failures,
      started: row.failures === policy.threshold,
      ...(row.locked_until && row.locked_until.getTime() > now
        ? { lockedUntil: row.locked_until.getTime() }
        : {}),
    };
  }

  async clear(source?: string): Promise<number> {
    const result =
      source === undefined
        ? await this.#db.query(`DELETE FROM ${Table.adminLockouts}`)
        : await this.#db.query(`DELETE FROM ${Table.adminLockouts} WHERE source_ip = $1`, [source]);
    return result.rowCount ?? 0;
  }
}
