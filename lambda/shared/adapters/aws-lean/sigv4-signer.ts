// The SigV4 signer the webhook Lambda signs with: @smithy/signature-v4 from its ES-module build, so that
// esbuild keeps only what signing uses (~15 KB, ~3 ms to load) instead of the CommonJS build's ~140 KB
// of @smithy/core (~25 ms). Like `twilio/lib/webhooks/webhooks`, a deep import for the lean hot path;
// the package is pinned exactly in package.json, and test/unit/shared/sigv4-signer-bundle.test.ts
// bundles this module as the Lambda does and checks its signatures against the package's main entry.
// Bundler-only: dist-es uses extension-less imports that Node cannot load unbundled.

import { SignatureV4 } from '@smithy/signature-v4/dist-es/index.js';
import type { RequestSigner } from './aws-json-client.js';
import { NodeSha256 } from './node-sha256.js';

/** Static credentials, as Lambda puts the execution role's into the environment. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export function createSigV4Signer(
  service: string,
  region: string,
  credentials: AwsCredentials,
): RequestSigner {
  return new SignatureV4({ credentials, region, service, sha256: NodeSha256, uriEscapePath: true });
}
