// The one place admin outcomes become HTTP responses (ARCHITECTURE §2): generic error bodies, the
// security headers on every response, and the same 401 body whether the token was missing or wrong.

import type { APIGatewayProxyResult } from 'aws-lambda';
import { type ErrorStatus, errorResponse, jsonResponse, RETRY_AFTER_SECONDS } from '../shared/http.js';
import { type AdminOutcome, statusOf } from './admin-core.js';

export function adminResponse(outcome: AdminOutcome): APIGatewayProxyResult {
  if (outcome.kind === 'ok') return jsonResponse(200, outcome.body);
  if (outcome.kind === 'accepted') return jsonResponse(202, outcome.body);
  if (outcome.kind === 'unavailable')
    return errorResponse(503, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
  const status = statusOf(outcome) as ErrorStatus;
  switch (outcome.reason) {
    case 'method_not_allowed':
      return errorResponse(status, outcome.allow ? { Allow: outcome.allow } : {});
    case 'locked_out':
      return errorResponse(status, { 'Retry-After': String(outcome.retryAfterSeconds ?? 60) });
    default:
      return errorResponse(status);
  }
}
