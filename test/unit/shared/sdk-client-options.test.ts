// A VPC function whose endpoint is unreachable (a missing security-group rule, a deleted endpoint) must get an
// error quickly, not wait until Lambda kills it: the SDK's own defaults have no request timeout, and a
// requestTimeout without throwOnRequestTimeout only logs a warning (@smithy/node-http-handler).
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkClientOptions } from '../../../lambda/shared/adapters/aws/sdk-client-options.js';

/** Accepts TCP connections and never answers: what a half-broken network path looks like to the SDK. */
let server: Server;
const sockets: Socket[] = [];
let endpoint: string;

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  endpoint = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const local = () => ({
  endpoint,
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});

const settlesWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(
      () => 'resolved',
      (error: Error) => `rejected: ${error.name}`,
    ),
    new Promise((resolve) => setTimeout(() => resolve('pending'), ms)),
  ]);

describe('AWS SDK client options', () => {
  it('fails a call to an endpoint that never answers within the request timeout', async () => {
    // One attempt: the timeout, not the retry count, is under test (3 attempts × 7 s stay under 29 s).
    const client = new SecretsManagerClient({ ...sdkClientOptions(), ...local(), maxAttempts: 1 });
    const started = Date.now();
    const outcome = await settlesWithin(client.send(new GetSecretValueCommand({ SecretId: 'x' })), 9_000);
    expect(outcome).toBe('rejected: TimeoutError');
    expect(Date.now() - started).toBeLessThan(7_000);
    client.destroy();
  }, 20_000);

  it('is what makes the difference: the default client is still waiting after the same time', async () => {
    const client = new SecretsManagerClient({ ...local(), maxAttempts: 1 });
    const outcome = await settlesWithin(client.send(new GetSecretValueCommand({ SecretId: 'x' })), 6_500);
    expect(outcome).toBe('pending');
    client.destroy();
  }, 20_000);

  it('keeps the worst case (3 attempts of connect + request) under the admin function timeout of 29 s', () => {
    const o = sdkClientOptions();
    expect(
      o.maxAttempts * (o.requestHandler.connectionTimeout + o.requestHandler.requestTimeout),
    ).toBeLessThan(29_000);
    expect(o.requestHandler.throwOnRequestTimeout).toBe(true);
  });
});

describe('every AWS SDK client of the functions', () => {
  /** The Lambda code; aws-fetch/ is the webhook's aws4fetch client, bounded by its own options. */
  const sources = readdirSync('lambda', { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.includes('aws-fetch'))
    // Comments dropped: they may show how a client is built without building one.
    .map((file) => ({
      file,
      text: readFileSync(path.join('lambda', file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''),
    }));

  it('is built with sdkClientOptions: connect and request timeouts, bounded attempts', () => {
    const built = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/new (\w+Client)\((\w*)/g)]
        .filter((m) => m[1] !== 'AwsJsonClient')
        .map((m) => ({ where: `${file}: new ${m[1]}`, options: m[2] })),
    );
    // Admin (4), ingest, migrate, the rotations' shared wiring and the canary (2) build them.
    expect(built.length).toBeGreaterThanOrEqual(9);
    expect(built.filter((b) => b.options !== 'sdkClientOptions').map((b) => b.where)).toEqual([]);
  });
});
