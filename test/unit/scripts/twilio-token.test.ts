import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { InputAbortedError, readSecretLine } from '../../../scripts/twilio-token/read-secret-input.js';
import {
  chooseAccountSid,
  setTwilioToken,
  TwilioTokenInputError,
} from '../../../scripts/twilio-token/set-twilio-token.js';

const SID = 'AC00bbd43b1bb444751cd45ce0288620a1';
const TOKEN = '9f3c2a7e51b04d8c6a2e0f1b3d5c7e9a';

/** A fake terminal: records raw-mode switches and everything the command writes to it. */
function fakeTerminal() {
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    rawModes: [] as boolean[],
  }) as PassThrough & {
    isTTY: boolean;
    rawModes: boolean[];
    setRawMode(mode: boolean): void;
  };
  input.setRawMode = (mode: boolean) => {
    input.rawModes.push(mode);
  };
  const prompt = new PassThrough();
  let written = '';
  prompt.on('data', (chunk: Buffer) => {
    written += chunk.toString('utf8');
  });
  return { input, prompt, written: () => written };
}

describe('twilio-token', () => {
  it('reads the token from a terminal in raw mode and echoes none of it', async () => {
    const t = fakeTerminal();
    const line = readSecretLine(t.input, t.prompt, 'Token: ');
    t.input.write(`${TOKEN.slice(0, 10)}x\u007f${TOKEN.slice(10)}\r`);
    expect(await line).toBe(TOKEN);
    expect(t.input.rawModes).toEqual([true, false]);
    expect(t.written()).toBe('Token: \n');
  });

  it('aborts on Ctrl-C at the prompt', async () => {
    const t = fakeTerminal();
    const line = readSecretLine(t.input, t.prompt, 'Token: ');
    t.input.write('9f3c\u0003');
    await expect(line).rejects.toThrow(InputAbortedError);
    expect(t.input.rawModes).toEqual([true, false]);
  });

  it('reads the first line of a pipe', async () => {
    const pipe = new PassThrough();
    const line = readSecretLine(pipe, new PassThrough(), 'Token: ');
    pipe.end(`${TOKEN}\r\nsecond line\n`);
    expect(await line).toBe(TOKEN);
  });

  it('stores {accountSid, authToken} in the account secret of the environment', async () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    const sm = mockClient(client);
    sm.on(PutSecretValueCommand).resolves({ VersionId: 'v-2' });
    const out = await setTwilioToken(client, { envName: 'prod', accountSid: SID, token: TOKEN });
    expect(out).toEqual({ secretName: `signalgate/prod/twilio-auth-token/${SID}`, versionId: 'v-2' });
    const calls = sm.commandCalls(PutSecretValueCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      SecretId: `signalgate/prod/twilio-auth-token/${SID}`,
      SecretString: `{"accountSid":"${SID}","authToken":"${TOKEN}"}`,
    });
  });

  it.each([
    ['empty', '', 'no token given: nothing was stored'],
    ['upper-case', TOKEN.toUpperCase(), 'that is not a Twilio auth token'],
    ['31 characters', TOKEN.slice(1), 'that is not a Twilio auth token'],
    ['the placeholder', 'REPLACE_ME_WITH_THE_TWILIO_AUTH_TOKEN', 'that is not a Twilio auth token'],
  ])('refuses an %s token without calling AWS or repeating it', async (_, token, message) => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    const sm = mockClient(client);
    sm.on(PutSecretValueCommand).resolves({ VersionId: 'v-2' });
    const attempt = setTwilioToken(client, { envName: 'prod', accountSid: SID, token });
    await expect(attempt).rejects.toThrow(TwilioTokenInputError);
    await expect(attempt).rejects.toThrow(message);
    if (token !== '') await expect(attempt).rejects.not.toThrow(token);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('names a secret that was never deployed', async () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    const sm = mockClient(client);
    sm.on(PutSecretValueCommand).rejects(
      Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      }),
    );
    await expect(setTwilioToken(client, { envName: 'dev', accountSid: SID, token: TOKEN })).rejects.toThrow(
      `signalgate/dev/twilio-auth-token/${SID} does not exist: deploy signalgate-dev-api first`,
    );
  });

  it('picks the only account, and asks which one when there are several', () => {
    expect(chooseAccountSid('prod', [SID])).toBe(SID);
    expect(() => chooseAccountSid('prod', [])).toThrow(/prod has no Twilio account/);
    const other = 'ACd8917a10aab95fc5a03aac04b051cfb7';
    expect(() => chooseAccountSid('prod', [SID, other])).toThrow(/pass --account-sid/);
    expect(chooseAccountSid('prod', [SID, other], other)).toBe(other);
    expect(() => chooseAccountSid('prod', [SID], other)).toThrow(TwilioTokenInputError);
  });

  it('as a command: refuses a piped bad token with one line, exit 1, and the token nowhere', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'signalgate-token-'));
    const file = path.join(dir, 'dev.json');
    writeFileSync(file, JSON.stringify({ twilio: { accountSids: [SID] } }));
    const bad = 'not-a-token-but-maybe-a-password';
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/twilio-token.ts', '--env', 'dev', '--config-file', file],
      { input: `${bad}\n`, encoding: 'utf8', env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      'twilio-token: that is not a Twilio auth token (32 lowercase hex characters; got 32 characters): nothing was stored\n',
    );
    expect(run.stdout + run.stderr).not.toContain(bad);
  }, 60_000);
});
