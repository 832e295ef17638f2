import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresAuditLog } from '../../../lambda/admin/adapters/postgres-audit-log.js';
import { PostgresSubjectRecords } from '../../../lambda/admin/adapters/postgres-subject-records.js';
import { makeRetentionHandler } from '../../../lambda/admin/make-retention-handler.js';
import { LATEST_MIGRATION } from '../../../lambda/shared/db/migrate.js';
import { createLogger } from '../../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../../lambda/shared/metrics.js';
import { APP_DB_ROLE, MetricName, Route } from '../../../lambda/shared/names.js';
import { inboundParams, randomSid, statusParams } from '../../helpers/api-events.js';
import { sumMetric } from '../../helpers/emf.js';
import { EXPECTED_SECURITY_HEADERS } from '../../helpers/security-headers.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';
import { adminFixture, auditCount, LOCKOUT, RETENTION_DAYS } from './admin-fixture.js';

const SUBJECT = '+14155550123';
const PEER = '+14155550100';
const OTHER = '+447700900123';
const enc = encodeURIComponent;
const DAY = 86_400_000;

let db: TestDatabase;
let f: ReturnType<typeof adminFixture>;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(async () => {
  await db.pool.query(
    'TRUNCATE messages, message_status_updates, quarantined_payloads, admin_audit_log, admin_lockouts',
  );
  f = adminFixture(db.pool);
});

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

/** Every admin route with a request that succeeds. */
const ROUTES: Array<[string, string]> = [
  ['GET', '/admin/health'],
  ['GET', '/admin/metrics'],
  ['GET', `/admin/subjects/${enc(SUBJECT)}/messages`],
  ['DELETE', `/admin/subjects/${enc(SUBJECT)}`],
  ['POST', '/admin/retention/run'],
  ['GET', '/admin/audit'],
];

describe('admin API authentication and audit', () => {
  it.each(ROUTES)('%s %s answers 200 with a valid token and leaves one audit row', async (method, path) => {
    const before = await auditCount(db.pool);
    const response = await f.call(method, path, { token: f.token });
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject(EXPECTED_SECURITY_HEADERS);
    expect(await auditCount(db.pool)).toBe(before + 1);
  });

  it.each(ROUTES)(
    '%s %s answers 401 with the same body without a token and with a wrong one',
    async (method, path) => {
      const missing = await f.call(method, path, { ip: '198.51.100.1' });
      const wrong = await f.call(method, path, { token: `${f.token.slice(0, -1)}x`, ip: '198.51.100.2' });
      expect(missing.statusCode).toBe(401);
      expect(wrong.statusCode).toBe(401);
      expect(wrong.body).toBe(missing.body);
      expect(wrong.headers).toEqual(missing.headers);
      expect(missing.headers).toMatchObject(EXPECTED_SECURITY_HEADERS);
      expect(await auditCount(db.pool)).toBe(2);
    },
  );

  it.each(ROUTES)(
    '%s %s answers 429 after the configured failures, even with a valid token',
    async (method, path) => {
      for (let i = 0; i < LOCKOUT.threshold; i++) {
        expect((await f.call(method, path, { token: 'guess' })).statusCode).toBe(401);
      }
      const locked = await f.call(method, path, { token: f.token });
      expect(locked.statusCode).toBe(429);
      expect(Number(locked.headers?.['Retry-After'])).toBeGreaterThan(0);
      expect(locked.headers).toMatchObject(EXPECTED_SECURITY_HEADERS);
      expect(await auditCount(db.pool)).toBe(LOCKOUT.threshold + 1);
    },
  );

  it('counts AdminAuthFailures and AdminLockouts and logs security events without the token', async () => {
    for (let i = 0; i < LOCKOUT.threshold; i++) await f.call('GET', '/admin/health', { token: 'guess-123' });
    const sum = (name: string) => sumMetric(f.emf, name);
    expect(sum(MetricName.AdminAuthFailures)).toBe(LOCKOUT.threshold);
    expect(sum(MetricName.AdminLockouts)).toBe(1);
    const security = f.logs.map((l) => json(l)).filter((l) => l.security === true);
    expect(security.map((l) => l.event)).toContain('security.admin_lockout');
    expect(f.logs.join('\n')).not.toContain('guess-123');
  });

  it('holds a lockout across instances and only for the offending source, and lifts it after its time', async () => {
    const other = f.build();
    for (let i = 0; i < LOCKOUT.threshold; i++)
      await f.call('GET', '/admin/health', { token: 'guess', ip: '203.0.113.9' });
    expect(
      (await f.call('GET', '/admin/health', { token: f.token, ip: '203.0.113.9' }, other)).statusCode,
    ).toBe(429);
    expect(
      (await f.call('GET', '/admin/health', { token: f.token, ip: '203.0.113.10' }, other)).statusCode,
    ).toBe(200);
    f.web.clock.advance(LOCKOUT.lockoutMs + 1000);
    expect((await f.call('GET', '/admin/health', { token: f.token, ip: '203.0.113.9' })).statusCode).toBe(
      200,
    );
  });

  it.each([
    ['GET', '/admin/subjects/14155550123/messages'],
    ['GET', `/admin/subjects/${enc('+0123456')}/messages`],
    ['DELETE', '/admin/subjects/not-a-number'],
    ['DELETE', `/admin/subjects/${enc('+1415555012345678')}`],
    ['DELETE', `/admin/subjects/${enc('whatsapp:+14155550123')}`],
    ['GET', '/admin/audit?limit=0'],
  ])('%s %s answers 400 and is audited', async (method, rawPath) => {
    const [path, query] = rawPath.split('?') as [string, string | undefined];
    const response = await f.call(method, path, {
      token: f.token,
      ...(query ? { query: Object.fromEntries(new URLSearchParams(query)) } : {}),
    });
    expect(response.statusCode).toBe(400);
    expect(json(response.body)).toEqual({ error: 'invalid request' });
    expect(await auditCount(db.pool)).toBe(1);
  });

  it('answers 405 for a wrong method on a known path and 404 for an unknown one, both audited', async () => {
    const wrongMethod = await f.call('PUT', '/admin/health', { token: f.token });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers?.Allow).toBe('GET');
    const unknown = await f.call('GET', `/admin/subjects/${enc(SUBJECT)}/everything`, { token: f.token });
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown.body)).toEqual({ error: 'not found' });
    const rows = await db.pool.query<{ route: string; outcome: string }>(
      'SELECT route, outcome FROM admin_audit_log ORDER BY id',
    );
    expect(rows.rows).toEqual([
      { route: Route.adminHealth, outcome: 'method_not_allowed' },
      { route: 'unknown', outcome: 'not_found' },
    ]);
  });

  it('routes by the API Gateway resource template and its phone path parameter', async () => {
    await f.storeMessages({ From: SUBJECT, To: PEER });
    const response = await f.call('GET', `/admin/subjects/${enc(SUBJECT)}/messages`, {
      token: f.token,
      resource: Route.adminSubjectMessages,
      pathParameters: { phone: enc(SUBJECT) },
    });
    expect(response.statusCode).toBe(200);
    expect((json(response.body).messages as unknown[]).length).toBe(1);
  });

  it('records the route template, outcome, source, request id and a token fingerprint, never a token or phone', async () => {
    await f.call('GET', `/admin/subjects/${enc(SUBJECT)}/messages`, { token: f.token, ip: '192.0.2.44' });
    await f.call('GET', `/admin/subjects/${enc(SUBJECT)}/messages`, {
      token: 'wrong-token',
      ip: '192.0.2.45',
    });
    await f.call('GET', '/admin/health', { ip: '192.0.2.46' });
    const rows = (await db.pool.query('SELECT * FROM admin_audit_log ORDER BY id')).rows as Array<
      Record<string, unknown>
    >;
    expect(rows.map((r) => [r.route, r.method, r.outcome, r.status, r.source_ip])).toEqual([
      [Route.adminSubjectMessages, 'GET', 'allowed', 200, '192.0.2.44'],
      [Route.adminSubjectMessages, 'GET', 'unauthorized', 401, '192.0.2.45'],
      [Route.adminHealth, 'GET', 'unauthorized', 401, '192.0.2.46'],
    ]);
    expect(rows[0]?.caller).toMatch(/^[0-9a-f]{12}$/);
    expect(rows[2]?.caller).toBe('none');
    expect(rows.every((r) => typeof r.request_id === 'string' && (r.request_id as string).length > 0)).toBe(
      true,
    );
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(f.token);
    expect(dump).not.toContain('wrong-token');
    expect(dump).not.toContain(SUBJECT);
  });

  it('lists the latest audit entries, newest first, limited by ?limit', async () => {
    await f.call('GET', '/admin/health', { token: f.token });
    await f.call('GET', '/admin/metrics', { token: f.token });
    const response = await f.call('GET', '/admin/audit', { token: f.token, query: { limit: '1' } });
    const entries = json(response.body).entries as Array<Record<string, unknown>>;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ route: Route.adminMetrics, outcome: 'allowed', status: 200 });
  });
});

describe('the application role on the audit log', () => {
  it('may insert and read audit rows but is refused UPDATE and DELETE', async () => {
    await f.call('GET', '/admin/health', { token: f.token });
    const client = await db.pool.connect();
    try {
      await client.query(`SET ROLE ${APP_DB_ROLE}`);
      await client.query(
        `INSERT INTO admin_audit_log (at, route, method, outcome, status, source_ip, request_id, caller)
         VALUES (now(), '/admin/health', 'GET', 'allowed', 200, '192.0.2.1', 'r', 'none')`,
      );
      expect((await client.query('SELECT count(*)::int AS n FROM admin_audit_log')).rows[0]?.n).toBe(2);
      await expect(client.query(`UPDATE admin_audit_log SET outcome = 'allowed'`)).rejects.toThrow(
        /permission denied/,
      );
      await expect(client.query('DELETE FROM admin_audit_log')).rejects.toThrow(/permission denied/);
      await expect(client.query('TRUNCATE admin_audit_log')).rejects.toThrow(/permission denied/);
    } finally {
      await client.query('RESET ROLE');
      client.release();
    }
    expect(await auditCount(db.pool)).toBe(2);
  });
});

describe('subject export and erasure', () => {
  it("exports exactly the subject's messages, decrypted, with their statuses, and none of another number's", async () => {
    const [fromSubject, toSubject] = await f.storeMessages(
      { From: SUBJECT, To: PEER, Body: 'from the subject' },
      { From: OTHER, To: SUBJECT, Body: 'to the subject' },
    );
    await f.storeMessages({ From: OTHER, To: PEER, Body: 'not about the subject' });
    await f.storeStatus(statusParams({ MessageSid: fromSubject as string, From: SUBJECT, To: PEER }));
    const outbound = randomSid('SM');
    await f.storeStatus(
      statusParams({ MessageSid: outbound, From: PEER, To: SUBJECT, MessageStatus: 'delivered' }),
    );

    const response = await f.call('GET', `/admin/subjects/${enc(SUBJECT)}/messages`, { token: f.token });
    expect(response.statusCode).toBe(200);
    const body = json(response.body) as {
      messages: Array<{ messageSid: string; params: Record<string, string> }>;
      statuses: Array<{ messageSid: string; status: string; params: Record<string, string> }>;
    };
    expect(body.messages.map((m) => m.messageSid).sort()).toEqual([fromSubject, toSubject].sort());
    expect(body.messages.map((m) => m.params.Body).sort()).toEqual(['from the subject', 'to the subject']);
    expect(response.body).not.toContain('not about the subject');
    expect(body.statuses.map((s) => s.messageSid).sort()).toEqual([fromSubject, outbound].sort());
    expect(body.statuses[0]?.params.MessageStatus).toBe('delivered');
  });

  it('erases every message and status from or to the subject and reports the count; others stay', async () => {
    const [fromSubject] = await f.storeMessages(
      { From: SUBJECT, To: PEER },
      { From: PEER, To: `whatsapp:${SUBJECT}` },
    );
    const [kept] = await f.storeMessages({ From: OTHER, To: PEER });
    await f.storeStatus(statusParams({ MessageSid: fromSubject as string, From: SUBJECT, To: PEER }));
    await f.storeStatus(statusParams({ MessageSid: kept as string, From: OTHER, To: PEER }));

    const response = await f.call('DELETE', `/admin/subjects/${enc(SUBJECT)}`, { token: f.token });
    expect(response.statusCode).toBe(200);
    expect(json(response.body)).toEqual({ erased: 2 });

    const index = await f.blindIndex(SUBJECT);
    const left = await db.pool.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM messages WHERE from_index = $1 OR to_index = $1)
            + (SELECT count(*) FROM message_status_updates WHERE from_index = $1 OR to_index = $1
                 OR message_sid = $2))::int AS n`,
      [index, fromSubject],
    );
    expect(left.rows[0]?.n).toBe(0);
    const others = await db.pool.query<{ n: number }>(
      'SELECT ((SELECT count(*) FROM messages) + (SELECT count(*) FROM message_status_updates))::int AS n',
    );
    expect(others.rows[0]?.n).toBe(2);
    expect(
      json((await f.call('DELETE', `/admin/subjects/${enc(SUBJECT)}`, { token: f.token })).body),
    ).toEqual({ erased: 0 });
    const audit = await db.pool.query<{ detail: unknown }>(
      `SELECT detail FROM admin_audit_log WHERE route = $1 ORDER BY id`,
      [Route.adminSubject],
    );
    expect(audit.rows[0]?.detail).toEqual({ erased: 2, statuses: 1, quarantined: 0 });
  });

  it("exports the subject's quarantined payloads flagged as such, and erases them with the subject", async () => {
    const long = 'a long message '.repeat(120);
    await f.storeAnything(inboundParams({ From: SUBJECT, To: PEER, Body: long }));
    await f.storeAnything(
      statusParams({ From: PEER, To: SUBJECT, MessageStatus: 'delivery_unknown' }),
      '/webhooks/twilio/status',
    );
    await f.storeAnything(inboundParams({ From: OTHER, To: PEER, Body: long }));

    const response = await f.call('GET', `/admin/subjects/${enc(SUBJECT)}/messages`, { token: f.token });
    expect(response.statusCode).toBe(200);
    const body = json(response.body) as {
      quarantined: Array<{
        quarantined: boolean;
        route: string;
        failedChecks: string[];
        params: Record<string, string>;
      }>;
    };
    expect(body.quarantined.map((q) => [q.quarantined, q.route, q.failedChecks])).toEqual([
      [true, 'message', ['Body:too_long']],
      [true, 'status', ['MessageStatus:invalid_value']],
    ]);
    expect(body.quarantined[0]?.params.Body).toBe(long);
    expect(body.quarantined[1]?.params.MessageStatus).toBe('delivery_unknown');

    const metrics = json((await f.call('GET', '/admin/metrics', { token: f.token })).body) as {
      stored: { quarantined: number };
    };
    expect(metrics.stored.quarantined).toBe(3);

    await f.call('DELETE', `/admin/subjects/${enc(SUBJECT)}`, { token: f.token });
    const left = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM quarantined_payloads');
    expect(left.rows[0]?.n).toBe(1);
  });
});

describe('retention', () => {
  async function insertAt(receivedAt: Date): Promise<string> {
    const sid = randomSid('SM');
    await db.pool.query(
      `INSERT INTO messages (message_sid, account_sid, from_index, to_index, num_media, sealed, received_at)
       VALUES ($1, $2, $3, $3, 0, '\\x00', $4)`,
      [sid, `AC${'1'.repeat(32)}`, 'a'.repeat(64), receivedAt],
    );
    await db.pool.query(
      `INSERT INTO message_status_updates (message_sid, status, sealed, received_at) VALUES ($1, 'sent', '\\x00', $2)`,
      [sid, receivedAt],
    );
    await db.pool.query(
      `INSERT INTO quarantined_payloads (payload_key, route, failed_checks, message_sid, sealed, received_at)
       VALUES ($1, 'message', '{Body:too_long}', $2, '\\x00', $3)`,
      [randomBytes(32).toString('hex'), sid, receivedAt],
    );
    return sid;
  }

  it('deletes exactly the rows received before the cut-off, on demand', async () => {
    const cutoff = f.web.clock.now() - RETENTION_DAYS * DAY;
    await insertAt(new Date(cutoff - 1));
    await insertAt(new Date(cutoff - 10 * DAY));
    const atCutoff = await insertAt(new Date(cutoff));
    const recent = await insertAt(new Date(cutoff + 1));
    const response = await f.call('POST', '/admin/retention/run', { token: f.token });
    expect(json(response.body)).toEqual({ deleted: 2 });
    const left = await db.pool.query<{ message_sid: string }>(
      'SELECT message_sid FROM messages ORDER BY message_sid',
    );
    expect(left.rows.map((r) => r.message_sid).sort()).toEqual([atCutoff, recent].sort());
    const statuses = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM message_status_updates',
    );
    expect(statuses.rows[0]?.n).toBe(2);
    // Quarantined rows follow retention like the rest (ARCHITECTURE §1).
    const quarantined = await db.pool.query<{ message_sid: string }>(
      'SELECT message_sid FROM quarantined_payloads',
    );
    expect(quarantined.rows.map((r) => r.message_sid).sort()).toEqual([atCutoff, recent].sort());
  });

  it('runs on a schedule with the same cut-off and leaves an audit row', async () => {
    const cutoff = f.web.clock.now() - RETENTION_DAYS * DAY;
    await insertAt(new Date(cutoff - 1));
    await insertAt(new Date(cutoff + 1));
    const records = new PostgresSubjectRecords(db.pool);
    const scheduled = makeRetentionHandler(async () => ({
      retention: records,
      retentionDays: RETENTION_DAYS,
      audit: new PostgresAuditLog(db.pool),
      metrics: createEmfMetrics('test', () => {}),
      logger: createLogger('signalgate-admin', () => {}),
      clock: f.web.clock,
    }));
    expect(await scheduled({ id: 'event-1' })).toEqual({ deleted: 1, statuses: 1 });
    const audit = await db.pool.query('SELECT route, caller, outcome, request_id FROM admin_audit_log');
    expect(audit.rows).toEqual([
      { route: Route.adminRetentionRun, caller: 'schedule', outcome: 'allowed', request_id: 'event-1' },
    ]);
  });
});

describe('health and metrics', () => {
  it('reports the database, migrations, queue and secret ages', async () => {
    f.web.clock.advance(90_000);
    const body = json((await f.call('GET', '/admin/health', { token: f.token })).body);
    expect(body.status).toBe('ok');
    expect(body.database).toEqual({
      reachable: true,
      migrationVersion: LATEST_MIGRATION,
      expectedMigrationVersion: LATEST_MIGRATION,
      migrationsCurrent: true,
    });
    expect(body.queue).toMatchObject({ reachable: true, depth: 0 });
    expect(body.secrets).toMatchObject({ readable: true, ages: { adminToken: { currentAgeSeconds: 90 } } });
  });

  it('reports stored rows and the counters of the functions', async () => {
    await f.storeMessages({ From: SUBJECT, To: PEER });
    await f.call('GET', '/admin/health', { token: 'nope' });
    const body = json((await f.call('GET', '/admin/metrics', { token: f.token })).body);
    expect(body.stored).toEqual({ messages: 1, statusUpdates: 0, quarantined: 0 });
    expect(body.counters).toMatchObject({ source: 'local', windowSeconds: null });
    expect(body.failures).toMatchObject({ adminAuth: 1 });
  });

  it('answers 503 without SQL or stack when the database fails, and health still answers', async () => {
    const broken = {
      query: async () => {
        throw new Error('relation "admin_audit_log" does not exist at character 13');
      },
    };
    const handler = f.build({ db: broken as never });
    const failed = await f.call('GET', '/admin/metrics', { token: f.token }, handler);
    expect(failed.statusCode).toBe(503);
    expect(failed.body).toBe(JSON.stringify({ error: 'service unavailable' }));
    const health = await f.call('GET', '/admin/health', { token: f.token }, handler);
    expect(health.statusCode).toBe(200);
    expect(json(health.body)).toMatchObject({ status: 'degraded', database: { reachable: false } });
  });
});

describe('secrecy', () => {
  it('never puts an admin token into logs, metrics, responses or audit rows', async () => {
    await f.storeMessages({ From: SUBJECT, To: PEER });
    for (const [method, path] of ROUTES) {
      await f.call(method, path, { token: f.token });
      await f.call(method, path, { token: 'Wrong-Token-Value-123', ip: '192.0.2.99' });
    }
    const audit = JSON.stringify((await db.pool.query('SELECT * FROM admin_audit_log')).rows);
    const everything = [...f.logs, ...f.emf, ...f.responses.map((r) => JSON.stringify(r)), audit].join('\n');
    expect(everything).not.toContain(f.token);
    expect(everything).not.toContain('Wrong-Token-Value-123');
    expect(f.logs.join('\n')).not.toContain(SUBJECT);
  });
});
