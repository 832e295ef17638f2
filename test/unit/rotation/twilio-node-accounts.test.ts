// The Twilio adapter over twilio-node's own request path, with its transport answering as Twilio's API would:
// what a promotion's failure means for the rotation (a 4xx applied nothing; anything else is unknown).

import { describe, expect, it } from 'vitest';
import { TwilioRequestRefusedError } from '../../../lambda/rotate-twilio-token/twilio-accounts.js';
import { TwilioNodeAccounts } from '../../../lambda/rotate-twilio-token/twilio-node-accounts.js';
import { ACCOUNT_SID } from '../../helpers/api-events.js';

const TOKEN = 'f'.repeat(32);

interface Sent {
  readonly method: string;
  readonly uri: string;
}

/** twilio-node's RequestClient contract: request(opts) → { statusCode, body, headers }. */
function transport(statusCode: number, body: unknown) {
  const sent: Sent[] = [];
  const httpClient = {
    request: async (opts: { method: string; uri: string }) => {
      sent.push({ method: opts.method.toUpperCase(), uri: opts.uri });
      return { statusCode, body: JSON.stringify(body), headers: {} };
    },
  };
  return { sent, accounts: new TwilioNodeAccounts({ httpClient: httpClient as never }) };
}

const twilioError = (status: number, message: string) => ({ code: 20001, message, status, more_info: '' });

describe('TwilioNodeAccounts', () => {
  it('promotes with POST /v1/AuthTokens/Promote', async () => {
    const { sent, accounts } = transport(200, { account_sid: ACCOUNT_SID, auth_token: TOKEN });
    await accounts.promoteSecondaryToken(ACCOUNT_SID, TOKEN);
    expect(sent).toEqual([{ method: 'POST', uri: 'https://accounts.twilio.com/v1/AuthTokens/Promote' }]);
  });

  for (const status of [400, 401, 404, 429]) {
    it(`reads a ${status} answer to the promotion as a refusal (nothing applied)`, async () => {
      const { accounts } = transport(status, twilioError(status, 'refused'));
      const failure = await accounts.promoteSecondaryToken(ACCOUNT_SID, TOKEN).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(TwilioRequestRefusedError);
      expect((failure as TwilioRequestRefusedError).status).toBe(status);
    });
  }

  for (const status of [500, 503]) {
    it(`leaves a ${status} answer to the promotion unknown (it may still take effect)`, async () => {
      const { accounts } = transport(status, twilioError(status, 'unavailable'));
      const failure = await accounts.promoteSecondaryToken(ACCOUNT_SID, TOKEN).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(Error);
      expect(failure).not.toBeInstanceOf(TwilioRequestRefusedError);
    });
  }

  it('deletes the secondary token with DELETE /v1/AuthTokens/Secondary, and takes a 404 as nothing to delete', async () => {
    const deleted = transport(204, {});
    await deleted.accounts.deleteSecondaryToken(ACCOUNT_SID, TOKEN);
    expect(deleted.sent).toEqual([
      { method: 'DELETE', uri: 'https://accounts.twilio.com/v1/AuthTokens/Secondary' },
    ]);
    await transport(404, twilioError(404, 'not found')).accounts.deleteSecondaryToken(ACCOUNT_SID, TOKEN);
    await expect(
      transport(500, twilioError(500, 'down')).accounts.deleteSecondaryToken(ACCOUNT_SID, TOKEN),
    ).rejects.toThrow();
  });
});
