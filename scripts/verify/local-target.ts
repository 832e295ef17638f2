// Tokens for `npm run verify -- --url …`: TWILIO_AUTH_TOKEN / ADMIN_TOKEN / TWILIO_ACCOUNT_SID from the
// environment, else the local stack's own files in .local/ (or SIGNALGATE_DATA_DIR): secrets.json for the Twilio
// account and token, admin-credentials.json for an admin credential.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AdminCredentialsSecret, healthProbeToken } from '../../lambda/shared/secret-values.js';
import { CheckFailedError } from './checklist.js';
import type { HttpTarget } from './http-checks.js';

function readJson(file: string): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new CheckFailedError(`${file} is not valid JSON`);
  }
}

/** The least privileged credential of `.local/admin-credentials.json` ({"id":{"token","role"}}), if any. */
function localCredential(file: string): string | undefined {
  const parsed = AdminCredentialsSecret.safeParse({ credentials: readJson(file) ?? {} });
  return parsed.success ? healthProbeToken(parsed.data) : undefined;
}

export function localTarget(baseUrl: string, env: NodeJS.ProcessEnv, cwd: string): HttpTarget {
  const dataDir = path.resolve(cwd, env.SIGNALGATE_DATA_DIR || '.local');
  const secrets = readJson(path.join(dataDir, 'secrets.json'));
  const pick = (name: string, fromFile: unknown): string | undefined =>
    env[name] || (typeof fromFile === 'string' ? fromFile : undefined);
  const twilioToken = pick('TWILIO_AUTH_TOKEN', secrets?.twilioAuthToken);
  const accountSid = pick('TWILIO_ACCOUNT_SID', secrets?.twilioAccountSid);
  // Any credential answers /admin/health; secrets.json's adminToken is no longer a credential (holders are).
  const adminToken = env.ADMIN_TOKEN || localCredential(path.join(dataDir, 'admin-credentials.json'));
  const missing = [
    twilioToken ? undefined : 'TWILIO_AUTH_TOKEN',
    accountSid ? undefined : 'TWILIO_ACCOUNT_SID',
    adminToken ? undefined : 'ADMIN_TOKEN',
  ].filter((name) => name !== undefined);
  if (missing.length > 0 || !twilioToken || !accountSid || !adminToken) {
    throw new CheckFailedError(
      `set ${missing.join(', ')} (or run against the local stack, whose ${path.join(dataDir, 'secrets.json')} has them)`,
    );
  }
  return { baseUrl: baseUrl.replace(/\/+$/, ''), accountSid, twilioToken, adminToken };
}
