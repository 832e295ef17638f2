// AuditLog in Postgres: INSERT and SELECT only, the two privileges the application role holds on it.

import type { Queryable } from '../../shared/db/pool.js';
import { Table } from '../../shared/names.js';
import type { AuditEntry, AuditLog, AuditOutcome } from '../ports.js';

interface AuditRow {
  at: Date;
  route: string;
  method: string;
  outcome: string;
  status: number;
  source_ip: string;
  request_id: string;
  caller: string;
  detail: Record<string, unknown> | null;
}

export class PostgresAuditLog implements AuditLog {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async append(entry: AuditEntry): Promise<void> {
    await this.#db.query(
      `INSERT INTO ${Table.auditLog} (at, route, method, outcome, status, source_ip, request_id, caller, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        entry.at,
        entry.route,
        entry.method,
        entry.outcome,
        entry.status,
        entry.sourceIp,
        entry.requestId,
        entry.caller,
        entry.detail === undefined ? null : JSON.stringify(entry.detail),
      ],
    );
  }

  async latest(limit: number): Promise<AuditEntry[]> {
    const result = await this.#db.query<AuditRow>(
      `SELECT at, route, method, outcome, status, source_ip, request_id, caller, detail
       FROM ${Table.auditLog} ORDER BY at DESC, id DESC LIMIT $1`,
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
      ...(row.detail ? { detail: row.detail } : {}),
    }));
  }
}
