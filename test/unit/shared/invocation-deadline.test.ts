// The invocation's deadline, from the Lambda context: what the webhook's AWS calls must finish by, so the
// function answers (503, Twilio retries) before Lambda stops it (502, nothing logged).
import { describe, expect, it } from 'vitest';
import { invocationDeadline, withInvocation } from '../../../lambda/shared/invocation.js';

describe('invocation deadline', () => {
  it("is Lambda's remaining time less one second for the answer, during the invocation only", async () => {
    const now = () => 1_000_000;
    let seen: number | undefined;
    const handler = withInvocation(
      async () => {
        seen = invocationDeadline();
      },
      {},
      now,
    );
    await handler({}, { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 10_000 });
    // 10 s the function has left, 1 s kept to answer: calls must end by 1,009,000.
    expect(seen).toBe(1_009_000);
    expect(invocationDeadline()).toBeUndefined();
  });

  it('is none where the context cannot tell (the local stack, tests)', async () => {
    let seen: number | undefined = 0;
    const handler = withInvocation(async () => {
      seen = invocationDeadline();
    }, {});
    await handler({}, { awsRequestId: 'req-2' });
    expect(seen).toBeUndefined();
  });

  it('is cleared when the handler throws', async () => {
    const handler = withInvocation(async () => {
      throw new Error('boom');
    }, {});
    await expect(
      handler({}, { awsRequestId: 'req-3', getRemainingTimeInMillis: () => 5_000 }),
    ).rejects.toThrow('boom');
    expect(invocationDeadline()).toBeUndefined();
  });
});
