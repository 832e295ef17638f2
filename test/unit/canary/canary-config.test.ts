import { describe, expect, it } from 'vitest';
import { loadCanaryConfig } from '../../../lambda/canary/canary-config.js';

const ENV = {
  SIGNALGATE_ENV: 'prod',
  PUBLIC_BASE_URL: 'https://hooks.signalgate-ops.net/',
  CANARY_TWILIO_SECRET_ARN:
    'arn:aws:secretsmanager:eu-west-1:480957213366:secret:signalgate/prod/twilio-auth-token/x',
  CANARY_ADMIN_SECRET_ARN:
    'arn:aws:secretsmanager:eu-west-1:480957213366:secret:signalgate/prod/admin-token-x',
  ADMIN_FUNCTION_NAME: 'signalgate-prod-api-AdminFunction',
};

describe('canary config', () => {
  it('reads its variables, trims the URL and defaults the timeout to 60 s', () => {
    const config = loadCanaryConfig(ENV);
    expect(config.PUBLIC_BASE_URL).toBe('https://hooks.signalgate-ops.net');
    expect(config.CANARY_TIMEOUT_SECONDS).toBe(60);
  });

  it('names a missing variable', () => {
    const { CANARY_ADMIN_SECRET_ARN: _, ...missing } = ENV;
    expect(() => loadCanaryConfig(missing)).toThrow(
      /^canary configuration is invalid: CANARY_ADMIN_SECRET_ARN: /,
    );
  });
});
