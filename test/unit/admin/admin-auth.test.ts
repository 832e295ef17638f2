import { describe, expect, it } from 'vitest';
import { AdminTokenVerifier, tokenFingerprint } from '../../../lambda/admin/admin-auth.js';
import { MemorySecretSource } from '../../../lambda/shared/adapters/local/memory-secret-source.js';
import { CachedSecretSource } from '../../../lambda/shared/secret-cache.js';
import { ManualClock } from '../../helpers/webhook-fixture.js';

const OLD = 'o'.repeat(43);
const NEW = 'n'.repeat(43);
const GRACE_MS = 15 * 60_000;
const secret = (token: string) => JSON.stringify({ token });

function setup() {
  const clock = new ManualClock();
  const source = new MemorySecretSource({ admin: secret(OLD) }, clock);
  const cache = new CachedSecretSource(source, { clock, maxAgeMs: 60_000, minRefreshIntervalMs: 10_000 });
  const verifier = new AdminTokenVerifier(cache, 'admin', { previousGraceMs: GRACE_MS, clock });
  return { clock, source, verifier };
}

describe('admin token verification', () => {
  it('accepts the current token and identifies the caller by a fingerprint, never the token', async () => {
    const { verifier } = setup();
    const result = await verifier.verify(OLD);
    // A secret in the single-token shape is one `operator` credential named `admin`: no access to subjects.
    expect(result).toEqual({
      valid: true,
      fingerprint: tokenFingerprint(OLD),
      caller: { id: 'admin', roles: ['operator'] },
      version: 'current',
    });
    expect(result.fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(OLD).not.toContain(result.fingerprint);
  });

  it('refuses a missing, empty, wrong or prefix token', async () => {
    const { verifier } = setup();
    expect(await verifier.verify(undefined)).toEqual({ valid: false, fingerprint: 'none' });
    expect(await verifier.verify('')).toEqual({ valid: false, fingerprint: 'none' });
    expect((await verifier.verify(NEW)).valid).toBe(false);
    expect((await verifier.verify(OLD.slice(0, 42))).valid).toBe(false);
    expect((await verifier.verify(`${OLD}x`)).valid).toBe(false);
  });

  it('sees a rotation at once: the new token is accepted even while the old value is cached', async () => {
    const { verifier, source, clock } = setup();
    await verifier.verify(OLD);
    clock.advance(11_000);
    source.rotate('admin', secret(NEW));
    expect(await verifier.verify(NEW)).toMatchObject({ valid: true, version: 'current' });
  });

  it('refuses the previous token within the refresh interval once AWSPREVIOUS is revoked, not after the cache age', async () => {
    const { verifier, source, clock } = setup();
    source.rotate('admin', secret(NEW));
    clock.advance(61_000); // the rotation is seen: current NEW, previous OLD cached
    expect(await verifier.verify(OLD)).toMatchObject({ valid: true, version: 'previous' });
    source.forgetPrevious('admin'); // npm run rotate -- --admin --revoke-previous
    clock.advance(10_000); // the least refresh interval; the 60 s cache is still warm
    expect((await verifier.verify(OLD)).valid).toBe(false);
    expect(await verifier.verify(NEW)).toMatchObject({ valid: true, version: 'current' });
  });

  it('accepts the previous token within the grace after a rotation, and not after it', async () => {
    const { verifier, source, clock } = setup();
    source.rotate('admin', secret(NEW));
    clock.advance(61_000); // past the cache age, so the rotation is seen
    expect(await verifier.verify(OLD)).toMatchObject({ valid: true, version: 'previous' });
    clock.advance(GRACE_MS);
    expect((await verifier.verify(OLD)).valid).toBe(false);
    expect((await verifier.verify(NEW)).valid).toBe(true);
  });

  it('fails closed: a previous token is refused when the current version has no known creation time', async () => {
    const clock = new ManualClock();
    const source = {
      getVersions: async () => ({ current: secret(NEW), previous: secret(OLD) }),
    };
    const verifier = new AdminTokenVerifier(new CachedSecretSource(source, { clock }), 'admin', {
      previousGraceMs: GRACE_MS,
      clock,
    });
    expect((await verifier.verify(OLD)).valid).toBe(false);
  });

  it('throws when the secret cannot be read, so the caller answers 503 rather than 401', async () => {
    const { verifier, source } = setup();
    source.failing = true;
    await expect(verifier.verify(OLD)).rejects.toThrow('secret source unavailable');
  });

  it('identifies each holder of a per-holder secret with its one role', async () => {
    const clock = new ManualClock();
    const tokens = { ana: 'a'.repeat(43), ben: 'b'.repeat(43), ops: 'c'.repeat(43) };
    const source = new MemorySecretSource(
      {
        admin: JSON.stringify({
          credentials: {
            ana: { token: tokens.ana, role: 'privacy' },
            ben: { token: tokens.ben, role: 'reader' },
            ops: { token: tokens.ops, role: 'operator' },
          },
        }),
      },
      clock,
    );
    const verifier = new AdminTokenVerifier(new CachedSecretSource(source, { clock }), 'admin', {
      previousGraceMs: GRACE_MS,
      clock,
      extra: [{ token: 'x'.repeat(43), caller: { id: 'local', roles: ['reader', 'privacy', 'operator'] } }],
    });
    expect(await verifier.verify(tokens.ana)).toMatchObject({
      valid: true,
      caller: { id: 'ana', roles: ['privacy'] },
    });
    expect(await verifier.verify(tokens.ben)).toMatchObject({
      valid: true,
      caller: { id: 'ben', roles: ['reader'] },
    });
    expect(await verifier.verify(tokens.ops)).toMatchObject({
      valid: true,
      caller: { id: 'ops', roles: ['operator'] },
    });
    expect(await verifier.verify('x'.repeat(43))).toMatchObject({
      valid: true,
      caller: { id: 'local', roles: ['reader', 'privacy', 'operator'] },
    });
    expect((await verifier.verify('d'.repeat(43))).valid).toBe(false);
  });

  it('refuses a secret whose holder has a role that does not exist', async () => {
    const clock = new ManualClock();
    const source = new MemorySecretSource(
      { admin: JSON.stringify({ credentials: { ana: { token: 'a'.repeat(43), role: 'admin' } } }) },
      clock,
    );
    const verifier = new AdminTokenVerifier(new CachedSecretSource(source, { clock }), 'admin', {
      previousGraceMs: GRACE_MS,
      clock,
    });
    await expect(verifier.verify('a'.repeat(43))).rejects.toThrow(
      'admin credentials secret does not have the expected fields',
    );
  });
});

describe('admin token verification, one secret per holder (AWS)', () => {
  const ANA = 'a'.repeat(43);
  const BEN = 'b'.repeat(43);
  const OPS = 'c'.repeat(43);
  function holders(values: Record<string, string> = {}) {
    const clock = new ManualClock();
    const source = new MemorySecretSource(
      {
        'sec/ana': secret(ANA),
        'sec/ben': secret(BEN),
        'sec/ops': secret(OPS),
        ...values,
      },
      clock,
    );
    const cache = new CachedSecretSource(source, { clock, maxAgeMs: 60_000, minRefreshIntervalMs: 10_000 });
    const verifier = new AdminTokenVerifier(
      cache,
      [
        { kind: 'holder', id: 'ana', role: 'privacy', secretId: 'sec/ana' },
        { kind: 'holder', id: 'ben', role: 'privacy', secretId: 'sec/ben' },
        { kind: 'holder', id: 'ops', role: 'operator', secretId: 'sec/ops' },
      ],
      { previousGraceMs: GRACE_MS, clock },
    );
    return { clock, source, verifier };
  }

  it("accepts each holder's token as that holder, with the configured role only", async () => {
    const { verifier } = holders();
    expect((await verifier.verify(ANA)) as unknown).toMatchObject({
      valid: true,
      caller: { id: 'ana', roles: ['privacy'] },
      version: 'current',
    });
    expect((await verifier.verify(BEN)) as unknown).toMatchObject({
      caller: { id: 'ben', roles: ['privacy'] },
    });
    expect((await verifier.verify(OPS)) as unknown).toMatchObject({
      caller: { id: 'ops', roles: ['operator'] },
    });
    expect((await verifier.verify('d'.repeat(43))).valid).toBe(false);
  });

  it("never takes a role from a holder's secret: one carrying a role is refused as malformed", async () => {
    const { verifier } = holders({ 'sec/ops': JSON.stringify({ token: OPS, role: 'privacy' }) });
    await expect(verifier.verify(OPS)).rejects.toThrow(
      'admin credential ops secret does not have the expected fields',
    );
  });

  it("accepts a holder's previous token within its own secret's grace only", async () => {
    const { verifier, source, clock } = holders();
    source.rotate('sec/ana', secret(NEW));
    clock.advance(61_000);
    expect((await verifier.verify(ANA)) as unknown).toMatchObject({
      valid: true,
      version: 'previous',
      caller: { id: 'ana' },
    });
    expect((await verifier.verify(NEW)) as unknown).toMatchObject({
      version: 'current',
      caller: { id: 'ana' },
    });
    clock.advance(GRACE_MS);
    expect((await verifier.verify(ANA)).valid).toBe(false);
    expect((await verifier.verify(BEN)) as unknown).toMatchObject({ valid: true, caller: { id: 'ben' } });
  });

  it("keeps the other holders working when one holder's secret is unreadable, and never answers 401 for it", async () => {
    const clock = new ManualClock();
    // No 'sec/ops' in the store: reading it fails as a deleted or denied secret does.
    const source = new MemorySecretSource({ 'sec/ana': secret(ANA), 'sec/ben': secret(BEN) }, clock);
    const cache = new CachedSecretSource(source, { clock, maxAgeMs: 60_000, minRefreshIntervalMs: 10_000 });
    const told: string[][] = [];
    const verifier = new AdminTokenVerifier(
      cache,
      [
        { kind: 'holder', id: 'ana', role: 'privacy', secretId: 'sec/ana' },
        { kind: 'holder', id: 'ben', role: 'privacy', secretId: 'sec/ben' },
        { kind: 'holder', id: 'ops', role: 'operator', secretId: 'sec/ops' },
      ],
      { previousGraceMs: GRACE_MS, clock, onUnreadable: (ids) => told.push([...ids]) },
    );
    expect((await verifier.verify(ANA)) as unknown).toMatchObject({ valid: true, caller: { id: 'ana' } });
    expect((await verifier.verify(BEN)) as unknown).toMatchObject({ valid: true, caller: { id: 'ben' } });
    expect(told[0]).toEqual(['ops']);
    // ops's own token (or any token matching no readable credential) may be ops's: a fault, not a 401.
    await expect(verifier.verify(OPS)).rejects.toThrow('admin credentials unreadable: ops (');
  });

  it("keeps the other holders working when one holder's current value is malformed", async () => {
    const { verifier } = holders({ 'sec/ops': JSON.stringify({ token: OPS, extra: 'x' }) });
    expect((await verifier.verify(ANA)) as unknown).toMatchObject({ valid: true, caller: { id: 'ana' } });
    await expect(verifier.verify(OPS)).rejects.toThrow(
      'admin credentials unreadable: ops (admin credential ops secret does not have the expected fields)',
    );
  });

  it('accepts a holder whose previous value is malformed: a bad value stops harming once replaced', async () => {
    const { verifier, source, clock } = holders({ 'sec/ops': 'not json' });
    source.rotate('sec/ops', secret(OPS));
    clock.advance(61_000);
    expect((await verifier.verify(OPS)) as unknown).toMatchObject({
      valid: true,
      version: 'current',
      caller: { id: 'ops', roles: ['operator'] },
    });
    expect((await verifier.verify('d'.repeat(43))).valid).toBe(false);
  });
});
