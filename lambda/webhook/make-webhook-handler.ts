// Adapter from API Gateway REST proxy events to the webhook core; the Lambda and the local stack
// both build their handler here, each with its own ports.

import type { APIGatewayProxyEvent } from 'aws-lambda';
import {
  type ApiHandler,
  bodyBytes,
  errorResponse,
  header,
  jsonResponse,
  mediaType,
  RETRY_AFTER_SECONDS,
} from '../shared/http.js';
import { LogEvent, Route, VoiceRoutes, type WebhookKind, WebhookRoutes } from '../shared/names.js';
import { webhookUrl } from '../shared/webhook-url.js';
import { webhookResponse } from './responses.js';
import { isVoiceKind, processWebhook, type WebhookCoreDeps } from './webhook-core.js';

/** The core's dependencies and the URL the handler builds the signed URL from. */
export interface WebhookDeps extends WebhookCoreDeps {
  /** The public base URL Twilio calls, without a trailing slash (ARCHITECTURE §3, §9). */
  readonly publicBaseUrl: string;
  /** The query string of the webhook URLs in the Twilio console, if any: part of the signed URL. */
  readonly webhookQuery?: string;
}

const KIND_OF_ROUTE: Readonly<Record<string, WebhookKind>> = { ...WebhookRoutes, ...VoiceRoutes };

/** The route of an event: API Gateway's resource template, or the path where there is none. */
function routeOf(event: APIGatewayProxyEvent): string {
  return event.resource && !event.resource.includes('{proxy') ? event.resource : event.path;
}

export function makeWebhookHandler(getDeps: () => Promise<WebhookDeps>): ApiHandler {
  return async (event) => {
    const route = routeOf(event);
    if (route === Route.health) {
      return event.httpMethod === 'GET' || event.httpMethod === 'HEAD'
        ? jsonResponse(200, { status: 'ok' })
        : errorResponse(405, { Allow: 'GET' });
    }
    const kind = KIND_OF_ROUTE[route];
    if (kind === undefined) return errorResponse(404);
    if (event.httpMethod !== 'POST') return errorResponse(405, { Allow: 'POST' });

    let deps: WebhookDeps;
    try {
      deps = await getDeps();
    } catch {
      return errorResponse(503, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
    }
    // An environment without voice has no voice routes (in AWS API Gateway has none either).
    if (isVoiceKind(kind) && !deps.voice?.config.enabled) return errorResponse(404);
    try {
      const outcome = await processWebhook(
        {
          kind,
          mediaType: mediaType(header(event, 'content-type')),
          body: bodyBytes(event),
          signature: header(event, 'x-twilio-signature'),
          url: webhookUrl(deps.publicBaseUrl, route, deps.webhookQuery),
          idempotencyToken: header(event, 'i-twilio-idempotency-token'),
          client: {
            requestId: event.requestContext?.requestId,
            sourceIp: event.requestContext?.identity?.sourceIp,
            userAgent: header(event, 'user-agent') ?? event.requestContext?.identity?.userAgent ?? undefined,
          },
        },
        deps,
      );
      return webhookResponse(outcome);
    } catch (error) {
      // Unexpected faults still answer without detail; nothing was queued, so Twilio may retry.
      deps.logger.error(LogEvent.webhookUnexpectedFault, { error });
      return errorResponse(503, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
    } finally {
      deps.metrics.flush();
    }
  };
}
