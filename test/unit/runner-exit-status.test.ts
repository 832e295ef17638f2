// A red test must turn the build red: the runner (with the suite's own global setup) and .ci/run
// must exit non-zero when a test fails, whatever a library's exit hook or the runner's status says.

import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = process.cwd();
const VITEST = path.join(REPO, 'node_modules', 'vitest', 'vitest.mjs');
const FIXTURE_CONFIG = 'test/fixtures/runner/vitest.config.ts';

function runVitest(fixture: string) {
  const result = spawnSync(process.execPath, [VITEST, 'run', '--config', FIXTURE_CONFIG, fixture], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('vitest with the suite configuration', () => {
  it('exits non-zero when a test fails', () => {
    const { status, output } = runVitest('test/fixtures/runner/fails-on-purpose.fixture.ts');
    expect(output).toMatch(/Tests\s+1 failed \(1\)/);
    expect(status).toBe(1);
  }, 150_000);

  it('exits 0 when every test passes', () => {
    const { status, output } = runVitest('test/fixtures/runner/passes.fixture.ts');
    expect(output).toMatch(/Tests\s+1 passed \(1\)/);
    expect(status).toBe(0);
  }, 150_000);
});

describe('.ci/run', () => {
  let bin: string;

  beforeAll(async () => {
    // A stand-in npm on PATH: `npm ci` succeeds, `npm test` prints what FAKE_SUMMARY says and
    // exits with FAKE_STATUS, so .ci/run's own judgement is what is under test.
    bin = await mkdtemp(path.join(os.tmpdir(), 'signalgate-fake-npm-'));
    const npm = path.join(bin, 'npm');
    await writeFile(
      npm,
      '#!/usr/bin/env bash\nif [ "$1" = test ]; then printf "%b\\n" "$FAKE_SUMMARY"; exit "$FAKE_STATUS"; fi\nexit 0\n',
    );
    await chmod(npm, 0o755);
  });

  afterAll(async () => {
    if (bin) await rm(bin, { recursive: true, force: true });
  });

  function ciRun(summary: string, status: number) {
    const result = spawnSync('bash', [path.join(REPO, '.ci', 'run')], {
      cwd: REPO,
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        FAKE_SUMMARY: summary,
        FAKE_STATUS: String(status),
      },
      timeout: 60_000,
    });
    const lines = result.stdout.trim().split('\n');
    return { status: result.status, last: lines[lines.length - 1] };
  }

  it('fails when the summary reports a failed test although the runner exited 0', () => {
    expect(ciRun(' Tests  1 failed | 3 passed (4)', 0)).toEqual({ status: 1, last: '3 passed, 1 failed' });
  });

  it('fails when the runner fails without a summary', () => {
    expect(ciRun('Error: cannot load the config', 2)).toEqual({ status: 2, last: '0 passed, 1 failed' });
  });

  it('passes when every test passed', () => {
    expect(ciRun(' Tests  4 passed (4)', 0)).toEqual({ status: 0, last: '4 passed, 0 failed' });
  });

  it('fails when the summary counts no test at all', () => {
    expect(ciRun(' Tests  no tests', 0)).toEqual({ status: 1, last: '0 passed, 1 failed' });
  });
});
