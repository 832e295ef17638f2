import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignableRequest } from '../../../lambda/shared/adapters/aws-lean/aws-json-client.js';
import type { createSigV4Signer } from '../../../lambda/shared/adapters/aws-lean/sigv4-signer.js';
import { bundle } from '../../../scripts/bench/bundle.js';
import { CREDENTIALS, REGION, resign, sigV4Signer } from '../../helpers/aws-wire.js';

// sigv4-signer.ts imports the signer's ES-module build, which only a bundler can load: bundle it as the
// Lambda is bundled and check it signs exactly as the package's main entry does.
let dir: string;
let bytes: number;
let bundled: typeof createSigV4Signer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sigv4-bundle-'));
  const outfile = path.join(dir, 'sigv4-signer.js');
  bytes = await bundle(path.resolve('lambda/shared/adapters/aws-lean/sigv4-signer.ts'), { outfile });
  bundled = (createRequire(outfile)(outfile) as { createSigV4Signer: typeof createSigV4Signer })
    .createSigV4Signer;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(body: string): SignableRequest {
  return {
    method: 'POST',
    protocol: 'https:',
    hostname: 'kms.eu-west-1.amazonaws.com',
    path: '/',
    query: {},
    headers: {
      host: 'kms.eu-west-1.amazonaws.com',
      'content-type': 'application/x-amz-json-1.1',
      'content-length': String(Buffer.byteLength(body)),
      'x-amz-target': 'TrentService.Decrypt',
    },
    body,
  };
}

describe('the bundled SigV4 signer of the webhook Lambda', () => {
  it('signs exactly as @smithy/signature-v4 main entry does, with and without a session token', async () => {
    const signingDate = new Date('2026-11-28T20:59:40Z');
    for (const body of ['{}', JSON.stringify({ CiphertextBlob: 'AQID', KeyId: 'k', é: 'ü' })]) {
      const fromBundle = await bundled('kms', REGION, CREDENTIALS).sign(request(body), { signingDate });
      const fromMain = await sigV4Signer('kms').sign(request(body), { signingDate });
      expect(fromBundle.headers).toEqual(fromMain.headers);
      expect(fromBundle.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
      expect(
        await resign({ ...request(body), headers: fromBundle.headers as Record<string, string> }, 'kms'),
      ).toBe(fromBundle.headers.authorization);
    }
    const { sessionToken: _t, ...longTerm } = CREDENTIALS;
    const signed = await bundled('kms', REGION, longTerm).sign(request('{}'), { signingDate });
    expect(signed.headers['x-amz-security-token']).toBeUndefined();
    expect(signed.headers.authorization).toContain(`Credential=${CREDENTIALS.accessKeyId}/20261128/`);
  });

  it('stays small: the ES-module build keeps only what signing needs', () => {
    // The CommonJS build pulls in ~140 KB of @smithy/core; this bound fails if that comes back.
    expect(bytes).toBeLessThan(40 * 1024);
  });
});
