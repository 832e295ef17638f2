// Runs `local/main.ts` as a child process, as a developer would, for the e2e suite.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { processAlive } from '../../local/process-alive.js';

// vitest runs from the repository root (where vitest.config.ts is), as does `npm test`.
const REPO = process.cwd();

export interface StackProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal) once the process has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StackOptions {
  readonly port: number;
  readonly dataDir: string;
  readonly env?: Record<string, string>;
}

export function spawnLocalStack(options: StackOptions): StackProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  // Under `npm test` this is set and would make the stack follow vitest's lifetime (parent-watch.ts).
  delete env.npm_lifecycle_event;
  env.PORT = String(options.port);
  env.SIGNALGATE_DATA_DIR = options.dataDir;
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return { child, output: () => output, exited };
}

/** Waits for the `ready` line naming the URL; fails with the output if the process ends first. */
export async function waitForReady(stack: StackProcess, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void stack.exited.then(() => {
    ended = true;
  });
  while (Date.now() < deadline) {
    const ready = stack
      .output()
      .split('\n')
      .some((line) => line.includes('ready') && line.includes(url));
    if (ready) return;
    if (ended) throw new Error(`the stack exited before ready:\n${stack.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ready line within ${timeoutMs} ms:\n${stack.output()}`);
}

export { processAlive };
