// Fuzzes every route in-process (ARCHITECTURE §2): the webhook handler with in-memory ports and the
// admin handler on a real Postgres. No 5xx (the ports are healthy, so not even 503), no stack trace,
// SQL error, secret or phone number in any answer, no 2xx that the request had not earned.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogEvent, Route } from '../../lambda/shared/names.js';
import { PUBLIC_BASE_URL } from '../helpers/api-events.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { webhookFixture } from '../helpers/webhook-fixture.js';
import { adminFixture } from '../integration/admin/admin-fixture.js';
import { printReportAfterAll, reportRow } from './adversarial-report.js';
import { scale } from './adversarial-scale.js';
import { fuzzRequestArb, toApiEvent } from './fuzz-requests.js';
import { leaksIn } from './response-leaks.js';

printReportAfterAll('in-process route fuzz');

const headerText = (headers: Record<string, unknown> | undefined) =>
  Object.entries(headers ?? {})
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join('\n');

/** Log lines of faults a handler caught but did not expect; healthy ports should produce none. */
const unexpectedFaults = (logs: readonly string[]) =>
  logs.filter(
    (l) => l.includes(LogEvent.webhookUnexpectedFault) || l.includes(LogEvent.adminUnexpectedFault),
  );

describe('the webhook handler under fuzzed requests', () => {
  it(`answers ${scale.inProcessRuns} hostile requests without a fault, a leak or an unearned 2xx`, async () => {
    const f = webhookFixture();
    const row = reportRow('fuzz webhook handler (in-process)');
    const ctx = {
      twilioToken: f.token,
      adminToken: 'not-used-by-the-webhook-0000000000',
      publicBaseUrl: PUBLIC_BASE_URL,
    };
    const accepted = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fuzzRequestArb(ctx),
        fc.boolean(),
        fc.boolean(),
        async (request, base64, proxyResource) => {
          row.cases++;
          const response = await f.handler(toApiEvent(request, { base64, proxyResource }));
          const problems = leaksIn(
            { status: response.statusCode, headers: headerText(response.headers), body: response.body },
            { secrets: [f.token, f.wrappingKey.toString('hex'), f.wrappingKey.toString('base64')] },
          );
          // Healthy ports: a 503 here would be an unexpected fault the handler swallowed.
          if (response.statusCode >= 500) problems.push(`status ${response.statusCode}`);
          const ok = response.statusCode >= 200 && response.statusCode < 300;
          if (ok && !request.signed && request.path !== Route.health)
            problems.push('2xx without a signature');
          // The rule of the edge: a request whose signature verifies is never answered 4xx (ARCHITECTURE §1).
          if (request.signed && response.statusCode >= 400 && response.statusCode < 500)
            problems.push('verified request answered 4xx');
          if (ok && request.messageSid && request.path !== Route.health) accepted.add(request.messageSid);
          if (problems.length > 0) row.failures++;
          expect(problems, `${request.method} ${request.path} → ${response.statusCode}`).toEqual([]);
        },
      ),
      { numRuns: scale.inProcessRuns },
    );
    expect(unexpectedFaults(f.logs)).toEqual([]);
    // Exactly what was accepted was queued: nothing from a refused request.
    const queued = new Set(f.queue.sent.map((e) => e.messageSid));
    row.sent = accepted.size;
    row.stored = queued.size;
    row.note = 'stored = queued envelopes';
    expect([...queued].sort()).toEqual([...accepted].sort());
  });
});

describe('the admin handler under fuzzed requests (real Postgres)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it(`never lets ${scale.adminRuns} requests without the token past 401`, async () => {
    const a = adminFixture(db.poolAs('signalgate_admin_api'), db.poolAs('signalgate_ingest', 2));
    await a.storeMessages({ From: '+14155550111' });
    const row = reportRow('fuzz admin handler, no token (in-process, Postgres)');
    const ctx = { twilioToken: a.web.token, adminToken: a.tokens.alice, publicBaseUrl: PUBLIC_BASE_URL };
    await fc.assert(
      fc.asyncProperty(
        fuzzRequestArb(ctx),
        fc.constantFrom('198.51.100.1', '198.51.100.2', '2001:db8::1', ''),
        async (request, ip) => {
          row.cases++;
          const event = toApiEvent(request);
          event.requestContext.identity.sourceIp = ip;
          const response = await a.handler(event);
          const problems = leaksIn(
            { status: response.statusCode, headers: headerText(response.headers), body: response.body },
            { secrets: [...Object.values(a.tokens), a.web.token] },
          );
          if (response.statusCode >= 500) problems.push(`status ${response.statusCode}`);
          if (response.statusCode < 400) problems.push(`got ${response.statusCode} without the token`);
          if (problems.length > 0) row.failures++;
          expect(problems, `${request.method} ${request.path} → ${response.statusCode}`).toEqual([]);
        },
      ),
      { numRuns: scale.adminRuns },
    );
    expect(unexpectedFaults(a.logs)).toEqual([]);
  });

  it(`answers ${scale.adminRuns} hostile requests carrying the token without a fault or a leak`, async () => {
    const a = adminFixture(db.poolAs('signalgate_admin_api'), db.poolAs('signalgate_ingest', 2));
    await a.storeMessages({ From: '+14155550111' }, { To: '+14155550111' });
    const row = reportRow('fuzz admin handler, with token (in-process, Postgres)');
    const ctx = {
      twilioToken: a.web.token,
      adminToken: a.tokens.alice,
      publicBaseUrl: PUBLIC_BASE_URL,
      withAdminToken: true,
    };
    await fc.assert(
      fc.asyncProperty(fuzzRequestArb(ctx), async (request) => {
        row.cases++;
        const event = toApiEvent(request);
        // One caller per case: a lockout earned by one case must not hide the next case's behaviour.
        event.requestContext.identity.sourceIp = `198.51.${row.cases % 250}.${(row.cases >> 8) % 250}`;
        const response = await a.handler(event);
        const exported = response.statusCode === 200 && /\/(export|approvals\/)/.test(request.path);
        const problems = leaksIn(
          { status: response.statusCode, headers: headerText(response.headers), body: response.body },
          { secrets: [...Object.values(a.tokens), a.web.token], phonesAllowed: exported },
        );
        if (response.statusCode >= 500) problems.push(`status ${response.statusCode}`);
        if (response.statusCode < 400 && !request.carriesAdminToken) problems.push('2xx without the token');
        if (problems.length > 0) row.failures++;
        expect(problems, `${request.method} ${request.path} → ${response.statusCode}`).toEqual([]);
      }),
      { numRuns: scale.adminRuns },
    );
    expect(unexpectedFaults(a.logs)).toEqual([]);
  });
});
