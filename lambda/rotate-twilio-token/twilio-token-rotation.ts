// Rotation strategy for a Twilio auth token (ARCHITECTURE §5, §9) with Twilio's secondary token.
//
// createSecret mints Twilio's secondary token and stores it as AWSPENDING; testSecret calls Twilio
// with it; finishSecret first moves AWSCURRENT (the rotation skeleton does that) and only then
// promotes the token at Twilio. That order drops no genuine webhook: until the promotion Twilio
// still signs with the old primary, which the webhook accepts as AWSPREVIOUS; from the promotion on
// it signs with the new token, which is already AWSCURRENT. Promoting first would leave a window in
// which Twilio signs with a token no reader knows yet. A crash between the two is repaired by the
// next finishSecret (it checks which token Twilio holds as primary) or, failing that, by the next
// rotation's createSecret (reconcileCurrent). A promotion Twilio refused (4xx: nothing applied) is rolled
// back (AWSCURRENT returns to the old version, rotate-secret.ts), so the webhook keeps accepting what Twilio
// signs with after the grace too. An outcome finishSecret cannot know (a timeout, a 5xx) leaves AWSPENDING on
// the new current version, and the webhook accepts the old token up to UNFINISHED_ROTATION_MAX_MS meanwhile.
//
// Between the two it waits PROMOTION_DELAY_MS: a webhook instance that fetched the token just before
// AWSCURRENT moved may refetch only MIN_SECRET_REFRESH_MS later (the refresh on a signature miss is
// rate-limited against forgery floods), and Secrets Manager needs a moment to serve the new stage.
// Promoting sooner would refuse genuine webhooks in that gap (found by test/adversarial).

import {
  PromotionRefusedError,
  RotationStateError,
  type RotationStrategy,
} from '../shared/rotation/rotate-secret.js';
import { MIN_SECRET_REFRESH_MS } from '../shared/secret-cache.js';
import { parseSecret, TwilioTokenSecret } from '../shared/secret-values.js';
import { type TwilioAccounts, TwilioRequestRefusedError } from './twilio-accounts.js';

/** The pending token did not authenticate at Twilio: nothing was promoted. */
export class TwilioTokenTestError extends Error {
  constructor() {
    super('the pending Twilio auth token does not authenticate');
    this.name = 'TwilioTokenTestError';
  }
}

const parse = (role: string, raw: string) => parseSecret(role, TwilioTokenSecret, raw);

/** Twice the webhook's refresh interval: covers it and Secrets Manager's propagation with margin. */
export const PROMOTION_DELAY_MS = 2 * MIN_SECRET_REFRESH_MS;

export interface TwilioTokenRotationOptions {
  /** Wait between moving AWSCURRENT and promoting at Twilio. @default PROMOTION_DELAY_MS */
  readonly promotionDelayMs?: number;
  /** @default a timer; tests pass one that records the wait */
  readonly sleep?: (ms: number) => Promise<void>;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

const timerSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function twilioTokenRotation(
  twilio: TwilioAccounts,
  options: TwilioTokenRotationOptions = {},
): RotationStrategy {
  const promotionDelayMs = options.promotionDelayMs ?? PROMOTION_DELAY_MS;
  const sleep = options.sleep ?? timerSleep;

  /** Makes `token` Twilio's primary unless it already is; refuses when it is not even the secondary. */
  async function ensurePrimary(
    accountSid: string,
    token: string,
    callWith: string,
    delayMs = 0,
  ): Promise<void> {
    if (await twilio.isPrimary(accountSid, token)) return;
    if (!(await twilio.authenticates(accountSid, token))) {
      // Promoting now would make some other secondary token primary and invalidate AWSCURRENT.
      throw new RotationStateError('AWSCURRENT Twilio token is neither primary nor secondary at Twilio');
    }
    if (delayMs > 0) await sleep(delayMs);
    await twilio.promoteSecondaryToken(accountSid, callWith);
  }

  return {
    kind: 'Twilio auth token',
    async reconcileCurrent(current) {
      const { accountSid, authToken } = parse('current Twilio auth token', current);
      await ensurePrimary(accountSid, authToken, authToken);
    },
    async createPending(current) {
      const { accountSid, authToken } = parse('current Twilio auth token', current);
      const secondary = await twilio.createSecondaryToken(accountSid, authToken);
      return JSON.stringify({ accountSid, authToken: secondary });
    },
    async testPending(pending) {
      const { accountSid, authToken } = parse('pending Twilio auth token', pending);
      if (!(await twilio.authenticates(accountSid, authToken))) throw new TwilioTokenTestError();
    },
    async completePromotion(current, previous, { firstAttempt }) {
      const next = parse('new Twilio auth token', current);
      const old = previous === undefined ? undefined : parse('previous Twilio auth token', previous);
      if (old !== undefined && old.accountSid !== next.accountSid) {
        throw new RotationStateError('the new Twilio token belongs to another account');
      }
      try {
        // The old primary is certain to hold the right to promote; once it is gone, the new token is primary anyway.
        await ensurePrimary(
          next.accountSid,
          next.authToken,
          old?.authToken ?? next.authToken,
          promotionDelayMs,
        );
      } catch (error) {
        // A lost answer may hide a promotion that happened: then it is done.
        if (await twilio.isPrimary(next.accountSid, next.authToken).catch(() => false)) return;
        // Only a refusal (4xx) of the first attempt proves Twilio still signs with the old token: a timeout or
        // a 5xx may still take effect, a retry's refusal may follow an earlier attempt that did (its old token
        // is gone: 401), and Twilio's account reads may lag a promotion by up to a minute, so "the old token
        // is primary" proves nothing. Refused: roll back (rotate-secret.ts), then discardRefused.
        if (error instanceof TwilioRequestRefusedError && firstAttempt && old !== undefined) {
          throw new PromotionRefusedError(
            `Twilio refused to promote the new auth token and still signs with the previous one (${errorText(error)})`,
            { cause: error },
          );
        }
        // Unknown: the label stays moved and AWSPENDING stays on it; the webhook accepts both tokens
        // meanwhile (twilio-tokens.ts), and Secrets Manager's retry or the next rotation finishes the promotion.
        throw error;
      }
    },
    async discardRefused(refused, restored) {
      // The refused token is Twilio's secondary: a live API credential nobody will promote.
      const { accountSid, authToken } = parse('restored Twilio auth token', restored);
      const secondary = parse('refused Twilio auth token', refused).authToken;
      if (!(await twilio.authenticates(accountSid, secondary))) return 'no secondary token left at Twilio';
      await twilio.deleteSecondaryToken(accountSid, authToken);
      return 'its secondary token at Twilio was deleted';
    },
  };
}
