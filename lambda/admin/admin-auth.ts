// Admin authentication (ARCHITECTURE §2, §5): X-Admin-Token against the admin token secret, compared
// in constant time over SHA-256 digests (so neither length nor content leaks through timing). The
// previous token is accepted only within a short grace after a rotation, measured from the creation
// of the current version; where that time is unknown the previous token is refused (fail closed).

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock, SecretVersions } from '../shared/ports.js';
import type { CachedSecretSource } from '../shared/secret-cache.js';
import { AdminTokenSecret, parseSecret } from '../shared/secret-values.js';

/** Caller identity in the audit log when no token was presented. */
export const NO_CALLER = 'none';

export type AdminAuthResult =
  | { readonly valid: true; readonly fingerprint: string; readonly version: 'current' | 'previous' }
  | { readonly valid: false; readonly fingerprint: string };

/** What the audit log stores for a token: 48 bits of its SHA-256, enough to tell tokens apart, useless to forge one. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 12);
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

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
    const fingerprint = tokenFingerprint(presented);
    const presentedDigest = digest(presented);
    let version = this.#match(await this.#secrets.getVersions(this.#secretId), presentedDigest);
    if (version === undefined) {
      // A miss may follow a rotation this instance has not seen yet; the cache bounds how often this refetches.
      const fresh = await this.#secrets.refresh(this.#secretId).catch(() => undefined);
      if (fresh) version = this.#match(fresh, presentedDigest);
    }
    return version === undefined ? { valid: false, fingerprint } : { valid: true, fingerprint, version };
  }

  #match(versions: SecretVersions, presented: Buffer): 'current' | 'previous' | undefined {
    const current = parseSecret('admin token', AdminTokenSecret, versions.current).token;
    // Both comparisons always run, so the answer's timing does not tell which version matched.
    const isCurrent = timingSafeEqual(digest(current), presented);
    let isPrevious = false;
    if (versions.previous !== undefined) {
      const previous = parseSecret('previous admin token', AdminTokenSecret, versions.previous).token;
      isPrevious = timingSafeEqual(digest(previous), presented);
    }
    if (isCurrent) return 'current';
    if (isPrevious && this.#withinGrace(versions.currentCreatedAt)) return 'previous';
    return undefined;
  }

  #withinGrace(currentCreatedAt: number | undefined): boolean {
    return currentCreatedAt !== undefined && this.#clock.now() - currentCreatedAt <= this.#graceMs;
  }
}
