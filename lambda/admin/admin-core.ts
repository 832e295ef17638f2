// The admin API's decisions (ARCHITECTURE §2, §4, §5): lockout, authentication, the route's action,
// and one audit row per call whatever the outcome. Expected outcomes are values; faults of the ports
// become `unavailable`. The database holds the audit trail and the lockouts, so without it only
// /admin/health answers (and says the database is unreachable); every other route answers 503.

import type { BlindIndexer } from '../shared/blind-index.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { LogEvent, MetricName } from '../shared/names.js';
import { isE164 } from '../shared/phone.js';
import type { Clock } from '../shared/ports.js';
import type { Sealer } from '../shared/seal.js';
import { type AdminAuthResult, NO_CALLER } from './admin-auth.js';
import { adminHealth, type HealthDeps } from './admin-health.js';
import { adminMetrics, type MetricsDeps } from './admin-metrics.js';
import type {
  AuditEntry,
  AuditLog,
  AuditOutcome,
  LockoutPolicy,
  LockoutStore,
  RetentionStore,
  SubjectRecords,
} from './ports.js';
import { runRetention } from './retention.js';
import type { RouteMatch } from './routes.js';
import { exportSubject } from './subject-export.js';

/** Default and largest page of GET /admin/audit. */
export const AUDIT_PAGE = { default: 100, max: 500 } as const;

export interface AdminCoreDeps extends HealthDeps, MetricsDeps {
  readonly tokens: { verify(presented: string | undefined): Promise<AdminAuthResult> };
  readonly lockouts: LockoutStore;
  readonly lockoutPolicy: LockoutPolicy;
  readonly audit: AuditLog;
  readonly subjects: SubjectRecords;
  readonly retention: RetentionStore;
  readonly retentionDays: number;
  readonly sealer: Sealer;
  readonly blindIndex: () => Promise<BlindIndexer>;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly clock: Clock;
}

export interface AdminRequest {
  readonly match: RouteMatch;
  readonly token: string | undefined;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly query: Readonly<Record<string, string | undefined>>;
}

export type RefusalReason = 'not_found' | 'method_not_allowed' | 'unauthorized' | 'locked_out' | 'invalid';

export type AdminOutcome =
  | { readonly kind: 'ok'; readonly body: unknown }
  | {
      readonly kind: 'refused';
      readonly reason: RefusalReason;
      readonly allow?: string;
      readonly retryAfterSeconds?: number;
    }
  | { readonly kind: 'unavailable' };

type RouteResult = AdminOutcome & { readonly detail?: Record<string, unknown> };

const refused = (reason: RefusalReason): AdminOutcome => ({ kind: 'refused', reason });
const UNAVAILABLE: AdminOutcome = { kind: 'unavailable' };

/** The HTTP status of an outcome: the audit row records it, responses.ts sends it. */
export function statusOf(outcome: AdminOutcome): number {
  if (outcome.kind === 'ok') return 200;
  if (outcome.kind === 'unavailable') return 503;
  return { not_found: 404, method_not_allowed: 405, unauthorized: 401, locked_out: 429, invalid: 400 }[
    outcome.reason
  ];
}

function auditOutcomeOf(outcome: AdminOutcome): AuditOutcome {
  if (outcome.kind === 'ok') return 'allowed';
  if (outcome.kind === 'unavailable') return 'error';
  return outcome.reason;
}

export async function handleAdminRequest(request: AdminRequest, deps: AdminCoreDeps): Promise<AdminOutcome> {
  const call = { caller: NO_CALLER, detail: undefined as Record<string, unknown> | undefined };
  const outcome = await decide(request, deps, call);
  return record(request, outcome, call, deps);
}

async function decide(
  request: AdminRequest,
  deps: AdminCoreDeps,
  call: { caller: string; detail: Record<string, unknown> | undefined },
): Promise<AdminOutcome> {
  const { match } = request;
  if (match.kind === 'not_found') return refused('not_found');
  if (match.kind === 'method_not_allowed')
    return { kind: 'refused', reason: 'method_not_allowed', allow: match.allow };
  const healthOnly = match.name === 'health';
  const now = deps.clock.now();

  try {
    const until = await deps.lockouts.lockedUntil(request.sourceIp, now);
    if (until !== undefined) {
      return {
        kind: 'refused',
        reason: 'locked_out',
        retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)),
      };
    }
  } catch (error) {
    deps.logger.error(LogEvent.adminFault, { step: 'lockout check', error });
    if (!healthOnly) return UNAVAILABLE;
  }

  let auth: AdminAuthResult;
  try {
    auth = await deps.tokens.verify(request.token);
  } catch (error) {
    deps.logger.error(LogEvent.adminFault, { step: 'admin token', error });
    return UNAVAILABLE;
  }
  call.caller = auth.fingerprint;
  if (!auth.valid) {
    await countFailure(request, match.template, auth.fingerprint, now, deps);
    return refused('unauthorized');
  }
  if (auth.version === 'previous') {
    deps.logger.warn(LogEvent.previousAdminTokenUsed, {
      fingerprint: auth.fingerprint,
      sourceIp: request.sourceIp,
    });
  }

  try {
    const result = await runRoute(match.name, match.phone, request.query, deps);
    call.detail = result.detail;
    const { detail: _detail, ...outcome } = result;
    return outcome;
  } catch (error) {
    deps.logger.error(LogEvent.adminFault, { route: match.template, error });
    return UNAVAILABLE;
  }
}

async function countFailure(
  request: AdminRequest,
  route: string,
  fingerprint: string,
  now: number,
  deps: AdminCoreDeps,
) {
  deps.metrics.count(MetricName.AdminAuthFailures);
  deps.logger.security(LogEvent.adminAuthRejected, {
    route,
    sourceIp: request.sourceIp,
    requestId: request.requestId,
    tokenPresent: fingerprint !== NO_CALLER,
    fingerprint,
  });
  try {
    const counted = await deps.lockouts.recordFailure(request.sourceIp, now, deps.lockoutPolicy);
    if (counted.lockedUntil !== undefined) {
      deps.metrics.count(MetricName.AdminLockouts);
      deps.logger.security(LogEvent.adminLockout, {
        sourceIp: request.sourceIp,
        failures: counted.failures,
        until: new Date(counted.lockedUntil).toISOString(),
      });
    }
  } catch (error) {
    // The refusal stands; only the count is lost (the WAF's admin rate limit still applies).
    deps.logger.error(LogEvent.adminFault, { step: 'lockout count', error });
  }
}

async function runRoute(
  name: Extract<RouteMatch, { kind: 'route' }>['name'],
  phone: string | undefined,
  query: AdminRequest['query'],
  deps: AdminCoreDeps,
): Promise<RouteResult> {
  switch (name) {
    case 'health':
      return { kind: 'ok', body: await adminHealth(deps) };
    case 'metrics':
      return { kind: 'ok', body: await adminMetrics(deps) };
    case 'subjectMessages': {
      if (phone === undefined || !isE164(phone)) return refused('invalid');
      const index = (await deps.blindIndex())(phone);
      const exported = await exportSubject(await deps.subjects.find(index), deps.sealer, deps.logger);
      return {
        kind: 'ok',
        body: exported,
        detail: { messages: exported.messages.length, statuses: exported.statuses.length },
      };
    }
    case 'subject': {
      if (phone === undefined || !isE164(phone)) return refused('invalid');
      const index = (await deps.blindIndex())(phone);
      const erased = await deps.subjects.erase(index);
      return {
        kind: 'ok',
        body: { erased: erased.messages },
        detail: { erased: erased.messages, statuses: erased.statuses, quarantined: erased.quarantined },
      };
    }
    case 'retentionRun': {
      const run = await runRetention(deps);
      return {
        kind: 'ok',
        body: { deleted: run.messages },
        detail: { deleted: run.messages, statuses: run.statuses, cutoff: run.cutoff },
      };
    }
    case 'audit': {
      const limit = parseLimit(query.limit);
      if (limit === undefined) return refused('invalid');
      const entries = await deps.audit.latest(limit);
      return { kind: 'ok', body: { entries: entries.map(auditView) }, detail: { entries: entries.length } };
    }
  }
}

function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined) return AUDIT_PAGE.default;
  if (!/^\d{1,4}$/.test(raw)) return undefined;
  const limit = Number(raw);
  return limit >= 1 && limit <= AUDIT_PAGE.max ? limit : undefined;
}

function auditView(entry: AuditEntry) {
  return {
    at: entry.at.toISOString(),
    route: entry.route,
    method: entry.method,
    outcome: entry.outcome,
    status: entry.status,
    sourceIp: entry.sourceIp,
    requestId: entry.requestId,
    caller: entry.caller,
    ...(entry.detail ? { detail: entry.detail } : {}),
  };
}

async function record(
  request: AdminRequest,
  outcome: AdminOutcome,
  call: { caller: string; detail: Record<string, unknown> | undefined },
  deps: AdminCoreDeps,
): Promise<AdminOutcome> {
  const { match } = request;
  const entry: AuditEntry = {
    at: new Date(deps.clock.now()),
    route: match.kind === 'not_found' ? 'unknown' : match.template,
    method: match.method,
    outcome: auditOutcomeOf(outcome),
    status: statusOf(outcome),
    sourceIp: request.sourceIp,
    requestId: request.requestId,
    caller: call.caller,
    ...(call.detail ? { detail: call.detail } : {}),
  };
  // `caller` is a log key the redactor masks as a phone number, so the fingerprint goes under its own name;
  // the time is the log line's own.
  const { at: _at, caller, ...rest } = entry;
  const logged = { ...rest, fingerprint: caller };
  deps.logger.info(LogEvent.adminCall, logged);
  try {
    await deps.audit.append(entry);
  } catch (error) {
    deps.logger.error(LogEvent.adminAuditFailed, { entry: logged, error });
    // Data and actions are only handed out when they are on record; health stays answerable.
    const healthOnly = match.kind === 'route' && match.name === 'health';
    if (outcome.kind === 'ok' && !healthOnly) return UNAVAILABLE;
  }
  return outcome;
}
