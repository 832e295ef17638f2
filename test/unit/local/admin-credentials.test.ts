import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAdminCredentials, parseAdminCredentials } from '../../../local/admin-credentials.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('local admin credentials', () => {
  it('generates one holder per role and two privacy holders, into a 0600 file reused on the next start', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sg-creds-'));
    const file = path.join(dir, 'admin-credentials.json');
    const first = await loadAdminCredentials(file, undefined);
    expect(first.from).toBe('file');
    expect(Object.fromEntries(Object.entries(first.credentials).map(([id, c]) => [id, c.role]))).toEqual({
      reader: 'reader',
      'privacy-1': 'privacy',
      'privacy-2': 'privacy',
      operator: 'operator',
    });
    const tokens = Object.values(first.credentials).map((c) => c.token);
    expect(new Set(tokens).size).toBe(4);
    for (const token of tokens) expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const again = await loadAdminCredentials(file, undefined);
    expect(again.credentials).toEqual(first.credentials);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(first.credentials);
  });

  it('takes ADMIN_CREDENTIALS instead of the file, writing nothing', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sg-creds-'));
    const file = path.join(dir, 'admin-credentials.json');
    const raw = JSON.stringify({ ana: { token: 'a'.repeat(40), role: 'privacy' } });
    expect(await loadAdminCredentials(file, raw)).toEqual({
      credentials: { ana: { token: 'a'.repeat(40), role: 'privacy' } },
      from: 'environment',
    });
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses an invalid ADMIN_CREDENTIALS with a message naming the variable, never a token', () => {
    const secret = 'b'.repeat(40);
    for (const raw of [
      '{',
      '{}',
      JSON.stringify({ ana: { token: secret, role: 'admin' } }),
      JSON.stringify({ ana: { token: 'short', role: 'reader' } }),
      JSON.stringify({ 'Not An Id': { token: secret, role: 'reader' } }),
      JSON.stringify({ ana: { token: secret, role: 'reader', extra: true } }),
    ]) {
      let message = '';
      try {
        parseAdminCredentials(raw, 'ADMIN_CREDENTIALS');
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, raw).toMatch(/^ADMIN_CREDENTIALS/);
      expect(message).not.toContain(secret);
    }
  });
});
