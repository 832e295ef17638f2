// TwilioAccounts over twilio-node. Only the Accounts domain and the base client are loaded, and only
// when a rotation step first needs them, so the bundle does not carry the whole REST surface and the
// function starts without parsing it.

import { createHash, timingSafeEqual } from 'node:crypto';
import {
  TWILIO_REQUEST_TIMEOUT_MS,
  type TwilioAccounts,
  TwilioRequestRefusedError,
} from './twilio-accounts.js';

type BaseClient = import('twilio/lib/base/BaseTwilio').Client;
type RequestClient = import('twilio/lib/base/RequestClient');
type AccountsDomain = import('twilio/lib/rest/Accounts');

interface Clients {
  readonly base: BaseClient;
  readonly accounts: AccountsDomain;
}

/** A CommonJS module's exports, whether the loader hands them over as named exports or as `default`. */
function commonJs<T extends object>(module: T): T {
  return (module as { default?: T }).default ?? module;
}

/** The base client (its transport bounded by TWILIO_REQUEST_TIMEOUT_MS) and the Accounts domain. */
export async function twilioClientsFor(
  accountSid: string,
  authToken: string,
  httpClient: RequestClient | undefined,
): Promise<Clients> {
  const [baseModule, accountsModule] = await Promise.all([
    import('twilio/lib/base/BaseTwilio.js'),
    import('twilio/lib/rest/Accounts.js'),
  ]);
  const { Client } = commonJs(baseModule);
  const Accounts = commonJs(accountsModule) as unknown as new (client: BaseClient) => AccountsDomain;
  const base = new Client(accountSid, authToken, {
    timeout: TWILIO_REQUEST_TIMEOUT_MS,
    ...(httpClient ? { httpClient } : {}),
  });
  return { base, accounts: new Accounts(base) };
}

/** The HTTP status of a twilio-node RestException, if the error is one. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Answers to a request sent with the old primary that show it was refused with that token still valid: 400
 * (invalid request), 403 (not permitted), 429 (rate limited). Not 401 (the token is gone: perhaps an earlier
 * promotion took it), not 404 (no secondary: perhaps an earlier promotion consumed it), not timeouts or 5xx.
 */
const REFUSED_STATUSES: ReadonlySet<number> = new Set([400, 403, 429]);

function refusalOrSame(operation: string, error: unknown): unknown {
  const status = statusOf(error);
  return status !== undefined && REFUSED_STATUSES.has(status)
    ? new TwilioRequestRefusedError(operation, status, { cause: error })
    : error;
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export class TwilioNodeAccounts implements TwilioAccounts {
  readonly #httpClient: RequestClient | undefined;

  /** `httpClient`: twilio-node's transport (tests answer as Twilio's API would; default: HTTPS). */
  constructor(options: { readonly httpClient?: RequestClient } = {}) {
    this.#httpClient = options.httpClient;
  }

  async createSecondaryToken(accountSid: string, authToken: string): Promise<string> {
    const { accounts } = await twilioClientsFor(accountSid, authToken, this.#httpClient);
    const created = await accounts.v1.secondaryAuthToken().create();
    if (!created.secondaryAuthToken) throw new Error('Twilio returned no secondary auth token');
    return created.secondaryAuthToken;
  }

  async authenticates(accountSid: string, authToken: string): Promise<boolean> {
    return (await this.#fetchAccount(accountSid, authToken)) !== undefined;
  }

  async isPrimary(accountSid: string, authToken: string): Promise<boolean> {
    // The Account resource reports the primary token whichever valid token authenticates the call.
    const account = await this.#fetchAccount(accountSid, authToken);
    return typeof account?.auth_token === 'string' && sameSecret(account.auth_token, authToken);
  }

  async promoteSecondaryToken(accountSid: string, authToken: string): Promise<void> {
    const { accounts } = await twilioClientsFor(accountSid, authToken, this.#httpClient);
    try {
      await accounts.v1.authTokenPromotion().update();
    } catch (error) {
      throw refusalOrSame('the auth token promotion', error);
    }
  }

  async deleteSecondaryToken(accountSid: string, authToken: string): Promise<void> {
    const { accounts } = await twilioClientsFor(accountSid, authToken, this.#httpClient);
    try {
      await accounts.v1.secondaryAuthToken().remove();
    } catch (error) {
      // No secondary token: nothing to delete.
      if (statusOf(error) === 404) return;
      throw error;
    }
  }

  /** GET /2010-04-01/Accounts/{sid}.json, the cheapest authenticated call; undefined on 401. */
  async #fetchAccount(accountSid: string, authToken: string): Promise<{ auth_token?: unknown } | undefined> {
    const { base } = await twilioClientsFor(accountSid, authToken, this.#httpClient);
    const response = (await base.request({
      method: 'get',
      uri: `https://api.twilio.com/2010-04-01/Accounts/${encodeURIComponent(accountSid)}.json`,
    })) as { statusCode: number; body: unknown };
    if (response.statusCode === 401) return undefined;
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw new Error(`Twilio account fetch answered HTTP ${response.statusCode}`);
    }
    const body = typeof response.body === 'string' ? (JSON.parse(response.body) as unknown) : response.body;
    return (body ?? {}) as { auth_token?: unknown };
  }
}
