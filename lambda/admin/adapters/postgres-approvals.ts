// ApprovalStore in Postgres: a claim is one conditional UPDATE, so two approvers racing on one request
// cannot both execute it, and an expired or already approved request cannot be claimed.

import type { Queryable } from '../../shared/db/pool.js';
import { Table } from '../../shared/names.js';
import type { Approval, ApprovalAction, ApprovalStore } from '../ports.js';

interface ApprovalRow {
  id: string;
  action: ApprovalAction;
  subject_index: string;
  params: Record<string, unknown>;
  requested_by: string;
  requested_at: Date;
  expires_at: Date;
  approved_by: string | null;
}

export class PostgresApprovals implements ApprovalStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async create(approval: Omit<Approval, 'approvedBy'>): Promise<void> {
    await this.#db.query(
      `INSERT INTO ${Table.adminApprovals} (id, action, subject_index, params, requested_by, requested_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        approval.id,
        approval.action,
        approval.subjectIndex,
        JSON.stringify(approval.params),
        approval.requestedBy,
        approval.requestedAt,
        approval.expiresAt,
      ],
    );
  }

  async get(id: string): Promise<Approval | undefined> {
    const result = await this.#db.query<ApprovalRow>(
      `SELECT id, action, subject_index, params, requested_by, requested_at, expires_at, approved_by
       FROM ${Table.adminApprovals} WHERE id = $1`,
      [id],
    );
    const row = result.rows[0];
    return row
      ? {
          id: row.id,
          action: row.action,
          subjectIndex: row.subject_index,
          params: row.params,
          requestedBy: row.requested_by,
          requestedAt: row.requested_at,
          expiresAt: row.expires_at,
          approvedBy: row.approved_by,
        }
      : undefined;
  }

  async claim(id: string, approver: string, now: Date): Promise<boolean> {
    const result = await this.#db.query(
      `UPDATE ${Table.adminApprovals} SET approved_by = $2, approved_at = $3
       WHERE id = $1 AND approved_by IS NULL AND expires_at > $3 AND requested_by <> $2`,
      [id, approver, now],
    );
    return result.rowCount === 1;
  }
}
