// Stores a Twilio auth token in an environment's secret: validated first, never echoed, never in a log line.
import { PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretName } from '../../lambda/shared/names.js';
import { TWILIO_AUTH_TOKEN_PATTERN } from '../../lambda/shared/secret-values.js';

/** An input the command refuses before calling AWS; the message never contains the token. */
export class TwilioTokenInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TwilioTokenInputError';
  }
}

/** The account whose token is set: the one given, else the environment's only one. */
export function chooseAccountSid(envName: string, configured: readonly string[], given?: string): string {
  if (given !== undefined) {
    if (!configured.includes(given)) {
      throw new TwilioTokenInputError(
        `${given} is not in ${envName}'s twilio.accountSids (${configured.join(', ') || 'none'}): add it to config/${envName}.json and deploy first`,
      );
    }
    return given;
  }
  if (configured.length === 1 && configured[0] !== undefined) return configured[0];
  throw new TwilioTokenInputError(
    configured.length === 0
      ? `${envName} has no Twilio account: set twilio.accountSids in config/${envName}.json (or -c twilioAccountSids=…) and deploy first`
      : `${envName} has several Twilio accounts: pass --account-sid (one of ${configured.join(', ')})`,
  );
}

/** Refuses an empty value and anything that is not a Twilio auth token, without repeating it. */
export function checkTwilioToken(token: string): string {
  if (token === '') throw new TwilioTokenInputError('no token given: nothing was stored');
  if (!TWILIO_AUTH_TOKEN_PATTERN.test(token)) {
    throw new TwilioTokenInputError(
      `that is not a Twilio auth token (32 lowercase hex characters; got ${token.length} characters): nothing was stored`,
    );
  }
  return token;
}

export interface SetTwilioTokenInput {
  readonly envName: string;
  readonly accountSid: string;
  readonly token: string;
}

/** Writes the secret's new AWSCURRENT version; returns the secret name and version (no value). */
export async function setTwilioToken(
  client: SecretsManagerClient,
  input: SetTwilioTokenInput,
): Promise<{ secretName: string; versionId: string | undefined }> {
  const token = checkTwilioToken(input.token);
  const secretName = SecretName.twilioAuthToken(input.envName, input.accountSid);
  try {
    const out = await client.send(
      new PutSecretValueCommand({
        SecretId: secretName,
        SecretString: JSON.stringify({ accountSid: input.accountSid, authToken: token }),
      }),
    );
    return { secretName, versionId: out.VersionId };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ResourceNotFoundException') {
      throw new Error(`${secretName} does not exist: deploy signalgate-${input.envName}-api first`);
    }
    // AWS error messages name the secret and the caller, never the value sent.
    throw new Error(`${secretName}: ${name}: ${(error as Error).message}`);
  }
}
