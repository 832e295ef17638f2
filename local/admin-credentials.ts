// Local admin credentials (ARCHITECTURE §8): ADMIN_CREDENTIALS (JSON) when set, else generated once
// into the data directory (mode 0600) with two privacy credentials, so four-eyes can be tried locally.

import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import * as z from 'zod';
import { AdminRole } from '../lambda/shared/names.js';
import { AdminCredential, CREDENTIAL_ID } from '../lambda/shared/secret-values.js';

export const AdminCredentials = z
  .record(z.string().regex(CREDENTIAL_ID), AdminCredential)
  .refine((map) => Object.keys(map).length > 0, 'must hold at least one credential');
export type AdminCredentials = z.infer<typeof AdminCredentials>;

/** The holders a fresh data directory gets: one per role, and a second privacy holder to approve. */
export const GENERATED_HOLDERS: ReadonlyArray<readonly [string, AdminRole]> = [
  ['reader', AdminRole.reader],
  ['privacy-1', AdminRole.privacy],
  ['privacy-2', AdminRole.privacy],
  ['operator', AdminRole.operator],
];

function generate(): AdminCredentials {
  return Object.fromEntries(
    GENERATED_HOLDERS.map(([id, role]) => [id, { token: randomBytes(32).toString('base64url'), role }]),
  );
}

/** Parses ADMIN_CREDENTIALS; the error names the variable, never a token. */
export function parseAdminCredentials(raw: string, source: string): AdminCredentials {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`${source} must be JSON {"<id>":{"token":"…","role":"reader|privacy|operator"}}`);
  }
  const parsed = AdminCredentials.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new Error(`${source}: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export async function loadAdminCredentials(
  file: string,
  fromEnvironment: string | undefined,
): Promise<{ credentials: AdminCredentials; from: 'environment' | 'file' }> {
  if (fromEnvironment !== undefined) {
    return { credentials: parseAdminCredentials(fromEnvironment, 'ADMIN_CREDENTIALS'), from: 'environment' };
  }
  let raw: string | undefined;
  try {
    raw = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (raw === undefined) {
    const credentials = generate();
    // `wx`: never overwrite a file another process just wrote; the mode guards the tokens at rest.
    await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return { credentials, from: 'file' };
  }
  // The umask or a copy may have widened the mode; the file holds tokens, so narrow it every start.
  await chmod(file, 0o600);
  return { credentials: parseAdminCredentials(raw, file), from: 'file' };
}
