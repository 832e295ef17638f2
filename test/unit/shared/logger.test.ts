// Every log line of a Lambda invocation names it (request id, cold start, X-Ray trace id), and stays masked.
import { describe, expect, it } from 'vitest';
import { withInvocation } from '../../../lambda/shared/invocation.js';
import { createLogger } from '../../../lambda/shared/logger.js';
import { inboundParams, signedWebhookEvent } from '../../helpers/api-events.js';
import { webhookFixture } from '../../helpers/webhook-fixture.js';

const TRACE_HEADER = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
const lambdaContext = (awsRequestId: string) => ({ awsRequestId, getRemainingTimeInMillis: () => 9_000 });
const parsed = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('log lines of a Lambda invocation', () => {
  it('carry the request id, cold start true then false, and the X-Ray trace id of the webhook handler', async () => {
    const f = webhookFixture();
    const env: NodeJS.ProcessEnv = { _X_AMZN_TRACE_ID: TRACE_HEADER };
    const handler = withInvocation(f.handler, env);

    const first = await handler(
      signedWebhookEvent({ token: f.token, params: inboundParams() }),
      lambdaContext('8f5a2b7e-0000-4000-8000-000000000001'),
    );
    env._X_AMZN_TRACE_ID = 'Root=1-67891233-abcdef012345678912345678;Parent=463ac35c9f6413ad;Sampled=0';
    const second = await handler(
      signedWebhookEvent({ token: f.token, params: inboundParams() }),
      lambdaContext('8f5a2b7e-0000-4000-8000-000000000002'),
    );
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);

    const lines = parsed(f.logs).filter((line) => line.event === 'webhook.queued');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      awsRequestId: '8f5a2b7e-0000-4000-8000-000000000001',
      coldStart: true,
      xrayTraceId: '1-5759e988-bd862e3fe1be46a994272793',
    });
    expect(lines[1]).toMatchObject({
      awsRequestId: '8f5a2b7e-0000-4000-8000-000000000002',
      coldStart: false,
      xrayTraceId: '1-67891233-abcdef012345678912345678',
    });
    // Every line the invocations wrote, not only the ones checked above.
    for (const line of parsed(f.logs)) expect(line.awsRequestId).toMatch(/^8f5a2b7e-/);
  });

  it('leaves the trace id out when the invocation is not traced', async () => {
    const lines: string[] = [];
    const logger = createLogger('signalgate-test', (line) => lines.push(line));
    const handler = withInvocation(async () => logger.info('test.event'), {});
    await handler({}, lambdaContext('req-untraced'));
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      level: 'info',
      time: expect.any(String),
      service: 'signalgate-test',
      event: 'test.event',
      awsRequestId: 'req-untraced',
      coldStart: true,
    });
  });

  it('counts no invocation as cold in an environment initialised for provisioned concurrency', async () => {
    const lines: string[] = [];
    const logger = createLogger('signalgate-test', (line) => lines.push(line));
    const handler = withInvocation(async () => logger.info('test.event'), {
      AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency',
    });
    await handler({}, lambdaContext('req-warm'));
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ awsRequestId: 'req-warm', coldStart: false });
  });

  it('names no invocation outside one (init, the local stack)', async () => {
    const lines: string[] = [];
    const logger = createLogger('signalgate-test', (line) => lines.push(line));
    const handler = withInvocation(async () => logger.info('test.inside'), {});
    await handler({}, lambdaContext('req-1'));
    logger.info('test.after');
    const after = JSON.parse(lines[1] ?? '') as Record<string, unknown>;
    expect(after.event).toBe('test.after');
    expect(after).not.toHaveProperty('awsRequestId');
    expect(after).not.toHaveProperty('coldStart');
  });

  it('still masks numbers and redacts secrets on a line that names the invocation', async () => {
    const lines: string[] = [];
    const logger = createLogger('signalgate-test', (line) => lines.push(line));
    const handler = withInvocation(
      async () =>
        logger.warn('test.masked', {
          From: '+14155550100',
          note: 'reply to +447700900123 later',
          authToken: '0123456789abcdef0123456789abcdef',
          signature: 'c2lnbmF0dXJl',
        }),
      { _X_AMZN_TRACE_ID: TRACE_HEADER },
    );
    await handler({}, lambdaContext('req-masked'));
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      awsRequestId: 'req-masked',
      xrayTraceId: '1-5759e988-bd862e3fe1be46a994272793',
      From: '+1415****00',
      note: 'reply to +4477****23 later',
      authToken: '[redacted]',
      signature: '[redacted]',
    });
    expect(lines[0]).not.toContain('5550100');
    expect(lines[0]).not.toContain('0123456789abcdef');
  });
});
