// A local stack child process for the adversarial suites: fixed tokens (so answers can be searched
// for them), a fresh data directory, an external PostgreSQL through DATABASE_URL, and a clean stop.

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../local/embedded-postgres.js';
import { type StackProcess, spawnLocalStack, waitForReady } from '../helpers/local-stack.js';

export interface RunningStack {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly twilioToken: string;
  readonly adminToken: string;
  readonly process: StackProcess;
  /** Every secret the stack holds (tokens, blind-index key, wrapping key), for leak checks. */
  secrets(): Promise<string[]>;
  /** SIGTERM, wait for the exit, remove the data directory; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startRunningStack(databaseUrl: string): Promise<RunningStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'signalgate-adversarial-'));
  const dataDir = path.join(dir, 'local');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const twilioToken = randomBytes(16).toString('hex');
  const adminToken = randomBytes(32).toString('base64url');
  const child = spawnLocalStack({
    port,
    dataDir,
    env: { TWILIO_AUTH_TOKEN: twilioToken, ADMIN_TOKEN: adminToken, DATABASE_URL: databaseUrl },
  });
  const stop = async () => {
    if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGTERM');
    const { code } = await child.exited;
    await rm(dir, { recursive: true, force: true });
    return code;
  };
  try {
    await waitForReady(child, url);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    port,
    dataDir,
    twilioToken,
    adminToken,
    process: child,
    secrets: async () => {
      const file = JSON.parse(await readFile(path.join(dataDir, 'secrets.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      const values = Object.entries(file)
        .filter(([key]) => key !== 'twilioAccountSid')
        .map(([, v]) => v)
        .filter((v): v is string => typeof v === 'string' && v.length >= 16);
      return [twilioToken, adminToken, ...values];
    },
    stop,
  };
}
