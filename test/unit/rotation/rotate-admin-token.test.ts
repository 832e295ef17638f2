import { describe, expect, it } from 'vitest';
import { adminTokenRotation } from '../../../lambda/rotate-admin-token/admin-token-rotation.js';
import { MetricName } from '../../../lambda/shared/names.js';
import { rotationHarness, SECRET_ID } from './rotation-harness.js';

const initial = JSON.stringify({ token: 'a'.repeat(43) });
type Stored = { token?: string; credentials?: Record<string, { token: string; role: string }> };
/** The token of the `admin` holder: a single-token secret becomes that one `operator` holder when rotated. */
const tokenOf = (raw: string | undefined) => {
  const stored = JSON.parse(raw ?? '{}') as Stored;
  return stored.credentials ? stored.credentials.admin?.token : stored.token;
};

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

  it('rotates every holder of a per-holder secret, keeping each id and role', async () => {
    const holders = {
      credentials: {
        ana: { token: 'a'.repeat(43), role: 'privacy' },
        ben: { token: 'b'.repeat(43), role: 'privacy' },
        ops: { token: 'c'.repeat(43), role: 'operator' },
      },
    };
    const h = rotationHarness(adminTokenRotation(), JSON.stringify(holders));
    await h.rotate();
    const rotated = JSON.parse((await h.current()) as string) as Required<Stored>;
    expect(Object.keys(rotated.credentials).sort()).toEqual(['ana', 'ben', 'ops']);
    expect(rotated.credentials.ana?.role).toBe('privacy');
    expect(rotated.credentials.ops?.role).toBe('operator');
    const tokens = Object.values(rotated.credentials).map((c) => c.token);
    expect(new Set(tokens).size).toBe(3);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const old of ['a', 'b', 'c']) expect(tokens).not.toContain(old.repeat(43));
  });

  it('reads a single-token secret as one operator holder named admin', async () => {
    const h = rotationHarness(adminTokenRotation(), initial);
    await h.rotate();
    const rotated = JSON.parse((await h.current()) as string) as Required<Stored>;
    expect(Object.keys(rotated.credentials)).toEqual(['admin']);
    expect(rotated.credentials.admin?.role).toBe('operator');
  });
});
