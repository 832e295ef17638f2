// KMS, Secrets Manager and SQS calls per 1,000 messages, counted by running the real webhook, ingest and
// admin code paths on the real AWS adapters with counting fake clients and a simulated clock.
// Feeds docs/COST.md.

import { randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { SecretsManagerSecretAges } from '../../lambda/admin/adapters/secrets-manager-secret-ages.js';
import { SqsQueueStats } from '../../lambda/admin/adapters/sqs-queue-stats.js';
import { buildAdminDeps } from '../../lambda/admin/build-admin-deps.js';
import { makeAdminHandler } from '../../lambda/admin/make-admin-handler.js';
import { makeIngestHandler } from '../../lambda/ingest/make-ingest-handler.js';
import { KmsKeyProvider } from '../../lambda/shared/adapters/aws/kms-key-provider.js';
import { SecretsManagerSource } from '../../lambda/shared/adapters/aws/secrets-manager-source.js';
import { SqsQueue } from '../../lambda/shared/adapters/aws/sqs-queue.js';
import {
  DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS,
  DEFAULT_SECRET_CACHE_SECONDS,
} from '../../lambda/shared/env-config.js';
import { silentLogger } from '../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../lambda/shared/metrics.js';
import { Table } from '../../lambda/shared/names.js';
import { buildWebhookDeps } from '../../lambda/webhook/build-webhook-deps.js';
import { makeWebhookHandler } from '../../lambda/webhook/make-webhook-handler.js';
import {
  ACCOUNT_SID,
  apiEvent,
  inboundParams,
  PUBLIC_BASE_URL,
  signedWebhookEvent,
} from '../../test/helpers/api-events.js';
import { sqsEvent } from '../../test/helpers/sqs-events.js';
import { ManualClock, twilioSecret } from '../../test/helpers/webhook-fixture.js';
import { startBenchPostgres } from './bench-postgres.js';
import { CallCounter, fakeKms, fakeSecretsManager, fakeSqs } from './counting-aws.js';
import { fmt, printTable, type Row } from './measure.js';

/** The deployed settings: the config's secret cache default in every environment; sealer defaults (5 min / 10,000 records). */
const SECRET_CACHE_MS = DEFAULT_SECRET_CACHE_SECONDS * 1000;
const MINUTE = 60_000;
const SUBJECT = '+14155550111';
const Secret = { twilio: 'arn:twilio', blind: 'arn:blind-index', admin: 'arn:admin-token', db: 'arn:db-app' };
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111111111111/signalgate-bench-ingest';
const DLQ_URL = `${QUEUE_URL}-dlq`;

export interface Scenario {
  readonly name: string;
  readonly messages: number;
  readonly spanMs: number;
  /** Warm webhook instances sharing the traffic round-robin (each with its own caches). */
  readonly instances: number;
  /** Forged requests per genuine one; each can force a secret refresh (at most one per 10 s per instance). */
  readonly forgedShare: number;
  /** GET /admin/health calls in the span (one admin instance), plus one subject export at the end. */
  readonly adminHealthCalls: number;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'busy: 1,000 msgs / 10 min, 3 instances',
    messages: 1000,
    spanMs: 10 * MINUTE,
    instances: 3,
    forgedShare: 0,
    adminHealthCalls: 10,
  },
  {
    name: 'busy + 5% forged',
    messages: 1000,
    spanMs: 10 * MINUTE,
    instances: 3,
    forgedShare: 0.05,
    adminHealthCalls: 10,
  },
  {
    name: 'quiet: 1,000 msgs / 24 h, 1 instance',
    messages: 1000,
    spanMs: 24 * 60 * MINUTE,
    instances: 1,
    forgedShare: 0,
    adminHealthCalls: 10,
  },
];

export interface CallCounts {
  readonly scenario: Scenario;
  readonly counts: ReadonlyMap<string, number>;
  readonly stored: number;
}

async function runScenario(scenario: Scenario, pool: import('pg').Pool): Promise<CallCounts> {
  await pool.query(
    `TRUNCATE ${Table.messages}, ${Table.auditLog}, ${Table.adminLockouts}, ${Table.adminApprovals}`,
  );
  const counter = new CallCounter();
  const clock = new ManualClock();
  const token = randomBytes(16).toString('hex');
  const adminToken = randomBytes(32).toString('hex');
  // A second privacy holder approves the export when the subject is over the four-eyes threshold.
  const approverToken = randomBytes(32).toString('hex');
  const sm = fakeSecretsManager(counter, {
    [Secret.twilio]: twilioSecret(token),
    [Secret.blind]: JSON.stringify({ key: randomBytes(32).toString('hex') }),
    [Secret.admin]: JSON.stringify({
      credentials: {
        requester: { token: adminToken, role: 'privacy' },
        approver: { token: approverToken, role: 'privacy' },
      },
    }),
    [Secret.db]: '{}',
  }) as unknown as SecretsManagerClient;
  const kms = fakeKms(counter) as unknown as KMSClient;
  const queued: string[] = [];
  const sqs = fakeSqs(counter, queued) as unknown as SQSClient;
  const metrics = createEmfMetrics('bench', () => {});

  // Each warm instance builds its adapters once, as lambda/webhook/handler.ts does per container.
  const webhooks = Array.from({ length: scenario.instances }, () => {
    const deps = buildWebhookDeps({
      publicBaseUrl: PUBLIC_BASE_URL,
      keyProvider: new KmsKeyProvider(kms, 'key', 'bench'),
      secretSource: new SecretsManagerSource(sm),
      secretCacheMs: SECRET_CACHE_MS,
      tokenSecrets: { [ACCOUNT_SID]: Secret.twilio },
      blindIndexSecretId: Secret.blind,
      queue: new SqsQueue(sqs, QUEUE_URL),
      metrics,
      logger: silentLogger,
      clock,
      previousTokenGraceMs: DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS * 1000,
    });
    return makeWebhookHandler(async () => deps);
  });
  const admin = makeAdminHandler(async () => adminDeps);
  const adminDeps = buildAdminDeps({
    db: pool,
    keyProvider: new KmsKeyProvider(kms, 'key', 'bench'),
    secretSource: new SecretsManagerSource(sm),
    secretCacheMs: SECRET_CACHE_MS,
    adminCredentials: Secret.admin,
    ownNumbers: [],
    blindIndexSecretId: Secret.blind,
    previousTokenGraceMs: 15 * MINUTE,
    lockoutPolicy: { threshold: 10, windowMs: 15 * MINUTE, lockoutMs: 15 * MINUTE },
    retentionDays: 30,
    queueStats: new SqsQueueStats(sqs, { queueUrl: QUEUE_URL, deadLetterQueueUrl: DLQ_URL }),
    // What lib/stacks/api-stack.ts monitors: admin token, blind-index key, each Twilio token, database.
    secretAges: new SecretsManagerSecretAges(sm, {
      adminToken: Secret.admin,
      blindIndexKey: Secret.blind,
      [`twilio:${ACCOUNT_SID}`]: Secret.twilio,
      database: Secret.db,
    }),
    counters: { totals: async () => ({ source: 'unavailable', windowSeconds: null, values: {} }) },
    metrics,
    logger: silentLogger,
    clock,
  });
  const adminCall = (
    path: string,
    resource: string,
    options: {
      method?: string;
      body?: unknown;
      pathParameters?: Record<string, string>;
      token?: string;
    } = {},
  ) =>
    admin(
      apiEvent({
        path,
        resource,
        httpMethod: options.method ?? 'GET',
        pathParameters: options.pathParameters ?? null,
        body: options.body === undefined ? null : JSON.stringify(options.body),
        headers: { 'X-Admin-Token': options.token ?? adminToken },
      } as Partial<APIGatewayProxyEvent>),
    );

  const stepMs = scenario.spanMs / scenario.messages;
  const forgedEvery = scenario.forgedShare > 0 ? Math.round(1 / scenario.forgedShare) : 0;
  const healthEvery = Math.max(1, Math.floor(scenario.messages / scenario.adminHealthCalls));
  for (let i = 0; i < scenario.messages; i++) {
    const webhook = webhooks[i % webhooks.length] as (typeof webhooks)[0];
    const res = await webhook(signedWebhookEvent({ token, params: inboundParams({ From: SUBJECT }) }));
    if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}`);
    if (forgedEvery > 0 && i % forgedEvery === 0) {
      const forged = await webhook(signedWebhookEvent({ token: 'forged', params: inboundParams() }));
      if (forged.statusCode !== 403) throw new Error(`forgery answered ${forged.statusCode}`);
    }
    if (i % healthEvery === 0) {
      const health = await adminCall('/admin/health', '/admin/health');
      if (health.statusCode !== 200) throw new Error(`/admin/health answered ${health.statusCode}`);
    }
    clock.advance(stepMs);
  }
  // The ingest side consumes exactly what the webhook queued, in SQS batches of 10 (no AWS call of its own:
  // the event source mapping does the receiving and deleting, and the IAM auth token is signed locally).
  const ingest = makeIngestHandler(async () => ({ db: pool, metrics, logger: silentLogger }));
  for (let i = 0; i < queued.length; i += 10) {
    const out = await ingest(sqsEvent(queued.slice(i, i + 10)));
    if (out.batchItemFailures.length > 0) throw new Error('ingest failed a record');
  }
  // The whole export, page by page (approved by the second holder when the subject is a large one).
  let exported = await adminCall('/admin/subjects/export', '/admin/subjects/export', {
    method: 'POST',
    body: { phone: SUBJECT },
  });
  if (exported.statusCode === 202) {
    const { request } = JSON.parse(exported.body) as { request: string };
    exported = await adminCall(`/admin/approvals/${request}`, '/admin/approvals/{id}', {
      method: 'POST',
      pathParameters: { id: request },
      token: approverToken,
    });
  }
  for (;;) {
    if (exported.statusCode !== 200) throw new Error(`export answered ${exported.statusCode}`);
    const { next } = JSON.parse(exported.body) as { next: string | null };
    if (next === null) break;
    exported = await adminCall('/admin/subjects/export', '/admin/subjects/export', {
      method: 'POST',
      body: { phone: SUBJECT, cursor: next },
    });
  }
  const stored = Number(
    (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${Table.messages}`)).rows[0]?.n,
  );
  return { scenario, counts: new Map(counter.counts), stored };
}

export async function countAwsCalls(): Promise<CallCounts[]> {
  const db = await startBenchPostgres(2);
  const results: CallCounts[] = [];
  let left: number[] = [];
  try {
    for (const scenario of SCENARIOS) results.push(await runScenario(scenario, db.pool));
  } finally {
    left = await db.stop();
  }
  if (left.length > 0) throw new Error(`postgres processes left: ${left.join(', ')}`);
  return results;
}

export async function runAwsCallsBench(): Promise<Row[]> {
  const results = await countAwsCalls();
  const rows: Row[] = [];
  for (const r of results) {
    const per1000 = (name: string) => (r.counts.get(name) ?? 0) * (1000 / r.scenario.messages);
    const kms = per1000('GenerateDataKey') + per1000('Decrypt');
    const secrets = per1000('GetSecretValue') + per1000('DescribeSecret');
    const sqsSend = per1000('SendMessage');
    rows.push({
      name: `${r.scenario.name}: KMS / Secrets Manager / SQS calls per 1,000 msgs`,
      value: `${fmt(kms, 0)} / ${fmt(secrets, 0)} / ${fmt(sqsSend + per1000('GetQueueAttributes'), 0)}`,
      baseline: [...r.counts].map(([k, v]) => `${k} ${v}`).join(', '),
      goal: `${r.scenario.messages} stored`,
      met: r.stored === r.scenario.messages,
    });
  }
  printTable('AWS calls, counted on the real code paths (fake clients, simulated clock)', rows);
  return rows;
}
