// The checks only a deployment in AWS can answer, with the operator's credentials: the stack outputs and secrets
// (which give the HTTP checks their URL and tokens), an alarm delivered by the on-call topic, the WAF association.
import {
  type CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetWebACLForResourceCommand, type WAFV2Client } from '@aws-sdk/client-wafv2';
import { AdminRole } from '../../lambda/shared/names.js';
import { HolderTokenSecret, TWILIO_AUTH_TOKEN_PATTERN } from '../../lambda/shared/secret-values.js';
import { OutputKey, stackName } from '../../lib/stack-names.js';
import { type Check, CheckFailedError } from './checklist.js';
import { CheckName, type HttpTarget } from './http-checks.js';

export interface AwsClients {
  readonly cloudFormation: CloudFormationClient;
  readonly secretsManager: SecretsManagerClient;
  readonly cloudWatch: CloudWatchClient;
  readonly wafv2: WAFV2Client;
}

export interface Deployment {
  readonly http: HttpTarget;
  readonly topicArn: string;
  readonly stageArn: string;
  /** Absent when the environment has no web ACL by config (waf.enabled false). */
  readonly webAclArn?: string;
}

async function outputsOf(client: CloudFormationClient, stack: string): Promise<Record<string, string>> {
  let out: DescribeStacksCommandOutput;
  try {
    out = await client.send(new DescribeStacksCommand({ StackName: stack }));
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ValidationError')
      throw new CheckFailedError(`stack ${stack} does not exist in this account/region`);
    throw new CheckFailedError(`${stack}: ${name}: ${(error as Error).message}`);
  }
  const described = out.Stacks?.[0];
  return Object.fromEntries((described?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
}

function need(outputs: Record<string, string>, key: string, stack: string): string {
  const value = outputs[key];
  if (!value) throw new CheckFailedError(`${stack} has no ${key} output: deploy the current version first`);
  return value;
}

async function secretJson(client: SecretsManagerClient, secretId: string): Promise<Record<string, unknown>> {
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    return JSON.parse(out.SecretString ?? '{}') as Record<string, unknown>;
  } catch (error) {
    // The name and message of a Secrets Manager error never contain the value.
    throw new CheckFailedError(`cannot read ${secretId}: ${(error as Error).name}`);
  }
}

/**
 * A token for /admin/health (any role answers it): from the least privileged holder whose secret the operator
 * may read (reader, then operator, then privacy). Each holder's secret denies every principal but its holder's
 * (admin.holders[].principalArn) and the functions', so an unreadable secret is skipped, not a failure.
 */
async function healthProbeToken(client: SecretsManagerClient, holdersJson: string): Promise<string> {
  let holders: Record<string, { role?: string; secretName?: string }>;
  try {
    holders = JSON.parse(holdersJson) as typeof holders;
  } catch {
    throw new CheckFailedError(
      `the ${OutputKey.adminCredentials} output is not JSON: deploy the current version`,
    );
  }
  const order: readonly string[] = [AdminRole.reader, AdminRole.operator, AdminRole.privacy];
  const rank = (role: string | undefined) =>
    role && order.includes(role) ? order.indexOf(role) : order.length;
  const names = Object.values(holders)
    .sort((a, b) => rank(a.role) - rank(b.role))
    .flatMap((h) => (h.secretName ? [h.secretName] : []));
  for (const name of names) {
    const secret = await secretJson(client, name).catch(() => undefined);
    const parsed = HolderTokenSecret.safeParse(secret);
    if (parsed.success) return parsed.data.token;
  }
  throw new CheckFailedError(
    `cannot read any admin holder's token (${names.join(', ') || 'no holder'}): set admin.holders[].principalArn to your role (docs/DEPLOY.md)`,
  );
}

/** Where the deployment answers and with which tokens, from its stack outputs and secrets. */
export async function findDeployment(envName: string, clients: AwsClients): Promise<Deployment> {
  const api = stackName(envName, 'api');
  const monitoring = stackName(envName, 'monitoring');
  const apiOutputs = await outputsOf(clients.cloudFormation, api);
  const monitoringOutputs = await outputsOf(clients.cloudFormation, monitoring);
  const twilioSecrets = need(apiOutputs, OutputKey.twilioAuthTokenSecretNames, api)
    .split(',')
    .filter((name) => name !== '');
  const twilioSecret = twilioSecrets[0];
  if (twilioSecret === undefined) {
    throw new CheckFailedError(
      `${envName} has no Twilio account: set twilio.accountSids in config/${envName}.json`,
    );
  }
  const twilio = await secretJson(clients.secretsManager, twilioSecret);
  if (typeof twilio.authToken !== 'string' || !TWILIO_AUTH_TOKEN_PATTERN.test(twilio.authToken)) {
    throw new CheckFailedError(
      `${twilioSecret} holds no Twilio auth token yet: npm run twilio-token -- --env ${envName}`,
    );
  }
  const adminToken = await healthProbeToken(
    clients.secretsManager,
    need(apiOutputs, OutputKey.adminCredentials, api),
  );
  return {
    http: {
      baseUrl: need(apiOutputs, OutputKey.publicBaseUrl, api).replace(/\/+$/, ''),
      accountSid: String(twilio.accountSid),
      twilioToken: twilio.authToken,
      adminToken,
    },
    topicArn: need(monitoringOutputs, OutputKey.onCallTopicArn, monitoring),
    stageArn: need(apiOutputs, OutputKey.stageArn, api),
    // No output when the environment has no web ACL by config (waf.enabled false: dev, docs/SECURITY.md).
    webAclArn: apiOutputs[OutputKey.webAclArn],
  };
}

export interface AlarmCheckOptions {
  /** SNS publishes its topic metrics once a minute, some minutes late. @default 6 minutes */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/**
 * Sets one OK alarm of the topic to ALARM (SetAlarmState invokes the ALARM actions only on a state change, so it
 * must start in OK), waits for the topic's NumberOfNotificationsDelivered / …Failed metrics, then sets it back.
 */
export async function alarmReachesOnCall(
  cloudWatch: CloudWatchClient,
  topicArn: string,
  options: AlarmCheckOptions = {},
): Promise<string> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const alarms = await cloudWatch.send(
    new DescribeAlarmsCommand({ ActionPrefix: topicArn, StateValue: 'OK', AlarmTypes: ['MetricAlarm'] }),
  );
  const alarm = alarms.MetricAlarms?.find((a) => a.AlarmActions?.includes(topicArn))?.AlarmName;
  if (!alarm) throw new CheckFailedError('no alarm of the on-call topic is in OK state to test with');
  const topicName = topicArn.split(':').pop() ?? '';
  const start = now();
  await cloudWatch.send(
    new SetAlarmStateCommand({
      AlarmName: alarm,
      StateValue: 'ALARM',
      StateReason: 'npm run verify: delivery test of the on-call topic (not a real alarm)',
    }),
  );
  try {
    const deadline = start + (options.timeoutMs ?? 6 * 60_000);
    for (;;) {
      const sums = await snsSums(cloudWatch, topicName, start, now());
      if (sums.failed > 0) {
        throw new CheckFailedError(
          `"${alarm}": ${sums.failed} notification(s) failed to deliver (NumberOfNotificationsFailed)`,
        );
      }
      if (sums.delivered > 0) return `"${alarm}" delivered to ${sums.delivered} subscription(s)`;
      if (now() >= deadline) {
        throw new CheckFailedError(
          `"${alarm}" set to ALARM but nothing delivered within ${Math.round((deadline - start) / 60_000)} min: is a subscription confirmed, and does the topic policy admit CloudWatch?`,
        );
      }
      await sleep(options.pollMs ?? 20_000);
    }
  } finally {
    await cloudWatch.send(
      new SetAlarmStateCommand({
        AlarmName: alarm,
        StateValue: 'OK',
        StateReason: 'npm run verify: restored',
      }),
    );
  }
}

async function snsSums(cloudWatch: CloudWatchClient, topicName: string, fromMs: number, toMs: number) {
  const metric = (id: string, name: string) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/SNS',
        MetricName: name,
        Dimensions: [{ Name: 'TopicName', Value: topicName }],
      },
      Period: 60,
      Stat: 'Sum',
    },
  });
  const out = await cloudWatch.send(
    new GetMetricDataCommand({
      // A minute of slack either side: datapoints are stamped with the start of their minute.
      StartTime: new Date(fromMs - 60_000),
      EndTime: new Date(toMs + 60_000),
      MetricDataQueries: [
        metric('delivered', 'NumberOfNotificationsDelivered'),
        metric('failed', 'NumberOfNotificationsFailed'),
      ],
    }),
  );
  const sum = (id: string) =>
    (out.MetricDataResults?.find((r) => r.Id === id)?.Values ?? []).reduce((a, b) => a + b, 0);
  return { delivered: sum('delivered'), failed: sum('failed') };
}

/**
 * The web ACL WAF reports for the stage is the one the stack created. A stack without one (waf.enabled false)
 * passes only while WAF confirms that no web ACL is associated, and says so.
 */
export async function wafProtectsStage(
  wafv2: WAFV2Client,
  stageArn: string,
  webAclArn: string | undefined,
): Promise<string> {
  const out = await wafv2.send(new GetWebACLForResourceCommand({ ResourceArn: stageArn }));
  if (webAclArn === undefined) {
    if (out.WebACL) {
      throw new CheckFailedError(
        `${stageArn} is protected by ${out.WebACL.Name ?? out.WebACL.ARN}, which the stack does not declare (waf.enabled is false)`,
      );
    }
    return 'no web ACL, as configured (waf.enabled false, docs/SECURITY.md)';
  }
  if (!out.WebACL) throw new CheckFailedError(`no web ACL is associated with ${stageArn}`);
  if (out.WebACL.ARN !== webAclArn) {
    throw new CheckFailedError(
      `${stageArn} is protected by ${out.WebACL.Name ?? out.WebACL.ARN}, not the stack's web ACL`,
    );
  }
  return out.WebACL.Name ?? webAclArn;
}

/** The AWS-only checks, run after the HTTP ones; `deployment` is filled by the first check. */
export function awsChecks(
  envName: string,
  clients: AwsClients,
  found: (deployment: Deployment) => void,
  current: () => Deployment | undefined,
  alarmOptions: AlarmCheckOptions = {},
): { first: Check; last: Check[] } {
  const deployment = () => {
    const d = current();
    if (!d) throw new CheckFailedError('no deployment');
    return d;
  };
  return {
    first: {
      name: CheckName.deployment,
      async run() {
        const d = await findDeployment(envName, clients);
        found(d);
        return `${stackName(envName, 'api')} at ${d.http.baseUrl}`;
      },
    },
    last: [
      {
        name: CheckName.alarm,
        needs: [CheckName.deployment],
        run: () => alarmReachesOnCall(clients.cloudWatch, deployment().topicArn, alarmOptions),
      },
      {
        name: CheckName.waf,
        needs: [CheckName.deployment],
        run: () => wafProtectsStage(clients.wafv2, deployment().stageArn, deployment().webAclArn),
      },
    ],
  };
}
