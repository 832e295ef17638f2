import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresAuditLog } from '../../../lambda/admin/adapters/postgres-audit-log.js';
import { PostgresSubjectRecords } from '../../../lambda/admin/adapters/postgres-subject-records.js';
import { makeRetentionHandler } from '../../../lambda/admin/make-retention-handler.js';
import { LATEST_MIGRATION } from '../../../lambda/shared/db/migrate.js';
import { createLogger } from '../../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../../lambda/shared/metrics.js';
import { MetricName } from '../../../lambda/shared/names.js';
import { inboundParams, randomSid, statusParams } from '../../helpers/api-events.js';
import { sumMetric } from '../../helpers/emf.js';
import { EXPECTED_SECURITY_HEADERS } from '../../helpers/security-headers.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';
import { adminFixture, auditCount, LOCKOUT, OWN_NUMBER, RETENTION_DAYS } from './admin-fixture.js';

const SUBJECT = '+14155550123';
const PEER = '+14155550100';
const OTHER = '+447700900123';
const DAY = 86_400_000;
const HOUR = 3_600_000;

let db: TestDatabase;
let adminPool: pg.Pool;
let ingestPool: pg.Pool;
let retentionPool: pg.Pool;
let f: ReturnType<typeof adminFixture>;

beforeAll(async () => {
  db = await createTestDatabase();
  // Each function connects as its own role, as in the local stack and in AWS.
  adminPool = db.poolAs('signalgate_admin_api', 25);
  ingestPool = db.poolAs('signalgate_ingest', 2);
  retentionPool = db.poolAs('signalgate_retention', 2);
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(async () => {
  await db.pool.query(
    'TRUNCATE messages, message_status_updates, quarantined_payloads, erased_subjects, admin_audit_log, admin_lockouts, admin_approvals',
  );
  f = adminFixture(adminPool, ingestPool);
});

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

type Call = {
  method: string;
  path: string;
  holder: 'reader' | 'alice' | 'ops';
  body?: unknown;
  status: number;
};

/** Every admin route with a request that succeeds, by a holder of the role it needs. */
const ROUTES: Call[] = [
  { method: 'GET', path: '/admin/health', holder: 'reader', status: 200 },
  { method: 'GET', path: '/admin/metrics', holder: 'reader', status: 200 },
  { method: 'GET', path: '/admin/audit', holder: 'reader', status: 200 },
  { method: 'POST', path: '/admin/subjects/export', holder: 'alice', body: { phone: SUBJECT }, status: 200 },
  { method: 'POST', path: '/admin/subjects/erase', holder: 'alice', body: { phone: SUBJECT }, status: 202 },
  { method: 'POST', path: '/admin/retention/run', holder: 'ops', status: 200 },
];
const label = (c: Call) => `${c.method} ${c.path}`;

/** Requests an erasure as alice and returns the request id. */
async function requestErasure(phone = SUBJECT): Promise<string> {
  const response = await f.call('POST', '/admin/subjects/erase', { token: f.tokens.alice, body: { phone } });
  expect(response.statusCode).toBe(202);
  const body = json(response.body);
  expect(Object.keys(body)).toEqual(['request']);
  return body.request as string;
}

const approve = (id: string, token: string) =>
  f.call('POST', `/admin/approvals/${id}`, {
    token,
    resource: '/admin/approvals/{id}',
    pathParameters: { id },
  });

describe('admin API authentication, roles and audit', () => {
  it.each(ROUTES.map((c) => [label(c), c] as const))(
    '%s answers with a credential of its role and leaves one audit row',
    async (_name, c) => {
      const response = await f.call(c.method, c.path, { token: f.tokens[c.holder], body: c.body });
      expect(response.statusCode).toBe(c.status);
      expect(response.headers).toMatchObject(EXPECTED_SECURITY_HEADERS);
      expect(await auditCount(db.pool)).toBe(1);
    },
  );

  it.each(ROUTES.map((c) => [label(c), c] as const))(
    '%s answers 401 with the same body without a token and with a wrong one',
    async (_name, c) => {
      const missing = await f.call(c.method, c.path, { ip: '198.51.100.1', body: c.body });
      const wrong = await f.call(c.method, c.path, {
        token: `${f.tokens[c.holder].slice(0, -1)}x`,
        ip: '198.51.100.2',
        body: c.body,
      });
      expect(missing.statusCode).toBe(401);
      expect(wrong.statusCode).toBe(401);
      expect(wrong.body).toBe(missing.body);
      expect(json(missing.body)).toEqual({ error: 'unauthorized' });
      expect(wrong.headers).toEqual(missing.headers);
      expect(missing.headers).toMatchObject(EXPECTED_SECURITY_HEADERS);
      expect(await auditCount(db.pool)).toBe(2);
    },
  );

  it.each([
    ['POST', '/admin/subjects/export', 'reader', { phone: SUBJECT }],
    ['POST', '/admin/subjects/export', 'ops', { phone: SUBJECT }],
    ['POST', '/admin/subjects/erase', 'reader', { phone: SUBJECT }],
    ['POST', '/admin/subjects/erase', 'ops', { phone: SUBJECT }],
    ['POST', '/admin/retention/run', 'alice', undefined],
    ['POST', '/admin/retention/run', 'reader', undefined],
    ['POST', '/admin/approvals/AAAAAAAAAAAAAAAAAAAAAA', 'reader', undefined],
  ] as const)(
    '%s %s answers 403 to a %s credential, audited with its holder',
    async (method, path, holder, body) => {
      const response = await f.call(method, path, { token: f.tokens[holder], body });
      expect(response.statusCode).toBe(403);
      expect(json(response.body)).toEqual({ error: 'forbidden' });
      const rows = await db.pool.query('SELECT outcome, status, credential, role FROM admin_audit_log');
      expect(rows.rows).toEqual([
        {
          outcome: 'forbidden',
          status: 403,
          credential: holder,
          role: { reader: 'reader', alice: 'privacy', ops: 'operator' }[holder],
        },
      ]);
    },
  );

  it('lets the right token in from a locked-out source, and answers 429 to wrong ones there', async () => {
    for (let i = 0; i < LOCKOUT.threshold; i++) {
      expect((await f.call('GET', '/admin/health', { token: 'guess' })).statusCode).toBe(401);
    }
    const guess = await f.call('GET', '/admin/health', { token: 'guess' });
    expect(guess.statusCode).toBe(429);
    expect(Number(guess.headers?.['Retry-After'])).toBeGreaterThan(0);
    expect(guess.headers).toMatchObject(EXPECTED_SECURITY_HEADERS);
    const admin = await f.call('GET', '/admin/health', { token: f.tokens.reader });
    expect(admin.statusCode).toBe(200);
    expect(await auditCount(db.pool)).toBe(LOCKOUT.threshold + 2);
  });

  it('counts parallel wrong guesses one by one: exactly the threshold of them get 401, the rest 429', async () => {
    const tries = LOCKOUT.threshold * 5;
    const responses = await Promise.all(
      Array.from({ length: tries }, (_, i) =>
        f.call('GET', '/admin/health', { token: `parallel-guess-${i}`, ip: '203.0.113.77' }),
      ),
    );
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOCKOUT.threshold);
    expect(statuses.filter((s) => s === 429)).toHaveLength(tries - LOCKOUT.threshold);
    const row = await db.pool.query('SELECT failures FROM admin_lockouts WHERE source_ip = $1', [
      '203.0.113.77',
    ]);
    expect(row.rows).toEqual([{ failures: tries }]);
    expect(sumMetric(f.emf, MetricName.AdminLockouts)).toBe(1);
  });

  it('counts AdminAuthFailures and AdminLockouts and logs security events without the token', async () => {
    for (let i = 0; i < LOCKOUT.threshold; i++) await f.call('GET', '/admin/health', { token: 'guess-123' });
    const sum = (name: string) => sumMetric(f.emf, name);
    expect(sum(MetricName.AdminAuthFailures)).toBe(LOCKOUT.threshold);
    expect(sum(MetricName.AdminLockouts)).toBe(1);
    const security = f.logs.map((l) => json(l)).filter((l) => l.security === true);
    expect(security.map((l) => l.event)).toContain('security.admin_lockout');
    // What the runbook's investigation needs on every security event: request id, source IP, user agent.
    for (const event of security) {
      expect(event).toMatchObject({ sourceIp: '198.51.100.10', userAgent: 'curl/8.5.0' });
      expect(event.requestId).toEqual(expect.any(String));
    }
    expect(f.logs.join('\n')).not.toContain('guess-123');
  });

  it('holds a lockout across instances and only for the offending source, and lifts it after its time', async () => {
    const other = f.build();
    for (let i = 0; i < LOCKOUT.threshold; i++)
      await f.call('GET', '/admin/health', { token: 'guess', ip: '203.0.113.9' });
    expect(
      (await f.call('GET', '/admin/health', { token: 'guess', ip: '203.0.113.9' }, other)).statusCode,
    ).toBe(429);
    expect(
      (await f.call('GET', '/admin/health', { token: 'guess', ip: '203.0.113.10' }, other)).statusCode,
    ).toBe(401);
    f.web.clock.advance(LOCKOUT.lockoutMs + 1000);
    expect((await f.call('GET', '/admin/health', { token: 'guess', ip: '203.0.113.9' })).statusCode).toBe(
      401,
    );
  });

  it.each([
    ['export: a number without +', '/admin/subjects/export', { phone: '14155550123' }],
    ['export: a leading zero', '/admin/subjects/export', { phone: '+0123456' }],
    ['export: too long', '/admin/subjects/export', { phone: '+1415555012345678' }],
    ['export: a channel prefix', '/admin/subjects/export', { phone: `whatsapp:${SUBJECT}` }],
    ['export: a number as a number', '/admin/subjects/export', { phone: 14155550123 }],
    ['export: an extra field', '/admin/subjects/export', { phone: SUBJECT, all: true }],
    ['export: limit above the page', '/admin/subjects/export', { phone: SUBJECT, limit: 101 }],
    ['export: limit zero', '/admin/subjects/export', { phone: SUBJECT, limit: 0 }],
    ['export: limit as text', '/admin/subjects/export', { phone: SUBJECT, limit: '10' }],
    ['export: a cursor it did not issue', '/admin/subjects/export', { phone: SUBJECT, cursor: 'bm9wZQ' }],
    ['export: no phone', '/admin/subjects/export', {}],
    ['export: an array', '/admin/subjects/export', [SUBJECT]],
    ['export: malformed JSON', '/admin/subjects/export', '{"phone":'],
    ['export: no body', '/admin/subjects/export', undefined],
    ['export: a huge body', '/admin/subjects/export', { phone: SUBJECT, cursor: 'a'.repeat(5000) }],
    ['erase: not a number', '/admin/subjects/erase', { phone: 'not-a-number' }],
    ['erase: an extra field', '/admin/subjects/erase', { phone: SUBJECT, force: true }],
    ['erase: null', '/admin/subjects/erase', 'null'],
    ['retention: a body', '/admin/retention/run', { days: 1 }],
  ] as const)('%s answers 400 with the generic body and is audited', async (_name, path, body) => {
    const holder = path === '/admin/retention/run' ? f.tokens.ops : f.tokens.alice;
    const response = await f.call('POST', path, { token: holder, body });
    expect(response.statusCode).toBe(400);
    expect(json(response.body)).toEqual({ error: 'invalid request' });
    const rows = await db.pool.query('SELECT outcome, status FROM admin_audit_log');
    expect(rows.rows).toEqual([{ outcome: 'invalid', status: 400 }]);
    expect(await db.pool.query('SELECT 1 FROM admin_approvals')).toHaveProperty('rowCount', 0);
  });

  it('answers 400 for an audit ?limit out of range', async () => {
    const response = await f.call('GET', '/admin/audit', { token: f.tokens.reader, query: { limit: '0' } });
    expect(response.statusCode).toBe(400);
    expect(await auditCount(db.pool)).toBe(1);
  });

  it('answers 405 for a wrong method on a known path and 404 for an unknown one, both audited', async () => {
    const wrongMethod = await f.call('PUT', '/admin/health', { token: f.tokens.reader });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers?.Allow).toBe('GET');
    const oldRoute = await f.call('GET', `/admin/subjects/${encodeURIComponent(SUBJECT)}/messages`, {
      token: f.tokens.alice,
    });
    expect(oldRoute.statusCode).toBe(404);
    expect(json(oldRoute.body)).toEqual({ error: 'not found' });
    const rows = await db.pool.query<{ route: string; outcome: string }>(
      'SELECT route, outcome FROM admin_audit_log ORDER BY id',
    );
    expect(rows.rows).toEqual([
      { route: '/admin/health', outcome: 'method_not_allowed' },
      { route: 'unknown', outcome: 'not_found' },
    ]);
  });

  it('records the route template, outcome, source, request id, holder, role and a fingerprint, never a token or phone', async () => {
    await f.call('POST', '/admin/subjects/export', {
      token: f.tokens.alice,
      ip: '192.0.2.44',
      body: { phone: SUBJECT },
    });
    await f.call('POST', '/admin/subjects/export', {
      token: 'wrong-token',
      ip: '192.0.2.45',
      body: { phone: SUBJECT },
    });
    await f.call('GET', '/admin/health', { ip: '192.0.2.46' });
    const rows = (await db.pool.query('SELECT * FROM admin_audit_log ORDER BY id')).rows as Array<
      Record<string, unknown>
    >;
    expect(
      rows.map((r) => [r.route, r.method, r.outcome, r.status, r.source_ip, r.credential, r.role]),
    ).toEqual([
      ['/admin/subjects/export', 'POST', 'allowed', 200, '192.0.2.44', 'alice', 'privacy'],
      ['/admin/subjects/export', 'POST', 'unauthorized', 401, '192.0.2.45', null, null],
      ['/admin/health', 'GET', 'unauthorized', 401, '192.0.2.46', null, null],
    ]);
    expect(rows[0]?.caller).toMatch(/^[0-9a-f]{12}$/);
    expect(rows[2]?.caller).toBe('none');
    expect(rows.every((r) => typeof r.request_id === 'string' && (r.request_id as string).length > 0)).toBe(
      true,
    );
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(f.tokens.alice);
    expect(dump).not.toContain('wrong-token');
    expect(dump).not.toContain(SUBJECT);
    expect(dump).not.toContain(SUBJECT.slice(1));
  });

  it('lists the latest audit entries, newest first, limited by ?limit', async () => {
    await f.call('GET', '/admin/health', { token: f.tokens.reader });
    await f.call('GET', '/admin/metrics', { token: f.tokens.reader });
    const response = await f.call('GET', '/admin/audit', { token: f.tokens.reader, query: { limit: '1' } });
    const entries = json(response.body).entries as Array<Record<string, unknown>>;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      route: '/admin/metrics',
      outcome: 'allowed',
      status: 200,
      credential: 'reader',
    });
  });
});

describe('the audit hash chain', () => {
  const verify = async () =>
    json(
      (await f.call('GET', '/admin/audit', { token: f.tokens.reader, query: { verify: '1', limit: '1' } }))
        .body,
    ).chain as Record<string, unknown>;

  it('holds over every call, concurrent ones included', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        f.call('GET', i % 2 ? '/admin/health' : '/admin/metrics', {
          token: i % 3 ? f.tokens.reader : 'nope',
        }),
      ),
    );
    // The verifying call itself is recorded after the check: 20 entries checked.
    expect(await verify()).toEqual({ intact: true, checked: 20 });
  });

  it('detects an edited row, naming the first broken entry', async () => {
    for (let i = 0; i < 3; i++) await f.call('GET', '/admin/health', { token: f.tokens.reader });
    const ids = (await db.pool.query<{ id: string }>('SELECT id FROM admin_audit_log ORDER BY id')).rows;
    await db.pool.query(`UPDATE admin_audit_log SET outcome = 'unauthorized' WHERE id = $1`, [ids[1]?.id]);
    expect(await verify()).toEqual({ intact: false, checked: 3, firstBrokenId: Number(ids[1]?.id) });
  });

  it('detects a deleted row', async () => {
    for (let i = 0; i < 3; i++) await f.call('GET', '/admin/health', { token: f.tokens.reader });
    const ids = (await db.pool.query<{ id: string }>('SELECT id FROM admin_audit_log ORDER BY id')).rows;
    await db.pool.query('DELETE FROM admin_audit_log WHERE id = $1', [ids[1]?.id]);
    expect(await verify()).toEqual({ intact: false, checked: 2, firstBrokenId: Number(ids[2]?.id) });
  });

  it('overrides a hash or id the writer supplies', async () => {
    await f.call('GET', '/admin/health', { token: f.tokens.reader });
    await db.pool.query(
      `INSERT INTO admin_audit_log (id, hash, prev_hash, at, route, method, outcome, status, source_ip, request_id, caller)
       VALUES (999, '\\x00', '\\x00', now(), '/admin/health', 'GET', 'allowed', 200, '192.0.2.1', 'r', 'none')`,
    );
    expect(await verify()).toEqual({ intact: true, checked: 2 });
  });
});

describe('the admin role on the audit log', () => {
  it('may insert and read audit rows but is refused UPDATE, DELETE and TRUNCATE', async () => {
    await f.call('GET', '/admin/health', { token: f.tokens.reader });
    await adminPool.query(
      `INSERT INTO admin_audit_log (at, route, method, outcome, status, source_ip, request_id, caller)
       VALUES (now(), '/admin/health', 'GET', 'allowed', 200, '192.0.2.1', 'r', 'none')`,
    );
    expect((await adminPool.query('SELECT count(*)::int AS n FROM admin_audit_log')).rows[0]?.n).toBe(2);
    await expect(adminPool.query(`UPDATE admin_audit_log SET outcome = 'allowed'`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(adminPool.query('DELETE FROM admin_audit_log')).rejects.toThrow(/permission denied/);
    await expect(adminPool.query('TRUNCATE admin_audit_log')).rejects.toThrow(/permission denied/);
    expect(await auditCount(db.pool)).toBe(2);
  });
});

describe('subject export', () => {
  const exportAs = (body: unknown, token = f.tokens.alice) =>
    f.call('POST', '/admin/subjects/export', { token, body });

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

    const response = await exportAs({ phone: SUBJECT });
    expect(response.statusCode).toBe(200);
    const body = json(response.body) as {
      messages: Array<{ messageSid: string; params: Record<string, string> }>;
      statuses: Array<{ messageSid: string; status: string; params: Record<string, string> }>;
      next: string | null;
    };
    expect(body.messages.map((m) => m.messageSid).sort()).toEqual([fromSubject, toSubject].sort());
    expect(body.messages.map((m) => m.params.Body).sort()).toEqual(['from the subject', 'to the subject']);
    expect(response.body).not.toContain('not about the subject');
    expect(body.statuses.map((s) => s.messageSid).sort()).toEqual([fromSubject, outbound].sort());
    expect(body.statuses[0]?.params.MessageStatus).toBe('delivered');
    expect(body.next).toBeNull();
  });

  it('pages through messages then statuses with the next cursor, each record once', async () => {
    const sids = await f.storeMessages(
      ...Array.from({ length: 5 }, (_, i) => ({ From: SUBJECT, To: PEER, Body: `m${i}` })),
    );
    for (const sid of sids.slice(0, 3)) {
      await f.storeStatus(statusParams({ MessageSid: sid, From: SUBJECT, To: PEER }));
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const response = await exportAs({ phone: SUBJECT, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(response.statusCode).toBe(200);
      const body = json(response.body) as {
        messages: Array<{ messageSid: string }>;
        statuses: Array<{ messageSid: string; status: string }>;
        next: string | null;
      };
      sizes.push(body.messages.length + body.statuses.length);
      seen.push(
        ...body.messages.map((m) => `m:${m.messageSid}`),
        ...body.statuses.map((s) => `s:${s.messageSid}`),
      );
      if (body.next === null) break;
      expect(body.next).not.toContain(SUBJECT.slice(1));
      cursor = body.next;
    }
    expect(sizes).toEqual([2, 2, 2, 2]);
    expect(seen.sort()).toEqual(
      [...sids.map((s) => `m:${s}`), ...sids.slice(0, 3).map((s) => `s:${s}`)].sort(),
    );
  });

  it("refuses the business's own number with 409, audited", async () => {
    await f.storeMessages({ From: OWN_NUMBER, To: PEER });
    const exported = await exportAs({ phone: OWN_NUMBER });
    const erased = await f.call('POST', '/admin/subjects/erase', {
      token: f.tokens.alice,
      body: { phone: OWN_NUMBER },
    });
    for (const response of [exported, erased]) {
      expect(response.statusCode).toBe(409);
      expect(json(response.body)).toEqual({ error: 'conflict' });
    }
    const rows = await db.pool.query('SELECT outcome, status FROM admin_audit_log ORDER BY id');
    expect(rows.rows).toEqual([
      { outcome: 'conflict', status: 409 },
      { outcome: 'conflict', status: 409 },
    ]);
    expect((await db.pool.query('SELECT 1 FROM admin_approvals')).rowCount).toBe(0);
  });

  it('needs a second privacy credential for a subject over the four-eyes threshold, then pages under that approval', async () => {
    // 501 stored records (the threshold is 500), inserted directly: their contents do not matter here.
    const index = await f.blindIndex(SUBJECT);
    await db.pool.query(
      `INSERT INTO messages (message_sid, account_sid, from_index, to_index, num_media, sealed, received_at)
       SELECT 'SM' || lpad(g::text, 32, '0'), 'AC1', $1, 'peer', 0, '\\x00', now() - g * interval '1 second'
       FROM generate_series(1, 501) g`,
      [index],
    );
    const asked = await exportAs({ phone: SUBJECT, limit: 100 });
    expect(asked.statusCode).toBe(202);
    const { request } = json(asked.body) as { request: string };
    expect((await approve(request, f.tokens.alice)).statusCode).toBe(403);
    const first = await approve(request, f.tokens.bob);
    expect(first.statusCode).toBe(200);
    let body = json(first.body) as { messages: unknown[]; next: string | null };
    let total = body.messages.length;
    expect(total).toBe(100);
    while (body.next !== null) {
      const page = await exportAs({ phone: SUBJECT, limit: 100, cursor: body.next });
      expect(page.statusCode).toBe(200);
      body = json(page.body) as { messages: unknown[]; next: string | null };
      total += body.messages.length;
    }
    expect(total).toBe(501);
    // The approval's cursor is for this subject only, and only until the approval expires.
    const cursor = (json(first.body) as { next: string }).next;
    expect((await exportAs({ phone: OTHER, cursor })).statusCode).toBe(400);
    f.web.clock.advance(HOUR + 1000);
    expect((await exportAs({ phone: SUBJECT, cursor })).statusCode).toBe(410);
  });
});

describe('four-eyes erasure', () => {
  it("erases nothing on request; a different privacy credential's approval erases every message and status of the subject", async () => {
    const [fromSubject] = await f.storeMessages(
      { From: SUBJECT, To: PEER },
      { From: PEER, To: `whatsapp:${SUBJECT}` },
    );
    const [kept] = await f.storeMessages({ From: OTHER, To: PEER });
    await f.storeStatus(statusParams({ MessageSid: fromSubject as string, From: SUBJECT, To: PEER }));
    await f.storeStatus(statusParams({ MessageSid: kept as string, From: OTHER, To: PEER }));

    const request = await requestErasure();
    const all =
      'SELECT ((SELECT count(*) FROM messages) + (SELECT count(*) FROM message_status_updates))::int AS n';
    expect((await db.pool.query(all)).rows[0]?.n).toBe(5);

    const same = await approve(request, f.tokens.alice);
    expect(same.statusCode).toBe(403);
    expect((await db.pool.query(all)).rows[0]?.n).toBe(5);

    const approved = await approve(request, f.tokens.bob);
    expect(approved.statusCode).toBe(200);
    expect(json(approved.body)).toEqual({ erased: 2 });

    const index = await f.blindIndex(SUBJECT);
    const left = await db.pool.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM messages WHERE from_index = $1 OR to_index = $1)
            + (SELECT count(*) FROM message_status_updates WHERE from_index = $1 OR to_index = $1
                 OR message_sid = $2))::int AS n`,
      [index, fromSubject],
    );
    expect(left.rows[0]?.n).toBe(0);
    expect((await db.pool.query(all)).rows[0]?.n).toBe(2);

    // Executed once: a second approval finds it gone.
    expect((await approve(request, f.tokens.bob)).statusCode).toBe(410);

    const audit = await db.pool.query<{
      route: string;
      outcome: string;
      credential: string;
      detail: unknown;
    }>('SELECT route, outcome, credential, detail FROM admin_audit_log ORDER BY id');
    expect(audit.rows).toEqual([
      {
        route: '/admin/subjects/erase',
        outcome: 'accepted',
        credential: 'alice',
        detail: { request, action: 'erase' },
      },
      {
        route: '/admin/approvals/{id}',
        outcome: 'forbidden',
        credential: 'alice',
        detail: { request, action: 'erase' },
      },
      {
        route: '/admin/approvals/{id}',
        outcome: 'allowed',
        credential: 'bob',
        detail: {
          request,
          action: 'erase',
          erased: 2,
          statuses: 1,
          quarantined: 0,
          calls: 0,
          callStatuses: 0,
          recordings: 0,
        },
      },
      {
        route: '/admin/approvals/{id}',
        outcome: 'gone',
        credential: 'bob',
        detail: { request, action: 'erase' },
      },
    ]);
    expect(JSON.stringify(audit.rows)).not.toContain(SUBJECT.slice(1));
  });

  it('answers 410 to an approval after the expiry and erases nothing', async () => {
    await f.storeMessages({ From: SUBJECT, To: PEER });
    const request = await requestErasure();
    f.web.clock.advance(HOUR + 1);
    const late = await approve(request, f.tokens.bob);
    expect(late.statusCode).toBe(410);
    expect(json(late.body)).toEqual({ error: 'gone' });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM messages')).rows[0]?.n).toBe(1);
  });

  it('approves just before the expiry', async () => {
    await f.storeMessages({ From: SUBJECT, To: PEER });
    const request = await requestErasure();
    f.web.clock.advance(HOUR - 1000);
    expect(json((await approve(request, f.tokens.bob)).body)).toEqual({ erased: 1 });
  });

  it.each([
    ['an unknown id of the right shape', 'AAAAAAAAAAAAAAAAAAAAAA'],
    ['an id of the wrong shape', 'nope'],
    ['a percent-encoded phone number', '%2B14155550123'],
  ])('answers 404 to %s, audited', async (_name, id) => {
    const response = await approve(id, f.tokens.bob);
    expect(response.statusCode).toBe(404);
    expect(json(response.body)).toEqual({ error: 'not found' });
    const rows = await db.pool.query('SELECT route, outcome FROM admin_audit_log');
    expect(rows.rows).toEqual([{ route: '/admin/approvals/{id}', outcome: 'not_found' }]);
  });

  it('executes an approval once when two approvers race', async () => {
    await f.storeMessages({ From: SUBJECT, To: PEER });
    const request = await requestErasure();
    const other = f.build();
    const [a, b] = await Promise.all([
      approve(request, f.tokens.bob),
      f.call('POST', `/admin/approvals/${request}`, { token: f.tokens.bob }, other),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 410]);
  });

  /** Makes the database itself refuse a statement (as the schema owner), for the length of `run`. */
  async function withFailingTrigger(table: string, when: string, run: () => Promise<void>) {
    await db.pool.query(`CREATE FUNCTION fail_now() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'canceling statement due to statement timeout'; END $$`);
    await db.pool.query(
      `CREATE TRIGGER fail_now BEFORE ${when} ON ${table} FOR EACH ROW EXECUTE FUNCTION fail_now()`,
    );
    try {
      await run();
    } finally {
      await db.pool.query(`DROP TRIGGER fail_now ON ${table}`);
      await db.pool.query('DROP FUNCTION fail_now()');
    }
  }

  it('changes nothing when the erasure fails, and leaves the request approvable', async () => {
    await f.storeMessages({ From: SUBJECT, To: PEER });
    const request = await requestErasure();
    await withFailingTrigger('messages', 'DELETE', async () => {
      const failed = await approve(request, f.tokens.bob);
      expect(failed.statusCode).toBe(503);
      expect(failed.body).toBe(JSON.stringify({ error: 'service unavailable' }));
    });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM messages')).rows[0]?.n).toBe(1);
    expect((await db.pool.query('SELECT approved_by FROM admin_approvals')).rows).toEqual([
      { approved_by: null },
    ]);
    expect(json((await approve(request, f.tokens.bob)).body)).toEqual({ erased: 1 });
  });

  it('erases nothing when its audit row cannot be written: rows and audit commit together', async () => {
    await f.storeMessages({ From: SUBJECT, To: PEER });
    const request = await requestErasure();
    const before = await auditCount(db.pool);
    await withFailingTrigger('admin_audit_log', 'INSERT', async () => {
      expect((await approve(request, f.tokens.bob)).statusCode).toBe(503);
    });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM messages')).rows[0]?.n).toBe(1);
    expect(await auditCount(db.pool)).toBe(before);
    const approved = await approve(request, f.tokens.bob);
    expect(json(approved.body)).toEqual({ erased: 1 });
    const rows = await db.pool.query(
      `SELECT outcome, detail FROM admin_audit_log WHERE route = '/admin/approvals/{id}' ORDER BY id`,
    );
    // Exactly one row for the approval that erased: written in its transaction, not again after it.
    expect(rows.rows).toEqual([
      {
        outcome: 'allowed',
        detail: {
          request,
          action: 'erase',
          erased: 1,
          statuses: 0,
          quarantined: 0,
          calls: 0,
          callStatuses: 0,
          recordings: 0,
        },
      },
    ]);
  });

  it('hands out no approved export whose audit row cannot be written, and the approval stays usable', async () => {
    // 501 stored records (the threshold is 500), inserted directly: their contents do not matter here.
    await db.pool.query(
      `INSERT INTO messages (message_sid, account_sid, from_index, to_index, num_media, sealed, received_at)
       SELECT 'SM' || lpad(g::text, 32, '0'), 'AC1', $1, 'peer', 0, '\\x00', now() - g * interval '1 second'
       FROM generate_series(1, 501) g`,
      [await f.blindIndex(SUBJECT)],
    );
    const asked = await f.call('POST', '/admin/subjects/export', {
      token: f.tokens.alice,
      body: { phone: SUBJECT, limit: 100 },
    });
    expect(asked.statusCode).toBe(202);
    const { request } = json(asked.body) as { request: string };
    const before = await auditCount(db.pool);
    await withFailingTrigger('admin_audit_log', 'INSERT', async () => {
      const failed = await approve(request, f.tokens.bob);
      expect(failed.statusCode).toBe(503);
      expect(failed.body).toBe(JSON.stringify({ error: 'service unavailable' }));
    });
    expect(await auditCount(db.pool)).toBe(before);
    expect((await db.pool.query('SELECT approved_by FROM admin_approvals')).rows).toEqual([
      { approved_by: null },
    ]);

    const approved = await approve(request, f.tokens.bob);
    expect(approved.statusCode).toBe(200);
    expect((json(approved.body) as { messages: unknown[] }).messages).toHaveLength(100);
    const rows = await db.pool.query(
      `SELECT outcome, detail FROM admin_audit_log WHERE route = '/admin/approvals/{id}' ORDER BY id`,
    );
    // Exactly one row for the approval that exported: written in its transaction, not again after it.
    expect(rows.rows).toEqual([
      {
        outcome: 'allowed',
        detail: {
          request,
          action: 'export',
          messages: 100,
          statuses: 0,
          quarantined: 0,
          calls: 0,
          callStatuses: 0,
          recordings: 0,
          more: true,
        },
      },
    ]);
  });
});

describe('quarantined payloads of a subject', () => {
  it('are exported flagged as such, counted in metrics, and erased with the subject on approval', async () => {
    const long = 'a long message '.repeat(120);
    await f.storeAnything(inboundParams({ From: SUBJECT, To: PEER, Body: long }));
    await f.storeAnything(
      statusParams({ From: PEER, To: SUBJECT, MessageStatus: 'delivery_unknown' }),
      '/webhooks/twilio/status',
    );
    await f.storeAnything(inboundParams({ From: OTHER, To: PEER, Body: long }));

    const response = await f.call('POST', '/admin/subjects/export', {
      token: f.tokens.alice,
      body: { phone: SUBJECT },
    });
    expect(response.statusCode).toBe(200);
    const body = json(response.body) as {
      quarantined: Array<{
        quarantined: boolean;
        route: string;
        failedChecks: string[];
        params: Record<string, string>;
      }>;
      next: string | null;
    };
    expect(body.quarantined.map((q) => [q.quarantined, q.route, q.failedChecks])).toEqual([
      [true, 'message', ['Body:too_long']],
      [true, 'status', ['MessageStatus:invalid_value']],
    ]);
    expect(body.quarantined[0]?.params.Body).toBe(long);
    expect(body.quarantined[1]?.params.MessageStatus).toBe('delivery_unknown');
    expect(body.next).toBeNull();

    const metrics = json((await f.call('GET', '/admin/metrics', { token: f.tokens.reader })).body) as {
      stored: { quarantined: number };
    };
    expect(metrics.stored.quarantined).toBe(3);

    const approved = await approve(await requestErasure(), f.tokens.bob);
    expect(approved.statusCode).toBe(200);
    const left = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM quarantined_payloads');
    expect(left.rows[0]?.n).toBe(1);
  });

  it("include a quarantined status callback that names only the subject's MessageSid: exported and erased", async () => {
    const [sid] = await f.storeMessages({ From: SUBJECT, To: PEER });
    const {
      From: _from,
      To: _to,
      ...callback
    } = statusParams({
      MessageSid: sid as string,
      MessageStatus: 'delivery_unknown',
    });
    await f.storeAnything(callback, '/webhooks/twilio/status');
    const exported = json(
      (await f.call('POST', '/admin/subjects/export', { token: f.tokens.alice, body: { phone: SUBJECT } }))
        .body,
    ) as { quarantined: Array<{ messageSid: string; failedChecks: string[] }> };
    expect(exported.quarantined.map((q) => [q.messageSid, q.failedChecks])).toEqual([
      [sid, ['MessageStatus:invalid_value']],
    ]);
    const approved = await approve(await requestErasure(), f.tokens.bob);
    expect(json(approved.body)).toEqual({ erased: 1 });
    const left = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM quarantined_payloads');
    expect(left.rows[0]?.n).toBe(0);
  });

  it('with From repeated: exported for each of its numbers and erased by each, and a redelivery stays erased', async () => {
    // Two payloads, each signed with From twice (a repeated key fails the schema: quarantined).
    const first = ['+14155550161', '+14155550162'];
    const second = ['+14155550163', '+14155550164'];
    const payload = (from: string[]) => ({ ...inboundParams({ To: PEER }), From: from });
    const a = payload(first);
    const b = payload(second);
    await f.storeAnything(a);
    await f.storeAnything(b);
    expect(
      (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM quarantined_payloads')).rows[0]?.n,
    ).toBe(2);
    const exportOf = async (phone: string) =>
      json(
        (await f.call('POST', '/admin/subjects/export', { token: f.tokens.alice, body: { phone } })).body,
      ) as { quarantined: Array<{ quarantined: boolean; route: string; params: Record<string, unknown> }> };
    for (const [phone, from] of [
      [first[0], first],
      [first[1], first],
      [second[0], second],
      [second[1], second],
    ] as const) {
      const exported = await exportOf(phone as string);
      expect(exported.quarantined.map((q) => [q.quarantined, q.route, q.params.From])).toEqual([
        [true, 'message', from],
      ]);
    }

    // Erased by the second number of one payload, by the first of the other ({erased} counts messages).
    const quarantinedLeft = async () =>
      (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM quarantined_payloads')).rows[0]?.n;
    expect(json((await approve(await requestErasure(first[1]), f.tokens.bob)).body)).toEqual({ erased: 0 });
    expect(await quarantinedLeft()).toBe(1);
    expect((await exportOf(first[0] as string)).quarantined).toEqual([]);
    expect(json((await approve(await requestErasure(second[0]), f.tokens.bob)).body)).toEqual({ erased: 0 });
    expect(await quarantinedLeft()).toBe(0);
    expect((await exportOf(second[1] as string)).quarantined).toEqual([]);

    // A Twilio redelivery of either payload is dropped: each names an erased number.
    await f.storeAnything(a);
    await f.storeAnything(b);
    expect(await quarantinedLeft()).toBe(0);
  });

  it.each([
    [
      're-pointed to another subject',
      inboundParams({ From: SUBJECT, To: PEER, Body: 'a long message '.repeat(120) }),
      // What a database writer dodging an erasure would do: move the row to another number's index.
      'UPDATE quarantined_payloads SET from_index = $1',
    ],
    [
      'stripped of one of its other numbers',
      { ...inboundParams({ To: PEER }), From: [SUBJECT, '+14155550165'] },
      // Or replace the index of a repeated From with another number's.
      'UPDATE quarantined_payloads SET other_indexes = ARRAY[$1]',
    ],
  ])('cannot be %s: the blind indexes are bound into the sealed record', async (_name, params, tamper) => {
    await f.storeAnything(params);
    await db.pool.query(tamper, [await f.blindIndex(OTHER)]);
    const exported = json(
      (await f.call('POST', '/admin/subjects/export', { token: f.tokens.alice, body: { phone: OTHER } }))
        .body,
    ) as { quarantined: Array<{ params: unknown }> };
    expect(exported.quarantined).toHaveLength(1);
    expect(exported.quarantined[0]?.params).toBeNull();
    expect(f.logs.join('\n')).toContain('unreadable');
  });

  it('page after the messages and statuses with the next cursor, each once', async () => {
    const long = 'a long message '.repeat(120);
    await f.storeMessages({ From: SUBJECT, To: PEER });
    for (let i = 0; i < 3; i++) {
      await f.storeAnything(inboundParams({ From: SUBJECT, To: PEER, Body: `${long}${i}` }));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const response = await f.call('POST', '/admin/subjects/export', {
        token: f.tokens.alice,
        body: { phone: SUBJECT, limit: 2, ...(cursor ? { cursor } : {}) },
      });
      expect(response.statusCode).toBe(200);
      const body = json(response.body) as {
        messages: unknown[];
        quarantined: Array<{ params: Record<string, string> }>;
        next: string | null;
      };
      expect(body.messages.length + body.quarantined.length).toBeLessThanOrEqual(2);
      seen.push(...body.quarantined.map((q) => (q.params.Body as string).slice(-1)));
      if (body.next === null) break;
      cursor = body.next;
    }
    expect(seen.sort()).toEqual(['0', '1', '2']);
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
    const response = await f.call('POST', '/admin/retention/run', { token: f.tokens.ops });
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
    // The scheduled function connects as the retention role.
    const records = new PostgresSubjectRecords(retentionPool);
    const scheduled = makeRetentionHandler(async () => ({
      retention: records,
      retentionDays: RETENTION_DAYS,
      audit: new PostgresAuditLog(retentionPool),
      metrics: createEmfMetrics('test', () => {}),
      logger: createLogger('signalgate-admin', () => {}),
      clock: f.web.clock,
    }));
    expect(await scheduled({ id: 'event-1' })).toEqual({
      deleted: 1,
      statuses: 1,
      calls: 0,
      callStatuses: 0,
      recordings: 0,
    });
    const audit = await db.pool.query('SELECT route, caller, outcome, request_id FROM admin_audit_log');
    expect(audit.rows).toEqual([
      { route: '/admin/retention/run', caller: 'schedule', outcome: 'allowed', request_id: 'event-1' },
    ]);
  });
});

describe('health and metrics', () => {
  it('reports the database, migrations, queue and secret ages', async () => {
    f.web.clock.advance(90_000);
    const body = json((await f.call('GET', '/admin/health', { token: f.tokens.reader })).body);
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
    const body = json((await f.call('GET', '/admin/metrics', { token: f.tokens.reader })).body);
    expect(body.stored).toEqual({
      messages: 1,
      statusUpdates: 0,
      quarantined: 0,
      calls: 0,
      callStatuses: 0,
      recordings: 0,
    });
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
    const failed = await f.call('GET', '/admin/metrics', { token: f.tokens.reader }, handler);
    expect(failed.statusCode).toBe(503);
    expect(failed.body).toBe(JSON.stringify({ error: 'service unavailable' }));
    const health = await f.call('GET', '/admin/health', { token: f.tokens.reader }, handler);
    expect(health.statusCode).toBe(200);
    expect(json(health.body)).toMatchObject({ status: 'degraded', database: { reachable: false } });
  });
});

describe('secrecy', () => {
  it('never puts an admin token into logs, metrics, responses or audit rows', async () => {
    await f.storeMessages({ From: SUBJECT, To: PEER });
    for (const c of ROUTES) {
      await f.call(c.method, c.path, { token: f.tokens[c.holder], body: c.body });
      await f.call(c.method, c.path, { token: 'Wrong-Token-Value-123', ip: '192.0.2.99', body: c.body });
    }
    const request = await requestErasure();
    await approve(request, f.tokens.bob);
    const audit = JSON.stringify((await db.pool.query('SELECT * FROM admin_audit_log')).rows);
    const everything = [...f.logs, ...f.emf, ...f.responses.map((r) => JSON.stringify(r)), audit].join('\n');
    for (const token of Object.values(f.tokens)) expect(everything).not.toContain(token);
    expect(everything).not.toContain('Wrong-Token-Value-123');
    expect(f.logs.join('\n')).not.toContain(SUBJECT);
    expect(audit).not.toContain(SUBJECT.slice(1));
  });
});
