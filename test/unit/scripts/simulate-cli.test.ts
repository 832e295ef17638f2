// The simulator run as a user runs it: with nothing at the target it says so, instead of counting
// every unanswered forgery as "rejected" and reporting a pass.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../local/embedded-postgres.js';

const REPO = process.cwd();
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');

describe('npm run simulate', () => {
  it('names the URL and how to start the stack when nothing is listening there, and exits 2', async () => {
    const port = await freePort();
    const result = spawnSync(
      TSX,
      ['scripts/simulate.ts', '--url', `http://127.0.0.1:${port}`, '--token', 'a'.repeat(32)],
      { cwd: REPO, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.stderr).toBe(
      `simulate: nothing is listening at http://127.0.0.1:${port} — start it with \`npm start\`\n`,
    );
    expect(result.stdout).toBe('');
    expect(result.status).toBe(2);
  }, 90_000);
});
