// npm run rotate -- … --revoke-previous: rotates through Secrets Manager (an injected client that keeps
// Secrets Manager's staging-label rules) and removes AWSPREVIOUS, after which the webhook refuses the
// old token within its refresh interval.
import { randomBytes } from 'node:crypto';
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import type { SecretSource, SecretVersions } from '../../../lambda/shared/ports.js';
import { loadConfig } from '../../../lib/config/index.js';
import {
  emergencyRotation,
  RotationNotEnabledError,
  RotationTimeoutError,
  RotationUnfinishedError,
} from '../../../scripts/rotate/emergency-rotation.js';
import { parseRotateArgs, secretIdFor } from '../../../scripts/rotate.js';
import { inboundParams, signedWebhookEvent } from '../../helpers/api-events.js';
import { TWILIO_SECRET_ID, twilioSecret, webhookFixture } from '../../helpers/webhook-fixture.js';

const SID = 'AC0123456789abcdef0123456789abcdef';

interface Version {
  value: string;
  stages: string[];
  createdAt: number;
}

/**
 * Secrets Manager's versions and staging labels, as the API documents them: RotateSecret starts the
 * rotation function, which after `finishAfterPolls` describes moves AWSCURRENT to the new version and
 * AWSPREVIOUS to the old one; UpdateSecretVersionStage refuses to remove a label from a version that
 * does not hold it, and refuses to remove AWSCURRENT.
 */
class FakeSecretsManager implements SecretSource {
  readonly versions = new Map<string, Version>();
  readonly calls: string[] = [];
  rotationEnabled = true;
  finishAfterPolls = 2;
  /** finishSecret moved AWSCURRENT, then the service's promotion failed: AWSPENDING stays on the new version. */
  promotionFails = false;
  #pending: string | undefined;
  #polls = 0;

  constructor(
    readonly secretId: string,
    initial: string,
    readonly clock: { now: () => number },
    readonly nextValue: () => string,
  ) {
    this.versions.set('v0', { value: initial, stages: ['AWSCURRENT'], createdAt: clock.now() });
  }

  async send(command: unknown): Promise<Record<string, unknown>> {
    if (command instanceof DescribeSecretCommand) {
      this.calls.push('DescribeSecret');
      if (this.#pending && ++this.#polls >= this.finishAfterPolls) this.#finish();
      return {
        RotationEnabled: this.rotationEnabled,
        VersionIdsToStages: Object.fromEntries([...this.versions].map(([id, v]) => [id, [...v.stages]])),
      };
    }
    if (command instanceof RotateSecretCommand) {
      this.calls.push(`RotateSecret RotateImmediately=${command.input.RotateImmediately}`);
      const id = `v${this.versions.size}`;
      this.versions.set(id, { value: this.nextValue(), stages: ['AWSPENDING'], createdAt: this.clock.now() });
      this.#pending = id;
      this.#polls = 0;
      return { VersionId: id };
    }
    if (command instanceof UpdateSecretVersionStageCommand) {
      const { VersionStage, RemoveFromVersionId } = command.input;
      this.calls.push(`UpdateSecretVersionStage remove ${VersionStage} from ${RemoveFromVersionId}`);
      const version = this.versions.get(RemoveFromVersionId as string);
      if (!version?.stages.includes(VersionStage as string) || VersionStage === 'AWSCURRENT')
        throw Object.assign(new Error('InvalidParameterException'), { name: 'InvalidParameterException' });
      version.stages = version.stages.filter((s) => s !== VersionStage);
      return {};
    }
    throw new Error('unexpected command');
  }

  #finish(): void {
    for (const v of this.versions.values()) {
      v.stages = v.stages.filter((s) => s !== 'AWSPREVIOUS');
      if (v.stages.includes('AWSCURRENT'))
        v.stages = v.stages.filter((s) => s !== 'AWSCURRENT').concat('AWSPREVIOUS');
    }
    const fresh = this.versions.get(this.#pending as string) as Version;
    fresh.stages = this.promotionFails ? ['AWSPENDING', 'AWSCURRENT'] : ['AWSCURRENT'];
    this.#pending = undefined;
  }

  /** What GetSecretValue returns for AWSCURRENT and AWSPREVIOUS (the webhook's SecretSource). */
  async getVersions(): Promise<SecretVersions> {
    const withStage = (stage: string) => [...this.versions.values()].find((v) => v.stages.includes(stage));
    const current = withStage('AWSCURRENT') as Version;
    const previous = withStage('AWSPREVIOUS');
    return {
      current: current.value,
      ...(previous ? { previous: previous.value } : {}),
      currentCreatedAt: current.createdAt,
    };
  }
}

const noSleep = async () => {};

describe('emergency rotation', () => {
  it('rotates now, waits for the new version to be current, then removes AWSPREVIOUS', async () => {
    const sm = new FakeSecretsManager('s', 'old', { now: () => 0 }, () => 'new');
    const report = await emergencyRotation(sm, { secretId: 's', revokePrevious: true, sleep: noSleep });
    expect(report).toEqual({
      secretId: 's',
      newVersionId: 'v1',
      previousVersionId: 'v0',
      previousRevoked: true,
    });
    expect(sm.calls).toEqual([
      'DescribeSecret',
      'RotateSecret RotateImmediately=true',
      'DescribeSecret',
      'DescribeSecret',
      'UpdateSecretVersionStage remove AWSPREVIOUS from v0',
      'DescribeSecret',
    ]);
    expect(await sm.getVersions()).toEqual({ current: 'new', currentCreatedAt: 0 });
  });

  it('keeps AWSPREVIOUS (the grace) without --revoke-previous', async () => {
    const sm = new FakeSecretsManager('s', 'old', { now: () => 0 }, () => 'new');
    const report = await emergencyRotation(sm, { secretId: 's', revokePrevious: false, sleep: noSleep });
    expect(report.previousRevoked).toBe(false);
    expect((await sm.getVersions()).previous).toBe('old');
  });

  it('revokes nothing when the rotation does not finish in time', async () => {
    let t = 0;
    const sm = new FakeSecretsManager('s', 'old', { now: () => t }, () => 'new');
    sm.finishAfterPolls = Number.POSITIVE_INFINITY;
    await expect(
      emergencyRotation(sm, {
        secretId: 's',
        revokePrevious: true,
        timeoutMs: 30_000,
        now: () => t,
        sleep: async (ms) => {
          t += ms;
        },
      }),
    ).rejects.toThrow(RotationTimeoutError);
    expect(sm.calls.some((c) => c.startsWith('UpdateSecretVersionStage'))).toBe(false);
  });

  it('revokes nothing when the label moved but the service switch failed (AWSPENDING left on the new version)', async () => {
    let t = 0;
    const sm = new FakeSecretsManager('s', 'old', { now: () => t }, () => 'new');
    sm.promotionFails = true;
    const error = await emergencyRotation(sm, {
      secretId: 's',
      revokePrevious: true,
      timeoutMs: 30_000,
      switchOverMs: 40_000,
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RotationTimeoutError);
    expect((error as Error).message).toContain('AWSPENDING still set');
    // Twilio still signs with the old token: it must stay AWSPREVIOUS.
    expect(sm.calls.some((c) => c.startsWith('UpdateSecretVersionStage'))).toBe(false);
    expect((await sm.getVersions()).previous).toBe('old');
  });

  it('starts no new rotation while the last one is unfinished (AWSPENDING on the current version)', async () => {
    let t = 0;
    const sm = new FakeSecretsManager('s', 'old', { now: () => t }, () => 'new');
    sm.promotionFails = true;
    const clock = {
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    };
    await expect(
      emergencyRotation(sm, { secretId: 's', revokePrevious: true, timeoutMs: 30_000, ...clock }),
    ).rejects.toThrow(RotationTimeoutError);
    const callsBefore = sm.calls.length;
    // Run again (as an operator would after the first timed out): RotateSecret would move AWSPENDING away.
    await expect(
      emergencyRotation(sm, { secretId: 's', revokePrevious: true, timeoutMs: 30_000, ...clock }),
    ).rejects.toThrow(RotationUnfinishedError);
    expect(sm.calls.slice(callsBefore)).toEqual(['DescribeSecret']);
    expect((await sm.getVersions()).previous).toBe('old');
  });

  it('changes nothing on a secret without rotation', async () => {
    const sm = new FakeSecretsManager('s', 'old', { now: () => 0 }, () => 'new');
    sm.rotationEnabled = false;
    await expect(
      emergencyRotation(sm, { secretId: 's', revokePrevious: true, sleep: noSleep }),
    ).rejects.toThrow(RotationNotEnabledError);
    expect(sm.calls).toEqual(['DescribeSecret']);
  });

  it('leaves no forgery with the old token accepted once Twilio signs with the new one, nor after the cache age', async () => {
    const oldToken = randomBytes(16).toString('hex');
    const newToken = randomBytes(16).toString('hex');
    const web = webhookFixture({ token: oldToken });
    const sm = new FakeSecretsManager(TWILIO_SECRET_ID, twilioSecret(oldToken), web.clock, () =>
      twilioSecret(newToken),
    );
    // The webhook reads the Twilio secret from Secrets Manager, the blind-index key from the fixture.
    const instance = () =>
      webhookFixture({
        token: oldToken,
        secretCacheMs: 300_000,
        secretSource: {
          getVersions: (id) => (id === TWILIO_SECRET_ID ? sm.getVersions() : web.secrets.getVersions(id)),
        },
      });
    const busy = instance();
    const idle = instance();
    for (const f of [busy, idle]) f.clock.time = web.clock.time;
    const advance = (ms: number) => {
      for (const f of [busy, idle, web]) f.clock.advance(ms);
    };
    const send = (f: ReturnType<typeof instance>, token: string) =>
      f.handler(signedWebhookEvent({ token, params: inboundParams() })).then((r) => r.statusCode);
    // Warm caches holding the old token as current, as every running instance has it.
    expect([await send(busy, oldToken), await send(idle, oldToken)]).toEqual([200, 200]);

    await emergencyRotation(sm, { secretId: TWILIO_SECRET_ID, revokePrevious: true, sleep: noSleep });
    advance(10_000); // the webhook's least refresh interval
    // Twilio now signs with the promoted token: the miss makes the instance re-read the secret.
    expect(await send(busy, newToken)).toBe(200);
    expect(await send(busy, oldToken)).toBe(403);
    // An instance that sees no genuine webhook drops the old token when its cache expires.
    advance(300_000);
    expect(await send(idle, oldToken)).toBe(403);
    expect(await send(idle, newToken)).toBe(200);
  });
});

/** The parts of an environment's config npm run rotate checks a target against. */
const configWith = (accountSids: string[], canaryMinutes = 0) => ({
  twilio: { ...loadConfig('dev').twilio, accountSids },
  canary: { everyMinutes: canaryMinutes },
  admin: {
    holders: [
      { id: 'privacy-1', role: 'privacy' as const },
      { id: 'privacy-2', role: 'privacy' as const },
      { id: 'ops', role: 'operator' as const },
    ],
  },
});

describe('npm run rotate arguments', () => {
  it("names the Twilio secret of a configured account and the named admin holder's own secret", () => {
    const twilio = parseRotateArgs(['--env', 'prod', '--twilio', SID, '--revoke-previous']);
    expect(twilio).toEqual({
      env: 'prod',
      target: { kind: 'twilio', accountSid: SID },
      revokePrevious: true,
    });
    expect(secretIdFor(twilio, configWith([SID]))).toBe(`signalgate/prod/twilio-auth-token/${SID}`);
    const admin = parseRotateArgs(['--env', 'dev', '--admin', 'privacy-2']);
    expect(admin.target).toEqual({ kind: 'admin', holder: 'privacy-2' });
    expect(secretIdFor(admin, configWith([]))).toBe('signalgate/dev/admin-credential/privacy-2');
    // The canary's own holder exists only where the canary runs.
    const canary = parseRotateArgs(['--env', 'dev', '--admin', 'canary']);
    expect(secretIdFor(canary, configWith([SID], 5))).toBe('signalgate/dev/admin-credential/canary');
    expect(() => secretIdFor(canary, configWith([SID], 0))).toThrow(
      'canary is not an admin holder of dev (admin.holders in lib/config/dev.ts)',
    );
  });

  it('refuses ambiguous or unknown targets with one line', () => {
    expect(() => parseRotateArgs(['--env', 'dev'])).toThrow(
      'give exactly one of --twilio <AccountSid> or --admin',
    );
    expect(() => parseRotateArgs(['--env', 'dev', '--admin', '--twilio', SID])).toThrow(
      'give exactly one of --twilio <AccountSid> or --admin',
    );
    expect(() => parseRotateArgs(['--admin', 'ops'])).toThrow('--env is required');
    expect(() => parseRotateArgs(['--env', 'dev', '--admin'])).toThrow(
      '--admin needs a holder id (config admin.holders)',
    );
    expect(() => parseRotateArgs(['--env', 'dev', '--admin', '--revoke-previous'])).toThrow(
      '--admin needs a holder id (config admin.holders)',
    );
    expect(() =>
      secretIdFor(parseRotateArgs(['--env', 'dev', '--admin', 'mallory']), configWith([])),
    ).toThrow('mallory is not an admin holder of dev');
    expect(() => parseRotateArgs(['--env', 'dev', '--twilio', 'nope'])).toThrow(
      '--twilio needs an Account SID',
    );
    expect(() => secretIdFor(parseRotateArgs(['--env', 'dev', '--twilio', SID]), configWith([]))).toThrow(
      `${SID} is not a Twilio account of dev`,
    );
  });
});
