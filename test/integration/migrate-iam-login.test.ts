// The deploy-time migration's last step: each function's login role gets RDS's IAM-authentication role and
// LOGIN, and no password. Run against real PostgreSQL with stand-in role names (roles are cluster-wide, so
// the names are unique to this file); a server without the IAM role (the local stack) is left untouched.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMigrateHandler } from '../../lambda/migrate/make-migrate-handler.js';
import { createLogger } from '../../lambda/shared/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

const tag = randomBytes(4).toString('hex');
const iamRole = `t_rds_iam_${tag}`;
const ingest = `t_ingest_${tag}`;
const admin = `t_admin_${tag}`;
const missing = `t_missing_${tag}`;

let db: TestDatabase;
const logged: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // What the other migrations leave: roles that cannot log in yet.
  await db.pool.query(`CREATE ROLE ${ingest} NOLOGIN; CREATE ROLE ${admin} NOLOGIN`);
});
afterAll(async () => {
  await db?.pool.query(
    `DROP ROLE IF EXISTS ${ingest}; DROP ROLE IF EXISTS ${admin}; DROP ROLE IF EXISTS ${iamRole}`,
  );
  await db?.drop();
});

function migrate() {
  return makeMigrateHandler(async () => ({
    connect: async () => {
      const client = new pg.Client(db.url);
      await client.connect();
      return client;
    },
    logger: createLogger('signalgate-migrate', (line) => logged.push(line)),
    loginRoles: [ingest, admin, missing],
    iamAuthRole: iamRole,
  }))();
}

async function roleState(name: string) {
  const { rows } = await db.pool.query<{ login: boolean; iam: boolean; password: string | null }>(
    `SELECT r.rolcanlogin AS login,
            pg_has_role(r.oid, (SELECT oid FROM pg_roles WHERE rolname = $2), 'MEMBER') AS iam,
            a.rolpassword AS password
       FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = $1`,
    [name, iamRole],
  );
  return rows[0];
}

describe('migration: IAM login for the function roles', () => {
  it('leaves the roles alone where the server has no IAM-authentication role (plain Postgres)', async () => {
    const result = await migrate();
    expect(result.iamLoginRoles).toEqual([]);
    const { rows } = await db.pool.query('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [ingest]);
    expect(rows[0]?.rolcanlogin).toBe(false);
  });

  it('grants the IAM role and LOGIN to every existing login role, sets no password, and skips absent ones', async () => {
    await db.pool.query(`CREATE ROLE ${iamRole} NOLOGIN`);
    const result = await migrate();
    expect(result.iamLoginRoles).toEqual([admin, ingest]);
    for (const role of [ingest, admin]) {
      expect(await roleState(role)).toEqual({ login: true, iam: true, password: null });
    }
    const { rowCount } = await db.pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [missing]);
    expect(rowCount).toBe(0);
  });

  it('is idempotent: a second deploy changes nothing and still sets no password', async () => {
    const again = await migrate();
    expect(again.applied).toEqual([]);
    expect(again.iamLoginRoles).toEqual([admin, ingest]);
    expect(await roleState(ingest)).toEqual({ login: true, iam: true, password: null });
    expect(logged.join('\n')).not.toMatch(/PASSWORD/i);
  });
});
