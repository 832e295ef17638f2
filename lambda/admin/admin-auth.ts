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
  /** Told which holders' secrets could not be read or parsed (their holders cannot log in until fixed). */
  readonly onUnreadable?: (holderIds: readonly string[]) => void;
}

export class AdminTokenVerifier implements AdminTokens {
  readonly #secrets: CachedSecretSource;
  readonly #sources: readonly AdminCredentialSource[];
  readonly #graceMs: number;
  readonly #clock: Clock;
  readonly #extra: readonly HeldDigest[];
  readonly #onUnreadable: ((holderIds: readonly string[]) => void) | undefined;

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
    this.#onUnreadable = options.onUnreadable;
  }

  /**
   * Each holder's secret is read and parsed on its own: one unreadable or malformed secret (deleted, denied,
   * a hand-edited value) costs that holder only. A token that matches no readable credential while some
   * secret is unreadable may be that holder's: that is a fault (throws, the caller answers 503), never a 401.
   */
  async verify(presented: string | undefined): Promise<AdminAuthResult> {
    if (presented === undefined || presented.length === 0) return { valid: false, fingerprint: NO_CALLER };
    const presentedDigest = digest(presented);
    const fingerprint = fingerprintOf(presentedDigest);
    const read = (id: string) => this.#secrets.getVersions(id);
    let held = await this.#heldAll((s) => read(s.secretId));
    let found = this.#match(held, presentedDigest);
    if (found === undefined || found.version === 'previous') {
      // A miss may follow a rotation this instance has not seen yet; a previous-version hit is checked
      // against a fresh read too, so an emergency revocation (AWSPREVIOUS removed: npm run rotate --
      // --admin --revoke-previous) takes effect within the refresh interval, not the cache age. The
      // cache bounds how often this refetches; when it may not yet, the cached answer stands.
      held = await this.#heldAll(
        async (s) => (await this.#secrets.refresh(s.secretId).catch(() => undefined)) ?? read(s.secretId),
      );
      found = this.#match(held, presentedDigest);
    }
    const unreadable = held.flatMap((h, i) =>
      'unreadable' in h ? [{ id: sourceLabel(this.#sources[i]), reason: h.unreadable }] : [],
    );
    if (unreadable.length > 0) this.#onUnreadable?.(unreadable.map((u) => u.id));
    if (found === undefined && unreadable.length > 0) {
      throw new Error(
        `admin credentials unreadable: ${unreadable.map((u) => `${u.id} (${u.reason})`).join(', ')}`,
      );
    }
    return found === undefined
      ? { valid: false, fingerprint }
      : { valid: true, fingerprint, caller: found.caller, version: found.version };
  }

  /** Per source, the SHA-256 of each of its holders' tokens, computed once per secret value. */
  readonly #digests: ReadonlyArray<(raw: string) => HeldDigest[]>;

  /**
   * Every source's held digests: the current version's, and the previous version's when within the grace
   * of that secret's own rotation (`undefined` outside it). A source whose secret cannot be read, or whose
   * current value does not parse, is Unreadable; a previous value that does not parse holds no credential.
   */
  async #heldAll(
    versionsOf: (source: AdminCredentialSource) => Promise<SecretVersions>,
  ): Promise<ReadonlyArray<Held | Unreadable>> {
    const now = this.#clock.now();
    const settled = await Promise.allSettled(this.#sources.map(versionsOf));
    return settled.map((result, i) => {
      if (result.status === 'rejected') return { unreadable: reasonOf(result.reason) };
      const v = result.value;
      const digestsOf = this.#digests[i] as (raw: string) => HeldDigest[];
      let current: HeldDigest[];
      try {
        current = digestsOf(v.current);
      } catch (error) {
        return { unreadable: reasonOf(error) };
      }
      let previous: HeldDigest[] = [];
      if (v.previous !== undefined) {
        try {
          previous = digestsOf(v.previous);
        } catch {
          previous = [];
        }
      }
      return {
        current,
        previous: previousWithinGrace(v, this.#graceMs, now) ? previous : undefined,
        expired: previous,
      };
    });
  }

  /**
   * Every held digest is compared (no early exit), so timing tells neither which holder nor which version
   * matched; previous versions past their grace are compared too and ignored. A current match wins.
   */
  #match(
    held: ReadonlyArray<Held | Unreadable>,
    presented: Buffer,
  ): { caller: AdminCaller; version: 'current' | 'previous' } | undefined {
    const current: HeldDigest[] = [...this.#extra];
    const previous: HeldDigest[] = [];
    for (const h of held) {
      if ('unreadable' in h) continue;
      current.push(...h.current);
      if (h.previous !== undefined) previous.push(...h.previous);
      else matchDigest(h.expired, presented); // compared all the same: timing does not tell the grace apart
    }
    const currentHit = matchDigest(current, presented);
    const previousHit = matchDigest(previous, presented);
    if (currentHit) return { caller: currentHit, version: 'current' };
    if (previousHit) return { caller: previousHit, version: 'previous' };
    return undefined;
  }
}

/** One source's digests: the current version's, the previous version's within its grace, and past it. */
interface Held {
  readonly current: readonly HeldDigest[];
  readonly previous: readonly HeldDigest[] | undefined;
  readonly expired: readonly HeldDigest[];
}

/** A source whose secret could not be read or whose current value does not parse, and why. */
interface Unreadable {
  readonly unreadable: string;
}

/** An error's message (the secret source and parseSecret never put a secret's value in one). */
const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** How a source is named in a log line or error: the holder id (never the secret's value). */
function sourceLabel(source: AdminCredentialSource | undefined): string {
  if (source === undefined) return 'unknown';
  return source.kind === 'holder' ? source.id : 'admin credentials';
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
