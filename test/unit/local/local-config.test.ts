// `npm start` refuses a TWILIO_AUTH_TOKEN that is not a Twilio auth token (ARCHITECTURE §8), with one line naming it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadLocalConfig } from '../../../local/config.js';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const REAL_SHAPE = '0123456789abcdef0123456789abcdef';

describe('local TWILIO_AUTH_TOKEN', () => {
  it('accepts 32 lowercase hex characters', () => {
    expect(loadLocalConfig({ TWILIO_AUTH_TOKEN: REAL_SHAPE }, []).twilioAuthToken).toBe(REAL_SHAPE);
  });

  it.each([
    'REPLACE_ME_WITH_THE_TWILIO_AUTH_TOKEN',
    'secret',
    REAL_SHAPE.toUpperCase(),
    REAL_SHAPE.slice(1),
    `${REAL_SHAPE}0`,
  ])('refuses %j with an error naming the variable, never its value', (value) => {
    expect(() => loadLocalConfig({ TWILIO_AUTH_TOKEN: value }, [])).toThrow(
      'TWILIO_AUTH_TOKEN: must be a Twilio auth token (32 lowercase hex characters)',
    );
    try {
      loadLocalConfig({ TWILIO_AUTH_TOKEN: value }, []);
    } catch (error) {
      expect((error as Error).message).not.toContain(value);
    }
  });

  it('makes the stack exit non-zero at start with one line naming TWILIO_AUTH_TOKEN', async () => {
    const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const result = await promisify(execFile)(tsx, ['local/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        TWILIO_AUTH_TOKEN: 'placeholder',
        SIGNALGATE_DATA_DIR: '/nonexistent/x',
      },
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stderr: '', stdout: '' }),
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(result.code).not.toBe(0);
    const lines = `${result.stdout}${result.stderr}`.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('TWILIO_AUTH_TOKEN');
    expect(lines[0]).not.toContain('placeholder');
  }, 90_000);
});
