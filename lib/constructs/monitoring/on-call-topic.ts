// What the existing on-call topic needs beyond the stack's defaults: EventBridge may use its key, and an optional HTTPS pager.
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';

/** Services that publish to the on-call topic and must be able to use its customer managed key. */
export const ALARM_PUBLISHER_SERVICES = ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] as const;

/**
 * Lets each service in `services` encrypt messages for the topic with `key`, scoped to this account
 * (an SNS topic with SSE-KMS silently drops messages from a service the key policy does not allow).
 * Services the key policy already names are skipped by the caller: statements are additive.
 */
export function allowKeyUseByServices(key: kms.IKey, services: readonly string[]): void {
  if (services.length === 0) return;
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowOnCallPublishers',
      principals: services.map((service) => new iam.ServicePrincipal(service)),
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(key).account } },
    }),
  );
}

/**
 * Subscribes an HTTPS endpoint (PagerDuty, Opsgenie) to the topic in the SNS JSON envelope, which those
 * integrations parse. Plain HTTP is refused: the payload names resources and the endpoint holds a key.
 */
export function subscribeHttpsEndpoint(topic: sns.ITopic, url: string): void {
  if (!url.startsWith('https://'))
    throw new Error(`on-call endpoint must be https:// (got ${url.split('?')[0]})`);
  topic.addSubscription(new subscriptions.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS }));
}
