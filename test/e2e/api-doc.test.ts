// docs/API.md's "Try it locally" examples, run as written in a POSIX shell against `npm start`'s
// stack (the same local/main.ts), from a directory whose `.local/` is that stack's data directory.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/embedded-postgres.js';
import { type StackProcess, spawnLocalStack, waitForReady } from '../helpers/local-stack.js';

const run = promisify(execFile);
// Inside the repository (under node_modules, git-ignored) so `npm run admin` finds package.json.
const workDir = path.join(
  process.cwd(),
  'node_modules',
  '.cache',
  `api-doc-${randomBytes(4).toString('hex')}`,
);
const dataDir = path.join(workDir, '.local');
let port: number;
let stack: StackProcess;

beforeAll(async () => {
  await mkdir(workDir, { recursive: true });
  port = await freePort();
  stack = spawnLocalStack({ port, dataDir });
  await waitForReady(stack, `http://127.0.0.1:${port}`, 90_000);
});
afterAll(async () => {
  if (stack && stack.child.exitCode === null) {
    stack.child.kill('SIGTERM');
    await stack.exited;
  }
  await rm(workDir, { recursive: true, force: true });
});

/** The sh blocks of the section, in order. */
async function examples(): Promise<string> {
  const doc = await readFile('docs/API.md', 'utf8');
  const section = doc.slice(doc.indexOf('## Try it locally'));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}

describe('docs/API.md', () => {
  it('runs every "Try it locally" example as written, with the answers the text describes', async () => {
    const script = await examples();
    expect(script).toContain('curl');
    const { stdout } = await run('sh', ['-e', '-c', script], {
      cwd: workDir,
      env: { ...process.env, PORT: String(port), SIGNALGATE_DATA_DIR: dataDir },
      timeout: 60_000,
    });
    const expected = [
      '{"status":"ok"}',
      '"database":{"reachable":true',
      '<Response/>',
      '"Body":"Hello from curl"',
      'same credential: 403',
      '{"erased":1}',
      '{"deleted":0}',
      '"chain":{"intact":true',
      '401 401 401 401 401 401 401 401 401 401 429 ',
      'right token: 200',
      'unlocked 127.0.0.1: 1 source(s) cleared',
      'wrong token after unlock: 401',
    ];
    let from = 0;
    for (const text of expected) {
      const at = stdout.indexOf(text, from);
      expect(at, `${text} (in order) in:\n${stdout}`).toBeGreaterThanOrEqual(0);
      from = at + text.length;
    }
  });

  it('was served by functions connected as their own roles, not as the schema owner', async () => {
    const db = new pg.Client((await readFile(path.join(dataDir, 'database-url'), 'utf8')).trim());
    await db.connect();
    try {
      const users = await db.query<{ usename: string }>(
        `SELECT DISTINCT usename FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY usename`,
      );
      expect(users.rows.map((r) => r.usename)).toEqual(['signalgate_admin_api', 'signalgate_ingest']);
    } finally {
      await db.end();
    }
  });
});
