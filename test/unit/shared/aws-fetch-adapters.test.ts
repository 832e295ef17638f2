import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { KmsKeyProvider } from '../../../lambda/shared/adapters/aws/kms-key-provider.js';
import { SecretsManagerSource } from '../../../lambda/shared/adapters/aws/secrets-manager-source.js';
import { SqsQueue } from '../../../lambda/shared/adapters/aws/sqs-queue.js';
import {
  AwsJsonClient,
  type AwsJsonClientOptions,
} from '../../../lambda/shared/adapters/aws-fetch/aws-json-client.js';
import { AwsServiceError } from '../../../lambda/shared/adapters/aws-fetch/aws-service-error.js';
import {
  KMS_PROTOCOL,
  KmsHttpKeyProvider,
} from '../../../lambda/shared/adapters/aws-fetch/kms-http-key-provider.js';
import {
  SECRETS_MANAGER_PROTOCOL,
  SecretsManagerHttpSource,
} from '../../../lambda/shared/adapters/aws-fetch/secrets-manager-http-source.js';
import { SQS_PROTOCOL, SqsHttpQueue } from '../../../lambda/shared/adapters/aws-fetch/sqs-http-queue.js';
import type { QueuedEnvelope } from '../../../lambda/shared/ports.js';
import { loadWebhookConfig } from '../../../lambda/webhook/webhook-config.js';
import {
  amzDateMs,
  CREDENTIALS,
  capturingFetch,
  capturingRequestHandler,
  REGION,
  type Responder,
  resign,
  type WireRequest,
  type WireResponse,
} from '../../helpers/aws-wire.js';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-4000-8000-000000000000';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:signalgate/test/twilio-AbCdEf';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111111111111/signalgate-test-ingest';

type Protocol = typeof KMS_PROTOCOL | typeof SECRETS_MANAGER_PROTOCOL | typeof SQS_PROTOCOL;

function sdkConfig(requestHandler: unknown) {
  // One attempt: the SDK's retries are its own business; the port-level outcome of one answer is compared.
  return {
    region: REGION,
    credentials: CREDENTIALS,
    requestHandler: requestHandler as never,
    maxAttempts: 1,
  };
}

function leanClient(protocol: Protocol, fetchFn: typeof fetch, options: Partial<AwsJsonClientOptions> = {}) {
  return new AwsJsonClient({
    ...protocol,
    region: REGION,
    credentials: CREDENTIALS,
    fetch: fetchFn,
    maxAttempts: 1,
    ...options,
  });
}

async function outcome<T>(run: () => Promise<T>): Promise<{ value?: T; error?: Error }> {
  try {
    return { value: await run() };
  } catch (error) {
    return { error: error as Error };
  }
}

/** Runs the SDK adapter, then the lean one at the SDK's signing time, on the same canned answers. */
async function differential<T>(
  protocol: Protocol,
  respond: Responder,
  sdk: (handler: unknown) => Promise<T>,
  lean: (client: AwsJsonClient) => Promise<T>,
) {
  const handler = capturingRequestHandler(respond);
  const sdkOutcome = await outcome(() => sdk(handler));
  const signedAt = amzDateMs(handler.sent[0]?.headers['x-amz-date'] ?? '');
  const wire = capturingFetch(respond);
  const leanOutcome = await outcome(() => lean(leanClient(protocol, wire.fetch, { now: () => signedAt })));
  return { sdk: sdkOutcome, lean: leanOutcome, sdkSent: handler.sent, leanSent: wire.sent };
}

/** The lean request as the server sees it: fetch adds Host and Content-Length (the values signed). */
function onTheWire(request: WireRequest): WireRequest {
  return {
    ...request,
    headers: {
      ...request.headers,
      host: request.hostname,
      'content-length': String(Buffer.byteLength(request.body)),
    },
  };
}

/** The header names an Authorization header says were signed. */
function signedHeaderNames(authorization: string): string[] {
  return (/SignedHeaders=([^,]+)/.exec(authorization)?.[1] ?? '').split(';');
}

function withHeaders(request: WireRequest, names: readonly string[]): WireRequest {
  return {
    ...request,
    headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => names.includes(name))),
  };
}

async function expectSameSignedRequest(sdkReq: WireRequest, leanReq: WireRequest, service: string) {
  expect(leanReq.method).toBe(sdkReq.method);
  expect(leanReq.hostname).toBe(sdkReq.hostname);
  expect(leanReq.path).toBe(sdkReq.path);
  for (const name of ['x-amz-target', 'content-type', 'x-amz-date', 'x-amz-security-token'])
    expect(leanReq.headers[name], name).toBe(sdkReq.headers[name]);
  expect(JSON.parse(leanReq.body)).toEqual(JSON.parse(sdkReq.body));
  // Byte-identical bodies, so the signatures below can be compared exactly.
  expect(leanReq.body).toBe(sdkReq.body);
  expect(leanReq.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);

  // aws4fetch signs the host, the time, the session token and the operation (not content-type, which
  // SigV4 does not require); the SDK signs more. Each signature is checked over its own header set.
  const signed = signedHeaderNames(leanReq.headers.authorization ?? '');
  expect(signed).toEqual(['host', 'x-amz-date', 'x-amz-security-token', 'x-amz-target']);
  // 1. Re-signing the SDK's own request reproduces the SDK's Authorization: the recomputation is sound.
  expect(await resign(sdkReq, service)).toBe(sdkReq.headers.authorization);
  // 2. The aws4fetch Authorization verifies on the request as sent (the SDK's signer recomputes it).
  expect(await resign(withHeaders(onTheWire(leanReq), signed), service)).toBe(leanReq.headers.authorization);
  // 3. …and the SDK's request, signed over the same headers, has the same signature: same canonical request.
  expect(await resign(withHeaders(sdkReq, signed), service)).toBe(leanReq.headers.authorization);
  expect(leanReq.headers.authorization).toMatch(
    new RegExp(
      `^AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/\\d{8}/${REGION}/${service}/aws4_request, `,
    ),
  );
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): WireResponse {
  return { status, body: JSON.stringify(body), headers: { 'x-amzn-requestid': 'req-1', ...headers } };
}

function awsError(status: number, type: string, message: string, headers: Record<string, string> = {}) {
  return json(status, { __type: type, message }, headers);
}

const PLAINTEXT = Buffer.alloc(32, 7);
const CIPHERTEXT = randomBytes(184);

describe('KmsHttpKeyProvider, differentially against KmsKeyProvider on the SDK', () => {
  const respond: Responder = (req) =>
    req.headers['x-amz-target'] === 'TrentService.GenerateDataKey'
      ? json(200, {
          KeyId: KEY_ARN,
          Plaintext: PLAINTEXT.toString('base64'),
          CiphertextBlob: CIPHERTEXT.toString('base64'),
        })
      : json(200, {
          KeyId: KEY_ARN,
          Plaintext: PLAINTEXT.toString('base64'),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        });

  it('sends the same signed GenerateDataKey and returns the same data key', async () => {
    const run = await differential(
      KMS_PROTOCOL,
      respond,
      (h) => new KmsKeyProvider(new KMSClient(sdkConfig(h)), KEY_ARN, 'prod').generateDataKey(),
      (c) => new KmsHttpKeyProvider(c, KEY_ARN, 'prod').generateDataKey(),
    );
    expect(run.sdk.error).toBeUndefined();
    expect(run.lean.value).toEqual(run.sdk.value);
    expect(run.lean.value?.encrypted).toEqual(CIPHERTEXT);
    await expectSameSignedRequest(run.sdkSent[0] as WireRequest, run.leanSent[0] as WireRequest, 'kms');
    expect(run.leanSent[0]?.headers['x-amz-target']).toBe('TrentService.GenerateDataKey');
    expect(run.leanSent[0]?.headers['content-type']).toBe('application/x-amz-json-1.1');
  });

  it('sends the same signed Decrypt (blob as base64) and returns the same plaintext', async () => {
    const run = await differential(
      KMS_PROTOCOL,
      respond,
      (h) => new KmsKeyProvider(new KMSClient(sdkConfig(h)), KEY_ARN, 'prod').decryptDataKey(CIPHERTEXT),
      (c) => new KmsHttpKeyProvider(c, KEY_ARN, 'prod').decryptDataKey(CIPHERTEXT),
    );
    expect(run.sdk.error).toBeUndefined();
    expect(run.lean.value).toEqual(run.sdk.value);
    expect(JSON.parse(run.leanSent[0]?.body ?? '')).toMatchObject({
      CiphertextBlob: CIPHERTEXT.toString('base64'),
    });
    await expectSameSignedRequest(run.sdkSent[0] as WireRequest, run.leanSent[0] as WireRequest, 'kms');
  });

  for (const [status, type] of [
    [400, 'ThrottlingException'],
    [400, 'AccessDeniedException'],
    [400, 'IncorrectKeyException'],
    [500, 'KMSInternalException'],
  ] as const) {
    it(`fails like the SDK adapter on ${type}, naming the AWS error type`, async () => {
      const run = await differential(
        KMS_PROTOCOL,
        () => awsError(status, type, 'the service says no'),
        (h) => new KmsKeyProvider(new KMSClient(sdkConfig(h)), KEY_ARN, 'prod').generateDataKey(),
        (c) => new KmsHttpKeyProvider(c, KEY_ARN, 'prod').generateDataKey(),
      );
      expect(run.sdk.error?.name).toBe(type);
      expect(run.lean.error).toBeInstanceOf(AwsServiceError);
      expect(run.lean.error?.name).toBe(run.sdk.error?.name);
      expect((run.lean.error as AwsServiceError).statusCode).toBe(status);
      expect((run.lean.error as AwsServiceError).requestId).toBe('req-1');
    });
  }

  it('fails like the SDK adapter when the answer carries no key', async () => {
    const run = await differential(
      KMS_PROTOCOL,
      () => json(200, { KeyId: KEY_ARN }),
      (h) => new KmsKeyProvider(new KMSClient(sdkConfig(h)), KEY_ARN, 'prod').generateDataKey(),
      (c) => new KmsHttpKeyProvider(c, KEY_ARN, 'prod').generateDataKey(),
    );
    expect(run.sdk.error?.message).toBe('KMS GenerateDataKey returned no key');
    expect(run.lean.error?.message).toBe(run.sdk.error?.message);
  });
});

describe('SecretsManagerHttpSource, differentially against SecretsManagerSource on the SDK', () => {
  const stage = (req: WireRequest) => (JSON.parse(req.body) as { VersionStage: string }).VersionStage;
  const version = (value: string, stageName: string, created: number) =>
    json(200, {
      ARN: SECRET_ARN,
      Name: 'signalgate/test/twilio',
      SecretString: value,
      VersionId: `v-${stageName}`,
      VersionStages: [stageName],
      CreatedDate: created,
    });

  async function run(respond: Responder) {
    const r = await differential(
      SECRETS_MANAGER_PROTOCOL,
      respond,
      (h) => new SecretsManagerSource(new SecretsManagerClient(sdkConfig(h))).getVersions(SECRET_ARN),
      (c) => new SecretsManagerHttpSource(c).getVersions(SECRET_ARN),
    );
    // Two calls in parallel on each side: pair them by version stage.
    const byStage = (sent: WireRequest[]) => new Map(sent.map((req) => [stage(req), req]));
    return { ...r, sdkByStage: byStage(r.sdkSent), leanByStage: byStage(r.leanSent) };
  }

  it('sends the same signed GetSecretValue for AWSCURRENT and AWSPREVIOUS and reads the same versions', async () => {
    const r = await run((req) =>
      stage(req) === 'AWSCURRENT'
        ? version('new', 'AWSCURRENT', 1764547200.123)
        : version('old', 'AWSPREVIOUS', 1761955200),
    );
    expect(r.sdk.error).toBeUndefined();
    expect(r.sdk.value).toEqual({ current: 'new', previous: 'old', currentCreatedAt: 1764547200123 });
    expect(r.lean.value).toEqual(r.sdk.value);
    for (const s of ['AWSCURRENT', 'AWSPREVIOUS']) {
      await expectSameSignedRequest(
        r.sdkByStage.get(s) as WireRequest,
        r.leanByStage.get(s) as WireRequest,
        'secretsmanager',
      );
    }
    expect(r.leanByStage.get('AWSCURRENT')?.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
  });

  it('reads an unfinished rotation from the AWSPENDING label on the current version, like the SDK adapter', async () => {
    // GetSecretValue's VersionStages lists every label of the returned version: a rotation whose
    // finishSecret moved AWSCURRENT but failed (Twilio's promotion) leaves AWSPENDING beside it.
    const r = await run((req) =>
      stage(req) === 'AWSCURRENT'
        ? json(200, {
            ARN: SECRET_ARN,
            Name: 'signalgate/test/twilio',
            SecretString: 'new',
            VersionId: 'v-new',
            VersionStages: ['AWSPENDING', 'AWSCURRENT'],
            CreatedDate: 1764547200,
          })
        : version('old', 'AWSPREVIOUS', 1761955200),
    );
    expect(r.sdk.value).toEqual({
      current: 'new',
      previous: 'old',
      currentCreatedAt: 1764547200000,
      rotationUnfinished: true,
    });
    expect(r.lean.value).toEqual(r.sdk.value);
  });

  it('reads no previous version when AWSPREVIOUS is ResourceNotFoundException, like the SDK adapter', async () => {
    const r = await run((req) =>
      stage(req) === 'AWSCURRENT'
        ? version('only', 'AWSCURRENT', 1764547200)
        : awsError(
            400,
            'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret version.",
          ),
    );
    expect(r.sdk.value).toEqual({ current: 'only', currentCreatedAt: 1764547200000 });
    expect(r.lean.value).toEqual(r.sdk.value);
  });

  for (const [status, type] of [
    [400, 'AccessDeniedException'],
    [400, 'ThrottlingException'],
    [400, 'DecryptionFailure'],
    [500, 'InternalServiceError'],
  ] as const) {
    it(`fails like the SDK adapter when AWSPREVIOUS answers ${type}`, async () => {
      const r = await run((req) =>
        stage(req) === 'AWSCURRENT' ? version('new', 'AWSCURRENT', 1764547200) : awsError(status, type, 'no'),
      );
      expect(r.sdk.error?.name).toBe(type);
      expect(r.lean.error?.name).toBe(type);
    });
  }

  it('fails like the SDK adapter when AWSCURRENT itself is ResourceNotFoundException', async () => {
    const r = await run(() => awsError(400, 'ResourceNotFoundException', 'no such secret'));
    expect(r.sdk.error?.name).toBe('ResourceNotFoundException');
    expect(r.lean.error?.name).toBe('ResourceNotFoundException');
  });

  it('fails like the SDK adapter on a binary-only secret', async () => {
    const r = await run(() => json(200, { ARN: SECRET_ARN, SecretBinary: 'AAEC', CreatedDate: 1764547200 }));
    expect(r.sdk.error?.message).toBe('secret has no string value');
    expect(r.lean.error?.message).toBe(r.sdk.error?.message);
  });
});

describe('SqsHttpQueue, differentially against SqsQueue on the SDK', () => {
  const envelope: QueuedEnvelope = {
    v: 1,
    kind: 'status',
    messageSid: `SM${'a'.repeat(32)}`,
    accountSid: `AC${'b'.repeat(32)}`,
    status: 'delivered',
    receivedAt: '2026-11-28T20:00:00.000Z',
    sealed: 'c2VhbGVkLXBheWxvYWQ',
  };
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  const stored: Responder = (req) => {
    const body = JSON.parse(req.body) as { MessageBody: string };
    return json(
      200,
      { MessageId: '5fea7756-0ea4-451a-a703-a558b933e274', MD5OfMessageBody: md5(body.MessageBody) },
      { 'content-type': 'application/x-amz-json-1.0' },
    );
  };

  async function run(respond: Responder) {
    return differential(
      SQS_PROTOCOL,
      respond,
      (h) => new SqsQueue(new SQSClient(sdkConfig(h)), QUEUE_URL).send(envelope),
      (c) => new SqsHttpQueue(c, QUEUE_URL).send(envelope),
    );
  }

  it('sends the same signed SendMessage (JSON 1.0, regional endpoint) and resolves like the SDK adapter', async () => {
    const r = await run(stored);
    expect(r.sdk.error).toBeUndefined();
    expect(r.lean.error).toBeUndefined();
    await expectSameSignedRequest(r.sdkSent[0] as WireRequest, r.leanSent[0] as WireRequest, 'sqs');
    expect(r.leanSent[0]?.hostname).toBe('sqs.eu-west-1.amazonaws.com');
    expect(r.leanSent[0]?.headers['x-amz-target']).toBe('AmazonSQS.SendMessage');
    expect(r.leanSent[0]?.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(JSON.parse(r.leanSent[0]?.body ?? '')).toEqual({
      QueueUrl: QUEUE_URL,
      MessageBody: JSON.stringify(envelope),
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'status' } },
    });
  });

  it('fails like the SDK adapter when SQS reports a different MD5 of the body', async () => {
    const r = await run(() => json(200, { MessageId: 'm-1', MD5OfMessageBody: md5('something else') }));
    // The SDK's SQS client checks it by default (@aws-sdk/middleware-sdk-sqs); ours checks it itself.
    expect(r.sdk.error?.message).toBe('InvalidChecksumError');
    expect(r.lean.error?.message).toBe('SQS SendMessage returned a different MD5 of the message body');
  });

  it('fails like the SDK adapter when SQS returns no MessageId', async () => {
    const r = await run((req) => json(200, { MD5OfMessageBody: md5(JSON.parse(req.body).MessageBody) }));
    expect(r.sdk.error?.message).toBe('SQS SendMessage returned no MessageId');
    expect(r.lean.error?.message).toBe(r.sdk.error?.message);
  });

  for (const [status, type, headers] of [
    [
      400,
      'com.amazonaws.sqs#QueueDoesNotExist',
      { 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' },
    ],
    [400, 'com.amazonaws.sqs#RequestThrottled', {}],
    [400, 'com.amazonaws.sqs#KmsAccessDenied', {}],
    [500, 'com.amazonaws.sqs#InternalError', {}],
  ] as const) {
    it(`fails like the SDK adapter on ${type}, without the message body in the error`, async () => {
      const r = await run(() => awsError(status, type, 'refused', headers));
      expect(r.sdk.error).toBeDefined();
      expect(r.lean.error).toBeInstanceOf(AwsServiceError);
      expect(r.lean.error?.name).toBe(type.split('#')[1]);
      const shown = `${r.lean.error?.message} ${inspect(r.lean.error)} ${JSON.stringify(r.lean.error)}`;
      expect(shown).not.toContain(envelope.sealed);
      expect(shown).not.toContain(envelope.messageSid);
      expect(shown).not.toContain(CREDENTIALS.secretAccessKey);
      expect(shown).not.toContain(CREDENTIALS.sessionToken);
    });
  }
});

describe('AwsJsonClient retries and timeouts', () => {
  const ok = json(200, { Plaintext: PLAINTEXT.toString('base64') });
  function client(
    respond: (req: WireRequest, call: number) => WireResponse,
    options: Partial<AwsJsonClientOptions> = {},
  ) {
    const wire = capturingFetch(respond);
    const waits: number[] = [];
    let now = Date.UTC(2026, 10, 28, 20, 0, 0);
    const c = leanClient(KMS_PROTOCOL, wire.fetch, {
      maxAttempts: 3,
      random: () => 1,
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += 60_000;
      },
      ...options,
    });
    return { c, wire, waits };
  }
  /** What undici's fetch throws when the connection drops: a TypeError whose cause carries the code. */
  const connectionReset = () =>
    new TypeError('fetch failed', {
      cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    });

  it('retries a 400 ThrottlingException twice with growing jittered waits, re-signing each attempt', async () => {
    const { c, wire, waits } = client((_req, n) =>
      n < 3 ? awsError(400, 'ThrottlingException', 'Rate exceeded') : ok,
    );
    await expect(c.call('Decrypt', { CiphertextBlob: 'AAEC' })).resolves.toMatchObject({
      Plaintext: PLAINTEXT.toString('base64'),
    });
    expect(wire.sent).toHaveLength(3);
    expect(waits).toEqual([200, 400]);
    expect(wire.sent.map((req) => req.headers['x-amz-date'])).toEqual([
      '20261128T200000Z',
      '20261128T200100Z',
      '20261128T200200Z',
    ]);
    for (const req of wire.sent) {
      const signed = signedHeaderNames(req.headers.authorization ?? '');
      expect(await resign(withHeaders(onTheWire(req), signed), 'kms')).toBe(req.headers.authorization);
    }
  });

  it('retries SQS RequestThrottled and a 429, whatever their status', async () => {
    const { c, wire } = client((_req, n) =>
      n === 1
        ? awsError(400, 'com.amazonaws.sqs#RequestThrottled', 'slow down')
        : n === 2
          ? awsError(429, 'TooManyRequests', '')
          : ok,
    );
    await expect(c.call('Decrypt', {})).resolves.toMatchObject({ Plaintext: PLAINTEXT.toString('base64') });
    expect(wire.sent).toHaveLength(3);
  });

  it('gives up after 3 attempts and reports the type and the attempts', async () => {
    const { c, wire } = client(() => awsError(400, 'ThrottlingException', 'Rate exceeded'));
    const error = await c.call('Decrypt', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ name: 'ThrottlingException', attempts: 3, operation: 'kms:Decrypt' });
    expect(wire.sent).toHaveLength(3);
  });

  it('keeps every wait within the bound, whatever the jitter draws', async () => {
    const { c, waits } = client(() => awsError(503, 'ServiceUnavailable', ''), {
      random: () => 0.999,
      retryBaseDelayMs: 800,
    });
    await expect(c.call('Decrypt', {})).rejects.toThrow(AwsServiceError);
    expect(waits).toHaveLength(2);
    for (const w of waits) expect(w).toBeLessThanOrEqual(1000);
  });

  it('retries a dropped connection and a 502 without a JSON body, then succeeds', async () => {
    let n = 0;
    const wire = capturingFetch(() => ok);
    const flaky = (async (input: string | URL | Request, init?: RequestInit) => {
      n++;
      if (n === 1) throw connectionReset();
      if (n === 2) return new Response('<html>bad gateway</html>', { status: 502 });
      return wire.fetch(input, init);
    }) as typeof fetch;
    const c = leanClient(KMS_PROTOCOL, flaky, { maxAttempts: 3, sleep: async () => undefined });
    await expect(c.call('Decrypt', {})).resolves.toMatchObject({ Plaintext: PLAINTEXT.toString('base64') });
    expect(n).toBe(3);
  });

  it('reports a dropped connection as NetworkError after the last attempt', async () => {
    let n = 0;
    const dropping = (async () => {
      n++;
      throw connectionReset();
    }) as typeof fetch;
    const c = leanClient(KMS_PROTOCOL, dropping, { maxAttempts: 3, sleep: async () => undefined });
    await expect(c.call('Decrypt', {})).rejects.toMatchObject({
      name: 'NetworkError',
      attempts: 3,
      statusCode: undefined,
    });
    expect(n).toBe(3);
  });

  it('does not retry AccessDeniedException, a validation error or an answer that is not JSON', async () => {
    for (const type of ['AccessDeniedException', 'ValidationException']) {
      const { c, wire } = client(() => awsError(400, type, 'no'));
      await expect(c.call('Decrypt', {})).rejects.toMatchObject({ name: type, attempts: 1 });
      expect(wire.sent).toHaveLength(1);
    }
    const { c, wire } = client(() => ({ status: 200, body: '<html>captive portal</html>' }));
    await expect(c.call('Decrypt', {})).rejects.toMatchObject({ name: 'InvalidResponse', attempts: 1 });
    expect(wire.sent).toHaveLength(1);
  });

  function hanging() {
    const calls = { count: 0 };
    const fetchFn = ((_input: string | URL | Request, init?: RequestInit) => {
      calls.count++;
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    }) as typeof fetch;
    return { calls, fetchFn };
  }

  it('aborts an attempt that gets no answer within the attempt timeout, and says so after the retries', async () => {
    const { calls, fetchFn } = hanging();
    const c = leanClient(KMS_PROTOCOL, fetchFn, {
      maxAttempts: 3,
      attemptTimeoutMs: 20,
      sleep: async () => undefined,
    });
    const error = await c.call('Decrypt', { CiphertextBlob: 'c2VjcmV0' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TimeoutError', attempts: 3, statusCode: undefined });
    expect(String((error as Error).message)).not.toContain('c2VjcmV0');
    expect(calls.count).toBe(3);
  });

  // Each ends well before the attempt's own 5 s: by the call's total, or by the invocation's deadline when it
  // comes before the call's own total (6.5 s).
  it.each([
    ['the total time is spent', { totalTimeoutMs: 50 }],
    ["the invocation's deadline comes first", { totalTimeoutMs: 6_500, deadline: () => Date.now() + 50 }],
  ] as const)('stops retrying once %s, even with attempts left', async (_, bound) => {
    const { calls, fetchFn } = hanging();
    const c = leanClient(KMS_PROTOCOL, fetchFn, {
      maxAttempts: 10,
      attemptTimeoutMs: 5_000,
      ...bound,
      sleep: async () => undefined,
    });
    const started = Date.now();
    const error = await c.call('Decrypt', {}).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toMatchObject({ name: 'TimeoutError', attempts: 1 });
    expect(calls.count).toBe(1);
  });

  it('makes no call at all once the deadline has passed, and says why', async () => {
    const { calls, fetchFn } = hanging();
    const c = leanClient(KMS_PROTOCOL, fetchFn, { deadline: () => Date.now() - 1 });
    const error = await c.call('Decrypt', { CiphertextBlob: 'c2VjcmV0' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({
      name: 'TimeoutError',
      attempts: 0,
      message: expect.stringContaining('no time left in this invocation'),
    });
    expect(calls.count).toBe(0);
  });

  it('gives each of its 3 default attempts its own abort signal', async () => {
    const signals: AbortSignal[] = [];
    const recording = (async (_input: string | URL | Request, init?: RequestInit) => {
      if (init?.signal) signals.push(init.signal);
      return new Response(JSON.stringify({ __type: 'ThrottlingException' }), { status: 400 });
    }) as typeof fetch;
    const c = new AwsJsonClient({
      ...KMS_PROTOCOL,
      region: REGION,
      credentials: CREDENTIALS,
      fetch: recording,
      sleep: async () => undefined,
    });
    await expect(c.call('Decrypt', {})).rejects.toMatchObject({ name: 'ThrottlingException', attempts: 3 });
    expect(signals).toHaveLength(3);
    expect(new Set(signals).size).toBe(3);
    for (const signal of signals) expect(signal.aborted).toBe(false);
  });

  it('gives up on a real endpoint that accepts the connection and never answers', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      // Node's own fetch, sent to the silent server instead of AWS: the abort signals are what end it.
      const toSilentServer = ((input: Request, init?: RequestInit) =>
        fetch(new Request(`http://127.0.0.1:${port}/`, input), init)) as typeof fetch;
      const c = leanClient(KMS_PROTOCOL, toSilentServer, {
        maxAttempts: 2,
        attemptTimeoutMs: 150,
        sleep: async () => undefined,
      });
      const started = Date.now();
      await expect(c.call('Decrypt', {})).rejects.toMatchObject({ name: 'TimeoutError', attempts: 2 });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(sockets.length).toBeGreaterThanOrEqual(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('targets the China partition endpoint for cn- regions', async () => {
    const wire = capturingFetch(() => ok);
    const c = new AwsJsonClient({
      ...KMS_PROTOCOL,
      region: 'cn-north-1',
      credentials: CREDENTIALS,
      fetch: wire.fetch,
    });
    await c.call('Decrypt', {});
    expect(wire.sent[0]?.hostname).toBe('kms.cn-north-1.amazonaws.com.cn');
    expect(wire.sent[0]?.headers.authorization).toContain('/cn-north-1/kms/aws4_request');
  });
});

describe('webhook configuration of the AWS client', () => {
  const base = {
    SIGNALGATE_ENV: 'test',
    PUBLIC_BASE_URL: 'https://hooks.example.test/v1',
    QUEUE_URL,
    KMS_KEY_ID: KEY_ARN,
    TWILIO_TOKEN_SECRET_ARNS: JSON.stringify({ [`AC${'0'.repeat(32)}`]: SECRET_ARN }),
    BLIND_INDEX_SECRET_ARN: SECRET_ARN,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
  };

  it('reads the region and the execution role credentials from the environment', () => {
    const config = loadWebhookConfig(base);
    expect(config.AWS_REGION).toBe(REGION);
    expect(config.AWS_ACCESS_KEY_ID).toBe(CREDENTIALS.accessKeyId);
    expect(config.AWS_SESSION_TOKEN).toBe(CREDENTIALS.sessionToken);
  });

  it('fails naming the missing credential variables, never printing a credential', () => {
    const { AWS_ACCESS_KEY_ID: _id, ...missingId } = base;
    const attempt = () =>
      loadWebhookConfig({ ...missingId, AWS_SECRET_ACCESS_KEY: '', AWS_REGION: CREDENTIALS.sessionToken });
    expect(attempt).toThrow(/AWS_ACCESS_KEY_ID/);
    expect(attempt).toThrow(/AWS_SECRET_ACCESS_KEY/);
    expect(attempt).toThrow(/AWS_REGION/);
    expect(attempt).not.toThrow(new RegExp(CREDENTIALS.sessionToken));
  });
});
