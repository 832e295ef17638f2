// The alarm ↔ emitted-metric consistency test (ARCHITECTURE §6): the handlers are run on inputs that make
// them emit each custom metric, their EMF is captured through the injected sink, and every alarm on a
// custom metric in the synthesised templates must watch a namespace, name and full dimension set that was
// emitted; every emitted security metric must have an alarm.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSubjectRecords } from '../../lambda/admin/adapters/postgres-subject-records.js';
import { runCanary } from '../../lambda/canary/canary-core.js';
import { makeIngestHandler } from '../../lambda/ingest/make-ingest-handler.js';
import { createLogger } from '../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../lambda/shared/metrics.js';
import {
  ENVIRONMENT_DIMENSION,
  EnvVar,
  METRIC_NAMESPACE,
  MetricName,
  SyntheticKind,
} from '../../lambda/shared/names.js';
import type { DataKey, KeyProvider, QueuedEnvelope } from '../../lambda/shared/ports.js';
import { MemoryRotationStore } from '../../lambda/shared/rotation/memory-rotation-store.js';
import { makeRotationHandler } from '../../lambda/shared/rotation/rotate-secret.js';
import { syntheticMessage } from '../../lambda/shared/synthetic-message.js';
import { VoiceConfig } from '../../lambda/shared/voice-config.js';
import {
  ACCOUNT_SID,
  callParams,
  callStatusParams,
  inboundParams,
  recordingParams,
  signedWebhookEvent,
  statusParams,
} from '../helpers/api-events.js';
import { sqsEvent } from '../helpers/sqs-events.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { webhookFixture } from '../helpers/webhook-fixture.js';
import { ENVS, synthEnv } from '../infra/helpers/synth-env.js';
import { adminFixture, LOCKOUT } from './admin/admin-fixture.js';

/** Security metrics (ARCHITECTURE §6): each must be alarmed on. */
const SECURITY_METRICS: readonly string[] = [
  MetricName.SignatureFailures,
  MetricName.AdminAuthFailures,
  MetricName.AdminLockouts,
  MetricName.InvalidPayloads,
  MetricName.TwilioTokenNotConfigured,
];
/** The environment the fixtures run the handlers under; deployed functions get theirs from SIGNALGATE_ENV. */
const FIXTURE_ENVIRONMENT = 'test';

interface EmittedMetric {
  readonly namespace: string;
  readonly name: string;
  /** Dimension name → value, exactly one EMF dimension set. */
  readonly dimensions: Readonly<Record<string, string>>;
}

/** Every (namespace, metric, dimension set) an EMF document declares, per the EMF specification. */
function parseEmf(lines: readonly string[]): EmittedMetric[] {
  const out: EmittedMetric[] = [];
  for (const line of lines) {
    const doc = JSON.parse(line) as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: Array<{
          Namespace: string;
          Dimensions: string[][];
          Metrics: Array<{ Name: string }>;
        }>;
      };
    };
    for (const directive of doc._aws.CloudWatchMetrics) {
      for (const set of directive.Dimensions) {
        const dimensions = Object.fromEntries(set.map((d) => [d, String(doc[d])]));
        for (const m of directive.Metrics)
          out.push({ namespace: directive.Namespace, name: m.Name, dimensions });
      }
    }
  }
  return out;
}

const keyOf = (m: EmittedMetric) =>
  `${m.namespace}|${m.name}|${JSON.stringify(Object.entries(m.dimensions).sort(([a], [b]) => a.localeCompare(b)))}`;

class FailingKeyProvider implements KeyProvider {
  async generateDataKey(): Promise<DataKey> {
    throw new Error('KMS unavailable');
  }
  async decryptDataKey(): Promise<Buffer> {
    throw new Error('KMS unavailable');
  }
}

let db: TestDatabase;
const emf: string[] = [];

/** Runs each handler on inputs that trigger each custom metric; the EMF goes to `emf`. */
async function exerciseHandlers(): Promise<void> {
  // Webhook: accepted message and status, forged, invalid, queue down.
  const web = webhookFixture({
    // The stream target marked down: the call is answered with the fallback (VoiceFallbacks).
    voice: VoiceConfig.parse({
      enabled: true,
      defaultAnswer: { kind: 'stream', url: 'wss://agent.example.test/media' },
      fallback: { kind: 'say', text: 'Please call again later.' },
      streamAvailable: false,
    }),
  });
  const valid = await web.handler(signedWebhookEvent({ token: web.token, params: inboundParams() }));
  expect(valid.statusCode).toBe(200);
  const status = signedWebhookEvent({
    token: web.token,
    params: statusParams(),
    path: '/webhooks/twilio/status',
  });
  expect((await web.handler(status)).statusCode).toBeLessThan(300);
  expect(
    (await web.handler(signedWebhookEvent({ token: 'forged', params: inboundParams() }))).statusCode,
  ).toBe(403);
  const invalid = signedWebhookEvent({
    token: web.token,
    params: inboundParams({ MessageSid: 'not-a-sid' }),
  });
  // Quarantined, not refused: the signature verified (ARCHITECTURE §1).
  expect((await web.handler(invalid)).statusCode).toBe(200);
  web.queue.failing = true;
  expect(
    (await web.handler(signedWebhookEvent({ token: web.token, params: inboundParams() }))).statusCode,
  ).toBe(503);
  web.queue.failing = false;
  // npm run verify and the canary: a synthetic message, queued and (below) stored apart from real traffic.
  const synthetic = signedWebhookEvent({
    token: web.token,
    params: syntheticMessage(ACCOUNT_SID, SyntheticKind.verify),
  });
  expect((await web.handler(synthetic)).statusCode).toBe(200);
  // Voice: a call, its status and its recording; a forged call.
  const call = callParams();
  for (const [path, params] of [
    ['/webhooks/twilio/voice', call],
    ['/webhooks/twilio/voice/status', callStatusParams({ CallSid: call.CallSid as string })],
    ['/webhooks/twilio/voice/recording', recordingParams({ CallSid: call.CallSid as string })],
  ] as const) {
    expect(
      (await web.handler(signedWebhookEvent({ token: web.token, params, path }))).statusCode,
    ).toBeLessThan(300);
  }
  const forgedCall = signedWebhookEvent({
    token: 'forged',
    params: callParams(),
    path: '/webhooks/twilio/voice',
  });
  expect((await web.handler(forgedCall)).statusCode).toBe(403);
  const envelopes = web.queue.sent.splice(0) as QueuedEnvelope[];
  emf.push(...web.emf);
  // The canary: one run that sees its message stored, one that does not.
  for (const stored of [true, false]) {
    let sid: string | null = null;
    let time = 0;
    await runCanary({
      publicBaseUrl: 'https://hooks.signalgate-ops.net',
      twilio: async () => ({ accountSid: ACCOUNT_SID, authToken: web.token }),
      post: async (_url, _headers, body) => {
        sid = new URLSearchParams(body).get('MessageSid');
        return 200;
      },
      latestSyntheticSid: async () => (stored ? sid : null),
      metrics: createEmfMetrics(FIXTURE_ENVIRONMENT, (l) => emf.push(l)),
      logger: createLogger('signalgate-canary', () => {}),
      clock: { now: () => time },
      sleep: async (ms) => {
        time += ms;
      },
      timeoutMs: 10_000,
    });
  }
  // Encryption fault: KMS unavailable.
  const sealingDown = webhookFixture({ keyProvider: new FailingKeyProvider() });
  const sealed = await sealingDown.handler(
    signedWebhookEvent({ token: sealingDown.token, params: inboundParams() }),
  );
  expect(sealed.statusCode).toBe(503);
  emf.push(...sealingDown.emf);
  // First deploy: the secret still holds the placeholder, so no token is configured.
  const unconfigured = webhookFixture({ token: 'REPLACE_ME_WITH_THE_TWILIO_AUTH_TOKEN' });
  const early = await unconfigured.handler(
    signedWebhookEvent({ token: unconfigured.token, params: inboundParams() }),
  );
  expect(early.statusCode).toBe(503);
  emf.push(...unconfigured.emf);

  // Ingest against a real Postgres: stored, quarantined, duplicate, dead-lettered; then deferred while the
  // database is unreachable.
  const deadLettered: string[] = [];
  const deferred: number[] = [];
  const redelivery = {
    backoff: { baseSeconds: 30, capSeconds: 900 },
    queue: {
      defer: async (_handle: string, seconds: number) => void deferred.push(seconds),
      deadLetter: async (record: { messageId: string }) => void deadLettered.push(record.messageId),
    },
  };
  const ingestOn = (pool: pg.Pool) =>
    makeIngestHandler(async () => ({
      db: pool,
      metrics: createEmfMetrics(FIXTURE_ENVIRONMENT, (l) => emf.push(l)),
      logger: createLogger('signalgate-ingest', () => {}),
      redelivery,
    }));
  const ingest = ingestOn(db.poolAs('signalgate_ingest', 2));
  const bodies = envelopes.map((e) => JSON.stringify(e));
  await ingest(sqsEvent(bodies));
  const second = await ingest(sqsEvent([...bodies, 'not an envelope']));
  expect(second.batchItemFailures).toHaveLength(0);
  expect(deadLettered).toHaveLength(1);
  const down = new pg.Pool({
    connectionString: 'postgres://nobody:x@127.0.0.1:1/none',
    connectionTimeoutMillis: 500,
  });
  try {
    const third = await ingestOn(down)(sqsEvent(bodies.slice(0, 1)));
    expect(third.batchItemFailures).toHaveLength(1);
    expect(deferred).toEqual([30]);
  } finally {
    await down.end();
  }
  // Erasure: a redelivery of an erased subject's message is dropped and counted.
  const subjectIndex = envelopes[0]?.fromIndex as string;
  await new PostgresSubjectRecords(db.poolAs('signalgate_admin_api', 2)).erase(subjectIndex);
  await ingest(sqsEvent(bodies.slice(0, 1)));

  // Admin API: failed authentications up to a lockout.
  const admin = adminFixture(db.poolAs('signalgate_admin_api', 2));
  for (let i = 0; i < LOCKOUT.threshold + 1; i++)
    await admin.call('GET', '/admin/health', { token: 'guess' });
  emf.push(...admin.emf);

  // Rotation: a step on a secret whose rotation is not enabled fails.
  const store = new MemoryRotationStore();
  store.create('secret', '{}');
  store.setRotationEnabled('secret', false);
  const rotate = makeRotationHandler(
    { kind: 'test', createPending: async () => '{}', testPending: async () => {} },
    async () => ({
      store,
      metrics: createEmfMetrics(FIXTURE_ENVIRONMENT, (l) => emf.push(l)),
      logger: createLogger('signalgate-rotate', () => {}),
    }),
  );
  await expect(
    rotate({ Step: 'createSecret', SecretId: 'secret', ClientRequestToken: randomBytes(8).toString('hex') }),
  ).rejects.toThrow('rotation is not enabled on the secret');
}

beforeAll(async () => {
  db = await createTestDatabase();
  await exerciseHandlers();
});
afterAll(async () => {
  await db?.drop();
});

describe('emitted custom metrics', () => {
  it('include every metric name the code declares, in the Signalgate namespace with the [[Environment]] set only', () => {
    const emitted = parseEmf(emf);
    expect(new Set(emitted.map((m) => m.name))).toEqual(new Set(Object.values(MetricName)));
    for (const m of emitted) {
      // ARCHITECTURE §6, written out: namespace Signalgate, one dimension Environment.
      expect(m.namespace).toBe('Signalgate');
      expect(m.dimensions).toEqual({ Environment: FIXTURE_ENVIRONMENT });
    }
  });
});

describe.each(ENVS)('alarms on custom metrics (%s)', (env) => {
  const synth = synthEnv(env);
  const resources = () =>
    Object.values(synth.json.monitoring.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
  const customAlarms = () => resources().filter((r) => r.Properties.Namespace === METRIC_NAMESPACE);

  /** What the deployed functions are told their environment is: the value they write in Environment. */
  function deployedEnvironments(): Set<string> {
    const values = new Set<string>();
    for (const part of ['data', 'api'] as const) {
      for (const r of Object.values(synth.json[part].Resources)) {
        const value =
          r.Type === 'AWS::Lambda::Function'
            ? r.Properties?.Environment?.Variables?.[EnvVar.environment]
            : undefined;
        if (typeof value === 'string') values.add(value);
      }
    }
    return values;
  }

  /** The emitted metrics, with the fixture's environment replaced by the deployed one. */
  function emittedAsDeployed(): Set<string> {
    const [deployed, ...others] = [...deployedEnvironments()];
    expect(others, 'every function is deployed with one environment name').toEqual([]);
    return new Set(
      parseEmf(emf).map((m) =>
        keyOf({
          ...m,
          dimensions: Object.fromEntries(
            Object.entries(m.dimensions).map(([k, v]) => [
              k,
              k === ENVIRONMENT_DIMENSION && v === FIXTURE_ENVIRONMENT ? deployed : v,
            ]),
          ) as Record<string, string>,
        }),
      ),
    );
  }

  it('watch only metrics that the handlers emit (namespace, name and full dimension set)', () => {
    const emitted = emittedAsDeployed();
    expect(customAlarms().length).toBeGreaterThanOrEqual(SECURITY_METRICS.length);
    for (const alarm of customAlarms()) {
      const p = alarm.Properties;
      const dimensions = Object.fromEntries(
        (p.Dimensions ?? []).map((d: { Name: string; Value: unknown }) => [d.Name, d.Value]),
      );
      const key = keyOf({ namespace: p.Namespace, name: p.MetricName, dimensions });
      expect(emitted.has(key), `${p.AlarmName} watches ${key}, which nothing emits`).toBe(true);
      expect(p.Statistic).toBe('Sum');
    }
  });

  it('cover every emitted security metric', () => {
    const alarmed = new Set(customAlarms().map((a) => a.Properties.MetricName));
    const emittedNames = new Set(parseEmf(emf).map((m) => m.name));
    for (const name of SECURITY_METRICS) {
      expect(emittedNames.has(name), `${name} is emitted by a handler`).toBe(true);
      expect(alarmed.has(name), `${name} has an alarm`).toBe(true);
    }
  });

  it('use the environment name the functions are deployed with', () => {
    expect([...deployedEnvironments()]).toEqual([env]);
  });
});
