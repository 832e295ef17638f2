// Secrets Manager's four rotation steps (createSecret, setSecret, testSecret, finishSecret) for any
// secret, with the checks of AWS's rotation templates; what differs per secret is a RotationStrategy.
//
// Every step is idempotent, because Secrets Manager retries a failed step and may invoke one twice:
// createSecret keeps an existing AWSPENDING value, finishSecret moves AWSCURRENT only if it has not
// moved yet and then always runs the strategy's completePromotion (so a crash between the label
// move and the service-side promotion converges on the next run). A promotion the service refused,
// while it verifiably still uses the previous value, moves AWSCURRENT back: the readers must accept
// what the service uses for as long as it does, not only for the grace. Failures count RotationFailures,
// are logged and rethrown so Secrets Manager marks the rotation failed and the alarm fires.
// Reference: https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html

import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { LogEvent, MetricName } from '../names.js';
import { RotationEvent, type RotationStep } from './rotation-event.js';
import {
  type RotationSecretStore,
  type SecretDescription,
  Stage,
  versionWithStage,
} from './rotation-store.js';

export interface RotationStrategy {
  /** For logs: which secret kind this rotates. */
  readonly kind: string;
  /** createSecret, before minting: finish whatever an earlier, interrupted rotation left half done. */
  reconcileCurrent?(current: string): Promise<void>;
  /** createSecret: the new secret value (JSON string) derived from the current one. */
  createPending(current: string): Promise<string>;
  /** setSecret: make the service accept the pending value; absent where the service minted it itself. */
  setPending?(pending: string, current: string): Promise<void>;
  /** testSecret: throws when the pending value does not work; nothing has been promoted then. */
  testPending(pending: string): Promise<void>;
  /**
   * finishSecret, after AWSCURRENT moved: switch the service over. Must be idempotent. `firstAttempt`: this
   * invocation moved the label, so no earlier switch-over was tried for this version. Throws
   * PromotionRefusedError only on a first attempt the service refused, applying nothing (finishSecret then rolls
   * AWSCURRENT back); any other error leaves the label moved for Secrets Manager's retry.
   */
  completePromotion?(
    current: string,
    previous: string | undefined,
    attempt: { readonly firstAttempt: boolean },
  ): Promise<void>;
  /**
   * After a rollback (the labels already moved back): remove what createSecret made at the service, best
   * effort; returns what it did, for the log.
   */
  discardRefused?(refused: string, restored: string): Promise<string>;
}

export interface RotationDeps {
  readonly store: RotationSecretStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /**
   * The oldest a pending version may be when finishSecret would make it current (pending-age.ts); absent: no
   * bound. The readers accept the previous value for a grace measured from the current version's creation,
   * so a version created long before its promotion (Secrets Manager retrying a failed rotation) would leave
   * its predecessor, still what Twilio signs with until the promotion, no grace at all.
   */
  readonly maxPendingAgeMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The secret or the event is not in a state rotation can proceed from (a fault, not a retry case). */
export class RotationStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationStateError';
  }
}

/** The service refused to switch over and still uses the previous value (checked, not assumed). */
export class PromotionRefusedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PromotionRefusedError';
  }
}

export type RotationHandler = (event: unknown) => Promise<void>;

export function makeRotationHandler(
  strategy: RotationStrategy,
  getDeps: () => Promise<RotationDeps>,
): RotationHandler {
  return async (raw) => {
    const deps = await getDeps();
    const parsed = RotationEvent.safeParse(raw);
    let step: RotationStep | 'unknown' = 'unknown';
    try {
      if (!parsed.success) throw new RotationStateError('not a Secrets Manager rotation event');
      step = parsed.data.Step;
      const outcome = await rotateStep(
        strategy,
        deps.store,
        parsed.data.SecretId,
        parsed.data.ClientRequestToken,
        step,
        deps,
      );
      deps.logger.info(LogEvent.rotationStep, {
        kind: strategy.kind,
        step,
        arn: parsed.data.SecretId,
        version: parsed.data.ClientRequestToken,
        outcome,
      });
    } catch (error) {
      deps.metrics.count(MetricName.RotationFailures);
      deps.logger.error(LogEvent.rotationFailed, {
        kind: strategy.kind,
        step,
        arn: parsed.success ? parsed.data.SecretId : undefined,
        version: parsed.success ? parsed.data.ClientRequestToken : undefined,
        error,
      });
      throw error;
    } finally {
      deps.metrics.flush();
    }
  };
}

/** Runs one step; returns what it did, for the log. */
export async function rotateStep(
  strategy: RotationStrategy,
  store: RotationSecretStore,
  secretId: string,
  token: string,
  step: RotationStep,
  options: Pick<RotationDeps, 'maxPendingAgeMs' | 'now'> = {},
): Promise<string> {
  const description = await store.describe(secretId);
  if (!description.rotationEnabled) throw new RotationStateError('rotation is not enabled on the secret');
  const stages = description.versions[token];
  if (!stages) throw new RotationStateError('the rotation version is not a version of the secret');
  if (stages.includes(Stage.current)) {
    // Already promoted: the first three steps have nothing left to do. finishSecret still completes
    // the service-side promotion, which a crash may have cut short after the label moved.
    if (step !== 'finishSecret') return 'already current';
  } else if (!stages.includes(Stage.pending)) {
    throw new RotationStateError('the rotation version is not staged AWSPENDING');
  }

  switch (step) {
    case 'createSecret': {
      const current = await required(store, secretId, { stage: Stage.current }, 'AWSCURRENT');
      if ((await store.getValue(secretId, { versionId: token, stage: Stage.pending })) !== undefined) {
        return 'pending value exists';
      }
      await strategy.reconcileCurrent?.(current);
      await store.putPending(secretId, token, await strategy.createPending(current));
      return 'pending value created';
    }
    case 'setSecret': {
      if (!strategy.setPending) return 'nothing to set';
      const pending = await required(
        store,
        secretId,
        { versionId: token, stage: Stage.pending },
        'AWSPENDING',
      );
      const current = await required(store, secretId, { stage: Stage.current }, 'AWSCURRENT');
      await strategy.setPending(pending, current);
      return 'pending value set';
    }
    case 'testSecret': {
      await strategy.testPending(
        await required(store, secretId, { versionId: token, stage: Stage.pending }, 'AWSPENDING'),
      );
      return 'pending value tested';
    }
    case 'finishSecret':
      return finishRotation(strategy, store, secretId, token, description, options);
  }
}

/**
 * finishSecret: makes the version current, then has the strategy switch the service over, then takes
 * AWSPENDING off. A refused first switch-over rolls back; an unknown outcome leaves both labels for the retry.
 */
async function finishRotation(
  strategy: RotationStrategy,
  store: RotationSecretStore,
  secretId: string,
  token: string,
  description: SecretDescription,
  options: Pick<RotationDeps, 'maxPendingAgeMs' | 'now'>,
): Promise<string> {
  const stages = description.versions[token] ?? [];
  if (stages.includes(Stage.previous) && !stages.includes(Stage.current)) {
    // Made current once and moved back (a refused switch-over whose clean-up was cut short): never again.
    await store.clearPending(secretId, token);
    throw new RotationStateError('the rotation version was rolled back earlier: rotate again');
  }
  const currentVersion = versionWithStage(description, Stage.current);
  if (currentVersion === undefined) throw new RotationStateError('the secret has no AWSCURRENT version');
  // Only the invocation that moves the label knows no switch-over was tried for this version before.
  const firstAttempt = currentVersion !== token;
  if (firstAttempt) {
    // The new value must exist before it becomes current, or every reader would break.
    await required(store, secretId, { versionId: token }, 'the rotation version');
    await refuseStalePending(store, secretId, token, options);
    await store.promote(secretId, token, currentVersion);
  }
  const outcome = firstAttempt ? 'promoted' : 'already current';
  if (!strategy.completePromotion) {
    await store.clearPending(secretId, token);
    return outcome;
  }
  const current = await required(store, secretId, { versionId: token }, 'the rotation version');
  try {
    await strategy.completePromotion(current, await store.getValue(secretId, { stage: Stage.previous }), {
      firstAttempt,
    });
  } catch (error) {
    if (!(error instanceof PromotionRefusedError) || !firstAttempt) throw error;
    // Moved by this invocation, from currentVersion: the service still uses that one.
    return rollBack(strategy, store, secretId, { refused: token, restored: currentVersion }, error);
  }
  if (!firstAttempt && (await pastPendingBound(store, secretId, token, options)) !== undefined) {
    // Switched over late (a retry after an unknown outcome): the grace counted from the version's creation
    // has passed, and Twilio may sign with the old token for a while yet. AWSPENDING stays, so readers keep
    // the unfinished-rotation window (twilio-tokens.ts); the next rotation takes it.
    return `${outcome}, switched over late: AWSPENDING kept`;
  }
  // Done, the service switched over included: no AWSPENDING left is what `npm run rotate --
  // --revoke-previous` waits for before it revokes the previous value (scripts/rotate/emergency-rotation.ts).
  await store.clearPending(secretId, token);
  return outcome;
}

/**
 * How much older the version is than maxPendingAgeMs, in ms (> 0: past the bound); undefined where the bound
 * or the version's creation is unknown.
 */
async function pastPendingBound(
  store: RotationSecretStore,
  secretId: string,
  token: string,
  options: Pick<RotationDeps, 'maxPendingAgeMs' | 'now'>,
): Promise<{ ageMs: number; boundMs: number } | undefined> {
  if (options.maxPendingAgeMs === undefined) return undefined;
  const createdAt = await store.createdAt(secretId, token);
  if (createdAt === undefined) return undefined;
  const ageMs = (options.now ?? Date.now)() - createdAt;
  return ageMs > options.maxPendingAgeMs ? { ageMs, boundMs: options.maxPendingAgeMs } : undefined;
}

/**
 * Refuses to make a pending version current once it is older than maxPendingAgeMs, and takes AWSPENDING off
 * it so the next rotation starts clean (RotateSecret refuses to start while AWSPENDING sits on a version that
 * is not current). The rotation fails, the alarm fires, the previous value stays current: nothing is refused.
 */
async function refuseStalePending(
  store: RotationSecretStore,
  secretId: string,
  token: string,
  options: Pick<RotationDeps, 'maxPendingAgeMs' | 'now'>,
): Promise<void> {
  const stale = await pastPendingBound(store, secretId, token, options);
  if (stale === undefined) return;
  await store.clearPending(secretId, token);
  throw new RotationStateError(
    `the pending version was created ${Math.round(stale.ageMs / 1000)} s ago, more than ${Math.round(
      stale.boundMs / 1000,
    )} s: made current now, its predecessor would get less than the grace to switch over; nothing was promoted, rotate again`,
  );
}

/**
 * Makes the previous version current again and takes AWSPENDING off the refused one, then fails the rotation:
 * the readers accept the value the service still uses as current (no grace to run out), the refused version
 * becomes AWSPREVIOUS, outside the grace counted from the old current's creation, and the next rotation starts
 * clean (RotateSecret refuses to start while AWSPENDING sits on a version that is not current).
 */
async function rollBack(
  strategy: RotationStrategy,
  store: RotationSecretStore,
  secretId: string,
  versions: { readonly refused: string; readonly restored: string },
  refusal: PromotionRefusedError,
): Promise<never> {
  await store.promote(secretId, versions.restored, versions.refused);
  await store.clearPending(secretId, versions.refused);
  // Last, and best effort: the labels already say what the service uses.
  let cleanUp = '';
  if (strategy.discardRefused) {
    const [refused, restored] = await Promise.all([
      required(store, secretId, { versionId: versions.refused }, 'the refused version'),
      required(store, secretId, { versionId: versions.restored }, 'the restored version'),
    ]);
    cleanUp = await strategy.discardRefused(refused, restored).then(
      (done) => `; ${done}`,
      (error: unknown) => `; clean-up failed (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  throw new RotationStateError(
    `${refusal.message}; AWSCURRENT moved back to the previous version${cleanUp}: nothing was rotated, rotate again`,
  );
}

async function required(
  store: RotationSecretStore,
  secretId: string,
  selector: Parameters<RotationSecretStore['getValue']>[1],
  what: string,
): Promise<string> {
  const value = await store.getValue(secretId, selector);
  if (value === undefined) throw new RotationStateError(`${what} has no value`);
  return value;
}
