// `npm run simulate`: drives a running stack with Twilio-signed traffic and reports what it answered.
//   npm run simulate -- --count 2000 --concurrency 20 --duplicates 200 --forged 50 --status-callbacks 300
//   npm run simulate -- --url https://abc.execute-api.eu-west-1.amazonaws.com/prod --token <auth token>
//   npm run simulate -- --voice --count 50   (calls, each with three status callbacks and a recording)
// Exits 1 if any genuine delivery was refused or any forged one accepted; 2 on a usage error.

import { parseArgs } from 'node:util';
import * as z from 'zod';
import { Route } from '../lambda/shared/names.js';
import { localPaths } from '../local/config.js';
import { readSecretsFile } from '../local/local-secrets.js';
import { randomSid } from './simulate/payloads.js';
import { progressBar } from './simulate/progress.js';
import { runSimulation, type SimulationReport, simulationPassed } from './simulate/run-simulation.js';
import {
  runVoiceSimulation,
  type VoiceSimulationReport,
  voiceSimulationPassed,
} from './simulate/voice-simulation.js';

const USAGE = `usage: npm run simulate -- [--count N] [--concurrency C] [--duplicates D] [--forged F]
       [--status-callbacks S] [--url URL] [--public-url URL] [--token TOKEN] [--account-sid AC…] [--json]
       [--voice]  (voice traffic instead: --count calls, --duplicates redelivered calls, --forged forgeries)`;

const count = (fallback: number) => z.coerce.number().int().min(0).max(1_000_000).default(fallback);

const Options = z.object({
  count: count(100),
  concurrency: z.coerce.number().int().min(1).max(1000).default(10),
  duplicates: count(10),
  forged: count(10),
  'status-callbacks': count(30),
  url: z.url({ protocol: /^https?$/ }).optional(),
  'public-url': z.url({ protocol: /^https?$/ }).optional(),
  token: z.string().min(1).optional(),
  'account-sid': z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/)
    .optional(),
  json: z.boolean().default(false),
  voice: z.boolean().default(false),
});

/** The environment the simulator reads, in one place: the same variables as the local stack. */
const Env = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  PUBLIC_BASE_URL: z.url().optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  SIGNALGATE_DATA_DIR: z.string().min(1).default('.local'),
});

function usage(message: string): never {
  process.stderr.write(`simulate: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** Whether anything answers HTTP at the URL (any status): the simulator's figures mean nothing otherwise. */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}${Route.health}`, { signal: AbortSignal.timeout(5_000) });
    return true;
  } catch {
    return false;
  }
}

function summary(report: SimulationReport): string {
  const row = (label: string, t: { sent: number; accepted: number; rejected: number }) =>
    `  ${label.padEnd(18)} ${String(t.sent).padStart(7)} sent ${String(t.accepted).padStart(7)} accepted ${String(t.rejected).padStart(7)} rejected`;
  const total = {
    sent: report.sent,
    accepted:
      report.genuine.accepted +
      report.duplicates.accepted +
      report.statusCallbacks.accepted +
      report.forged.accepted,
    rejected:
      report.genuine.rejected +
      report.duplicates.rejected +
      report.statusCallbacks.rejected +
      report.forged.rejected,
  };
  return [
    row('all requests', total),
    row('genuine messages', report.genuine),
    row('duplicates', report.duplicates),
    row('status callbacks', report.statusCallbacks),
    row('forged', report.forged),
    `  answers            ${Object.entries(report.statusCodes)
      .map(([code, n]) => `${code === '0' ? 'no answer' : code}×${n}`)
      .join(' ')}`,
    `  latency            p50 ${report.p50Ms.toFixed(1)} ms, p99 ${report.p99Ms.toFixed(1)} ms`,
    `  throughput         ${report.requestsPerSecond.toFixed(0)} req/s over ${report.seconds.toFixed(1)} s`,
    `  result             ${simulationPassed(report) ? 'PASS: every genuine delivery accepted, every forgery rejected' : 'FAIL: see the rejected genuine or accepted forged counts'}`,
  ].join('\n');
}

function voiceSummary(report: VoiceSimulationReport): string {
  const row = (label: string, t: { sent: number; accepted: number; rejected: number }) =>
    `  ${label.padEnd(18)} ${String(t.sent).padStart(7)} sent ${String(t.accepted).padStart(7)} accepted ${String(t.rejected).padStart(7)} rejected`;
  return [
    row('incoming calls', report.calls),
    row('redelivered calls', report.duplicates),
    row('call statuses', report.callStatuses),
    row('recordings', report.recordings),
    row('forged', report.forged),
    `  TwiML answered     ${Object.entries(report.twiml)
      .map(([kind, n]) => `${kind}×${n}`)
      .join(' ')}`,
    `  answers            ${Object.entries(report.statusCodes)
      .map(([code, n]) => `${code === '0' ? 'no answer' : code}×${n}`)
      .join(' ')}`,
    `  latency            p50 ${report.p50Ms.toFixed(1)} ms, p99 ${report.p99Ms.toFixed(1)} ms`,
    `  throughput         ${report.requestsPerSecond.toFixed(0)} req/s over ${report.seconds.toFixed(1)} s`,
    `  result             ${voiceSimulationPassed(report) ? 'PASS: every genuine call and callback accepted, every forgery rejected' : 'FAIL: see the rejected genuine or accepted forged counts'}`,
  ].join('\n');
}

async function main(): Promise<number> {
  let raw: ReturnType<typeof parseArgs>['values'];
  try {
    raw = parseArgs({
      options: {
        count: { type: 'string' },
        concurrency: { type: 'string' },
        duplicates: { type: 'string' },
        forged: { type: 'string' },
        'status-callbacks': { type: 'string' },
        url: { type: 'string' },
        'public-url': { type: 'string' },
        token: { type: 'string' },
        'account-sid': { type: 'string' },
        json: { type: 'boolean' },
        voice: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (error) {
    usage((error as Error).message);
  }
  const parsed = Options.safeParse(raw);
  if (!parsed.success)
    usage(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
  const env = Env.parse(process.env);
  const options = parsed.data;

  const targetUrl = (options.url ?? `http://127.0.0.1:${env.PORT}`).replace(/\/+$/, '');
  const publicUrl = (
    options['public-url'] ?? (options.url ? targetUrl : (env.PUBLIC_BASE_URL ?? targetUrl))
  ).replace(/\/+$/, '');
  const local = options.token
    ? undefined
    : await readSecretsFile(localPaths(env.SIGNALGATE_DATA_DIR).secrets).catch(() => undefined);
  const authToken = options.token ?? env.TWILIO_AUTH_TOKEN ?? local?.twilioAuthToken;
  if (!authToken)
    usage(`no auth token: pass --token, set TWILIO_AUTH_TOKEN, or start the local stack first (npm start)`);

  if (!(await answers(targetUrl))) {
    process.stderr.write(`simulate: nothing is listening at ${targetUrl} — start it with \`npm start\`\n`);
    return 2;
  }
  process.stderr.write(`Simulating Twilio → ${targetUrl} (signed for ${publicUrl})\n`);
  const accountSid = options['account-sid'] ?? local?.twilioAccountSid ?? randomSid('AC');
  if (options.voice) {
    const report = await runVoiceSimulation({
      targetUrl,
      publicUrl,
      authToken,
      accountSid,
      calls: options.count,
      duplicates: options.duplicates,
      forged: options.forged,
      concurrency: options.concurrency,
      progress: progressBar(
        options.count * 5 + options.forged + (options.count > 0 ? options.duplicates : 0),
      ),
    });
    if (options.json) {
      const { callSids: _c, callStatusKeys: _k, recordingSids: _r, forgedCallSids: _f, ...figures } = report;
      process.stdout.write(`${JSON.stringify({ ...figures, passed: voiceSimulationPassed(report) })}\n`);
    } else {
      process.stdout.write(`${voiceSummary(report)}\n`);
    }
    return voiceSimulationPassed(report) ? 0 : 1;
  }
  const report = await runSimulation({
    targetUrl,
    publicUrl,
    authToken,
    accountSid,
    count: options.count,
    concurrency: options.concurrency,
    duplicates: options.duplicates,
    forged: options.forged,
    statusCallbacks: options['status-callbacks'],
    // Duplicates and status callbacks refer to genuine messages, so there are none without them.
    progress: progressBar(
      options.count +
        options.forged +
        (options.count > 0 ? options.duplicates + options['status-callbacks'] : 0),
    ),
  });
  if (options.json) {
    const { messageSids: _m, statusPairs: _s, forgedMessageSids: _f, ...figures } = report;
    process.stdout.write(`${JSON.stringify({ ...figures, passed: simulationPassed(report) })}\n`);
  } else {
    process.stdout.write(`${summary(report)}\n`);
  }
  return simulationPassed(report) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`simulate: ${(error as Error).message}\n`);
    process.exitCode = 2;
  },
);
