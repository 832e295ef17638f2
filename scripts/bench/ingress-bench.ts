// Ingress benches (issue 2): signature verification against twilio-node, the webhook core in-process,
// sealing, KMS calls per 1,000 messages, and the minified webhook bundle size.

import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks';
import { LocalKeyProvider } from '../../lambda/shared/adapters/local/local-key-provider.js';
import { MemoryQueue } from '../../lambda/shared/adapters/local/memory-queue.js';
import { MemorySecretSource } from '../../lambda/shared/adapters/local/memory-secret-source.js';
import {
  DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS,
  DEFAULT_SECRET_CACHE_SECONDS,
} from '../../lambda/shared/env-config.js';
import { silentLogger } from '../../lambda/shared/logger.js';
import { createEmfMetrics } from '../../lambda/shared/metrics.js';
import { Route } from '../../lambda/shared/names.js';
import { systemClock } from '../../lambda/shared/ports.js';
import { Sealer } from '../../lambda/shared/seal.js';
import { VoiceConfig } from '../../lambda/shared/voice-config.js';
import { buildWebhookDeps } from '../../lambda/webhook/build-webhook-deps.js';
import { makeWebhookHandler } from '../../lambda/webhook/make-webhook-handler.js';
import { TwilioSignatureVerifier } from '../../lambda/webhook/signature.js';
import {
  ACCOUNT_SID,
  callParams,
  inboundParams,
  PUBLIC_BASE_URL,
  signedWebhookEvent,
} from '../../test/helpers/api-events.js';
import { CountingKeyProvider } from '../../test/helpers/counting-key-provider.js';
import { awsClientCpuRows } from './aws-client-cpu.js';
import { bundle } from './bundle.js';
import { fmt, medianTimePerOp, percentile, printTable, type Row } from './measure.js';

function signatureRows(): Row[] {
  const token = randomBytes(16).toString('hex');
  const url = `${PUBLIC_BASE_URL}/webhooks/twilio/messages`;
  const params = inboundParams();
  const genuine = getExpectedTwilioSignature(token, url, params);
  const forged = getExpectedTwilioSignature('someone-else', url, params);
  const garbage = 'not-a-signature';
  const verifier = new TwilioSignatureVerifier();
  const cases: [string, string][] = [
    ['genuine', genuine],
    ['forged (well-formed)', forged],
    ['forged (malformed header)', garbage],
  ];
  const rows: Row[] = [];
  for (const [name, signature] of cases) {
    const ours = medianTimePerOp(() => verifier.verify({ url, params, signature, tokens: [token] }));
    const theirs = medianTimePerOp(() => validateRequest(token, signature, url, params));
    rows.push({
      name: `verify ${name} µs/op`,
      value: fmt(ours),
      baseline: `${fmt(theirs)} (twilio-node)`,
      goal: '≤ 0.5×',
      met: ours <= 0.5 * theirs,
    });
  }
  // A mixed stream as seen under attack: 50% genuine, 25% well-formed forgeries, 25% junk.
  const mix = [genuine, genuine, forged, garbage];
  let i = 0;
  const oursMixed = medianTimePerOp(() =>
    verifier.verify({ url, params, signature: mix[i++ % 4], tokens: [token] }),
  );
  i = 0;
  const theirsMixed = medianTimePerOp(() => validateRequest(token, mix[i++ % 4] as string, url, params));
  rows.push({
    name: 'verify mixed 50/25/25 µs/op',
    value: fmt(oursMixed),
    baseline: `${fmt(theirsMixed)} (twilio-node)`,
    goal: '≤ 0.5×',
    met: oursMixed <= 0.5 * theirsMixed,
  });
  return rows;
}

async function webhookCoreRows(): Promise<Row[]> {
  const token = randomBytes(16).toString('hex');
  const keys = new CountingKeyProvider(new LocalKeyProvider(randomBytes(32)));
  const queue = new MemoryQueue();
  const deps = buildWebhookDeps({
    publicBaseUrl: PUBLIC_BASE_URL,
    keyProvider: keys,
    secretSource: new MemorySecretSource({
      twilio: JSON.stringify({ accountSid: ACCOUNT_SID, authToken: token }),
      blind: JSON.stringify({ key: randomBytes(32).toString('hex') }),
    }),
    secretCacheMs: DEFAULT_SECRET_CACHE_SECONDS * 1000,
    previousTokenGraceMs: DEFAULT_PREVIOUS_TOKEN_GRACE_SECONDS * 1000,
    tokenSecrets: { [ACCOUNT_SID]: 'twilio' },
    blindIndexSecretId: 'blind',
    queue,
    metrics: createEmfMetrics('bench', () => {}),
    logger: silentLogger,
    clock: systemClock,
    // The answer a voice agent deployment gives: connect a media stream, with fixed parameters.
    voice: VoiceConfig.parse({
      enabled: true,
      defaultAnswer: {
        kind: 'stream',
        url: 'wss://agent.signalgate.test/media',
        parameters: { tenant: 'bench' },
      },
      fallback: { kind: 'say', text: 'Please call again later.' },
    }),
  });
  const handler = makeWebhookHandler(async () => deps);
  /** Latency per request (µs) and CPU per request (user + system µs), over 5 rounds of `events`. */
  const measure = async (events: APIGatewayProxyEvent[], status: number) => {
    for (const e of events.slice(0, 200)) await handler(e); // warm-up
    const samples: number[] = [];
    const cpu = process.cpuUsage();
    for (let round = 0; round < 5; round++) {
      for (const e of events) {
        const t = process.hrtime.bigint();
        const res = await handler(e);
        samples.push(Number(process.hrtime.bigint() - t) / 1000);
        if (res.statusCode !== status) throw new Error(`bench request failed with ${res.statusCode}`);
      }
      queue.sent.length = 0;
    }
    const used = process.cpuUsage(cpu);
    return {
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      cpu: (used.user + used.system) / samples.length,
    };
  };
  const events = Array.from({ length: 2000 }, () => signedWebhookEvent({ token, params: inboundParams() }));
  const messages = await measure(events, 200);
  // Every request above sealed one record, starting from an empty data-key cache.
  const sealedRecords = 200 + 5 * events.length;
  const kmsPer1000 = (keys.generated * 1000) / sealedRecords;
  // Incoming calls in the same run: signature, schema, seal, enqueue, and the TwiML answer.
  const calls = Array.from({ length: 2000 }, () =>
    signedWebhookEvent({ token, params: callParams(), path: Route.voice }),
  );
  const voice = await measure(calls, 200);
  return [
    { name: 'webhook core p50 µs (in-process, local ports)', value: fmt(messages.p50, 1) },
    {
      name: 'webhook core p99 µs',
      value: fmt(messages.p99, 1),
      goal: '≤ 100',
      met: messages.p99 <= 100,
    },
    { name: 'webhook core CPU µs/request', value: fmt(messages.cpu, 1) },
    { name: 'voice webhook core p50 µs (incoming call, TwiML)', value: fmt(voice.p50, 1) },
    {
      name: 'voice webhook core p99 µs',
      value: fmt(voice.p99, 1),
      goal: '≤ 100',
      met: voice.p99 <= 100,
    },
    { name: 'voice webhook core CPU µs/request', value: fmt(voice.cpu, 1) },
    {
      name: 'GenerateDataKey per 1,000 messages',
      value: `${fmt(kmsPer1000, 3)} (${keys.generated} for ${sealedRecords})`,
      goal: '≤ 1',
      met: kmsPer1000 <= 1,
    },
  ];
}

async function sealingRows(): Promise<Row[]> {
  const sealer = new Sealer(new LocalKeyProvider(randomBytes(32)));
  const plaintext = Buffer.from(JSON.stringify(inboundParams()));
  const context = { purpose: 'messages', id: 'SM1' };
  const sealed = await sealer.seal(plaintext, context);
  const n = 20_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await sealer.seal(plaintext, context);
  const sealUs = Number(process.hrtime.bigint() - t0) / n / 1000;
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await sealer.open(sealed, context);
  const openUs = Number(process.hrtime.bigint() - t1) / n / 1000;
  return [
    { name: 'seal µs/op (AES-256-GCM, cached data key)', value: fmt(sealUs) },
    { name: 'open µs/op', value: fmt(openUs) },
    {
      name: 'sealed overhead bytes/record',
      value: String(sealed.length - plaintext.length),
      baseline: '250-450 (AWS Encryption SDK)',
    },
  ];
}

/** The webhook bundle as the CDK app builds it (scripts/bench/bundle.ts); the AWS SDK external by default. */
export function bundleSize(entry: string, external: readonly string[] = ['@aws-sdk/*']): Promise<number> {
  return bundle(entry, { external });
}

async function bundleRows(): Promise<Row[]> {
  const deployed = await bundleSize('lambda/webhook/handler.ts');
  const full = await bundleSize('lambda/webhook/handler.ts', []);
  return [
    {
      name: 'webhook bundle KB (minified, SDK from runtime)',
      value: fmt(deployed / 1024, 1),
      goal: '≤ 600',
      met: deployed / 1024 <= 600,
    },
    {
      name: 'webhook bundle KB (minified, SDK bundled too)',
      value: fmt(full / 1024, 1),
      goal: '≤ 600',
      met: full / 1024 <= 600,
    },
  ];
}

export async function runIngressBench(): Promise<Row[]> {
  const rows = [
    ...signatureRows(),
    ...(await webhookCoreRows()),
    ...(await sealingRows()),
    ...(await awsClientCpuRows()),
    ...(await bundleRows()),
  ];
  printTable('Ingress (issue 2)', rows);
  return rows;
}
