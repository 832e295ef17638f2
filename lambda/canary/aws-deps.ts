// The canary's AWS wiring: Secrets Manager for the tokens, fetch for the public URL, and the admin function
// itself (Invoke, GET /admin/health) to confirm storage, so the WAF's admin allow-list never blocks it.
import { randomUUID } from 'node:crypto';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sdkClientOptions } from '../shared/adapters/aws/sdk-client-options.js';
import { createLogger } from '../shared/logger.js';
import { createEmfMetrics } from '../shared/metrics.js';
import { Route, ServiceName } from '../shared/names.js';
import { systemClock } from '../shared/ports.js';
import { HolderTokenSecret, parseSecret, TwilioTokenSecret } from '../shared/secret-values.js';
import type { CanaryConfig } from './canary-config.js';
import type { CanaryDeps } from './canary-core.js';

export function createAwsCanaryDeps(config: CanaryConfig): CanaryDeps {
  const secrets = new SecretsManagerClient(sdkClientOptions());
  const lambda = new LambdaClient(sdkClientOptions());

  async function secretString(secretId: string): Promise<string> {
    const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
    return out.SecretString ?? '';
  }

  /** GET /admin/health as API Gateway would deliver it, straight to the admin function. */
  async function latestSyntheticSid(): Promise<string | null> {
    // The canary's own `reader` holder (CANARY_HOLDER_ID): its secret is readable by the canary alone.
    const { token } = parseSecret(
      'canary admin credential',
      HolderTokenSecret,
      await secretString(config.CANARY_ADMIN_SECRET_ARN),
    );
    const event = {
      httpMethod: 'GET',
      path: Route.adminHealth,
      resource: Route.adminHealth,
      headers: { 'X-Admin-Token': token },
      multiValueHeaders: {},
      queryStringParameters: null,
      pathParameters: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: `canary-${randomUUID()}`, identity: { sourceIp: 'canary' } },
    };
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: config.ADMIN_FUNCTION_NAME, Payload: JSON.stringify(event) }),
    );
    const response = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')) as {
      statusCode?: number;
      body?: string;
    };
    if (response.statusCode !== 200) throw new Error(`admin health answered ${response.statusCode}`);
    const health = JSON.parse(response.body ?? '{}') as { latestSynthetic?: { messageSid?: string } | null };
    return health.latestSynthetic?.messageSid ?? null;
  }

  return {
    publicBaseUrl: config.PUBLIC_BASE_URL,
    ...(config.WEBHOOK_QUERY ? { webhookQuery: config.WEBHOOK_QUERY } : {}),
    twilio: async () => {
      const secret = parseSecret(
        'twilio',
        TwilioTokenSecret,
        await secretString(config.CANARY_TWILIO_SECRET_ARN),
      );
      return { accountSid: secret.accountSid, authToken: secret.authToken };
    },
    post: async (url, headers, body) =>
      (await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) })).status,
    latestSyntheticSid,
    metrics: createEmfMetrics(config.SIGNALGATE_ENV),
    logger: createLogger(ServiceName.canary),
    clock: systemClock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    timeoutMs: config.CANARY_TIMEOUT_SECONDS * 1000,
  };
}
