// `npm start` stopped the way people stop it: Ctrl-C in a terminal (SIGINT to the whole foreground
// process group, which npm also forwards to its script), SIGTERM to npm's pid (a process manager),
// and with its stdout closed (`npm start | head`). Run through npm itself, in a process group of its
// own as a terminal job would be, because npm and the tsx loader change what the stack receives.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../local/embedded-postgres.js';
import { runSimulation } from '../../scripts/simulate/run-simulation.js';

const REPO = process.cwd();
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface NpmStart {
  readonly child: ChildProcess;
  readonly dataDir: string;
  readonly url: string;
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: NpmStart[] = [];
const dirs: string[] = [];

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function npmStart(stdout: 'pipe' | 'closed' = 'pipe'): Promise<NpmStart> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'signalgate-npm-start-'));
  dirs.push(dir);
  const dataDir = path.join(dir, 'local');
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), SIGNALGATE_DATA_DIR: dataDir };
  // Under `npm test` these describe vitest's own npm run; the child is a fresh `npm start`.
  for (const name of Object.keys(env)) if (name.startsWith('npm_')) delete env[name];
  // detached: a new process group, as a shell gives each job; the group is what Ctrl-C signals.
  const child = spawn(NPM, ['start'], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const run: NpmStart = { child, dataDir, url: `http://127.0.0.1:${port}`, output: () => output, exited };
  started.push(run);
  const deadline = Date.now() + 60_000;
  while (!output.includes(`ready on ${run.url}`)) {
    if (child.exitCode !== null) throw new Error(`npm start exited before ready:\n${output}`);
    if (Date.now() > deadline) throw new Error(`no ready line within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (stdout === 'closed') child.stdout?.destroy();
  return run;
}

async function postmasterPid(dataDir: string): Promise<number> {
  const first = (await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0];
  return Number(first);
}

/** The process group of a pid (Linux: field 5 of /proc/PID/stat, counted after the command name). */
async function processGroupOf(pid: number): Promise<number> {
  const line = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(line.slice(line.lastIndexOf(')') + 2).split(' ')[2]);
}

/** Sends signed traffic so the queue has work when the signal comes. */
async function traffic(run: NpmStart): Promise<void> {
  const secrets = JSON.parse(await readFile(path.join(run.dataDir, 'secrets.json'), 'utf8')) as {
    twilioAuthToken: string;
    twilioAccountSid: string;
  };
  const report = await runSimulation({
    targetUrl: run.url,
    publicUrl: run.url,
    authToken: secrets.twilioAuthToken,
    accountSid: secrets.twilioAccountSid,
    count: 40,
    concurrency: 8,
    duplicates: 0,
    forged: 0,
    statusCallbacks: 0,
  });
  expect(report.genuine.accepted).toBe(40);
}

async function expectCleanStop(run: NpmStart, postmaster: number): Promise<void> {
  const pgid = run.child.pid as number;
  const result = await run.exited;
  // npm exits with its script's status: 0 only if the stack itself exited 0.
  expect(result).toEqual({ code: 0, signal: null });
  expect(run.output()).not.toMatch(/again|exiting without draining|unexpected fault/);
  const deadline = Date.now() + 10_000;
  while ((groupAlive(pgid) || pidAlive(postmaster)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(groupAlive(pgid), 'a process of the npm start group is still running').toBe(false);
  expect(pidAlive(postmaster), 'PostgreSQL is still running').toBe(false);
  const files = await readdir(run.dataDir);
  expect(files).not.toContain('stack.pid');
  expect(files.filter((file) => file.startsWith('queue.jsonl.'))).toEqual([]);
  // Drained: nothing was left in the journal for the next start.
  const journal = await stat(path.join(run.dataDir, 'queue.jsonl')).catch(() => undefined);
  expect(journal?.size ?? 0).toBe(0);
}

afterEach(async () => {
  for (const run of started.splice(0)) {
    if (run.child.pid && groupAlive(run.child.pid)) process.kill(-run.child.pid, 'SIGKILL');
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('stops cleanly on Ctrl-C: SIGINT to the whole process group drains the queue and exits 0', async () => {
    const run = await npmStart();
    const postmaster = await postmasterPid(run.dataDir);
    // Outside the group Ctrl-C signals, PostgreSQL stays up until the queue has drained into it.
    expect(await processGroupOf(postmaster)).not.toBe(run.child.pid);
    await traffic(run);
    process.kill(-(run.child.pid as number), 'SIGINT');
    await expectCleanStop(run, postmaster);
    expect(run.output()).toMatch(/Stopping \(SIGINT\)…\nStopped\.\n/);
  }, 120_000);

  it("stops cleanly on SIGTERM to npm's pid alone", async () => {
    const run = await npmStart();
    const postmaster = await postmasterPid(run.dataDir);
    await traffic(run);
    run.child.kill('SIGTERM');
    await expectCleanStop(run, postmaster);
    expect(run.output()).toMatch(/Stopping \(SIGTERM\)…\nStopped\.\n/);
  }, 120_000);

  it('stops cleanly on Ctrl-C after its stdout was closed, without spinning on the broken pipe', async () => {
    const run = await npmStart('closed');
    const postmaster = await postmasterPid(run.dataDir);
    const before = run.output().length;
    process.kill(-(run.child.pid as number), 'SIGINT');
    await expectCleanStop(run, postmaster);
    // A fault loop writes the same line to stderr without end; a clean stop writes nothing there.
    expect(run.output().length - before).toBeLessThan(200);
  }, 120_000);
});
