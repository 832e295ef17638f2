// The Twilio adapter over twilio-node's own request path, with its transport answering as Twilio's API would:
// what a promotion's failure means for the rotation (a 4xx applied nothing; anything else is unknown).

import { describe, expect, it } from 'vitest';
import { TwilioRequestRefusedError } from '../../../lambda/rotate-twilio-token/twilio-accounts.js';
import {
  TwilioNodeAccounts,
  twilioClientsFor,
} from '../../../lambda/rotate-twilio-token/twilio-node-accounts.js';
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

  // Sent with the old primary: 400, 403 and 429 refuse it while that token is valid.
  for (const status of [400, 403, 429]) {
    it(`reads a ${status} answer to the promotion as a refusal (nothing applied)`, async () => {
      const { accounts } = transport(status, twilioError(status, 'refused'));
      const failure = await accounts.promoteSecondaryToken(ACCOUNT_SID, TOKEN).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(TwilioRequestRefusedError);
      expect((failure as TwilioRequestRefusedError).status).toBe(status);
    });
  }

  // 401: the old token is gone (an earlier promotion may have taken it); 404: no secondary (one may have been
  // promoted); 5xx: it may still take effect.
  for (const status of [401, 404, 500, 503]) {
    it(`leaves a ${status} answer to the promotion unknown`, async () => {
      const { accounts } = transport(status, twilioError(status, 'unavailable'));
      const failure = await accounts.promoteSecondaryToken(ACCOUNT_SID, TOKEN).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(Error);
      expect(failure).not.toBeInstanceOf(TwilioRequestRefusedError);
    });
  }

  it("bounds every Twilio call at 5 s, not twilio-node's 30 s default", async () => {
    const { base } = await twilioClientsFor(ACCOUNT_SID, TOKEN, undefined);
    expect((base.httpClient as unknown as { defaultTimeout: number }).defaultTimeout).toBe(5_000);
  });

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
