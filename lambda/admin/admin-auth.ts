// Admin authentication (ARCHITECTURE §2, §5): X-Admin-Token against every holder's credential (in AWS one
// secret per holder, its role from configuration; locally one secret listing every holder), compared in constant time over SHA-256 digests (so neither length nor
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
  HolderTokenSecret,
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

/**
 * Where credentials live: one holder's own secret (`{"token":…}`, AWS), whose role is configuration and
 * never read from the secret; or one secret listing every holder with its role (the local stack).
 */
export type AdminCredentialSource =
  | { readonly kind: 'holder'; readonly secretId: string; readonly id: string; readonly role: AdminRole }
  | { readonly kind: 'credentials'; readonly secretId: string };

export interface AdminTokenVerifierOptions {
  /** How long after a rotation the previous version still works. */
  readonly previousGraceMs: number;
  readonly clock: Clock;
  /** Credentials that live outside the secret (the local ADMIN_TOKEN); never rotated. */
  readonly extra?: ReadonlyArray<{ readonly token: string; readonly caller: AdminCaller }>;
}

export class AdminTokenVerifier implements AdminTokens {
  readonly #secrets: CachedSecretSource;
  readonly #sources: readonly AdminCredentialSource[];
  readonly #graceMs: number;
  readonly #clock: Clock;
  readonly #extra: readonly HeldDigest[];

  /** @param sources the holders' secrets; a string is one secret listing every holder (the local stack). */
  constructor(
    secrets: CachedSecretSource,
    sources: string | readonly AdminCredentialSource[],
    options: AdminTokenVerifierOptions,
  ) {
    this.#secrets = secrets;
    this.#sources = typeof sources === 'string' ? [{ kind: 'credentials', secretId: sources }] : sources;
    // Every source is built and read per holder (verify): no source, no credential; never a bypass.
    this.#digests = this.#sources.map((source) => digestsOf(source));
    this.#graceMs = options.previousGraceMs;
    this.#clock = options.clock;
    this.#extra = (options.extra ?? []).map((e) => ({ caller: e.caller, digest: digest(e.token) }));
  }

  /** Throws only when the secret cannot be read (a fault: the caller answers 503). */
  async verify(presented: string | undefined): Promise<AdminAuthResult> {
    if (presented === undefined || presented.length === 0) return { valid: false, fingerprint: NO_CALLER };
    const presentedDigest = digest(presented);
    const fingerprint = fingerprintOf(presentedDigest);
    const read = (id: string) => this.#secrets.getVersions(id);
    let found = this.#matchAll(
      await Promise.all(this.#sources.map((s) => read(s.secretId))),
      presentedDigest,
    );
    if (found === undefined || found.version === 'previous') {
      // A miss may follow a rotation this instance has not seen yet; a previous-version hit is checked
      // against a fresh read too, so an emergency revocation (AWSPREVIOUS removed: npm run rotate --
      // --admin --revoke-previous) takes effect within the refresh interval, not the cache age. The
      // cache bounds how often this refetches; when it may not yet, the cached answer stands.
      const fresh = await Promise.all(
        this.#sources.map(
          async (s) => (await this.#secrets.refresh(s.secretId).catch(() => undefined)) ?? read(s.secretId),
        ),
      );
      found = this.#matchAll(fresh, presentedDigest);
    }
    return found === undefined
      ? { valid: false, fingerprint }
      : { valid: true, fingerprint, caller: found.caller, version: found.version };
  }

  /** Per source, the SHA-256 of each of its holders' tokens, computed once per secret value. */
  readonly #digests: ReadonlyArray<(raw: string) => HeldDigest[]>;

  /**
   * Every source's current and previous versions are compared (no early exit), so timing tells neither
   * which holder nor which version matched. A previous version counts only within the grace of its own
   * secret's rotation; a current match wins over a previous one.
   */
  #matchAll(
    versions: readonly SecretVersions[],
    presented: Buffer,
  ): { caller: AdminCaller; version: 'current' | 'previous' } | undefined {
    const now = this.#clock.now();
    const current: HeldDigest[] = [...this.#extra];
    const previous: HeldDigest[] = [];
    versions.forEach((v, i) => {
      const digestsOf = this.#digests[i] as (raw: string) => HeldDigest[];
      current.push(...digestsOf(v.current));
      if (v.previous === undefined) return;
      const held = digestsOf(v.previous);
      if (previousWithinGrace(v, this.#graceMs, now)) previous.push(...held);
      else matchDigest(held, presented); // compared all the same: timing does not tell the grace apart
    });
    const currentHit = matchDigest(current, presented);
    const previousHit = matchDigest(previous, presented);
    if (currentHit) return { caller: currentHit, version: 'current' };
    if (previousHit) return { caller: previousHit, version: 'previous' };
    return undefined;
  }
}

/** How one source's secret value turns into held digests: the role of a holder secret is the configured one. */
function digestsOf(source: AdminCredentialSource): (raw: string) => HeldDigest[] {
  if (source.kind === 'holder') {
    const caller: AdminCaller = { id: source.id, roles: [source.role] };
    return derivedPerValue((raw) => [
      { caller, digest: digest(parseSecret(`admin credential ${source.id}`, HolderTokenSecret, raw).token) },
    ]);
  }
  return derivedPerValue((raw): HeldDigest[] =>
    Object.entries(parseSecret('admin credentials', AdminCredentialsSecret, raw).credentials).map(
      ([id, credential]) => ({ caller: { id, roles: [credential.role] }, digest: digest(credential.token) }),
    ),
  );
}
