// Admin authentication (ARCHITECTURE §2, §5): X-Admin-Token against every holder's credential in the
// admin credentials secret, compared in constant time over SHA-256 digests (so neither length nor
// content leaks through timing, and every credential is compared whatever matched). The previous
// version is accepted only within a short grace after a rotation, measured from the creation of the
// current version; where that time is unknown the previous version is refused (fail closed).

import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdminRole } from '../shared/names.js';
import type { Clock, SecretVersions } from '../shared/ports.js';
import type { CachedSecretSource } from '../shared/secret-cache.js';
import {
  AdminCredentialsSecret,
  derivedPerValue,
  parseSecret,
  previousWithinGrace,
} from '../shared/secret-values.js';

/** Caller identity in the audit log when no token was presented. */
export const NO_CALLER = 'none';

/** Who is calling: the holder's id and the roles its credential carries (one, except a local ADMIN_TOKEN). */
export interface AdminCaller {
  readonly id: string;
  readonly roles: readonly AdminRole[];
}

export type AdminAuthResult =
  | {
      readonly valid: true;
      readonly fingerprint: string;
      readonly caller: AdminCaller;
      readonly version: 'current' | 'previous';
    }
  | { readonly valid: false; readonly fingerprint: string };

/** What the audit log stores for a token: 48 bits of its SHA-256, enough to tell tokens apart, useless to forge one. */
export function tokenFingerprint(token: string): string {
  return fingerprintOf(digest(token));
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
const fingerprintOf = (tokenDigest: Buffer): string => tokenDigest.toString('hex').slice(0, 12);

/** Anything that answers "whose token is this?" (the secret-backed verifier, a local credential list). */
export interface AdminTokens {
  verify(presented: string | undefined): Promise<AdminAuthResult>;
}

interface HeldDigest {
  readonly caller: AdminCaller;
  readonly digest: Buffer;
}

/** Compares against every digest (no early exit), so timing does not tell which holder, if any, matched. */
function matchDigest(held: readonly HeldDigest[], presented: Buffer): AdminCaller | undefined {
  let found: AdminCaller | undefined;
  for (const entry of held) {
    if (timingSafeEqual(entry.digest, presented) && found === undefined) found = entry.caller;
  }
  return found;
}

export interface AdminTokenVerifierOptions {
  /** How long after a rotation the previous version still works. */
  readonly previousGraceMs: number;
  readonly clock: Clock;
  /** Credentials that live outside the secret (the local ADMIN_TOKEN); never rotated. */
  readonly extra?: ReadonlyArray<{ readonly token: string; readonly caller: AdminCaller }>;
}

export class AdminTokenVerifier implements AdminTokens {
  readonly #secrets: CachedSecretSource;
  readonly #secretId: string;
  readonly #graceMs: number;
  readonly #clock: Clock;
  readonly #extra: readonly HeldDigest[];

  constructor(secrets: CachedSecretSource, secretId: string, options: AdminTokenVerifierOptions) {
    this.#secrets = secrets;
    this.#secretId = secretId;
    this.#graceMs = options.previousGraceMs;
    this.#clock = options.clock;
    this.#extra = (options.extra ?? []).map((e) => ({ caller: e.caller, digest: digest(e.token) }));
  }

  /** Throws only when the secret cannot be read (a fault: the caller answers 503). */
  async verify(presented: string | undefined): Promise<AdminAuthResult> {
    if (presented === undefined || presented.length === 0) return { valid: false, fingerprint: NO_CALLER };
    const presentedDigest = digest(presented);
    const fingerprint = fingerprintOf(presentedDigest);
    let found = this.#match(await this.#secrets.getVersions(this.#secretId), presentedDigest);
    if (found === undefined || found.version === 'previous') {
      // A miss may follow a rotation this instance has not seen yet; a previous-version hit is checked
      // against a fresh read too, so an emergency revocation (AWSPREVIOUS removed: npm run rotate --
      // --admin --revoke-previous) takes effect within the refresh interval, not the cache age. The
      // cache bounds how often this refetches; when it may not yet, the cached answer stands.
      const fresh = await this.#secrets.refresh(this.#secretId).catch(() => undefined);
      if (fresh) found = this.#match(fresh, presentedDigest);
    }
    return found === undefined
      ? { valid: false, fingerprint }
      : { valid: true, fingerprint, caller: found.caller, version: found.version };
  }

  /** The SHA-256 of each holder's token, computed once per secret value. */
  readonly #digests = derivedPerValue((raw): HeldDigest[] =>
    Object.entries(parseSecret('admin credentials', AdminCredentialsSecret, raw).credentials).map(
      ([id, credential]) => ({ caller: { id, roles: [credential.role] }, digest: digest(credential.token) }),
    ),
  );

  #match(
    versions: SecretVersions,
    presented: Buffer,
  ): { caller: AdminCaller; version: 'current' | 'previous' } | undefined {
    // Every comparison always runs, so the answer's timing does not tell which version matched.
    const current = matchDigest([...this.#digests(versions.current), ...this.#extra], presented);
    const previous =
      versions.previous === undefined ? undefined : matchDigest(this.#digests(versions.previous), presented);
    if (current) return { caller: current, version: 'current' };
    if (previous && previousWithinGrace(versions, this.#graceMs, this.#clock.now()))
      return { caller: previous, version: 'previous' };
    return undefined;
  }
}
