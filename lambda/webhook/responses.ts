// The one place webhook outcomes become HTTP responses (ARCHITECTURE §2).

import type { APIGatewayProxyResult } from 'aws-lambda';
import { errorResponse, RETRY_AFTER_SECONDS, SECURITY_HEADERS } from '../shared/http.js';
import type { WebhookOutcome } from './webhook-core.js';

/** What twilio-node's `new MessagingResponse().toString()` produces: reply with nothing. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

export function webhookResponse(outcome: WebhookOutcome): APIGatewayProxyResult {
  switch (outcome.kind) {
    case 'accepted':
      // A message is answered with empty TwiML, an incoming call with its TwiML, a callback with 204.
      return outcome.webhook === 'message' || outcome.webhook === 'voice'
        ? {
            statusCode: 200,
            headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/xml; charset=utf-8' },
            body: outcome.twiml ?? EMPTY_TWIML,
          }
        : { statusCode: 204, headers: { ...SECURITY_HEADERS }, body: '' };
    case 'rejected':
      switch (outcome.reason) {
        case 'too_large':
          return errorResponse(413);
        case 'media_type':
          return errorResponse(415);
        case 'signature':
          return errorResponse(403);
      }
      break;
    case 'unavailable':
      // Twilio retries only on connection failures unless the URL carries #rc/#rp overrides (docs/DEPLOY.md).
      return errorResponse(503, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
  }
  return errorResponse(503);
}
