import { describe, expect, it } from 'vitest';
import { twilioTokenRotation } from '../../../lambda/rotate-twilio-token/twilio-token-rotation.js';
import { MetricName } from '../../../lambda/shared/names.js';
import { MIN_SECRET_REFRESH_MS } from '../../../lambda/shared/secret-cache.js';
import { ACCOUNT_SID } from '../../helpers/api-events.js';
import { FakeTwilioAccounts } from './fake-twilio-accounts.js';
import { rotationHarness, SECRET_ID } from './rotation-harness.js';

const secretFor = (authToken: string) => JSON.stringify({ accountSid: ACCOUNT_SID, authToken });
const tokenOf = (raw: string | undefined) => (JSON.parse(raw ?? '{}') as { authToken?: string }).authToken;

function setup() {
  const twilio = new FakeTwilioAccounts(ACCOUNT_SID);
  const oldToken = twilio.primary;
  const waits: { ms: number; currentAtWait: string | undefined; primaryAtWait: string }[] = [];
  const h = rotationHarness(
    twilioTokenRotation(twilio, {
      sleep: async (ms) => {
        waits.push({ ms, currentAtWait: tokenOf(await h.current()), primaryAtWait: twilio.primary });
      },
    }),
    secretFor(oldToken),
  );
  return { twilio, oldToken, waits, ...h };
}

describe('Twilio auth token rotation', () => {
  it('waits longer than the webhook refresh interval between moving AWSCURRENT and promoting at Twilio', async () => {
    const { twilio, oldToken, waits, ...h } = setup();
    await h.rotate();
    expect(waits).toHaveLength(1);
    expect(waits[0]?.ms).toBe(20_000);
    expect(waits[0]?.ms).toBeGreaterThan(MIN_SECRET_REFRESH_MS);
    // During the wait the new token is already current while Twilio still signs with the old one.
    expect(waits[0]?.currentAtWait).toBe(twilio.primary);
    expect(waits[0]?.primaryAtWait).toBe(oldToken);
  });

  it("promotes Twilio's secondary token and stores it as AWSCURRENT with the old token as AWSPREVIOUS", async () => {
    const { twilio, oldToken, ...h } = setup();
    await h.rotate();
    expect(tokenOf(await h.current())).toBe(twilio.primary);
    expect(twilio.primary).not.toBe(oldToken);
    expect(twilio.secondary).toBeUndefined();
    expect(tokenOf(await h.previous())).toBe(oldToken);
  });

  it('stores the secondary token as AWSPENDING in createSecret, authenticated with the current token', async () => {
    const { twilio, ...h } = setup();
    const version = h.store.startRotation(SECRET_ID);
    await h.step('createSecret', version);
    expect(tokenOf(await h.store.getValue(SECRET_ID, { versionId: version, stage: 'AWSPENDING' }))).toBe(
      twilio.secondary,
    );
  });

  it('mints no second secondary token when createSecret runs again', async () => {
    const { twilio, ...h } = setup();
    const version = h.store.startRotation(SECRET_ID);
    await h.step('createSecret', version);
    const minted = twilio.secondary;
    await h.step('createSecret', version);
    expect(twilio.secondary).toBe(minted);
    expect(twilio.calls.filter((c) => c === 'createSecondaryToken')).toHaveLength(1);
  });

  it('promotes nothing when testSecret fails: the old token stays current at Twilio and in the secret', async () => {
    const { twilio, oldToken, ...h } = setup();
    const version = h.store.startRotation(SECRET_ID);
    await h.step('createSecret', version);
    await h.step('setSecret', version);
    twilio.secondary = undefined; // revoked in the console between the steps
    await expect(h.step('testSecret', version)).rejects.toThrow(/does not authenticate/);
    expect(tokenOf(await h.current())).toBe(oldToken);
    expect(twilio.primary).toBe(oldToken);
    expect(twilio.calls).not.toContain('promoteSecondaryToken');
    expect(h.metric(MetricName.RotationFailures)).toBe(1);
  });

  it('moves AWSCURRENT before promoting at Twilio, and a finishSecret re-run after a crash between them converges', async () => {
    const { twilio, oldToken, ...h } = setup();
    const version = h.store.startRotation(SECRET_ID);
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) await h.step(step, version);
    const newToken = twilio.secondary as string;
    twilio.failNext = 'promoteSecondaryToken';
    await expect(h.step('finishSecret', version)).rejects.toThrow(/injected/);
    // Crashed in between: the webhook already knows the new token, Twilio still signs with the old (AWSPREVIOUS).
    expect(tokenOf(await h.current())).toBe(newToken);
    expect(tokenOf(await h.previous())).toBe(oldToken);
    expect(twilio.primary).toBe(oldToken);

    await h.step('finishSecret', version);
    expect(twilio.primary).toBe(newToken);
    await h.step('finishSecret', version);
    expect(twilio.calls.filter((c) => c === 'promoteSecondaryToken')).toHaveLength(1);
    expect(twilio.primary).toBe(newToken);
  });

  it('finishes an interrupted promotion at the start of the next rotation', async () => {
    const { twilio, ...h } = setup();
    const first = h.store.startRotation(SECRET_ID);
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) await h.step(step, first);
    const firstToken = twilio.secondary as string;
    twilio.failNext = 'promoteSecondaryToken';
    await expect(h.step('finishSecret', first)).rejects.toThrow('injected promoteSecondaryToken failure');
    // Secrets Manager gave up on that rotation; the next one starts with the label moved but Twilio unchanged.
    await h.rotate();
    expect(tokenOf(await h.previous())).toBe(firstToken);
    expect(tokenOf(await h.current())).toBe(twilio.primary);
    expect(twilio.primary).not.toBe(firstToken);
  });

  it('converges when createSecret crashes after Twilio minted the token but before it was stored', async () => {
    const { twilio, ...h } = setup();
    const version = h.store.startRotation(SECRET_ID);
    h.store.failNext('putPending');
    await expect(h.step('createSecret', version)).rejects.toThrow('injected putPending failure');
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const)
      await h.step(step, version);
    expect(tokenOf(await h.current())).toBe(twilio.primary);
  });

  it('refuses to promote when AWSCURRENT is neither the primary nor the secondary token at Twilio', async () => {
    const { twilio, ...h } = setup();
    twilio.primary = 'rotated-by-hand-in-the-console';
    const version = h.store.startRotation(SECRET_ID);
    await expect(h.step('createSecret', version)).rejects.toThrow(/neither primary nor secondary/);
    expect(twilio.calls).not.toContain('promoteSecondaryToken');
  });

  it('never writes a token into its logs', async () => {
    const { twilio, oldToken, ...h } = setup();
    twilio.failNext = 'promoteSecondaryToken';
    const version = h.store.startRotation(SECRET_ID);
    for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) await h.step(step, version);
    await expect(h.step('finishSecret', version)).rejects.toThrow('injected promoteSecondaryToken failure');
    await h.step('finishSecret', version);
    const output = [...h.logs, ...h.emf].join('\n');
    expect(output).not.toContain(oldToken);
    expect(output).not.toContain(twilio.primary);
  });
});
