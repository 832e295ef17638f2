import { describe, expect, it } from 'vitest';
import { adminTokenRotation } from '../../../lambda/rotate-admin-token/admin-token-rotation.js';
import { MetricName } from '../../../lambda/shared/names.js';
import { ManualClock } from '../../helpers/webhook-fixture.js';
import { rotationHarness, SECRET_ID } from './rotation-harness.js';

const initial = JSON.stringify({ token: 'a'.repeat(43) });
/** The token of one holder's secret, `{"token":…}`. */
const tokenOf = (raw: string | undefined) => (JSON.parse(raw ?? '{}') as { token?: string }).token;

describe('admin token rotation', () => {
  it('promotes a new 32-byte base64url token and keeps the old one as AWSPREVIOUS', async () => {
    const h = rotationHarness(adminTokenRotation(), initial);
    await h.rotate();
    const token = tokenOf(await h.current());
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token as string, 'base64url')).toHaveLength(32);
    expect(await h.previous()).toBe(initial);
    expect(h.metric(MetricName.RotationFailures)).toBe(0);
  });

  it('keeps the pending token of a re-run createSecret instead of minting another', async () => {
    const h = rotationHarness(adminTokenRotation(), initial);
    const version = h.store.startRotation(SECRET_ID);
    await h.step('createSecret', version);
    const first = await h.store.getValue(SECRET_ID, { versionId: version });
    await h.step('createSecret', version);
    expect(await h.store.getValue(SECRET_ID, { versionId: version })).toBe(first);
  });

  it('changes nothing when any step is re-run after finishSecret', async () => {
    const h = rotationHarness(adminTokenRotation(), initial);
    const version = await h.rotate();
    const [current, previous] = [await h.current(), await h.previous()];
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const)
      await h.step(step, version);
    expect([await h.current(), await h.previous()]).toEqual([current, previous]);
  });

  it('fails testSecret on a malformed pending token, promotes nothing and counts RotationFailures', async () => {
    const h = rotationHarness(
      adminTokenRotation(() => '+'.repeat(43)),
      initial,
    );
    const version = h.store.startRotation(SECRET_ID);
    await h.step('createSecret', version);
    await h.step('setSecret', version);
    await expect(h.step('testSecret', version)).rejects.toThrow(/base64url/);
    expect(await h.current()).toBe(initial);
    expect(h.metric(MetricName.RotationFailures)).toBe(1);
    expect(h.logs.some((l) => l.includes('rotation.failed'))).toBe(true);
  });

  it('leaves the old token current when finishSecret crashes before moving the label, and the retry promotes', async () => {
    const h = rotationHarness(adminTokenRotation(), initial);
    const version = h.store.startRotation(SECRET_ID);
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) await h.step(step, version);
    h.store.failNext('promote');
    await expect(h.step('finishSecret', version)).rejects.toThrow('injected promote failure');
    expect(await h.current()).toBe(initial);
    await h.step('finishSecret', version);
    expect(await h.previous()).toBe(initial);
    expect(tokenOf(await h.current())).not.toBe(tokenOf(initial));
  });

  it('blocks the next RotateSecret while an unfinished rotation holds AWSPENDING off AWSCURRENT, as AWS does', async () => {
    const h = rotationHarness(adminTokenRotation(), initial);
    const version = h.store.startRotation(SECRET_ID);
    await h.step('createSecret', version);
    expect(() => h.store.startRotation(SECRET_ID)).toThrow("A previous rotation isn't complete");
    await h.step('setSecret', version);
    await h.step('testSecret', version);
    await h.step('finishSecret', version);
    // Finished: AWSPENDING is gone (or would sit on AWSCURRENT), so a new rotation may start.
    expect(h.store.stagesOf(SECRET_ID, version)).toEqual(['AWSCURRENT']);
    expect(h.store.startRotation(SECRET_ID)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a version that is not staged AWSPENDING and a secret whose rotation is disabled', async () => {
    const h = rotationHarness(adminTokenRotation(), initial);
    await expect(h.step('createSecret', 'not-a-version')).rejects.toThrow(/not a version/);
    const version = h.store.startRotation(SECRET_ID);
    h.store.setRotationEnabled(SECRET_ID, false);
    await expect(h.step('createSecret', version)).rejects.toThrow(/not enabled/);
    expect(h.metric(MetricName.RotationFailures)).toBe(2);
  });

  it('rejects an event that is not a rotation event', async () => {
    const h = rotationHarness(adminTokenRotation(), initial);
    await expect(h.handler({ Step: 'dropTables', SecretId: SECRET_ID })).rejects.toThrow(/rotation event/);
  });

  it('never writes a token into its logs', async () => {
    const h = rotationHarness(adminTokenRotation(), initial);
    await h.rotate();
    const token = tokenOf(await h.current()) as string;
    const output = [...h.logs, ...h.emf].join('\n');
    expect(output).not.toContain(token);
    expect(output).not.toContain(tokenOf(initial));
  });

  it("keeps a holder's secret in the single-token shape: the new token and no role", async () => {
    const h = rotationHarness(adminTokenRotation(), initial);
    await h.rotate();
    const rotated = JSON.parse((await h.current()) as string) as Record<string, unknown>;
    expect(Object.keys(rotated)).toEqual(['token']);
    expect(rotated.token).not.toBe('a'.repeat(43));
  });

  it('refuses to rotate a secret that carries a role (the role is configuration), promoting nothing', async () => {
    const withRole = JSON.stringify({ token: 'a'.repeat(43), role: 'operator' });
    const h = rotationHarness(adminTokenRotation(), withRole);
    const version = h.store.startRotation(SECRET_ID);
    await expect(h.step('createSecret', version)).rejects.toThrow(
      'current admin credential secret does not have the expected fields',
    );
    expect(await h.current()).toBe(withRole);
    expect(h.metric(MetricName.RotationFailures)).toBe(1);
  });

  it('refuses to promote a pending version older than the bound: the old token stays current, AWSPENDING is cleared', async () => {
    const clock = new ManualClock();
    const h = rotationHarness(adminTokenRotation(), initial, clock, { maxPendingAgeMs: 220_000 });
    const version = h.store.startRotation(SECRET_ID);
    await h.step('createSecret', version);
    await h.step('setSecret', version);
    await h.step('testSecret', version);
    // Secrets Manager retrying a failed rotation reuses this version: its CreatedDate stays createSecret's.
    clock.advance(221_000);
    await expect(h.step('finishSecret', version)).rejects.toThrow(
      'the pending version was created 221 s ago, more than 220 s',
    );
    expect(await h.current()).toBe(initial);
    expect(h.store.stagesOf(SECRET_ID, version)).toEqual([]);
    expect(h.metric(MetricName.RotationFailures)).toBe(1);
    // The next rotation starts clean and promotes.
    clock.advance(1_000);
    await h.rotate();
    expect(tokenOf(await h.current())).not.toBe(tokenOf(initial));
    expect(await h.previous()).toBe(initial);
  });

  it('promotes a pending version within the bound and leaves no AWSPENDING once finished', async () => {
    const clock = new ManualClock();
    const h = rotationHarness(adminTokenRotation(), initial, clock, { maxPendingAgeMs: 220_000 });
    const version = h.store.startRotation(SECRET_ID);
    await h.step('createSecret', version);
    clock.advance(220_000);
    await h.step('setSecret', version);
    await h.step('testSecret', version);
    await h.step('finishSecret', version);
    expect(h.store.stagesOf(SECRET_ID, version)).toEqual(['AWSCURRENT']);
    expect(await h.previous()).toBe(initial);
  });
});
