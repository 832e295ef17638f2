// AuditLog in Postgres: INSERT and SELECT only, the two privileges the admin role holds on it. The
// hash chain is the database's (migration 35's trigger), so no writer can choose an id or a hash.

import type { Queryable } from '../../shared/db/pool.js';
import { Table } from '../../shared/names.js';
import type { AuditEntry, AuditLog, AuditOutcome, ChainVerdict } from '../ports.js';

interface AuditRow {
  at: Date;
  route: string;
  method: string;
  outcome: string;
  status: number;
  source_ip: string;
  request_id: string;
  caller: string;
  credential: string | null;
  role: string | null;
  detail: Record<string, unknown> | null;
}

// Each row's hash must be what admin_audit_hash gives for it, and its prev_hash the hash of the row
// before it (none for the first), so an edited row, a deleted one or one slipped in breaks the chain.
const VERIFY = `
  WITH chain AS (
    SELECT a.id, a.hash, a.prev_hash, admin_audit_hash(a.prev_hash, a) AS expected,
           lag(a.hash) OVER (ORDER BY a.id) AS before
    FROM ${Table.auditLog} a
  )
  SELECT count(*)::int AS checked,
         min(id) FILTER (WHERE hash IS DISTINCT FROM expected OR prev_hash IS DISTINCT FROM before)::text AS broken
  FROM chain`;

export class PostgresAuditLog implements AuditLog {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async append(entry: AuditEntry): Promise<void> {
    await this.#db.query(
      `INSERT INTO ${Table.auditLog}
         (at, route, method, outcome, status, source_ip, request_id, caller, credential, role, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        entry.at,
        entry.route,
        entry.method,
        entry.outcome,
        entry.status,
        entry.sourceIp,
        entry.requestId,
        entry.caller,
        entry.credential ?? null,
        entry.role ?? null,
        entry.detail === undefined ? null : JSON.stringify(entry.detail),
      ],
    );
  }

  async latest(limit: number): Promise<AuditEntry[]> {
    const result = await this.#db.query<AuditRow>(
      `SELECT at, route, method, outcome, status, source_ip, request_id, caller, credential, role, detail
       FROM ${Table.auditLog} ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return result.rows.map((row) => ({
      at: row.at,
      route: row.route,
      method: row.method,
      outcome: row.outcome as AuditOutcome,
      status: row.status,
      sourceIp: row.source_ip,
      requestId: row.request_id,
      caller: row.caller,
      ...(row.credential ? { credential: row.credential } : {}),
      ...(row.role ? { role: row.role } : {}),
      ...(row.detail ? { detail: row.detail } : {}),
    }));
  }

  async verify(): Promise<ChainVerdict> {
    const result = await this.#db.query<{ checked: number; broken: string | null }>(VERIFY);
    const row = result.rows[0] ?? { checked: 0, broken: null };
    return row.broken === null
      ? { intact: true, checked: row.checked }
      : { intact: false, checked: row.checked, firstBrokenId: Number(row.broken) };
  }
}
