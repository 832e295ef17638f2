// Names the deployed stacks are found by: stack names, the outputs operator tools (npm run verify) read, and the
// fixed names of the roles one stack's policy names in another.

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

/** The functions whose roles may use the PII key: the webhook seals records, the admin function opens them. */
export type PiiKeyUser = 'webhook' | 'admin';
export const PII_KEY_USERS: readonly PiiKeyUser[] = ['webhook', 'admin'];

/** IAM's limit on a role name. */
const MAX_ROLE_NAME_LENGTH = 64;

/**
 * Fixed name of a PII key user's execution role, `signalgate-<env>-<region>-<function>`: the PII key's policy (data
 * stack) names these roles by ARN without a reference to the api stack that creates them. IAM names are global to
 * the account, so the region is in the name too: the same environment deployed to two regions gets two role pairs,
 * each admitted only by its own region's key.
 */
export function piiKeyUserRoleName(envName: string, region: string, user: PiiKeyUser): string {
  const name = `signalgate-${envName}-${region}-${user}`;
  if (name.length > MAX_ROLE_NAME_LENGTH) {
    throw new Error(`piiKeyUserRoleName: "${name}" is longer than IAM's ${MAX_ROLE_NAME_LENGTH} characters`);
  }
  return name;
}
