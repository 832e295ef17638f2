// `npm run admin -- lockouts|unlock`: the documented way to see and clear local admin lockouts
// without SQL (docs/API.md, docs/RUNBOOK.md), run as a user runs it.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresLockoutStore } from '../../../lambda/admin/adapters/postgres-lockout-store.js';
import { AdminCommandUsageError, parseAdminCommand } from '../../../local/admin-command.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';

const run = promisify(execFile);
const POLICY = { threshold: 2, windowMs: 600_000, lockoutMs: 900_000 };

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(async () => {
  await db.pool.query('TRUNCATE admin_lockouts');
  const store = new PostgresLockoutStore(db.pool);
  for (const ip of ['192.0.2.1', '192.0.2.1', '192.0.2.2']) await store.recordFailure(ip, Date.now(), POLICY);
});

const npmAdmin = (...args: string[]) =>
  run('npm', ['run', '--silent', 'admin', '--', ...args], {
    env: { ...process.env, DATABASE_URL: db.url },
    timeout: 60_000,
  });

const sources = async () =>
  (await db.pool.query<{ source_ip: string }>('SELECT source_ip FROM admin_lockouts ORDER BY 1')).rows.map(
    (r) => r.source_ip,
  );

describe('npm run admin', () => {
  it('lists lockouts, then unlocks one source, then every source', async () => {
    const listed = await npmAdmin('lockouts');
    expect(listed.stdout).toMatch(/^192\.0\.2\.1 {2}2 failure\(s\) {2}locked until \d{4}-/m);
    expect(listed.stdout).toMatch(/^192\.0\.2\.2 {2}1 failure\(s\) {2}not locked$/m);

    const one = await npmAdmin('unlock', '--ip', '192.0.2.1');
    expect(one.stdout.trim()).toBe('unlocked 192.0.2.1: 1 source(s) cleared');
    expect(await sources()).toEqual(['192.0.2.2']);

    const all = await npmAdmin('unlock');
    expect(all.stdout.trim()).toBe('unlocked every source: 1 source(s) cleared');
    expect(await sources()).toEqual([]);
  });

  it('exits 2 with the usage on an unknown command and changes nothing', async () => {
    await expect(npmAdmin('drop-everything')).rejects.toMatchObject({ code: 2 });
    expect(await sources()).toEqual(['192.0.2.1', '192.0.2.2']);
  });

  it('parses only what it documents', () => {
    expect(parseAdminCommand(['unlock', '--ip', '2001:db8::1'])).toEqual({
      kind: 'unlock',
      ip: '2001:db8::1',
    });
    expect(() => parseAdminCommand(['unlock', '192.0.2.1'])).toThrow(AdminCommandUsageError);
    expect(() => parseAdminCommand(['lockouts', '--all'])).toThrow(AdminCommandUsageError);
    expect(() => parseAdminCommand([])).toThrow(AdminCommandUsageError);
  });
});
