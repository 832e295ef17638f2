// Local secrets (ARCHITECTURE §5): generated once into the data directory (mode 0600), reused on
// every start so stored records stay readable; TWILIO_AUTH_TOKEN overrides the Twilio token.

import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import * as z from 'zod';

const SecretsFile = z.object({
  version: z.literal(1),
  twilioAccountSid: z.string().regex(/^AC[0-9a-f]{32}$/),
  twilioAuthToken: z.string().min(1),
  /** Unused since admin credentials are per holder (admin-credentials.json); kept so older files still load. */
  adminToken: z.string().min(32),
  blindIndexKey: z.string().min(32),
  /** base64 of the 32-byte key that wraps data keys, standing in for the KMS key. */
  wrappingKey: z.string().refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes of base64'),
});
type SecretsFile = z.infer<typeof SecretsFile>;

export interface LocalSecrets {
  readonly twilioAccountSid: string;
  readonly twilioAuthToken: string;
  /** ADMIN_TOKEN: one more local credential holding every role; undefined when unset. */
  readonly adminToken: string | undefined;
  readonly blindIndexKey: string;
  readonly wrappingKey: Buffer;
  /** Where each token came from, for the start-up banner (never the values). */
  readonly twilioTokenFrom: 'environment' | 'file';
  readonly created: boolean;
}

function generate(): SecretsFile {
  return {
    version: 1,
    twilioAccountSid: `AC${randomBytes(16).toString('hex')}`,
    // Real Twilio auth tokens are 32 hex characters.
    twilioAuthToken: randomBytes(16).toString('hex'),
    adminToken: randomBytes(32).toString('base64url'),
    blindIndexKey: randomBytes(32).toString('hex'),
    wrappingKey: randomBytes(32).toString('base64'),
  };
}

/** Reads the secrets file, or undefined when there is none yet. Throws on a damaged file. */
export async function readSecretsFile(file: string): Promise<SecretsFile | undefined> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = SecretsFile.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new Error(`${file} is damaged; run \`npm run reset\` to start over`);
  return parsed.data;
}

export async function loadLocalSecrets(
  file: string,
  overrides: { twilioAuthToken: string | undefined; adminToken: string | undefined },
): Promise<LocalSecrets> {
  let stored = await readSecretsFile(file);
  const created = stored === undefined;
  if (stored === undefined) {
    stored = generate();
    // `wx`: never overwrite a file another process just wrote; the mode guards the keys at rest.
    await writeFile(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  }
  // The umask or a copy may have widened the mode; the file holds keys, so narrow it every start.
  await chmod(file, 0o600);
  return {
    twilioAccountSid: stored.twilioAccountSid,
    twilioAuthToken: overrides.twilioAuthToken ?? stored.twilioAuthToken,
    adminToken: overrides.adminToken,
    blindIndexKey: stored.blindIndexKey,
    wrappingKey: Buffer.from(stored.wrappingKey, 'base64'),
    twilioTokenFrom: overrides.twilioAuthToken ? 'environment' : 'file',
    created,
  };
}
