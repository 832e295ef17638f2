// Names the deployed stacks are found by: stack names and the outputs operator tools (npm run verify) read.

export type StackPart = 'network' | 'data' | 'api' | 'monitoring';

/** `signalgate-<env>-<part>`; deploy them all with `cdk deploy -c env=<env> --all`. */
export function stackName(envName: string, part: StackPart): string {
  return `signalgate-${envName}-${part}`;
}

/** CloudFormation output keys that tools read (their stacks: api, except OnCallTopicArn: monitoring). */
export const OutputKey = {
  publicBaseUrl: 'PublicBaseUrl',
  /** JSON: admin holder id → `{"role":…,"secretName":…}` (one secret per holder). */
  adminCredentials: 'AdminCredentials',
  twilioAuthTokenSecretNames: 'TwilioAuthTokenSecretNames',
  stageArn: 'StageArn',
  webAclArn: 'WebAclArn',
  onCallTopicArn: 'OnCallTopicArn',
  /** Functions that cache a secret: npm run rotate -- --revoke-previous updates them to retire warm instances. */
  webhookFunctionName: 'WebhookFunctionName',
  adminFunctionName: 'AdminFunctionName',
  /** Only where the canary exists (it caches the first Twilio token and the admin credentials). */
  canaryFunctionName: 'CanaryFunctionName',
} as const;
