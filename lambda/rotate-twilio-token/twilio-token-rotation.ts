// Rotation strategy for a Twilio auth token (ARCHITECTURE §5, §9) with Twilio's secondary token.
//
// createSecret mints Twilio's secondary token and stores it as AWSPENDING; testSecret calls Twilio
// with it; finishSecret first moves AWSCURRENT (the rotation skeleton does that) and only then
// promotes the token at Twilio. That order drops no genuine webhook: until the promotion Twilio
// still signs with the old primary, which the webhook accepts as AWSPREVIOUS; from the promotion on
// it signs with the new token, which is already AWSCURRENT. Promoting first would leave a window in
// which Twilio signs with a token no reader knows yet. A crash between the two is repaired by the
// next finishSecret (it checks which token Twilio holds as primary) or, failing that, by the next
// rotation's createSecret (reconcileCurrent).

import { RotationStateError, type RotationStrategy } from '../shared/rotation/rotate-secret.js';
import { parseSecret, TwilioTokenSecret } from '../shared/secret-values.js';
import type { TwilioAccounts } from './twilio-accounts.js';

/** The pending token did not authenticate at Twilio: nothing was promoted. */
export class TwilioTokenTestError extends Error {
  constructor() {
    super('the pending Twilio auth token does not authenticate');
    this.name = 'TwilioTokenTestError';
  }
}

const parse = (role: string, raw: string) => parseSecret(role, TwilioTokenSecret, raw);

export function twilioTokenRotation(twilio: TwilioAccounts): RotationStrategy {
  /** Makes `token` Twilio's primary unless it already is; refuses when it is not even the secondary. */
  async function ensurePrimary(accountSid: string, token: string, callWith: string): Promise<void> {
    if (await twilio.isPrimary(accountSid, token)) return;
    if (!(await twilio.authenticates(accountSid, token))) {
      // Promoting now would make some other secondary token primary and invalidate AWSCURRENT.
      throw new RotationStateError('AWSCURRENT Twilio token is neither primary nor secondary at Twilio');
    }
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
    async completePromotion(current, previous) {
      const next = parse('new Twilio auth token', current);
      const old = previous === undefined ? undefined : parse('previous Twilio auth token', previous);
      if (old !== undefined && old.accountSid !== next.accountSid) {
        throw new RotationStateError('the new Twilio token belongs to another account');
      }
      // The old primary is certain to hold the right to promote; once it is gone, the new token is primary anyway.
      await ensurePrimary(next.accountSid, next.authToken, old?.authToken ?? next.authToken);
    },
  };
}
