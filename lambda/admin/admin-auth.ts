// Admin authentication (ARCHITECTURE §2, §5): X-Admin-Token against the admin token secret, compared
// in constant time over SHA-256 digests (so neither length nor content leaks through timing). The
// previous token is accepted only within a short grace after a rotation, measured from the creation
// of the current version; where that time is unknown the previous token is refused (fail closed).

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock, SecretVersions } from '../shared/ports.js';
import type { CachedSecretSource } from '../shared/secret-cache.js';
import {
  AdminTokenSecret,
  derivedPerValue,
  parseSecret,
  previousWithinGrace,
} from '../shared/secret-values.js';

/** Caller identity in the audit log when no token was presented. */
export const NO_CALLER = 'none';

export type AdminAuthResult =
  | { readonly valid: true; readonly fingerprint: string; readonly version: 'current' | 'previous' }
  | { readonly valid: false; readonly fingerprint: string };

/** What the audit log stores for a token: 48 bits of its SHA-256, enough to tell tokens apart, useless to forge one. */
export function tokenFingerprint(token: string): string {
  return fingerprintOf(digest(token));
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
const fingerprintOf = (tokenDigest: Buffer): string => tokenDigest.toString('hex').slice(0, 12);

export interface AdminTokenVerifierOptions {
  /** How long after a rotation the previous token still works. */
  readonly previousGraceMs: number;
  readonly clock: Clock;
}

export class AdminTokenVerifier {
  readonly #secrets: CachedSecretSource;
  readonly #secretId: string;
  readonly #graceMs: number;
  readonly #clock: Clock;

  constructor(secrets: CachedSecretSource, secretId: string, options: AdminTokenVerifierOptions) {
    this.#secrets = secrets;
    this.#secretId = secretId;
    this.#graceMs = options.previousGraceMs;
    this.#clock = options.clock;
  }

  /** Throws only when the secret cannot be read (a fault: the caller answers 503). */
  async verify(presented: string | undefined): Promise<AdminAuthResult> {
    if (presented === undefined || presented.length === 0) return { valid: false, fingerprint: NO_CALLER };
    const presentedDigest = digest(presented);
    const fingerprint = fingerprintOf(presentedDigest);
    let version = this.#match(await this.#secrets.getVersions(this.#secretId), presentedDigest);
    if (version === undefined) {
      // A miss may follow a rotation this instance has not seen yet; the cache bounds how often this refetches.
      const fresh = await this.#secrets.refresh(this.#secretId).catch(() => undefined);
      if (fresh) version = this.#match(fresh, presentedDigest);
    }
    return version === undefined ? { valid: false, fingerprint } : { valid: true, fingerprint, version };
  }

  /** The SHA-256 of each admin token value, computed once per value. */
  readonly #tokenDigest = derivedPerValue((raw) =>
    digest(parseSecret('admin token', AdminTokenSecret, raw).token),
  );

  #match(versions: SecretVersions, presented: Buffer): 'current' | 'previous' | undefined {
    // Both comparisons always run, so the answer's timing does not tell which version matched.
    const isCurrent = timingSafeEqual(this.#tokenDigest(versions.current), presented);
    const isPrevious =
      versions.previous !== undefined && timingSafeEqual(this.#tokenDigest(versions.previous), presented);
    if (isCurrent) return 'current';
    if (isPrevious && previousWithinGrace(versions, this.#graceMs, this.#clock.now())) return 'previous';
    return undefined;
  }
}
