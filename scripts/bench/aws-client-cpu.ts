// CPU per SendMessage on the webhook's AWS client (aws4fetch signing, fetch, the MD5 check) against the SDK
// v3 client on the same adapter contract: the per-request cost the in-process core bench does not see.
// Both sides are answered in-process (no network); process.cpuUsage counts the thread pool's hashing too.

import { createHash } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsQueue } from '../../lambda/shared/adapters/aws/sqs-queue.js';
import { AwsJsonClient } from '../../lambda/shared/adapters/aws-fetch/aws-json-client.js';
import { SQS_PROTOCOL, SqsHttpQueue } from '../../lambda/shared/adapters/aws-fetch/sqs-http-queue.js';
import type { MessageQueue, QueuedEnvelope } from '../../lambda/shared/ports.js';
import { CREDENTIALS, REGION } from '../../test/helpers/aws-wire.js';
import { fmt, percentile, type Row } from './measure.js';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111111111111/signalgate-bench-ingest';
/** A sealed inbound message is ~1.2 KB of base64url. */
const ENVELOPE: QueuedEnvelope = {
  v: 1,
  kind: 'status',
  messageSid: `SM${'a'.repeat(32)}`,
  accountSid: `AC${'b'.repeat(32)}`,
  status: 'delivered',
  receivedAt: '2026-11-30T20:00:00.000Z',
  sealed: 'c'.repeat(1200),
};

/** SQS's answer to a SendMessage of this body: what each side parses and checks. */
function stored(requestBody: string): string {
  const { MessageBody } = JSON.parse(requestBody) as { MessageBody: string };
  return JSON.stringify({
    MessageId: '5fea7756-0ea4-451a-a703-a558b933e274',
    MD5OfMessageBody: createHash('md5').update(MessageBody).digest('hex'),
  });
}

/** The least a fetch can do: answer from the body string it was given. */
const answeringFetch = (async (_url: string | URL | Request, init?: RequestInit) =>
  new Response(stored(String(init?.body)), { status: 200 })) as typeof fetch;

/** The same for the SDK: a request handler answering from the serialized body. */
const answeringHandler = {
  handle: async (request: { body?: unknown }) => ({
    response: {
      statusCode: 200,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: new TextEncoder().encode(
        stored(
          typeof request.body === 'string'
            ? request.body
            : new TextDecoder().decode(request.body as Uint8Array),
        ),
      ),
    },
  }),
  updateHttpClientConfig: () => undefined,
  httpHandlerConfigs: () => ({}),
  destroy: () => undefined,
};

/** Median over rounds of CPU µs per send (user + system, every thread of the process). */
async function cpuPerSend(queue: MessageQueue, rounds = 5, perRound = 2_000): Promise<number> {
  for (let i = 0; i < perRound / 4; i++) await queue.send(ENVELOPE); // warm-up
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const before = process.cpuUsage();
    for (let i = 0; i < perRound; i++) await queue.send(ENVELOPE);
    const used = process.cpuUsage(before);
    results.push((used.user + used.system) / perRound);
  }
  return percentile(results, 50);
}

export async function awsClientCpuRows(): Promise<Row[]> {
  const ours = new SqsHttpQueue(
    new AwsJsonClient({ ...SQS_PROTOCOL, region: REGION, credentials: CREDENTIALS, fetch: answeringFetch }),
    QUEUE_URL,
  );
  const sdk = new SqsQueue(
    new SQSClient({ region: REGION, credentials: CREDENTIALS, requestHandler: answeringHandler as never }),
    QUEUE_URL,
  );
  const oursUs = await cpuPerSend(ours);
  const sdkUs = await cpuPerSend(sdk);
  return [
    {
      name: 'SendMessage CPU µs/op, webhook AWS client (aws4fetch; answered in-process)',
      value: fmt(oursUs, 1),
      baseline: `${fmt(sdkUs, 1)} (SDK v3 SQSClient)`,
    },
  ];
}
