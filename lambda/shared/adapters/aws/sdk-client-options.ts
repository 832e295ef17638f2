// Options every AWS SDK v3 client of ours is built with. A function in the VPC reaches AWS only through
// interface endpoints; when a security group or an endpoint is wrong the TCP connect never completes, and the
// SDK's defaults (no connect or request timeout) then wait until Lambda kills the function. Bounded calls
// fail fast with an error the handler can answer (503) and log.

import { SDK_CONNECT_TIMEOUT_MS, SDK_REQUEST_TIMEOUT_MS } from '../../sdk-timeouts.js';

export { SDK_CONNECT_TIMEOUT_MS, SDK_REQUEST_TIMEOUT_MS };
/** The SDK's standard retry count: 3 attempts × (2 s + 5 s) stays under the admin function's 29 s. */
export const SDK_MAX_ATTEMPTS = 3;

export interface SdkClientOptions {
  readonly maxAttempts: number;
  readonly requestHandler: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
    /** Without it a request timeout is only logged as a warning and the call keeps waiting. */
    readonly throwOnRequestTimeout: true;
  };
}

/** Pass to every `new XxxClient(...)`; `overrides` is for tests (a local endpoint). */
export function sdkClientOptions<T extends object>(overrides?: T): SdkClientOptions & T {
  return {
    maxAttempts: SDK_MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: SDK_CONNECT_TIMEOUT_MS,
      requestTimeout: SDK_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    ...(overrides as T),
  };
}
