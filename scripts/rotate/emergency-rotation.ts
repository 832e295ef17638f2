// Rotates one secret now through its rotation function and, for an emergency, revokes the previous
// value at once by removing the AWSPREVIOUS label (docs/RUNBOOK.md#emergency-rotation). The webhook
// and the admin API accept AWSPREVIOUS only while it exists (and within the configured grace), so a
// leaked token stops working when this returns (the webhook re-reads within its 10 s refresh interval).

import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  RotateSecretCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const PENDING = 'AWSPENDING';

/** The secret has no rotation configured, so there is nothing to run (nothing was changed). */
export class RotationNotEnabledError extends Error {
  constructor(secretId: string) {
    super(
      `rotation is not enabled on ${secretId}: deploy the stack first, or for a Twilio token set twilio.rotationEnabled once the real token is stored; to replace a leaked token by hand see docs/RUNBOOK.md#emergency-rotation (nothing was changed)`,
    );
    this.name = 'RotationNotEnabledError';
  }
}

/**
 * AWSPENDING sits on the current version: a rotation moved AWSCURRENT and has not finished (for a Twilio token,
 * whether Twilio promoted it is unknown, and the webhook accepts both tokens meanwhile). RotateSecret would
 * start anyway and take the label away, leaving Twilio's real token only the grace.
 */
export class RotationUnfinishedError extends Error {
  constructor(secretId: string) {
    super(
      `a rotation of ${secretId} is unfinished (AWSPENDING is on the current version): finish it first, or if its log says "switched over late" remove the label, as docs/RUNBOOK.md#rotation-failures says; nothing was changed`,
    );
    this.name = 'RotationUnfinishedError';
  }
}

/** The rotation did not make the new version current in time (the previous value was not revoked). */
export class RotationTimeoutError extends Error {
  constructor(secretId: string, seconds: number) {
    super(
      `the rotation of ${secretId} did not finish within ${seconds} s (AWSCURRENT not on the new version: the rotation failed, or moved it back after Twilio refused the promotion; or AWSPENDING still set: the service's switch-over did not complete); the previous value was NOT revoked (see the rotation function's logs)`,
    );
    this.name = 'RotationTimeoutError';
  }
}

export interface EmergencyRotationOptions {
  readonly secretId: string;
  /** Remove AWSPREVIOUS once the new version is current, so the old value is accepted nowhere. */
  readonly revokePrevious: boolean;
  /** How long to wait for the rotation function. @default 300_000 (the Twilio rotation waits ~20 s) */
  readonly timeoutMs?: number;
  /** @default 5_000 */
  readonly pollMs?: number;
  /**
   * How long to wait, once the new version is AWSCURRENT, before revoking the previous one: the time the
   * rotation function still needs to switch the service over (Twilio signs with the old token until its
   * promotion). @default 0 (the admin token has no service to switch)
   */
  readonly switchOverMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export interface EmergencyRotationReport {
  readonly secretId: string;
  readonly newVersionId: string;
  readonly previousVersionId: string | undefined;
  readonly previousRevoked: boolean;
}

type Client = Pick<SecretsManagerClient, 'send'>;

const versionWith = (secret: DescribeSecretCommandOutput, stage: string): string | undefined =>
  Object.entries(secret.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes(stage))?.[0];

export async function emergencyRotation(
  client: Client,
  options: EmergencyRotationOptions,
): Promise<EmergencyRotationReport> {
  const { secretId } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 300_000;

  const before = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  if (!before.RotationEnabled) throw new RotationNotEnabledError(secretId);
  const pending = versionWith(before, PENDING);
  if (pending !== undefined && pending === versionWith(before, CURRENT))
    throw new RotationUnfinishedError(secretId);

  // RotateImmediately runs the rotation function now (createSecret … finishSecret) outside the schedule.
  const started = await client.send(new RotateSecretCommand({ SecretId: secretId, RotateImmediately: true }));
  const newVersionId = started.VersionId;
  if (!newVersionId) throw new Error(`RotateSecret on ${secretId} returned no version id`);

  const deadline = now() + timeoutMs;
  let after = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  // Finished, the service's switch included: our rotation functions take AWSPENDING off only after
  // finishSecret's promotion (Twilio's included) succeeded (rotate-secret.ts). AWSCURRENT on the new version
  // alone is not enough: a Twilio promotion that failed after the label moved leaves Twilio signing with the
  // previous token, and revoking it then would refuse every genuine webhook.
  while (versionWith(after, CURRENT) !== newVersionId || versionWith(after, PENDING) !== undefined) {
    if (now() >= deadline) throw new RotationTimeoutError(secretId, Math.round(timeoutMs / 1000));
    await sleep(options.pollMs ?? 5_000);
    after = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  }

  if (!options.revokePrevious) {
    return {
      secretId,
      newVersionId,
      previousVersionId: versionWith(after, PREVIOUS),
      previousRevoked: false,
    };
  }
  // Revoking before the service has switched would refuse genuine requests still signed with the old value.
  if (options.switchOverMs) {
    await sleep(options.switchOverMs);
    after = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
    if (versionWith(after, CURRENT) !== newVersionId)
      throw new Error(
        `${secretId}: AWSCURRENT moved off version ${newVersionId} meanwhile; nothing was revoked`,
      );
  }
  const previousVersionId = versionWith(after, PREVIOUS);
  if (previousVersionId === undefined) {
    return { secretId, newVersionId, previousVersionId, previousRevoked: false };
  }
  await client.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secretId,
      VersionStage: PREVIOUS,
      RemoveFromVersionId: previousVersionId,
    }),
  );
  const revoked = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  const still = versionWith(revoked, PREVIOUS);
  if (still !== undefined) throw new Error(`AWSPREVIOUS is still on version ${still} of ${secretId}`);
  return { secretId, newVersionId, previousVersionId, previousRevoked: true };
}
