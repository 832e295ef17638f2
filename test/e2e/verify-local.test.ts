// `npm run verify -- --url` against the real local stack, run as an operator runs it (a child process).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/embedded-postgres.js';
import { type StackProcess, spawnLocalStack, waitForReady } from '../helpers/local-stack.js';

let dir: string;
let dataDir: string;
let url: string;
let stack: StackProcess;
let secrets: { twilioAuthToken: string; adminToken: string };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'signalgate-verify-'));
  dataDir = path.join(dir, 'local');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  stack = spawnLocalStack({ port, dataDir });
  await waitForReady(stack, url);
  secrets = JSON.parse(await readFile(path.join(dataDir, 'secrets.json'), 'utf8'));
}, 180_000);

afterAll(async () => {
  if (stack && stack.child.exitCode === null && stack.child.signalCode === null) {
    stack.child.kill('SIGTERM');
    await stack.exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `scripts/verify.ts` with the given arguments and environment; resolves with its exit code and output. */
function verify(args: string[], env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, SIGNALGATE_DATA_DIR: dataDir, ...env };
  for (const name of ['TWILIO_AUTH_TOKEN', 'ADMIN_TOKEN', 'TWILIO_ACCOUNT_SID']) {
    if (!(name in env)) delete childEnv[name];
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/verify.ts', ...args], { env: childEnv });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  return new Promise<{ code: number | null; out: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out })),
  );
}

describe('npm run verify --url (local stack)', () => {
  it('passes every check and confirms the test message was stored', async () => {
    const run = await verify(['--url', url]);
    const lines = run.out.trim().split('\n');
    expect(lines.map((l) => l.replace(/ — .*$/, ''))).toEqual([
      '✓ tokens found',
      '✓ public health answers 200',
      '✓ an unsigned message is refused (403)',
      '✓ a signed test message is accepted (200)',
      '✓ admin health is green',
      '✓ the test message was stored',
      '✓ the voice route answers a signed test call with TwiML (200)',
      expect.stringMatching(/^all 7 checks passed in \d+\.\d s$/),
    ]);
    expect(run.code).toBe(0);
    const sid = /✓ a signed test message is accepted \(200\) — (SM[0-9a-f]{32}) queued/.exec(run.out)?.[1];
    expect(run.out).toContain(`✓ the test message was stored — ${sid} in the database`);
  }, 120_000);

  it('names the failing step when the Twilio token is wrong, exits 1 and prints no token', async () => {
    const wrong = 'f'.repeat(32);
    const run = await verify(['--url', url], { TWILIO_AUTH_TOKEN: wrong });
    expect(run.code).toBe(1);
    expect(run.out).toMatch(
      /^✗ a signed test message is accepted \(200\) — refused \(403\): the Twilio token/m,
    );
    expect(run.out).toContain(
      '✗ the test message was stored — not run: needs "a signed test message is accepted (200)"',
    );
    expect(run.out).toContain('✓ an unsigned message is refused (403)');
    for (const secret of [wrong, secrets.twilioAuthToken, secrets.adminToken])
      expect(run.out).not.toContain(secret);
  }, 120_000);

  it('names the failing step when the admin token is wrong', async () => {
    const wrong = 'x'.repeat(40);
    const run = await verify(['--url', url], { ADMIN_TOKEN: wrong });
    expect(run.code).toBe(1);
    expect(run.out).toContain('✗ admin health is green — the admin token was refused (401)');
    expect(run.out).not.toContain(wrong);
    expect(run.out).not.toContain(secrets.adminToken);
  }, 120_000);

  it('says nothing answers at a wrong URL and exits 1', async () => {
    const port = await freePort();
    const run = await verify(['--url', `http://127.0.0.1:${port}`]);
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      `✗ public health answers 200 — nothing answers at http://127.0.0.1:${port}/health (ECONNREFUSED)`,
    );
    expect(run.out).toContain('✗ admin health is green — not run: needs "public health answers 200"');
    expect(run.out).toMatch(/^6 of 7 checks failed in/m);
  }, 120_000);

  it('refuses to run without --env or --url', async () => {
    const run = await verify([]);
    expect(run.code).toBe(2);
    expect(run.out.trim()).toBe('verify: pass --env <dev|staging|prod> or --url <base URL> (one of them)');
  }, 60_000);
});
