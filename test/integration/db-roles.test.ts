// Least privilege in Postgres (ARCHITECTURE §4): each function's role, logged in as that role, can do
// what its function does and is refused the rest by the server itself ("permission denied").

import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APP_ROLE_GRANTS } from '../../lambda/shared/db/migrations.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

let db: TestDatabase;
let ingest: pg.Pool;
let admin: pg.Pool;
let retention: pg.Pool;

const SID = `SM${'a'.repeat(32)}`;
const INDEX = 'b'.repeat(64);

beforeAll(async () => {
  db = await createTestDatabase();
  ingest = db.poolAs('signalgate_ingest', 2);
  admin = db.poolAs('signalgate_admin_api', 2);
  retention = db.poolAs('signalgate_retention', 2);
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(async () => {
  await db.pool.query(
    'TRUNCATE messages, message_status_updates, admin_audit_log, admin_lockouts, admin_approvals',
  );
  await db.pool.query(
    `INSERT INTO messages (message_sid, account_sid, from_index, to_index, num_media, sealed, received_at)
     VALUES ($1, 'AC1', $2, $2, 0, '\\x01', now() - interval '90 days')`,
    [SID, INDEX],
  );
  await db.pool.query(
    `INSERT INTO message_status_updates (message_sid, status, sealed, received_at) VALUES ($1, 'sent', '\\x01', now())`,
    [SID],
  );
  await db.pool.query(
    `INSERT INTO admin_audit_log (at, route, method, outcome, status, source_ip, request_id, caller)
     VALUES (now(), '/admin/health', 'GET', 'allowed', 200, '192.0.2.1', 'r0', 'none')`,
  );
});

const AUDIT_INSERT = `INSERT INTO admin_audit_log (at, route, method, outcome, status, source_ip, request_id, caller)
  VALUES (now(), '/admin/health', 'GET', 'allowed', 200, '192.0.2.1', 'r1', 'none')`;

/** Statements each role must be refused, as "permission denied" from the server. */
const FORBIDDEN: Record<string, string[]> = {
  signalgate_ingest: [
    'DELETE FROM messages',
    'DELETE FROM message_status_updates',
    "UPDATE messages SET account_sid = 'x'",
    'TRUNCATE messages',
    'SELECT sealed FROM messages',
    'SELECT from_index FROM messages',
    'SELECT sealed FROM message_status_updates',
    'SELECT * FROM admin_audit_log',
    AUDIT_INSERT,
    'SELECT * FROM admin_approvals',
    'DELETE FROM admin_lockouts',
    'CREATE TABLE x (a int)',
  ],
  signalgate_admin_api: [
    "UPDATE admin_audit_log SET outcome = 'allowed'",
    'DELETE FROM admin_audit_log',
    'TRUNCATE admin_audit_log',
    "UPDATE messages SET account_sid = 'x'",
    "INSERT INTO messages (message_sid, account_sid, from_index, to_index, num_media, sealed, received_at) VALUES ('SMx', 'AC1', 'i', 'i', 0, '\\x01', now())",
    'TRUNCATE messages',
    'DELETE FROM admin_approvals',
    `INSERT INTO admin_audit_log (id, at, route, method, outcome, status, source_ip, request_id, caller)
       VALUES (1, now(), '/admin/health', 'GET', 'allowed', 200, '192.0.2.1', 'r1', 'none')`,
    `INSERT INTO admin_audit_log (hash, at, route, method, outcome, status, source_ip, request_id, caller)
       VALUES ('\\x00', now(), '/admin/health', 'GET', 'allowed', 200, '192.0.2.1', 'r1', 'none')`,
    'DROP TABLE messages',
  ],
  signalgate_retention: [
    'SELECT sealed FROM messages',
    'SELECT from_index, to_index FROM messages',
    'SELECT sealed FROM message_status_updates',
    'UPDATE messages SET received_at = now()',
    'TRUNCATE messages',
    'SELECT * FROM admin_audit_log',
    "UPDATE admin_audit_log SET outcome = 'allowed'",
    'DELETE FROM admin_audit_log',
    'SELECT * FROM admin_approvals',
    "INSERT INTO messages (message_sid, account_sid, from_index, to_index, num_media, sealed, received_at) VALUES ('SMx', 'AC1', 'i', 'i', 0, '\\x01', now())",
  ],
};

const pools = () => ({
  signalgate_ingest: ingest,
  signalgate_admin_api: admin,
  signalgate_retention: retention,
});

describe('each function role is refused what its function must not do', () => {
  const cases = Object.entries(FORBIDDEN).flatMap(([role, statements]) =>
    statements.map((sql) => [role, sql] as const),
  );
  it.each(cases)('%s: %s → permission denied', async (role, sql) => {
    const pool = pools()[role as keyof ReturnType<typeof pools>];
    await expect(pool.query(sql)).rejects.toThrow(/permission denied|must be owner/);
  });

  it('leaves every row in place after all the refused statements', async () => {
    for (const [role, statements] of Object.entries(FORBIDDEN)) {
      const pool = pools()[role as keyof ReturnType<typeof pools>];
      for (const sql of statements) await pool.query(sql).catch(() => undefined);
    }
    const counts = await db.pool.query<{ m: number; s: number; a: number }>(
      `SELECT (SELECT count(*) FROM messages)::int AS m, (SELECT count(*) FROM message_status_updates)::int AS s,
              (SELECT count(*) FROM admin_audit_log)::int AS a`,
    );
    expect(counts.rows[0]).toEqual({ m: 1, s: 1, a: 1 });
  });
});

describe('each function role can do its own work', () => {
  it('ingest inserts messages and status updates idempotently and reads back only their keys', async () => {
    const insert = `INSERT INTO messages (message_sid, account_sid, from_index, to_index, num_media, sealed, received_at)
      VALUES ($1, 'AC1', 'i', 'i', 0, '\\x01', now()) ON CONFLICT (message_sid) DO NOTHING RETURNING message_sid`;
    expect((await ingest.query(insert, [`SM${'c'.repeat(32)}`])).rows).toEqual([
      { message_sid: `SM${'c'.repeat(32)}` },
    ]);
    expect((await ingest.query(insert, [`SM${'c'.repeat(32)}`])).rows).toEqual([]);
    const status = `INSERT INTO message_status_updates (message_sid, status, sealed, received_at)
      VALUES ($1, 'delivered', '\\x01', now()) ON CONFLICT (message_sid, status) DO NOTHING RETURNING message_sid, status`;
    expect((await ingest.query(status, [SID])).rows).toEqual([{ message_sid: SID, status: 'delivered' }]);
  });

  it('admin reads and erases a subject, appends audit rows, keeps approvals and lockouts', async () => {
    expect((await admin.query('SELECT sealed FROM messages WHERE from_index = $1', [INDEX])).rowCount).toBe(
      1,
    );
    await admin.query(AUDIT_INSERT);
    await admin.query(
      `INSERT INTO admin_approvals (id, action, subject_index, requested_by, requested_at, expires_at)
       VALUES ('a1', 'erase', $1, 'alice', now(), now() + interval '1 hour')`,
      [INDEX],
    );
    await admin.query(`UPDATE admin_approvals SET approved_by = 'bob', approved_at = now() WHERE id = 'a1'`);
    await admin.query(
      `INSERT INTO admin_lockouts (source_ip, window_start, failures) VALUES ('192.0.2.1', now(), 1)`,
    );
    await admin.query('DELETE FROM admin_lockouts');
    expect((await admin.query('DELETE FROM messages WHERE from_index = $1', [INDEX])).rowCount).toBe(1);
    expect((await admin.query('SELECT count(*)::int AS n FROM admin_audit_log')).rows[0]).toEqual({ n: 2 });
  });

  it('retention deletes old rows by time and key and audits its run', async () => {
    const gone = await retention.query(
      `DELETE FROM messages WHERE message_sid IN (SELECT message_sid FROM messages WHERE received_at < now() - interval '30 days' LIMIT 10)`,
    );
    expect(gone.rowCount).toBe(1);
    await retention.query(
      `DELETE FROM message_status_updates WHERE id IN (SELECT id FROM message_status_updates WHERE received_at < now() + interval '1 day' LIMIT 10)`,
    );
    await retention.query(AUDIT_INSERT);
    const left = await db.pool.query<{ n: number }>(
      'SELECT ((SELECT count(*) FROM messages) + (SELECT count(*) FROM message_status_updates))::int AS n',
    );
    expect(left.rows[0]?.n).toBe(0);
  });

  it('the former shared role holds no privilege on the data', async () => {
    const privileges = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.role_table_grants WHERE grantee = 'signalgate_app'`,
    );
    expect(privileges.rows[0]?.n).toBe(0);
  });

  it('refuses to manage a function role that is the migrating user itself (it would strip the owner)', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('SET ROLE signalgate_ingest');
      await expect(client.query(APP_ROLE_GRANTS)).rejects.toThrow(
        'function role signalgate_ingest is the migrating user',
      );
    } finally {
      await client.query('RESET ROLE');
      client.release();
    }
  });

  it('grants the quarantine table as the other stored rows', async () => {
    try {
      const insert = `INSERT INTO quarantined_payloads (payload_key, route, failed_checks, from_index, to_index, sealed, received_at)
        VALUES ($1, '/webhooks/twilio/messages', '{Body}', 'i', 'i', '\\x01', now() - interval '90 days')
        ON CONFLICT (payload_key) DO NOTHING RETURNING payload_key`;
      const key = 'a'.repeat(64);
      expect((await ingest.query(insert, [key])).rows).toEqual([{ payload_key: key }]);
      expect((await ingest.query(insert, [key])).rows).toEqual([]);
      await expect(ingest.query('SELECT sealed FROM quarantined_payloads')).rejects.toThrow(
        /permission denied/,
      );
      await expect(ingest.query('DELETE FROM quarantined_payloads')).rejects.toThrow(/permission denied/);
      await expect(retention.query('SELECT sealed FROM quarantined_payloads')).rejects.toThrow(
        /permission denied/,
      );
      expect((await admin.query('SELECT sealed FROM quarantined_payloads')).rowCount).toBe(1);
      await expect(admin.query(`UPDATE quarantined_payloads SET route = 'x'`)).rejects.toThrow(
        /permission denied/,
      );
      const gone = await retention.query(
        `DELETE FROM quarantined_payloads WHERE id IN (SELECT id FROM quarantined_payloads WHERE received_at < now() - interval '30 days')`,
      );
      expect(gone.rowCount).toBe(1);
    } finally {
      await db.pool.query('TRUNCATE quarantined_payloads');
    }
  });

  it('lets admin write tombstones and ingest read them, and nobody un-erase one', async () => {
    try {
      await admin.query(`INSERT INTO erased_subjects (blind_index) VALUES ('t1')`);
      expect((await ingest.query(`SELECT blind_index FROM erased_subjects`)).rows).toEqual([
        { blind_index: 't1' },
      ]);
      await expect(ingest.query(`INSERT INTO erased_subjects (blind_index) VALUES ('t2')`)).rejects.toThrow(
        /permission denied/,
      );
      for (const role of [ingest, admin, retention]) {
        await expect(role.query('DELETE FROM erased_subjects')).rejects.toThrow(/permission denied/);
        await expect(role.query(`UPDATE erased_subjects SET blind_index = 'x'`)).rejects.toThrow(
          /permission denied/,
        );
      }
      await expect(retention.query('SELECT blind_index FROM erased_subjects')).rejects.toThrow(
        /permission denied/,
      );
    } finally {
      await db.pool.query('TRUNCATE erased_subjects');
    }
  });
});
