// The admin handler on a real Postgres with in-memory secrets and local keys, sharing secrets, keys
// and clock with a webhook fixture so stored messages can be exported and erased.

import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { EmfTally } from '../../../lambda/admin/adapters/emf-tally.js';
import { FunctionQueueStats } from '../../../lambda/admin/adapters/function-queue-stats.js';
import { SourceSecretAges } from '../../../lambda/admin/adapters/source-secret-ages.js';
import { buildAdminDeps } from '../../../lambda/admin/build-admin-deps.js';
import { makeAdminHandler } from '../../../lambda/admin/make-admin-handler.js';
import type { LockoutPolicy } from '../../../lambda/admin/ports.js';
import { storeEnvelopes } from '../../../lambda/ingest/store-envelopes.js';
import type { Queryable, TransactionalDb } from '../../../lambda/shared/db/pool.js';
import { createLogger } from '../../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../../lambda/shared/metrics.js';
import { apiEvent, inboundParams, signedWebhookEvent } from '../../helpers/api-events.js';
import { BLIND_INDEX_SECRET_ID, TWILIO_SECRET_ID, webhookFixture } from '../../helpers/webhook-fixture.js';

export const ADMIN_SECRET_ID = 'admin-token';
export const LOCKOUT: LockoutPolicy = { threshold: 3, windowMs: 10 * 60_000, lockoutMs: 15 * 60_000 };
export const GRACE_MS = 15 * 60_000;
export const RETENTION_DAYS = 30;

export const newAdminToken = () => randomBytes(32).toString('base64url');
/** The business's own number in the fixture: export and erasure must refuse it. */
export const OWN_NUMBER = '+14155550999';

/** One credential per holder: a reader, two privacy holders (requester and approver), an operator. */
export const HOLDERS = { reader: 'reader', alice: 'privacy', bob: 'privacy', ops: 'operator' } as const;
export type Holder = keyof typeof HOLDERS;

export const credentialsSecret = (tokens: Record<Holder, string>) =>
  JSON.stringify({
    credentials: Object.fromEntries(
      Object.entries(HOLDERS).map(([id, role]) => [id, { token: tokens[id as Holder], role }]),
    ),
  });

export interface CallOptions {
  token?: string;
  ip?: string;
  query?: Record<string, string>;
  /** Sent as JSON unless it is a string (then as it is). */
  body?: unknown;
  resource?: string;
  pathParameters?: Record<string, string>;
}

/**
 * @param db the admin function's connection: the tests pass a pool logged in as its role.
 * @param ingestDb where stored messages go, as the ingest function's role.
 */
export function adminFixture(db: TransactionalDb, ingestDb: Queryable = db) {
  const web = webhookFixture();
  const tokens = {
    reader: newAdminToken(),
    alice: newAdminToken(),
    bob: newAdminToken(),
    ops: newAdminToken(),
  };
  web.secrets.rotate(ADMIN_SECRET_ID, credentialsSecret(tokens)); // creates it: there is no previous version
  const logs: string[] = [];
  const emf: string[] = [];
  const tally = new EmfTally();
  const responses: APIGatewayProxyResult[] = [];

  const build = (overrides: { db?: TransactionalDb } = {}) =>
    makeAdminHandler(async () =>
      buildAdminDeps({
        db: overrides.db ?? db,
        keyProvider: web.keyProvider,
        secretSource: web.secrets,
        secretCacheMs: 60_000,
        adminCredentials: ADMIN_SECRET_ID,
        ownNumbers: [OWN_NUMBER],
        blindIndexSecretId: BLIND_INDEX_SECRET_ID,
        previousTokenGraceMs: GRACE_MS,
        lockoutPolicy: LOCKOUT,
        retentionDays: RETENTION_DAYS,
        queueStats: new FunctionQueueStats(() => ({
          depth: web.queue.sent.length,
          inFlight: 0,
          oldestAgeSeconds: 0,
          deadLetterDepth: 0,
        })),
        secretAges: new SourceSecretAges(web.secrets, {
          adminToken: ADMIN_SECRET_ID,
          blindIndexKey: BLIND_INDEX_SECRET_ID,
          twilioAuthToken: TWILIO_SECRET_ID,
        }),
        counters: tally,
        metrics: createEmfMetrics(
          'test',
          tally.sink((line) => emf.push(line)),
        ),
        logger: createLogger('signalgate-admin', (line) => logs.push(line)),
        clock: web.clock,
      }),
    );
  const handler = build();

  function event(method: string, path: string, options: CallOptions = {}): APIGatewayProxyEvent {
    const base = apiEvent({
      path,
      httpMethod: method,
      headers: {
        'User-Agent': 'curl/8.5.0',
        ...(options.token === undefined ? {} : { 'X-Admin-Token': options.token }),
      },
      queryStringParameters: options.query ?? null,
      body:
        options.body === undefined
          ? null
          : typeof options.body === 'string'
            ? options.body
            : JSON.stringify(options.body),
      ...(options.resource ? { resource: options.resource } : {}),
      ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    });
    base.requestContext.identity.sourceIp = options.ip ?? '198.51.100.10';
    return base;
  }

  return {
    web,
    tokens,
    logs,
    emf,
    responses,
    handler,
    build,
    event,
    /** One admin call through the handler; the response is kept for the leak checks. */
    async call(method: string, path: string, options: CallOptions = {}, via = handler) {
      const response = await via(event(method, path, options));
      responses.push(response);
      return response;
    },
    /** Sends signed inbound messages through the webhook and stores what it queued, as ingest would. */
    async storeMessages(...messages: Array<Record<string, string>>): Promise<string[]> {
      const from = web.queue.sent.length;
      for (const params of messages) {
        const response = await web.handler(
          signedWebhookEvent({ token: web.token, params: inboundParams(params) }),
        );
        if (response.statusCode !== 200) throw new Error(`webhook answered ${response.statusCode}`);
      }
      const envelopes = web.queue.sent.slice(from);
      await storeEnvelopes(ingestDb, envelopes);
      return envelopes.map((e) => {
        if (e.kind !== 'message') throw new Error(`the webhook queued a ${e.kind} envelope`);
        return e.messageSid;
      });
    },
    /** Sends one signed webhook and stores whatever it queued, a quarantined payload included. */
    async storeAnything(
      params: Record<string, string | readonly string[]>,
      path = '/webhooks/twilio/messages',
    ): Promise<void> {
      const from = web.queue.sent.length;
      const response = await web.handler(signedWebhookEvent({ token: web.token, params, path }));
      if (response.statusCode >= 300) throw new Error(`webhook answered ${response.statusCode}`);
      await storeEnvelopes(ingestDb, web.queue.sent.slice(from));
    },
    /** Sends a signed status callback through the webhook and stores it. */
    async storeStatus(params: Record<string, string>): Promise<void> {
      const from = web.queue.sent.length;
      const response = await web.handler(
        signedWebhookEvent({ token: web.token, params, path: '/webhooks/twilio/status' }),
      );
      if (response.statusCode !== 204) throw new Error(`status webhook answered ${response.statusCode}`);
      await storeEnvelopes(ingestDb, web.queue.sent.slice(from));
    },
    async blindIndex(phone: string): Promise<string> {
      return (await web.deps.blindIndex())(phone);
    },
  };
}

export async function auditCount(db: Queryable): Promise<number> {
  const result = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM admin_audit_log');
  return result.rows[0]?.n ?? 0;
}
