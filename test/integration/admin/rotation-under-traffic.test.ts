// Rotations while requests keep arriving: what the webhook and the admin API accept at every step.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmfTally } from '../../../lambda/admin/adapters/emf-tally.js';
import { FunctionQueueStats } from '../../../lambda/admin/adapters/function-queue-stats.js';
import { SourceSecretAges } from '../../../lambda/admin/adapters/source-secret-ages.js';
import { buildAdminDeps } from '../../../lambda/admin/build-admin-deps.js';
import { makeAdminHandler } from '../../../lambda/admin/make-admin-handler.js';
import { adminTokenRotation } from '../../../lambda/rotate-admin-token/admin-token-rotation.js';
import { twilioTokenRotation } from '../../../lambda/rotate-twilio-token/twilio-token-rotation.js';
import { LocalKeyProvider } from '../../../lambda/shared/adapters/local/local-key-provider.js';
import { MemoryQueue } from '../../../lambda/shared/adapters/local/memory-queue.js';
import { createLogger } from '../../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../../lambda/shared/metrics.js';
import { MemoryRotationStore } from '../../../lambda/shared/rotation/memory-rotation-store.js';
import {
  makeRotationHandler,
  type RotationDeps,
  type RotationStrategy,
} from '../../../lambda/shared/rotation/rotate-secret.js';
import type { RotationStep } from '../../../lambda/shared/rotation/rotation-event.js';
import { buildWebhookDeps } from '../../../lambda/webhook/build-webhook-deps.js';
import { makeWebhookHandler } from '../../../lambda/webhook/make-webhook-handler.js';
import { ACCOUNT_SID, apiEvent, inboundParams, signedWebhookEvent } from '../../helpers/api-events.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';
import { ManualClock } from '../../helpers/webhook-fixture.js';
import { FakeTwilioAccounts } from '../../unit/rotation/fake-twilio-accounts.js';

const TWILIO_SECRET = 'twilio-auth-token';
const BLIND_SECRET = 'blind-index-key';
const ADMIN_SECRET = 'admin-credential/alice';
const OTHER_SECRET = 'admin-credential/bob';
const GRACE_MS = 15 * 60_000;
const STEPS: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

function rotator(
  strategy: RotationStrategy,
  store: MemoryRotationStore,
  secretId: string,
  logs: string[],
  bound: Pick<RotationDeps, 'maxPendingAgeMs' | 'now'> = {},
) {
  const handler = makeRotationHandler(strategy, async () => ({
    ...bound,
    store,
    metrics: createEmfMetrics('test', (line) => logs.push(line)),
    logger: createLogger('signalgate-rotation', (line) => logs.push(line)),
  }));
  return (step: RotationStep, token: string) =>
    handler({ Step: step, SecretId: secretId, ClientRequestToken: token });
}

/**
 * A webhook reading one Twilio secret from a MemoryRotationStore (60 s cache, GRACE_MS), that secret's
 * rotation function over a fake Twilio account, and the status the webhook answers a request signed with a token.
 */
function twilioWebhookUnderRotation(maxPendingAgeMs?: number) {
  const clock = new ManualClock();
  const store = new MemoryRotationStore(clock);
  const twilio = new FakeTwilioAccounts(ACCOUNT_SID);
  const oldToken = twilio.primary;
  store.create(TWILIO_SECRET, JSON.stringify({ accountSid: ACCOUNT_SID, authToken: oldToken }));
  store.create(BLIND_SECRET, JSON.stringify({ key: randomBytes(32).toString('hex') }));
  const logs: string[] = [];
  const deps = buildWebhookDeps({
    publicBaseUrl: 'https://hooks.example.test/v1',
    keyProvider: new LocalKeyProvider(randomBytes(32)),
    secretSource: store,
    secretCacheMs: 60_000,
    tokenSecrets: { [ACCOUNT_SID]: TWILIO_SECRET },
    blindIndexSecretId: BLIND_SECRET,
    queue: new MemoryQueue(),
    metrics: createEmfMetrics('test', (line) => logs.push(line)),
    logger: createLogger('signalgate-webhook', (line) => logs.push(line)),
    clock,
    previousTokenGraceMs: GRACE_MS,
  });
  const webhook = makeWebhookHandler(async () => deps);
  const step = rotator(twilioTokenRotation(twilio, { sleep: async () => {} }), store, TWILIO_SECRET, logs, {
    now: () => clock.now(),
    ...(maxPendingAgeMs !== undefined ? { maxPendingAgeMs } : {}),
  });
  const status = async (token: string) =>
    (await webhook(signedWebhookEvent({ token, params: inboundParams() }))).statusCode;
  return { clock, store, twilio, oldToken, logs, step, status };
}

describe('Twilio token rotation under webhook traffic', () => {
  it('accepts the old token until the previous version is gone and the new one from when it is current', async () => {
    const { clock, store, twilio, oldToken, logs, step, status } = twilioWebhookUnderRotation();
    /** Past the verifier's forced-refresh interval, as a few seconds of real traffic would be. */
    const later = () => clock.advance(11_000);

    expect(await status(oldToken)).toBe(200);
    const version = store.startRotation(TWILIO_SECRET);
    for (const s of ['createSecret', 'setSecret', 'testSecret'] as const) {
      await step(s, version);
      later();
      expect(await status(oldToken)).toBe(200); // Twilio still signs with its primary
    }
    const newToken = twilio.secondary as string;
    expect(await status(newToken)).toBe(403); // only pending: Twilio does not sign with it yet

    // Twilio becomes unreachable between moving AWSCURRENT and promoting: finishSecret fails, the label stays.
    twilio.outage = true;
    await expect(step('finishSecret', version)).rejects.toThrow('Twilio unreachable');
    twilio.outage = false;
    later();
    expect(await status(newToken)).toBe(200); // current now
    expect(await status(oldToken)).toBe(200); // still Twilio's primary, accepted as AWSPREVIOUS

    await step('finishSecret', version);
    expect(twilio.primary).toBe(newToken);
    later();
    expect(await status(newToken)).toBe(200);
    expect(await status(oldToken)).toBe(200); // webhooks signed just before the switch are still in flight

    store.forgetPrevious(TWILIO_SECRET);
    clock.advance(61_000); // past the secret cache's age
    expect(await status(oldToken)).toBe(403);
    expect(await status(newToken)).toBe(200);

    const output = logs.join('\n');
    expect(output).not.toContain(oldToken);
    expect(output).not.toContain(newToken);
  });
});

describe('Twilio token rotation whose promotion Twilio refuses', () => {
  it('keeps accepting the token Twilio signs with past the grace, and the refused one never', async () => {
    const { clock, store, twilio, oldToken, logs, step, status } = twilioWebhookUnderRotation();
    const version = store.startRotation(TWILIO_SECRET);
    for (const s of ['createSecret', 'setSecret', 'testSecret'] as const) await step(s, version);
    const refused = twilio.secondary as string;
    clock.advance(11_000);
    expect(await status(oldToken)).toBe(200);

    // AWSCURRENT moves, then Twilio refuses (4xx) the promotion and keeps signing with the old primary.
    twilio.refuseNext = 'promoteSecondaryToken';
    await expect(step('finishSecret', version)).rejects.toThrow('AWSCURRENT moved back');
    expect(twilio.primary).toBe(oldToken);
    expect(await status(oldToken)).toBe(200);

    // Well past the grace and every cache age, with no rotation since: Twilio's token still verifies
    // (a 403 would drop it: Twilio does not retry a 4xx), the refused secondary does not.
    clock.advance(GRACE_MS + 61_000);
    expect(await status(oldToken)).toBe(200);
    expect(await status(refused)).toBe(403);

    // The next rotation promotes; the old token then lasts the grace and no longer.
    const next = store.startRotation(TWILIO_SECRET);
    for (const s of STEPS) await step(s, next);
    const newToken = twilio.primary;
    expect(newToken).not.toBe(oldToken);
    clock.advance(11_000);
    expect(await status(newToken)).toBe(200);
    expect(await status(oldToken)).toBe(200); // signed just before the switch, within the grace
    clock.advance(GRACE_MS + 61_000);
    expect(await status(oldToken)).toBe(403); // Twilio deleted it at the promotion: only a thief signs with it
    expect(await status(refused)).toBe(403);
    expect(await status(newToken)).toBe(200);
    for (const token of [oldToken, refused, newToken]) expect(logs.join('\n')).not.toContain(token);
  });
});

describe('Twilio token rotation while Twilio is unreachable', () => {
  it('accepts both tokens past the grace while the rotation is unfinished, up to the ceiling', async () => {
    const { clock, store, twilio, oldToken, logs, step, status } = twilioWebhookUnderRotation();
    const version = store.startRotation(TWILIO_SECRET);
    for (const s of ['createSecret', 'setSecret', 'testSecret'] as const) await step(s, version);
    const newToken = twilio.secondary as string;
    // AWSCURRENT moves, then Twilio's API stops answering: whether the promotion happened is unknown.
    twilio.outage = true;
    await expect(step('finishSecret', version)).rejects.toThrow('Twilio unreachable');
    expect(store.stagesOf(TWILIO_SECRET, version)).toEqual(['AWSPENDING', 'AWSCURRENT']);

    // Past the grace and every cache age: Twilio may sign with either, so both verify.
    clock.advance(GRACE_MS + 61_000);
    expect(await status(oldToken)).toBe(200);
    expect(await status(newToken)).toBe(200);
    // Six hours after the new version was created (the ceiling, UNFINISHED_ROTATION_MAX_MS written out):
    clock.advance(6 * 60 * 60_000 - GRACE_MS - 61_000 - 1_000);
    expect(await status(oldToken)).toBe(200);
    clock.advance(62_000); // past the ceiling and the cache age
    expect(await status(oldToken)).toBe(403);
    expect(await status(newToken)).toBe(200);

    // Twilio answers again; the retry (or the operator, RUNBOOK) finishes the promotion.
    twilio.outage = false;
    await step('finishSecret', version);
    expect(twilio.primary).toBe(newToken);
    clock.advance(61_000);
    expect(await status(oldToken)).toBe(403);
    expect(await status(newToken)).toBe(200);
    for (const token of [oldToken, newToken]) expect(logs.join('\n')).not.toContain(token);
  });

  it('keeps the old token verifying after a late switch-over, when Twilio may still sign with it', async () => {
    const { clock, store, twilio, oldToken, step, status } = twilioWebhookUnderRotation(220_000);
    const version = store.startRotation(TWILIO_SECRET);
    for (const s of ['createSecret', 'setSecret', 'testSecret'] as const) await step(s, version);
    const newToken = twilio.secondary as string;
    twilio.outage = true;
    await expect(step('finishSecret', version)).rejects.toThrow('Twilio unreachable');
    clock.advance(60 * 60_000);
    // An hour later Twilio answers and the retry promotes. The grace from the version's creation is long gone,
    // but webhooks Twilio signed with the old token just before (or in the minute its switch takes) still come.
    twilio.outage = false;
    await step('finishSecret', version);
    expect(twilio.primary).toBe(newToken);
    expect(store.stagesOf(TWILIO_SECRET, version)).toEqual(['AWSPENDING', 'AWSCURRENT']);
    clock.advance(11_000);
    expect(await status(oldToken)).toBe(200);
    clock.advance(60_000);
    expect(await status(oldToken)).toBe(200);
    expect(await status(newToken)).toBe(200);
    // The unfinished-rotation ceiling still ends it, six hours after the version's creation.
    clock.advance(5 * 60 * 60_000);
    expect(await status(oldToken)).toBe(403);
  });

  it('accepts the old token only within the grace once the rotation finished', async () => {
    const { clock, store, twilio, oldToken, step, status } = twilioWebhookUnderRotation();
    const version = store.startRotation(TWILIO_SECRET);
    for (const s of STEPS) await step(s, version);
    expect(store.stagesOf(TWILIO_SECRET, version)).toEqual(['AWSCURRENT']);
    clock.advance(GRACE_MS - 61_000);
    expect(await status(oldToken)).toBe(200);
    clock.advance(122_000); // past the grace and the cache age
    expect(await status(oldToken)).toBe(403);
    expect(await status(twilio.primary)).toBe(200);
  });
});

describe('admin token rotation under admin traffic', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("accepts a holder's old token within the grace after its rotation only, the new one at once, and leaves the other holders alone", async () => {
    const clock = new ManualClock();
    const store = new MemoryRotationStore(clock);
    const oldToken = randomBytes(32).toString('base64url');
    const oldOther = randomBytes(32).toString('base64url');
    // One secret per holder, the token only (AWS); the roles are configuration.
    store.create(ADMIN_SECRET, JSON.stringify({ token: oldToken }));
    store.create(OTHER_SECRET, JSON.stringify({ token: oldOther }));
    store.create(BLIND_SECRET, JSON.stringify({ key: randomBytes(32).toString('hex') }));
    const logs: string[] = [];
    const admin = makeAdminHandler(async () =>
      buildAdminDeps({
        db: db.poolAs('signalgate_admin_api', 2),
        keyProvider: new LocalKeyProvider(randomBytes(32)),
        secretSource: store,
        secretCacheMs: 60_000,
        adminCredentials: [
          { kind: 'holder', id: 'alice', role: 'reader', secretId: ADMIN_SECRET },
          { kind: 'holder', id: 'bob', role: 'privacy', secretId: OTHER_SECRET },
        ],
        ownNumbers: [],
        blindIndexSecretId: BLIND_SECRET,
        previousTokenGraceMs: GRACE_MS,
        lockoutPolicy: { threshold: 100, windowMs: 60_000, lockoutMs: 60_000 },
        retentionDays: 30,
        queueStats: new FunctionQueueStats(() => ({
          depth: 0,
          inFlight: 0,
          oldestAgeSeconds: null,
          deadLetterDepth: null,
        })),
        secretAges: new SourceSecretAges(store, { adminToken: ADMIN_SECRET }),
        counters: new EmfTally(),
        metrics: createEmfMetrics('test', (line) => logs.push(line)),
        logger: createLogger('signalgate-admin', (line) => logs.push(line)),
        clock,
      }),
    );
    const status = async (token: string) =>
      (
        await admin(
          apiEvent({ path: '/admin/health', httpMethod: 'GET', headers: { 'X-Admin-Token': token } }),
        )
      ).statusCode;

    expect(await status(oldToken)).toBe(200);
    const step = rotator(adminTokenRotation(), store, ADMIN_SECRET, logs);
    const version = store.startRotation(ADMIN_SECRET);
    for (const s of STEPS) await step(s, version);
    const rotated = JSON.parse((await store.getVersions(ADMIN_SECRET)).current) as Record<string, string>;
    // Alice's secret gets a new token and nothing else; Bob's secret is untouched.
    expect(Object.keys(rotated)).toEqual(['token']);
    const newToken = rotated.token as string;
    expect(newToken).not.toBe(oldToken);
    expect((await store.getVersions(OTHER_SECRET)).current).toBe(JSON.stringify({ token: oldOther }));

    clock.advance(11_000);
    expect(await status(newToken)).toBe(200);
    clock.advance(60_000); // every instance's cache has seen the rotation
    expect(await status(oldToken)).toBe(200);
    clock.advance(GRACE_MS);
    expect(await status(oldToken)).toBe(401);
    expect(await status(newToken)).toBe(200);
    expect(await status(oldOther)).toBe(200);

    const audit = JSON.stringify((await db.pool.query('SELECT * FROM admin_audit_log')).rows);
    for (const token of [oldToken, newToken, oldOther]) {
      expect(logs.join('\n')).not.toContain(token);
      expect(audit).not.toContain(token);
    }
  });
});
