// How old a pending version may be when a rotation makes it current. The readers (webhook, admin API) accept
// the previous value for `grace` from the current version's creation (secret-values.ts previousWithinGrace),
// and Twilio keeps signing with it until the promotion: creation → promotion must leave it the promotion delay,
// a reader's cache age and a margin. One rule for lib/config's grace floor and the rotation functions' bound.

/** Slack beyond the promotion delay and the cache age, so no genuine request lands on the boundary. */
export const PREVIOUS_TOKEN_GRACE_MARGIN_MS = 60_000;

/**
 * Secrets Manager runs createSecret (which creates the version), setSecret and testSecret before finishSecret,
 * each an invocation of the rotation function that may take up to its timeout.
 */
export const ROTATION_STEPS_BEFORE_FINISH = 3;

/**
 * Lambda's Init phase may take up to 10 s and runs outside the function's timeout: one per step, finishSecret's
 * own included, since it checks the pending version's age only after its start-up.
 */
export const LAMBDA_INIT_MAX_MS = 10_000;

export interface GraceBudget {
  /** rotation.previousTokenGraceMinutes, in ms. */
  readonly graceMs: number;
  /** Between moving AWSCURRENT and the service's switch (PROMOTION_DELAY_MS for Twilio, 0 for admin). */
  readonly promotionDelayMs: number;
  /** secretCacheSeconds, in ms: how long a reader may still hold the old current. */
  readonly secretCacheMs: number;
}

/** A rotation function's timing: what the grace must cover besides the cache age. */
export interface RotationTiming {
  readonly promotionDelayMs: number;
  /** The rotation function's timeout: how long one step may take. */
  readonly stepTimeoutMs: number;
}

/** What is left of the grace for the time between createSecret and finishSecret (≥ 0 where config holds). */
export function maxPendingAgeMs(budget: GraceBudget): number {
  return Math.max(0, budget.graceMs - switchOverMs(budget));
}

/**
 * The smallest grace config accepts: the switch-over (promotion delay + cache age + margin) plus a rotation
 * whose first three steps each run to the timeout after the longest start-up, and finishSecret's start-up,
 * so a slow but healthy rotation is never refused as stale.
 */
export function graceFloorMs(timing: RotationTiming, secretCacheMs: number): number {
  return (
    switchOverMs({ promotionDelayMs: timing.promotionDelayMs, secretCacheMs }) +
    ROTATION_STEPS_BEFORE_FINISH * (LAMBDA_INIT_MAX_MS + timing.stepTimeoutMs) +
    LAMBDA_INIT_MAX_MS
  );
}

function switchOverMs(budget: Omit<GraceBudget, 'graceMs'>): number {
  return budget.promotionDelayMs + budget.secretCacheMs + PREVIOUS_TOKEN_GRACE_MARGIN_MS;
}
