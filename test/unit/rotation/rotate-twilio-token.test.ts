import { describe, expect, it } from 'vitest';
import { twilioTokenRotation } from '../../../lambda/rotate-twilio-token/twilio-token-rotation.js';
import { MetricName } from '../../../lambda/shared/names.js';
import { MIN_SECRET_REFRESH_MS } from '../../../lambda/shared/secret-cache.js';
import { ACCOUNT_SID } from '../../helpers/api-events.js';
import { FakeTwilioAccounts } from './fake-twilio-accounts.js';
import { rotationHarness, SECRET_ID } from './rotation-harness.js';

const secretFor = (authToken: string) => JSON.stringify({ accountSid: ACCOUNT_SID, authToken });
const tokenOf = (raw: string | undefined) => (JSON.parse(raw ?? '{}') as { authToken?: string }).authToken;

/** Starts a rotation and runs the three steps before finishSecret; returns the version. */
async function upToFinish(h: ReturnType<typeof rotationHarness>): Promise<string> {
  const version = h.store.startRotation(SECRET_ID);
  for (const step of ['createSecret', 'setSecret', 'testSecret'] as const) await h.step(step, version);
  return version;
}

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

  it('moves AWSCURRENT before promoting at Twilio, and a finishSecret re-run after Twilio was unreachable converges', async () => {
    const { twilio, oldToken, ...h } = setup();
    const version = await upToFinish(h);
    const newToken = twilio.secondary as string;
    twilio.outage = true;
    await expect(h.step('finishSecret', version)).rejects.toThrow(/Twilio unreachable/);
    // Where Twilio stands is unknown: the label stays moved (the webhook already knows the new token, and the
    // old one as AWSPREVIOUS within the grace), and AWSPENDING stays for Secrets Manager's retry.
    expect(tokenOf(await h.current())).toBe(newToken);
    expect(tokenOf(await h.previous())).toBe(oldToken);
    expect(h.store.stagesOf(SECRET_ID, version)).toEqual(['AWSPENDING', 'AWSCURRENT']);
    expect(twilio.primary).toBe(oldToken);

    twilio.outage = false;
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
    twilio.outage = true;
    await expect(h.step('finishSecret', first)).rejects.toThrow(/Twilio unreachable/);
    twilio.outage = false;
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

  it('moves AWSCURRENT back and deletes the secondary when Twilio refused (4xx) the first promotion attempt', async () => {
    const { twilio, oldToken, ...h } = setup();
    const version = await upToFinish(h);
    const refused = twilio.secondary as string;
    twilio.refuseNext = 'promoteSecondaryToken';
    const callsBefore = twilio.calls.length;
    await expect(h.step('finishSecret', version)).rejects.toThrow(
      'Twilio refused to promote the new auth token and still signs with the previous one (Twilio refused promoteSecondaryToken with HTTP 400); AWSCURRENT moved back to the previous version; its secondary token at Twilio was deleted: nothing was rotated, rotate again',
    );
    // The longest finishSecret: isPrimary, authenticates, promote, isPrimary, authenticates, delete. Six calls
    // of at most 5 s each are what the function's 60 s timeout is sized for (lib/config/rotation-timings.ts).
    expect(twilio.calls.slice(callsBefore)).toEqual([
      'isPrimary',
      'authenticates',
      'promoteSecondaryToken',
      'isPrimary',
      'authenticates',
      'deleteSecondaryToken',
    ]);
    // The secret says what Twilio does: the old token current (no grace to run out), the refused one
    // previous (outside the grace, which counts from the old version's creation), no AWSPENDING left;
    // Twilio holds no secondary token any more.
    expect(twilio.primary).toBe(oldToken);
    expect(twilio.secondary).toBeUndefined();
    expect(tokenOf(await h.current())).toBe(oldToken);
    expect(tokenOf(await h.previous())).toBe(refused);
    expect(h.store.stagesOf(SECRET_ID, version)).toEqual(['AWSPREVIOUS']);
    expect(h.metric(MetricName.RotationFailures)).toBe(1);
    // Secrets Manager's retry of that rotation finds its version no longer pending and changes nothing.
    await expect(h.step('finishSecret', version)).rejects.toThrow('not staged AWSPENDING');
    expect(tokenOf(await h.current())).toBe(oldToken);
    // The next rotation starts clean and promotes.
    await h.rotate();
    expect(tokenOf(await h.current())).toBe(twilio.primary);
    expect(tokenOf(await h.previous())).toBe(oldToken);
    expect(twilio.primary).not.toBe(oldToken);
  });

  it('rolls back the labels before touching Twilio: a rollback cut short never promotes that version again', async () => {
    const { twilio, oldToken, ...h } = setup();
    const version = await upToFinish(h);
    const refused = twilio.secondary as string;
    // Refused; the labels move back, then the function stops before AWSPENDING is cleared.
    twilio.refuseNext = 'promoteSecondaryToken';
    h.store.failNext('clearPending');
    await expect(h.step('finishSecret', version)).rejects.toThrow('injected clearPending failure');
    expect(tokenOf(await h.current())).toBe(oldToken);
    expect(h.store.stagesOf(SECRET_ID, version)).toEqual(['AWSPENDING', 'AWSPREVIOUS']);
    expect(twilio.secondary).toBe(refused); // not deleted before the labels were safe
    // Secrets Manager's retry: the version was current once and moved back, so it is not promoted again.
    await expect(h.step('finishSecret', version)).rejects.toThrow('rolled back earlier: rotate again');
    expect(tokenOf(await h.current())).toBe(oldToken);
    expect(h.store.stagesOf(SECRET_ID, version)).toEqual(['AWSPREVIOUS']);
    expect(twilio.calls).not.toContain('deleteSecondaryToken');
    expect(twilio.primary).toBe(oldToken);
  });

  it('leaves both labels and the secondary when the rollback itself fails (outcome as unknown)', async () => {
    const { twilio, oldToken, ...h } = setup();
    const version = await upToFinish(h);
    const newToken = twilio.secondary as string;
    twilio.refuseNext = 'promoteSecondaryToken';
    // The label move succeeds; moving it back fails.
    const promote = h.store.promote.bind(h.store);
    let moves = 0;
    h.store.promote = async (...args) => {
      moves += 1;
      if (moves === 2) throw new Error('ThrottlingException');
      return promote(...args);
    };
    await expect(h.step('finishSecret', version)).rejects.toThrow('ThrottlingException');
    expect(tokenOf(await h.current())).toBe(newToken);
    expect(h.store.stagesOf(SECRET_ID, version)).toEqual(['AWSPENDING', 'AWSCURRENT']);
    expect(twilio.secondary).toBe(newToken); // still promotable: the retry tries again
    await h.step('finishSecret', version);
    expect(twilio.primary).toBe(newToken);
    expect(tokenOf(await h.previous())).toBe(oldToken);
  });

  it('leaves the label and AWSPENDING for the retry when a lost answer meets a stale read (outcome unknown)', async () => {
    const { twilio, oldToken, ...h } = setup();
    const version = await upToFinish(h);
    const newToken = twilio.secondary as string;
    // The promotion takes effect, its answer is lost, and Twilio's account read still shows the old primary.
    twilio.loseAnswerOfNext = 'promoteSecondaryToken';
    twilio.staleReads = true;
    await expect(h.step('finishSecret', version)).rejects.toThrow('socket hang up');
    expect(twilio.primary).toBe(newToken);
    expect(tokenOf(await h.current())).toBe(newToken); // not rolled back onto a token Twilio deleted
    expect(h.store.stagesOf(SECRET_ID, version)).toEqual(['AWSPENDING', 'AWSCURRENT']);
    // The retry, the read caught up, sees the promotion done and finishes.
    twilio.staleReads = false;
    await h.step('finishSecret', version);
    expect(h.store.stagesOf(SECRET_ID, version)).toEqual(['AWSCURRENT']);
    expect(tokenOf(await h.previous())).toBe(oldToken);
    expect(twilio.calls.filter((c) => c === 'promoteSecondaryToken')).toHaveLength(1);
  });

  it("never rolls back on a retry's refusal: an earlier attempt may have promoted (the old token then gets 401)", async () => {
    const { twilio, oldToken, ...h } = setup();
    const version = await upToFinish(h);
    const newToken = twilio.secondary as string;
    twilio.outage = true;
    await expect(h.step('finishSecret', version)).rejects.toThrow('Twilio unreachable');
    twilio.outage = false;
    twilio.refuseNext = 'promoteSecondaryToken';
    await expect(h.step('finishSecret', version)).rejects.toThrow('Twilio refused promoteSecondaryToken');
    expect(tokenOf(await h.current())).toBe(newToken);
    expect(tokenOf(await h.previous())).toBe(oldToken);
    expect(h.store.stagesOf(SECRET_ID, version)).toEqual(['AWSPENDING', 'AWSCURRENT']);
    expect(twilio.secondary).toBe(newToken); // not deleted: it may be the token about to be promoted
    await h.step('finishSecret', version);
    expect(twilio.primary).toBe(newToken);
  });

  it('finishes when the promotion happened at Twilio but its answer was lost', async () => {
    const { twilio, oldToken, ...h } = setup();
    const version = await upToFinish(h);
    const newToken = twilio.secondary as string;
    twilio.loseAnswerOfNext = 'promoteSecondaryToken';
    await h.step('finishSecret', version);
    expect(twilio.primary).toBe(newToken);
    expect(tokenOf(await h.current())).toBe(newToken);
    expect(tokenOf(await h.previous())).toBe(oldToken);
    expect(h.store.stagesOf(SECRET_ID, version)).toEqual(['AWSCURRENT']);
    expect(h.metric(MetricName.RotationFailures)).toBe(0);
  });

  it('never writes a token into its logs', async () => {
    const { twilio, oldToken, ...h } = setup();
    twilio.failNext = 'promoteSecondaryToken';
    const version = await upToFinish(h);
    const refused = twilio.secondary as string;
    await expect(h.step('finishSecret', version)).rejects.toThrow('injected promoteSecondaryToken failure');
    await h.rotate();
    const output = [...h.logs, ...h.emf].join('\n');
    expect(output).toContain('rotation.failed'); // the refusal was logged, so the check below reads something
    for (const token of [oldToken, refused, twilio.primary]) expect(output).not.toContain(token);
  });
});
