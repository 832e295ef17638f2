// Adapter from API Gateway REST proxy events to the admin core; the Lambda and the local stack both
// build their handler here, each with its own ports.

import { type ApiHandler, bodyBytes, errorResponse, header, RETRY_AFTER_SECONDS } from '../shared/http.js';
import { LogEvent } from '../shared/names.js';
import { type AdminCoreDeps, handleAdminRequest } from './admin-core.js';
import { adminResponse } from './responses.js';
import { matchAdminRoute } from './routes.js';

export const ADMIN_TOKEN_HEADER = 'x-admin-token';

export type AdminDeps = AdminCoreDeps;

export function makeAdminHandler(getDeps: () => Promise<AdminDeps>): ApiHandler {
  return async (event) => {
    let deps: AdminDeps;
    try {
      deps = await getDeps();
    } catch {
      return errorResponse(503, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
    }
    try {
      const outcome = await handleAdminRequest(
        {
          match: matchAdminRoute(event),
          token: header(event, ADMIN_TOKEN_HEADER),
          // API Gateway's view of the client (the last proxy hop), not a spoofable X-Forwarded-For.
          sourceIp: event.requestContext?.identity?.sourceIp || 'unknown',
          requestId: event.requestContext?.requestId || 'unknown',
          userAgent: header(event, 'user-agent') ?? event.requestContext?.identity?.userAgent ?? undefined,
          query: event.queryStringParameters ?? {},
          body:
            event.body === null || event.body === undefined ? undefined : bodyBytes(event).toString('utf8'),
        },
        deps,
      );
      return adminResponse(outcome);
    } catch (error) {
      deps.logger.error(LogEvent.adminUnexpectedFault, { error });
      return errorResponse(503, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
    } finally {
      deps.metrics.flush();
    }
  };
}
