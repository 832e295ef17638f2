// Which auth tokens may have signed a request: chosen by the request's AccountSid (ARCHITECTURE §3).

import type { Clock, SecretVersions } from '../shared/ports.js';
import { systemClock } from '../shared/ports.js';
import type { CachedSecretSource } from '../shared/secret-cache.js';
import {
  derivedPerValue,
  isTwilioAuthToken,
  parseSecret,
  previousWithinGrace,
  TwilioTokenSecret,
} from '../shared/secret-values.js';

/**
 * How long the previous token may verify while a rotation is unfinished (AWSPENDING still on the current
 * version: finishSecret could not tell whether Twilio promoted the new token, so Twilio may still sign with
 * the old one), counted from the current version's creation. Long enough for on-call, paged by the failed
 * rotation, to finish it (docs/RUNBOOK.md#rotation-failures); bounded, because if Twilio did switch, the old
 * token is then only a thief's.
 */
export const UNFINISHED_ROTATION_MAX_MS = 6 * 60 * 60_000;

/** AccountSid → secret id; the key `*` (local stack only) matches any AccountSid. */
export type TokenSecretMap = Readonly<Record<string, string>>;
export const ANY_ACCOUNT = '*';

export interface TwilioTokenDirectoryOptions {
  /**
   * How long after a rotation the previous token still verifies: promotion delay + secret cache age +
   * margin (ARCHITECTURE §3), from the environment's config. Twilio deletes the old primary token
   * when the secondary is promoted, so past this window only a thief could sign with it. While the
   * rotation is unfinished the window is UNFINISHED_ROTATION_MAX_MS instead.
   */
  readonly previousGraceMs: number;
  readonly clock?: Clock;
}

export class TwilioTokenDirectory {
  readonly #secrets: CachedSecretSource;
  readonly #map: TokenSecretMap;
  readonly #graceMs: number;
  readonly #clock: Clock;

  constructor(secrets: CachedSecretSource, map: TokenSecretMap, options: TwilioTokenDirectoryOptions) {
    this.#secrets = secrets;
    this.#map = map;
    this.#graceMs = options.previousGraceMs;
    this.#clock = options.clock ?? systemClock;
  }

  /** The secret id for an account, or undefined when the account is not configured. */
  secretIdFor(accountSid: string | undefined): string | undefined {
    if (accountSid !== undefined && Object.hasOwn(this.#map, accountSid)) return this.#map[accountSid];
    return this.#map[ANY_ACCOUNT];
  }

  /**
   * Current token first, then the previous one while it is within its grace. Only values that are
   * Twilio auth tokens count: an empty list means no real token is configured for this account, so
   * nothing can verify (the caller answers 503 and counts TwilioTokenNotConfigured). A previous
   * value that is not a token (the placeholder replaced by the first real token) is never accepted.
   */
  async tokens(secretId: string): Promise<string[]> {
    return this.#tokensOf(await this.#secrets.getVersions(secretId));
  }

  /** Tokens fetched anew (rate-limited by the cache), or undefined if refreshed too recently. */
  async refreshedTokens(secretId: string): Promise<string[] | undefined> {
    const versions = await this.#secrets.refresh(secretId);
    return versions ? this.#tokensOf(versions) : undefined;
  }

  readonly #authToken = derivedPerValue(
    (raw) => parseSecret('Twilio auth token', TwilioTokenSecret, raw).authToken,
  );

  #tokensOf(versions: SecretVersions): string[] {
    const current = this.#authToken(versions.current);
    if (!isTwilioAuthToken(current)) return [];
    const tokens = [current];
    const graceMs = versions.rotationUnfinished
      ? Math.max(this.#graceMs, UNFINISHED_ROTATION_MAX_MS)
      : this.#graceMs;
    if (previousWithinGrace(versions, graceMs, this.#clock.now())) {
      const previous = this.#authToken(versions.previous as string);
      if (isTwilioAuthToken(previous)) tokens.push(previous);
    }
    return tokens;
  }
}
