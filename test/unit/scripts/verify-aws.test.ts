import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetWebACLForResourceCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import { mockClient } from 'aws-sdk-client-mock';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { describe, expect, it } from 'vitest';
import { alarmReachesOnCall, findDeployment, wafProtectsStage } from '../../../scripts/verify/aws-checks.js';
import { CheckFailedError, runChecklist } from '../../../scripts/verify/checklist.js';
import { buildChecks } from '../../../scripts/verify/verify-checks.js';

const REGION = { region: 'eu-west-1' };
const SID = 'AC00bbd43b1bb444751cd45ce0288620a1';
const TOKEN = '9f3c2a7e51b04d8c6a2e0f1b3d5c7e9a';
const ADMIN = 'Zk3vQ8wT1nR5yU2oP7aS4dF9gH6jK0lX3cV8bN1mQ5wE7rT2yU4iO9pA6sD0fG3h';
const BASE = 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1';
const TOPIC = 'arn:aws:sns:eu-west-1:480957213366:signalgate-prod-on-call';
const STAGE = 'arn:aws:apigateway:eu-west-1::/restapis/abc123/stages/v1';
const ACL = 'arn:aws:wafv2:eu-west-1:480957213366:regional/webacl/signalgate-prod/0f1e2d3c';

/** A deployed prod: its stack outputs and secrets as the AWS APIs return them. */
function deployedAws(
  twilioToken = TOKEN,
  adminSecrets: Record<string, unknown> = { 'signalgate/prod/admin-credential/support': { token: ADMIN } },
) {
  const cloudFormation = new CloudFormationClient(REGION);
  const cfn = mockClient(cloudFormation);
  const output = (OutputKey: string, OutputValue: string) => ({ OutputKey, OutputValue });
  cfn.on(DescribeStacksCommand, { StackName: 'signalgate-prod-api' }).resolves({
    Stacks: [
      {
        StackName: 'signalgate-prod-api',
        CreationTime: new Date(),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: [
          output('PublicBaseUrl', `${BASE}/`),
          output(
            'AdminCredentials',
            JSON.stringify({
              'privacy-1': { role: 'privacy', secretName: 'signalgate/prod/admin-credential/privacy-1' },
              ops: { role: 'operator', secretName: 'signalgate/prod/admin-credential/ops' },
              support: { role: 'reader', secretName: 'signalgate/prod/admin-credential/support' },
            }),
          ),
          output('TwilioAuthTokenSecretNames', `signalgate/prod/twilio-auth-token/${SID}`),
          output('StageArn', STAGE),
          output('WebAclArn', ACL),
        ],
      },
    ],
  });
  cfn.on(DescribeStacksCommand, { StackName: 'signalgate-prod-monitoring' }).resolves({
    Stacks: [
      {
        StackName: 'signalgate-prod-monitoring',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [output('OnCallTopicArn', TOPIC)],
      },
    ],
  });
  const secretsManager = new SecretsManagerClient(REGION);
  const sm = mockClient(secretsManager);
  // Every other holder's secret denies the operator (its resource policy), as AWS answers.
  sm.on(GetSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
  sm.on(GetSecretValueCommand, { SecretId: `signalgate/prod/twilio-auth-token/${SID}` }).resolves({
    SecretString: JSON.stringify({ accountSid: SID, authToken: twilioToken }),
  });
  for (const [name, value] of Object.entries(adminSecrets))
    sm.on(GetSecretValueCommand, { SecretId: name }).resolves({ SecretString: JSON.stringify(value) });
  const cloudWatch = new CloudWatchClient(REGION);
  const cw = mockClient(cloudWatch);
  const wafv2 = new WAFV2Client(REGION);
  const waf = mockClient(wafv2);
  return { clients: { cloudFormation, secretsManager, cloudWatch, wafv2 }, cfn, sm, cw, waf };
}

const noSleep = async () => {};

/** SNS topic sums as GetMetricData returns them, one call after another. */
function snsAnswers(...sums: Array<{ delivered: number; failed: number }>) {
  return sums.map(({ delivered, failed }) => ({
    MetricDataResults: [
      { Id: 'delivered', Values: delivered ? [delivered] : [] },
      { Id: 'failed', Values: failed ? [failed] : [] },
    ],
  }));
}

function okAlarm(cw: ReturnType<typeof deployedAws>['cw']) {
  cw.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [{ AlarmName: 'signalgate-prod-dlq-not-empty', StateValue: 'OK', AlarmActions: [TOPIC] }],
  });
  cw.on(SetAlarmStateCommand).resolves({});
}

describe('npm run verify --env: AWS checks (mocked AWS clients)', () => {
  it('finds the URL and tokens from the stack outputs and the secrets', async () => {
    const aws = deployedAws();
    const d = await findDeployment('prod', aws.clients);
    expect(d).toEqual({
      http: { baseUrl: BASE, accountSid: SID, twilioToken: TOKEN, adminToken: ADMIN },
      topicArn: TOPIC,
      stageArn: STAGE,
      webAclArn: ACL,
    });
  });

  it("takes the least privileged holder's token the operator may read (reader first, then operator)", async () => {
    const both = {
      'signalgate/prod/admin-credential/ops': { token: 'O'.repeat(40) },
      'signalgate/prod/admin-credential/privacy-1': { token: 'P'.repeat(40) },
    };
    const d = await findDeployment('prod', deployedAws(TOKEN, both).clients);
    expect(d.http.adminToken).toBe('O'.repeat(40));
    await expect(findDeployment('prod', deployedAws(TOKEN, {}).clients)).rejects.toThrow(
      "cannot read any admin holder's token (signalgate/prod/admin-credential/support, signalgate/prod/admin-credential/ops, signalgate/prod/admin-credential/privacy-1): set admin.holders[].principalArn to your role (docs/DEPLOY.md)",
    );
  });

  it('stops at a Twilio secret that still holds the placeholder', async () => {
    const aws = deployedAws('REPLACE_ME_WITH_THE_TWILIO_AUTH_TOKEN');
    await expect(findDeployment('prod', aws.clients)).rejects.toThrow(CheckFailedError);
    await expect(findDeployment('prod', aws.clients)).rejects.toThrow(
      `signalgate/prod/twilio-auth-token/${SID} holds no Twilio auth token yet: npm run twilio-token -- --env prod`,
    );
  });

  it('names a stack that is not deployed', async () => {
    const aws = deployedAws();
    aws.cfn.on(DescribeStacksCommand, { StackName: 'signalgate-prod-api' }).rejects(
      Object.assign(new Error('Stack with id signalgate-prod-api does not exist'), {
        name: 'ValidationError',
      }),
    );
    await expect(findDeployment('prod', aws.clients)).rejects.toThrow(
      'stack signalgate-prod-api does not exist in this account/region',
    );
  });

  it('sets an OK alarm to ALARM, sees SNS deliver it, and restores it', async () => {
    const aws = deployedAws();
    okAlarm(aws.cw);
    const answers = snsAnswers({ delivered: 0, failed: 0 }, { delivered: 2, failed: 0 });
    aws.cw
      .on(GetMetricDataCommand)
      .resolvesOnce(answers[0] ?? {})
      .resolvesOnce(answers[1] ?? {});
    const detail = await alarmReachesOnCall(aws.clients.cloudWatch, TOPIC, { sleep: noSleep });
    expect(detail).toBe('"signalgate-prod-dlq-not-empty" delivered to 2 subscription(s)');
    expect(aws.cw.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toEqual({
      ActionPrefix: TOPIC,
      StateValue: 'OK',
      AlarmTypes: ['MetricAlarm'],
    });
    expect(aws.cw.commandCalls(SetAlarmStateCommand).map((c) => c.args[0].input.StateValue)).toEqual([
      'ALARM',
      'OK',
    ]);
    const query = aws.cw.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries ?? [];
    expect(query.map((q) => [q.MetricStat?.Metric?.Namespace, q.MetricStat?.Metric?.MetricName])).toEqual([
      ['AWS/SNS', 'NumberOfNotificationsDelivered'],
      ['AWS/SNS', 'NumberOfNotificationsFailed'],
    ]);
    expect(query[0]?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'TopicName', Value: 'signalgate-prod-on-call' },
    ]);
  });

  it('fails on a failed delivery, and still restores the alarm', async () => {
    const aws = deployedAws();
    okAlarm(aws.cw);
    aws.cw.on(GetMetricDataCommand).resolves(snsAnswers({ delivered: 0, failed: 1 })[0] ?? {});
    await expect(alarmReachesOnCall(aws.clients.cloudWatch, TOPIC, { sleep: noSleep })).rejects.toThrow(
      '"signalgate-prod-dlq-not-empty": 1 notification(s) failed to deliver (NumberOfNotificationsFailed)',
    );
    expect(aws.cw.commandCalls(SetAlarmStateCommand).map((c) => c.args[0].input.StateValue)).toEqual([
      'ALARM',
      'OK',
    ]);
  });

  it('fails when nothing is delivered in time (no confirmed subscription)', async () => {
    const aws = deployedAws();
    okAlarm(aws.cw);
    aws.cw.on(GetMetricDataCommand).resolves(snsAnswers({ delivered: 0, failed: 0 })[0] ?? {});
    let t = 0;
    const attempt = alarmReachesOnCall(aws.clients.cloudWatch, TOPIC, {
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
      timeoutMs: 60_000,
      pollMs: 20_000,
    });
    await expect(attempt).rejects.toThrow(/set to ALARM but nothing delivered within 1 min/);
    expect(aws.cw.commandCalls(SetAlarmStateCommand)).toHaveLength(2);
  });

  it('does not touch any alarm when none is in OK state', async () => {
    const aws = deployedAws();
    aws.cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    await expect(alarmReachesOnCall(aws.clients.cloudWatch, TOPIC, { sleep: noSleep })).rejects.toThrow(
      'no alarm of the on-call topic is in OK state to test with',
    );
    expect(aws.cw.commandCalls(SetAlarmStateCommand)).toHaveLength(0);
  });

  it('checks that WAF reports the stack web ACL for the stage', async () => {
    const aws = deployedAws();
    aws.waf.on(GetWebACLForResourceCommand, { ResourceArn: STAGE }).resolves({
      WebACL: {
        Name: 'signalgate-prod',
        Id: '0f1e2d3c',
        ARN: ACL,
        DefaultAction: {},
        VisibilityConfig: undefined as never,
      },
    });
    expect(await wafProtectsStage(aws.clients.wafv2, STAGE, ACL)).toBe('signalgate-prod');
    aws.waf.on(GetWebACLForResourceCommand).resolves({});
    await expect(wafProtectsStage(aws.clients.wafv2, STAGE, ACL)).rejects.toThrow(
      `no web ACL is associated with ${STAGE}`,
    );
  });

  it('accepts a stage without web ACL only when the stack declares none (waf.enabled false), and says so', async () => {
    const aws = deployedAws();
    aws.waf.on(GetWebACLForResourceCommand).resolves({});
    expect(await wafProtectsStage(aws.clients.wafv2, STAGE, undefined)).toBe(
      'no web ACL, as configured (waf.enabled false, docs/SECURITY.md)',
    );
    aws.waf
      .on(GetWebACLForResourceCommand)
      .resolves({ WebACL: { Name: 'hand-made', Id: 'x', ARN: ACL } as never });
    await expect(wafProtectsStage(aws.clients.wafv2, STAGE, undefined)).rejects.toThrow(
      `${STAGE} is protected by hand-made, which the stack does not declare (waf.enabled is false)`,
    );
  });

  it('runs the whole checklist: deployment, HTTP checks against its URL, alarm, WAF', async () => {
    const aws = deployedAws();
    okAlarm(aws.cw);
    aws.cw.on(GetMetricDataCommand).resolves(snsAnswers({ delivered: 1, failed: 0 })[0] ?? {});
    aws.waf
      .on(GetWebACLForResourceCommand)
      .resolves({ WebACL: { Name: 'signalgate-prod', Id: 'x', ARN: ACL } as never });
    // A deployment that answers like the real one: refuses what is not signed with TOKEN for its URL.
    let storedSid: string | undefined;
    const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input);
      if (url === `${BASE}/health`) return Response.json({ status: 'ok' });
      if (url === `${BASE}/admin/health`) {
        const ok = new Headers(init?.headers).get('X-Admin-Token') === ADMIN;
        if (!ok) return Response.json({ error: 'unauthorized' }, { status: 401 });
        return Response.json({ status: 'ok', latestSynthetic: storedSid ? { messageSid: storedSid } : null });
      }
      if (url === `${BASE}/webhooks/twilio/messages`) {
        const params = Object.fromEntries(new URLSearchParams(String(init?.body)));
        const signature = new Headers(init?.headers).get('X-Twilio-Signature');
        if (signature !== getExpectedTwilioSignature(TOKEN, url, params))
          return new Response('', { status: 403 });
        if (params.SignalgateSynthetic === 'verify') storedSid = params.MessageSid;
        return new Response('<Response/>', { status: 200 });
      }
      return new Response('', { status: 404 });
    }) as typeof fetch;
    const lines: string[] = [];
    const results = await runChecklist(
      buildChecks(
        { kind: 'aws', envName: 'prod', clients: aws.clients },
        { http: { fetch: fakeFetch, sleep: noSleep }, alarm: { sleep: noSleep } },
      ),
      (l) => lines.push(l),
    );
    expect(lines.map((l) => l.replace(/ — .*$/, ''))).toEqual([
      '✓ deployment found (stack outputs, secrets)',
      '✓ public health answers 200',
      '✓ an unsigned message is refused (403)',
      '✓ a signed test message is accepted (200)',
      '✓ admin health is green',
      '✓ the test message was stored',
      '✓ the voice route answers a signed test call with TwiML (200)',
      '✓ an alarm reaches on-call (SNS delivered)',
      '✓ the WAF protects the API stage',
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    for (const secret of [TOKEN, ADMIN]) expect(lines.join('\n')).not.toContain(secret);
  });

  it('fails "stored" when admin health never shows the test message', async () => {
    const fakeFetch = (async (input: string | URL | Request) => {
      const url = String(input);
      if (url.endsWith('/admin/health')) return Response.json({ status: 'ok', latestSynthetic: null });
      if (url.endsWith('/health')) return Response.json({ status: 'ok' });
      return new Response('', { status: 200 });
    }) as typeof fetch;
    const lines: string[] = [];
    let t = 0;
    const checks = buildChecks(
      {
        kind: 'url',
        url: 'http://127.0.0.1:1',
        env: { TWILIO_AUTH_TOKEN: TOKEN, ADMIN_TOKEN: ADMIN, TWILIO_ACCOUNT_SID: SID },
        cwd: '/nonexistent',
      },
      {
        http: {
          fetch: fakeFetch,
          storeTimeoutMs: 0,
          sleep: async (ms) => {
            t += ms;
          },
        },
      },
    );
    await runChecklist(checks, (l) => lines.push(l));
    // This fake also answers 200 to the unsigned message: verify must call that out too.
    expect(lines).toContain(
      '✗ an unsigned message is refused (403) — answered 200, not 403: forgeries may pass',
    );
    expect(lines).toContain(
      '✗ the test message was stored — not stored within 0 s: look at the queue, the DLQ and the ingest logs',
    );
    expect(t).toBe(0);
  });
});
