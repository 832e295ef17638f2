import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { RunbookSection, runbookAnchorsIn } from '../../lib/constructs/monitoring/runbook.js';
import { ENVS, REPO_ROOT, type StackPart, type SynthesizedEnv, synthEnv } from './helpers/synth-env.js';

const RUNBOOK = readFileSync(path.join(REPO_ROOT, 'docs/RUNBOOK.md'), 'utf8');
const RUNBOOK_ANCHORS = new Set([...RUNBOOK.matchAll(/<a id="([a-z0-9-]+)"><\/a>/g)].map((m) => m[1]));
const TOPIC = { Ref: 'OnCallTopic' };

type Statement = { Effect: string; Principal?: { Service?: string | string[] }; Action: string | string[] };
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON read in assertions
type Resource = { Type: string; Properties?: any };
const ofType = (synth: SynthesizedEnv, part: StackPart, type: string) =>
  Object.entries(synth.json[part].Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
const metricAlarms = (synth: SynthesizedEnv) => ofType(synth, 'monitoring', 'AWS::CloudWatch::Alarm');

/** The `<part>:<logicalId>` an alarm dimension points at, through the cross-stack reference CDK made for it. */
function referencedResource(synth: SynthesizedEnv, value: unknown): string | undefined {
  const weak = (value as { 'Fn::GetStackOutput'?: { StackName?: string; OutputName?: string } })?.[
    'Fn::GetStackOutput'
  ];
  if (!weak) return undefined;
  for (const part of ['network', 'data', 'api'] as const) {
    if (weak.StackName !== `signalgate-${synth.config.envName}-${part}`) continue;
    const outputs = (synth.json[part].Outputs ?? {}) as Record<string, { Value?: { Ref?: string } }>;
    const ref = outputs[weak.OutputName ?? '']?.Value?.Ref;
    if (ref) return `${part}:${ref}`;
  }
  return undefined;
}

describe.each(ENVS)('monitoring (%s)', (env) => {
  const synth = synthEnv(env);
  const { config } = synth;
  // Written out: dev has no web ACL and no dashboard (lib/config/dev.ts, docs/COST.md).
  const withWaf = { dev: false, staging: true, prod: true }[env];
  const withDashboard = { dev: false, staging: true, prod: true }[env];

  it('sends every alarm, composite included, to the on-call topic on ALARM and on OK', () => {
    const all = [...metricAlarms(synth), ...ofType(synth, 'monitoring', 'AWS::CloudWatch::CompositeAlarm')];
    expect(all.length).toBeGreaterThan(20);
    for (const [id, alarm] of all) {
      expect(alarm.Properties.AlarmActions, id).toEqual([TOPIC]);
      expect(alarm.Properties.OKActions, id).toEqual([TOPIC]);
    }
  });

  it('names a runbook section that exists in docs/RUNBOOK.md in every alarm and rule description', () => {
    const described = [
      ...metricAlarms(synth),
      ...ofType(synth, 'monitoring', 'AWS::CloudWatch::CompositeAlarm'),
      ...ofType(synth, 'monitoring', 'AWS::Events::Rule'),
    ];
    for (const [id, resource] of described) {
      const description = resource.Properties.AlarmDescription ?? resource.Properties.Description;
      const anchors = runbookAnchorsIn(String(description));
      expect(anchors, id).toHaveLength(1);
      expect(RUNBOOK_ANCHORS.has(anchors[0] as string), `${id} → #${anchors[0]}`).toBe(true);
    }
  });

  it('gives every Lambda function of the app an errors and a throttles alarm', () => {
    const watched = new Map<string, Set<string>>();
    for (const [, alarm] of metricAlarms(synth)) {
      const p = alarm.Properties;
      if (p.Namespace !== 'AWS/Lambda') continue;
      const dim = p.Dimensions.find((d: { Name: string }) => d.Name === 'FunctionName');
      const key = typeof dim.Value === 'string' ? dim.Value : referencedResource(synth, dim.Value);
      expect(key, JSON.stringify(dim.Value)).toBeDefined();
      const set = watched.get(key as string) ?? new Set();
      set.add(p.MetricName);
      watched.set(key as string, set);
    }
    const functions: string[] = [];
    for (const part of ['network', 'data', 'api', 'monitoring'] as const) {
      for (const [id] of ofType(synth, part, 'AWS::Lambda::Function')) functions.push(`${part}:${id}`);
      // Hosted rotation functions are created by a transform at deploy time, under the name given here.
      for (const [, schedule] of ofType(synth, part, 'AWS::SecretsManager::RotationSchedule')) {
        const name = schedule.Properties.HostedRotationLambda?.RotationLambdaName;
        if (name) functions.push(name);
      }
    }
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const fn of functions)
      expect([...(watched.get(fn) ?? [])].sort(), fn).toEqual(['Errors', 'Throttles']);
  });

  it('takes thresholds and evaluation windows from the environment config', () => {
    const byName = (suffix: string) =>
      metricAlarms(synth).find(([, a]) => a.Properties.AlarmName === `signalgate-${env}-${suffix}`)?.[1]
        .Properties;
    const t = config.alarms.thresholds;
    expect(byName(RunbookSection.signatureFailures)).toMatchObject({
      Threshold: t.signatureFailuresPer5Min,
      EvaluationPeriods: config.alarms.window.evaluationPeriods,
      DatapointsToAlarm: config.alarms.window.datapointsToAlarm,
    });
    expect(byName(RunbookSection.adminAuthFailures)?.Threshold).toBe(t.adminAuthFailuresPer5Min);
    expect(byName(RunbookSection.invalidPayloads)?.Threshold).toBe(t.invalidPayloadsPer5Min);
    expect(byName(RunbookSection.api5xx)?.Threshold).toBe(t.api5xxPer5Min);
    expect(byName(RunbookSection.dlqNotEmpty)?.Threshold).toBe(t.dlqNewMessages);
    expect(byName(RunbookSection.oldestMessageAge)?.Threshold).toBe(t.oldestMessageAgeSeconds);
    expect(byName(RunbookSection.wafBlockedSpike)?.Threshold).toBe(withWaf ? t.wafBlockedPer5Min : undefined);
    expect(byName(RunbookSection.rdsCpu)?.Threshold).toBe(t.rdsCpuPercent);
    expect(byName(RunbookSection.rdsFreeStorage)?.Threshold).toBe(t.rdsFreeStorageGiB * 1024 ** 3);
    expect(byName(RunbookSection.rdsConnections)?.Threshold).toBe(t.rdsConnections);
    for (const [, a] of metricAlarms(synth).filter(([, a]) => a.Properties.MetricName === 'Errors')) {
      expect(a.Properties.Threshold).toBe(t.lambdaErrorsPer5Min);
    }
  });

  it('treats missing data as not breaching except where silence is the failure (free storage, canary, traffic drop)', () => {
    for (const [id, a] of metricAlarms(synth)) {
      const silenceFails =
        ['FreeStorageSpace', 'CanarySuccess'].includes(a.Properties.MetricName) ||
        a.Properties.AlarmName === `signalgate-${env}-traffic-drop`;
      const expected = silenceFails ? 'breaching' : 'notBreaching';
      expect(a.Properties.TreatMissingData, id).toBe(expected);
    }
  });

  it(`${withWaf ? 'watches the WAF with the dimensions WAFv2 publishes (WebACL, Region, Rule=ALL)' : 'has no WAF alarm (no web ACL)'}`, () => {
    const waf = metricAlarms(synth).find(([, a]) => a.Properties.Namespace === 'AWS/WAFV2')?.[1].Properties;
    if (!withWaf) {
      expect(waf).toBeUndefined();
      return;
    }
    const acl = ofType(synth, 'api', 'AWS::WAFv2::WebACL')[0]?.[1].Properties;
    expect(waf?.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'WebACL', Value: acl.Name },
        { Name: 'Region', Value: config.region },
        { Name: 'Rule', Value: 'ALL' },
      ]),
    );
    expect(waf?.Dimensions).toHaveLength(3);
  });

  it('pages on a composite "webhook path broken" built from the webhook-path alarms, never from admin faults', () => {
    const [[, composite]] = ofType(synth, 'monitoring', 'AWS::CloudWatch::CompositeAlarm') as [
      [string, Resource],
    ];
    expect(composite.Properties.AlarmName).toBe(`signalgate-${env}-webhook-path-broken`);
    // The alarms the rule names, read from the template (Fn::GetAtt [id, Arn] inside the rule).
    const named = [
      ...JSON.stringify(composite.Properties.AlarmRule).matchAll(/"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]/g),
    ].map((m) => m[1] as string);
    const alarms = new Map(metricAlarms(synth));
    const watched = named.map((id) => {
      const p = alarms.get(id)?.Properties;
      const dims = Object.fromEntries(
        (p?.Dimensions ?? []).map((d: { Name: string; Value: unknown }) => [d.Name, d.Value]),
      );
      return { id, namespace: p?.Namespace, metric: p?.MetricName, dims };
    });
    for (const id of [
      'QueueFailures',
      'EncryptionFailures',
      'LambdaErrorsWebhook',
      'LambdaThrottlesWebhook',
    ]) {
      expect(
        named.some((n) => n.startsWith(`Alarms${id}`)),
        id,
      ).toBe(true);
    }
    // API Gateway's stage-wide 5XXError (ApiName + Stage) counts /admin too: it must not page here.
    const apiAlarms = watched.filter((w) => w.namespace === 'AWS/ApiGateway');
    expect(apiAlarms.map((w) => [w.metric, w.dims.Method, w.dims.Resource]).sort()).toEqual([
      ['5XXError', 'POST', '/webhooks/twilio/messages'],
      ['5XXError', 'POST', '/webhooks/twilio/status'],
      // dev enables voice (lib/config/dev.ts): its routes page too.
      ...(env === 'dev'
        ? [
            ['5XXError', 'POST', '/webhooks/twilio/voice'],
            ['5XXError', 'POST', '/webhooks/twilio/voice/recording'],
            ['5XXError', 'POST', '/webhooks/twilio/voice/status'],
          ]
        : []),
    ]);
    for (const w of apiAlarms) expect(w.dims.ApiName).toBe(`signalgate-${env}`);
    // The canary pages where it runs (staging and prod here: they have a Twilio account and a schedule).
    const canary = watched.filter((w) => w.namespace === 'Signalgate' && w.metric === 'CanarySuccess');
    expect(canary).toHaveLength(env === 'dev' ? 0 : 1);
  });

  it(`${env === 'dev' ? 'runs no canary' : 'runs the canary on its schedule and alarms when it does not succeed'}`, () => {
    const schedules = ofType(synth, 'api', 'AWS::Events::Rule').filter(([id]) =>
      id.startsWith('CanarySchedule'),
    );
    const alarm = metricAlarms(synth).find(([, a]) => a.Properties.MetricName === 'CanarySuccess')?.[1];
    if (env === 'dev') {
      expect(schedules).toEqual([]);
      expect(alarm).toBeUndefined();
      return;
    }
    const minutes = env === 'prod' ? 5 : 15;
    expect(schedules.map(([, r]) => r.Properties.ScheduleExpression)).toEqual([`rate(${minutes} minutes)`]);
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'Signalgate',
      Statistic: 'Sum',
      Period: Math.max(5, minutes) * 60,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it(`${env === 'prod' ? 'pages when no real message arrives for an hour' : 'has no traffic-drop alarm'}`, () => {
    const drop = metricAlarms(synth).filter(
      ([, a]) => a.Properties.AlarmName === `signalgate-${env}-traffic-drop`,
    );
    if (env !== 'prod') {
      expect(drop).toEqual([]);
      return;
    }
    expect(drop[0]?.[1].Properties).toMatchObject({
      Namespace: 'Signalgate',
      MetricName: 'MessagesStored',
      Dimensions: [{ Name: 'Environment', Value: 'prod' }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('routes Secrets Manager rotation failures and KMS key deletion/disable events to the topic', () => {
    const rules = ofType(synth, 'monitoring', 'AWS::Events::Rule').map(([, r]) => r.Properties);
    const patterns = rules.map((r) => r.EventPattern);
    expect(patterns).toContainEqual({
      source: ['aws.secretsmanager'],
      'detail-type': ['AWS Service Event via CloudTrail'],
      detail: {
        eventSource: ['secretsmanager.amazonaws.com'],
        eventName: expect.arrayContaining(['RotationFailed']),
      },
    });
    expect(patterns).toContainEqual({
      source: ['aws.kms'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['kms.amazonaws.com'], eventName: ['ScheduleKeyDeletion', 'DisableKey'] },
    });
    for (const rule of rules) expect(rule.Targets.map((t: { Arn: unknown }) => t.Arn)).toEqual([TOPIC]);
  });

  it('encrypts the topic with a key CloudWatch and EventBridge may use, and denies publishing without TLS', () => {
    const [[, topic]] = ofType(synth, 'monitoring', 'AWS::SNS::Topic') as [[string, Resource]];
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    const [[, key]] = ofType(synth, 'monitoring', 'AWS::KMS::Key') as [[string, Resource]];
    const keyStatements = key.Properties.KeyPolicy.Statement as Statement[];
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      const grants = keyStatements.filter(
        (s) => s.Effect === 'Allow' && [s.Principal?.Service].flat().includes(service),
      );
      expect(
        grants.flatMap((s) => s.Action),
        service,
      ).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
    }
    const [[, policy]] = ofType(synth, 'monitoring', 'AWS::SNS::TopicPolicy') as [[string, Resource]];
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('subscribes each configured e-mail address to the topic', () => {
    const subs = ofType(synth, 'monitoring', 'AWS::SNS::Subscription').map(([, s]) => s.Properties);
    expect(subs.filter((s) => s.Protocol === 'email').map((s) => s.Endpoint)).toEqual(config.alarms.emails);
  });

  it(`${withDashboard ? 'has a dashboard with the traffic, verdict, queue, ingest, database, WAF and rotation widgets' : 'has no dashboard'}`, () => {
    if (!withDashboard) {
      expect(ofType(synth, 'monitoring', 'AWS::CloudWatch::Dashboard')).toEqual([]);
      return;
    }
    const [[, dashboard]] = ofType(synth, 'monitoring', 'AWS::CloudWatch::Dashboard') as [[string, Resource]];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of [
      'Traffic',
      'Verdicts',
      'Queue depth',
      'Oldest queued message',
      'Ingest',
      'Database',
      'WAF',
      'Rotation',
    ]) {
      expect(body).toContain(title);
    }
  });

  it('passes the AwsSolutions cdk-nag pack without findings', () => {
    expect(new AwsSolutionsChecks().validateScope(synth.stacks.monitoring).violations).toEqual([]);
  });
});

describe('monitoring config', () => {
  it('uses different invalid-payload thresholds and evaluation windows per environment', () => {
    const configs = ENVS.map((env) => synthEnv(env).config.alarms);
    expect(new Set(configs.map((c) => c.thresholds.invalidPayloadsPer5Min)).size).toBe(ENVS.length);
    expect(new Set(configs.map((c) => JSON.stringify(c.window))).size).toBe(ENVS.length);
  });

  it('subscribes an HTTPS endpoint when one is configured', () => {
    const base = synthEnv('staging').config;
    const synth = synthEnv('staging', {
      ...base,
      alarms: { ...base.alarms, httpsEndpoint: 'https://events.pagerduty.com/integration/abc/enqueue' },
    });
    const subs = ofType(synth, 'monitoring', 'AWS::SNS::Subscription').map(([, s]) => s.Properties);
    expect(subs).toContainEqual(
      expect.objectContaining({
        Protocol: 'https',
        Endpoint: 'https://events.pagerduty.com/integration/abc/enqueue',
      }),
    );
  });
});

// CloudWatch runs an alarm's actions only when its state changes (CloudWatch user guide, "Using Amazon CloudWatch
// alarms": actions are invoked for state changes, not for sustained states). So "pages on every new dead letter"
// is judged by replaying a DLQ's per-minute depth through the alarm as CloudWatch evaluates it and counting the
// OK → ALARM transitions: the notifications on-call receives.
type AlarmProps = Record<string, CfnAny>;
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON read in assertions
type CfnAny = any;

/** The alarm's datapoint per minute from the queue's per-minute ApproximateNumberOfMessagesVisible (Maximum). */
function datapoints(alarm: AlarmProps, visible: readonly number[]): Array<number | undefined> {
  if (alarm.MetricName !== undefined) {
    expect(alarm).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Period: 60 });
    return [...visible];
  }
  const returned = (alarm.Metrics as AlarmProps[]).filter((m) => m.ReturnData !== false);
  expect(returned).toHaveLength(1);
  const diff = /^DIFF\((\w+)\)$/.exec(returned[0]?.Expression ?? '');
  if (!diff) throw new Error(`no model of CloudWatch's ${returned[0]?.Expression} here`);
  const input = (alarm.Metrics as AlarmProps[]).find((m) => m.Id === diff[1]);
  expect(input?.MetricStat).toMatchObject({
    Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' },
    Period: 60,
    Stat: 'Maximum',
  });
  // CloudWatch metric math: DIFF returns each value minus the preceding one (none for the first).
  return visible.map((v, i) => (i === 0 ? undefined : v - (visible[i - 1] as number)));
}

/** How many times the alarm goes into ALARM (and so notifies) over the replayed minutes. */
function alarmNotifications(alarm: AlarmProps, visible: readonly number[]): number {
  expect(alarm).toMatchObject({
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
  });
  let state = 'OK';
  let notifications = 0;
  for (const value of datapoints(alarm, visible)) {
    const next = value !== undefined && value >= alarm.Threshold ? 'ALARM' : 'OK';
    if (next === 'ALARM' && state !== 'ALARM') notifications += 1;
    state = next;
  }
  return notifications;
}

describe('DLQ alarm', () => {
  // Minute by minute: a first dead letter, a second and a third while the first still waits (nobody redrove).
  const DLQ_DEPTH = [0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3];
  const dlqAlarm = (env: (typeof ENVS)[number]) =>
    metricAlarms(synthEnv(env)).find(
      ([, a]) => a.Properties.AlarmName === `signalgate-${env}-dlq-not-empty`,
    )?.[1].Properties as AlarmProps;

  it.each(ENVS)('pages on every new dead letter while earlier ones still wait (%s)', (env) => {
    const alarm = dlqAlarm(env);
    expect(alarm.Metrics).toEqual([
      { Id: 'expr_1', Expression: 'DIFF(visible)', Label: 'New dead letters', ReturnData: true },
      {
        Id: 'visible',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Dimensions: [{ Name: 'QueueName', Value: expect.anything() }],
          },
          Period: 60,
          Stat: 'Maximum',
        },
        ReturnData: false,
      },
    ]);
    expect(alarm.Threshold).toBe(1);
    expect(alarm.AlarmActions).toEqual([TOPIC]);
    expect(alarmNotifications(alarm, DLQ_DEPTH)).toBe(3);
    // A redrive (the depth falls) is no new dead letter.
    expect(alarmNotifications(alarm, [0, 3, 3, 0, 0])).toBe(1);
  });

  it('replays the depth the way it judges: the former alarm on the depth itself pages once for the same three', () => {
    const former: AlarmProps = {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Period: 60,
      Statistic: 'Maximum',
      Threshold: 1,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    };
    expect(alarmNotifications(former, DLQ_DEPTH)).toBe(1);
  });
});
