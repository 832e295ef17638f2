// The admin API's decisions (ARCHITECTURE §2, §4, §5): authentication (the token first, then the
// lockout count), the credential's role, the route's action, four-eyes approvals, and one audit row
// per call whatever the outcome. Expected outcomes are values; faults of the ports become
// `unavailable`. The database holds the audit trail, the approvals and the lockouts, so without it
// only /admin/health answers (and says the database is unreachable); every other route answers 503.

import type { BlindIndexer } from '../shared/blind-index.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { AdminLimit, LogEvent, MetricName } from '../shared/names.js';
import type { Clock } from '../shared/ports.js';
import type { Sealer } from '../shared/seal.js';
import { type AdminCaller, type AdminTokens, NO_CALLER } from './admin-auth.js';
import { adminHealth, type HealthDeps } from './admin-health.js';
import { adminMetrics, type MetricsDeps } from './admin-metrics.js';
import {
  APPROVAL_ID,
  decodeCursor,
  EmptyBody,
  EraseBody,
  ExportBody,
  encodeCursor,
  parseBody,
} from './admin-requests.js';
import type {
  AdminTransaction,
  Approval,
  ApprovalAction,
  ApprovalStore,
  AtomicStore,
  AuditEntry,
  AuditLog,
  AuditOutcome,
  ExportPosition,
  LockoutPolicy,
  LockoutStore,
  RetentionStore,
  SubjectRecords,
} from './ports.js';
import { runRetention } from './retention.js';
import type { RouteMatch } from './routes.js';
import { exportSubject } from './subject-export.js';

export interface AdminCoreDeps extends HealthDeps, MetricsDeps {
  readonly tokens: AdminTokens;
  readonly lockouts: LockoutStore;
  readonly lockoutPolicy: LockoutPolicy;
  readonly audit: AuditLog;
  readonly subjects: SubjectRecords;
  readonly approvals: ApprovalStore;
  /** One transaction for an erasure: claim, rows and audit row commit together or not at all. */
  readonly atomic: AtomicStore;
  /** The business's own numbers (E.164): export and erasure refuse them, one such export being everyone's data. */
  readonly ownNumbers: ReadonlySet<string>;
  /** A new approval id: 128 random bits, base64url. */
  readonly newApprovalId: () => string;
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
  /** For security events only (ARCHITECTURE §4: request id, source IP, user agent); never audited. */
  readonly userAgent?: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The request body as text; undefined when there is none. */
  readonly body: string | undefined;
}

export type RefusalReason =
  | 'not_found'
  | 'method_not_allowed'
  | 'unauthorized'
  | 'forbidden'
  | 'locked_out'
  | 'invalid'
  | 'conflict'
  | 'gone';

export type AdminOutcome =
  | { readonly kind: 'ok'; readonly body: unknown }
  /** A four-eyes request was recorded; it runs when a different privacy credential approves it. */
  | { readonly kind: 'accepted'; readonly body: { readonly request: string } }
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

const REFUSAL_STATUS: Record<RefusalReason, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  gone: 410,
  locked_out: 429,
};

/** The HTTP status of an outcome: the audit row records it, responses.ts sends it. */
export function statusOf(outcome: AdminOutcome): number {
  if (outcome.kind === 'ok') return 200;
  if (outcome.kind === 'accepted') return 202;
  if (outcome.kind === 'unavailable') return 503;
  return REFUSAL_STATUS[outcome.reason];
}

function auditOutcomeOf(outcome: AdminOutcome): AuditOutcome {
  if (outcome.kind === 'ok') return 'allowed';
  if (outcome.kind === 'accepted') return 'accepted';
  if (outcome.kind === 'unavailable') return 'error';
  return outcome.reason;
}

interface Call {
  fingerprint: string;
  caller: AdminCaller | undefined;
  detail: Record<string, unknown> | undefined;
  /** Set when the audit row was written inside the action's own transaction. */
  audited: boolean;
}

export async function handleAdminRequest(request: AdminRequest, deps: AdminCoreDeps): Promise<AdminOutcome> {
  const call: Call = { fingerprint: NO_CALLER, caller: undefined, detail: undefined, audited: false };
  const outcome = await decide(request, deps, call);
  return record(request, outcome, call, deps);
}

async function decide(request: AdminRequest, deps: AdminCoreDeps, call: Call): Promise<AdminOutcome> {
  const { match } = request;
  if (match.kind === 'not_found') return refused('not_found');
  if (match.kind === 'method_not_allowed')
    return { kind: 'refused', reason: 'method_not_allowed', allow: match.allow };

  // The token first (ARCHITECTURE §2): a lockout only ever stops wrong tokens, so guesses from the
  // admin's own address cannot lock the admin out.
  let auth: Awaited<ReturnType<AdminTokens['verify']>>;
  try {
    auth = await deps.tokens.verify(request.token);
  } catch (error) {
    deps.logger.error(LogEvent.adminFault, { step: 'admin token', error });
    return UNAVAILABLE;
  }
  call.fingerprint = auth.fingerprint;
  if (!auth.valid) return countFailure(request, match.template, auth.fingerprint, deps);
  call.caller = auth.caller;
  if (auth.version === 'previous') {
    deps.logger.warn(LogEvent.previousAdminTokenUsed, {
      fingerprint: auth.fingerprint,
      credential: auth.caller.id,
      sourceIp: request.sourceIp,
    });
  }
  if (!auth.caller.roles.some((role) => match.spec.roles.includes(role))) return refused('forbidden');

  try {
    const result = await runRoute(match, request, auth.caller, deps, call);
    call.detail = result.detail;
    const { detail: _detail, ...outcome } = result;
    return outcome as AdminOutcome;
  } catch (error) {
    deps.logger.error(LogEvent.adminFault, { route: match.template, error });
    return UNAVAILABLE;
  }
}

/** Counts a failed authentication; the count itself decides 401 (within the threshold) or 429 (past it). */
async function countFailure(
  request: AdminRequest,
  route: string,
  fingerprint: string,
  deps: AdminCoreDeps,
): Promise<AdminOutcome> {
  deps.metrics.count(MetricName.AdminAuthFailures);
  deps.logger.security(LogEvent.adminAuthRejected, {
    route,
    sourceIp: request.sourceIp,
    requestId: request.requestId,
    userAgent: request.userAgent,
    tokenPresent: fingerprint !== NO_CALLER,
    fingerprint,
  });
  const now = deps.clock.now();
  try {
    const counted = await deps.lockouts.recordFailure(request.sourceIp, now, deps.lockoutPolicy);
    if (counted.started && counted.lockedUntil !== undefined) {
      deps.metrics.count(MetricName.AdminLockouts);
      deps.logger.security(LogEvent.adminLockout, {
        sourceIp: request.sourceIp,
        requestId: request.requestId,
        userAgent: request.userAgent,
        failures: counted.failures,
        until: new Date(counted.lockedUntil).toISOString(),
      });
    }
    if (counted.failures > deps.lockoutPolicy.threshold && counted.lockedUntil !== undefined) {
      return {
        kind: 'refused',
        reason: 'locked_out',
        retryAfterSeconds: Math.max(1, Math.ceil((counted.lockedUntil - now) / 1000)),
      };
    }
  } catch (error) {
    // The refusal stands; only the count is lost (the WAF's admin rate limit still applies).
    deps.logger.error(LogEvent.adminFault, { step: 'lockout count', error });
  }
  return refused('unauthorized');
}

async function runRoute(
  match: Extract<RouteMatch, { kind: 'route' }>,
  request: AdminRequest,
  caller: AdminCaller,
  deps: AdminCoreDeps,
  call: Call,
): Promise<RouteResult> {
  switch (match.name) {
    case 'health':
      return { kind: 'ok', body: await adminHealth(deps) };
    case 'metrics':
      return { kind: 'ok', body: await adminMetrics(deps) };
    case 'audit':
      return auditRoute(request.query, deps);
    case 'subjectExport':
      return exportRoute(request.body, caller, deps);
    case 'subjectErase':
      return eraseRoute(request.body, caller, deps);
    case 'approval':
      return approvalRoute(request, match.id, caller, deps, call);
    case 'retentionRun': {
      if (parseBody(EmptyBody, request.body) === undefined) return refused('invalid');
      const run = await runRetention(deps);
      // A deleted record is a message or a call; their callbacks and quarantined payloads go with them.
      return {
        kind: 'ok',
        body: { deleted: run.messages + run.calls },
        detail: {
          deleted: run.messages + run.calls,
          statuses: run.statuses,
          calls: run.calls,
          callStatuses: run.callStatuses,
          recordings: run.recordings,
          cutoff: run.cutoff,
        },
      };
    }
  }
}

async function auditRoute(query: AdminRequest['query'], deps: AdminCoreDeps): Promise<RouteResult> {
  const limit = parseLimit(query.limit);
  const verify = query.verify;
  if (limit === undefined || (verify !== undefined && verify !== '1' && verify !== '0'))
    return refused('invalid');
  const entries = await deps.audit.latest(limit);
  const chain = verify === '1' ? await deps.audit.verify() : undefined;
  return {
    kind: 'ok',
    body: { entries: entries.map(auditView), ...(chain ? { chain } : {}) },
    detail: { entries: entries.length, ...(chain ? { chainIntact: chain.intact } : {}) },
  };
}

/** The subject's blind index, or a refusal for a number export and erasure must not touch. */
async function subjectIndex(phone: string, deps: AdminCoreDeps): Promise<string | AdminOutcome> {
  if (deps.ownNumbers.has(phone)) return refused('conflict');
  return (await deps.blindIndex())(phone);
}

async function requestApproval(
  action: ApprovalAction,
  index: string,
  params: Record<string, unknown>,
  caller: AdminCaller,
  deps: AdminCoreDeps,
): Promise<RouteResult> {
  const now = deps.clock.now();
  const id = deps.newApprovalId();
  await deps.approvals.create({
    id,
    action,
    subjectIndex: index,
    params,
    requestedBy: caller.id,
    requestedAt: new Date(now),
    expiresAt: new Date(now + AdminLimit.approvalTtlSeconds * 1000),
  });
  return { kind: 'accepted', body: { request: id }, detail: { request: id, action } };
}

async function exportPage(
  index: string,
  position: ExportPosition,
  limit: number,
  approvalId: string | undefined,
  deps: AdminCoreDeps,
): Promise<RouteResult> {
  const page = await deps.subjects.page(index, position, limit);
  const exported = await exportSubject(page, deps.sealer, deps.logger);
  const next = page.next
    ? encodeCursor({ position: page.next, ...(approvalId ? { approvalId } : {}) })
    : null;
  return {
    kind: 'ok',
    body: { ...exported, next },
    detail: {
      messages: exported.messages.length,
      statuses: exported.statuses.length,
      quarantined: exported.quarantined.length,
      calls: exported.calls.length,
      callStatuses: exported.callStatuses.length,
      recordings: exported.recordings.length,
      more: next !== null,
      ...(approvalId ? { request: approvalId } : {}),
    },
  };
}

async function exportRoute(
  rawBody: string | undefined,
  caller: AdminCaller,
  deps: AdminCoreDeps,
): Promise<RouteResult> {
  const body = parseBody(ExportBody, rawBody);
  if (body === undefined) return refused('invalid');
  const cursor = body.cursor === undefined ? undefined : decodeCursor(body.cursor);
  if (body.cursor !== undefined && cursor === undefined) return refused('invalid');
  const index = await subjectIndex(body.phone, deps);
  if (typeof index !== 'string') return index;
  const limit = body.limit ?? AdminLimit.exportPageDefault;

  if (cursor?.approvalId !== undefined) {
    // A later page of an approved export: the approval must be for this subject and still in force.
    const approval = await deps.approvals.get(cursor.approvalId);
    if (approval?.action !== 'export' || approval.subjectIndex !== index) return refused('invalid');
    if (approval.approvedBy === null) return refused('forbidden');
    if (approval.expiresAt.getTime() <= deps.clock.now()) return refused('gone');
    return exportPage(index, cursor.position, limit, approval.id, deps);
  }
  if ((await deps.subjects.count(index)) > AdminLimit.exportFourEyesThreshold) {
    return requestApproval('export', index, { limit }, caller, deps);
  }
  return exportPage(index, cursor?.position ?? { kind: 'messages' }, limit, undefined, deps);
}

async function eraseRoute(
  rawBody: string | undefined,
  caller: AdminCaller,
  deps: AdminCoreDeps,
): Promise<RouteResult> {
  const body = parseBody(EraseBody, rawBody);
  if (body === undefined) return refused('invalid');
  const index = await subjectIndex(body.phone, deps);
  if (typeof index !== 'string') return index;
  return requestApproval('erase', index, {}, caller, deps);
}

async function approvalRoute(
  request: AdminRequest,
  id: string | undefined,
  caller: AdminCaller,
  deps: AdminCoreDeps,
  call: Call,
): Promise<RouteResult> {
  if (parseBody(EmptyBody, request.body) === undefined) return refused('invalid');
  if (id === undefined || !APPROVAL_ID.test(id)) return refused('not_found');
  const approval = await deps.approvals.get(id);
  if (!approval) return refused('not_found');
  const facts = { request: id, action: approval.action };
  const refuse = (reason: RefusalReason): RouteResult => ({ ...refused(reason), detail: facts });
  // Four eyes: the requester cannot approve its own request, whatever its roles.
  if (approval.requestedBy === caller.id) return refuse('forbidden');
  const now = deps.clock.now();
  if (approval.approvedBy !== null || approval.expiresAt.getTime() <= now) return refuse('gone');
  const act =
    approval.action === 'erase' ? eraseApproved(approval, facts) : exportApproved(approval, facts, deps);
  return approvedAtomically(request, approval, caller, facts, deps, call, act);
}

/**
 * An approved export's first page, read in the transaction of its claim and audit row: it is handed out
 * only once they have committed, so an audit row that cannot be written returns nothing and leaves the
 * request approvable again.
 */
function exportApproved(
  approval: Approval,
  facts: Record<string, unknown>,
  deps: AdminCoreDeps,
): (tx: AdminTransaction) => Promise<RouteResult> {
  const limit =
    typeof approval.params.limit === 'number' ? approval.params.limit : AdminLimit.exportPageDefault;
  return async (tx) => {
    const page = await exportPage(approval.subjectIndex, { kind: 'messages' }, limit, approval.id, {
      ...deps,
      subjects: tx.subjects,
    });
    return { ...page, detail: { ...facts, ...page.detail } };
  };
}

/** An approved erasure: the rows (and whatever the erase core writes with them) go with the claim and audit row. */
function eraseApproved(
  approval: Approval,
  facts: Record<string, unknown>,
): (tx: AdminTransaction) => Promise<RouteResult> {
  return async (tx) => {
    const erased = await tx.subjects.erase(approval.subjectIndex);
    return {
      kind: 'ok',
      body: { erased: erased.messages + erased.calls },
      detail: {
        ...facts,
        erased: erased.messages + erased.calls,
        statuses: erased.statuses,
        quarantined: erased.quarantined,
        calls: erased.calls,
        callStatuses: erased.callStatuses,
        recordings: erased.recordings,
      },
    };
  };
}

/**
 * Runs an approved request in one transaction: the claim (of two approvers racing, one wins), the action
 * and its audit row commit together, or nothing changes and the request can be approved again.
 */
async function approvedAtomically(
  request: AdminRequest,
  approval: Approval,
  caller: AdminCaller,
  facts: Record<string, unknown>,
  deps: AdminCoreDeps,
  call: Call,
  act: (tx: AdminTransaction) => Promise<RouteResult>,
): Promise<RouteResult> {
  const result = await deps.atomic.atomically(async (tx): Promise<RouteResult> => {
    if (!(await tx.approvals.claim(approval.id, caller.id, new Date(deps.clock.now())))) {
      return { ...refused('gone'), detail: facts };
    }
    const done = await act(tx);
    await tx.audit.append(auditEntry(request, done, { ...call, caller, detail: done.detail }, deps));
    return done;
  });
  if (result.kind === 'ok') call.audited = true;
  return result;
}

function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined) return AdminLimit.auditPageDefault;
  if (!/^\d{1,4}$/.test(raw)) return undefined;
  const limit = Number(raw);
  return limit >= 1 && limit <= AdminLimit.auditPageMax ? limit : undefined;
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
    ...(entry.credential ? { credential: entry.credential } : {}),
    ...(entry.role ? { role: entry.role } : {}),
    ...(entry.detail ? { detail: entry.detail } : {}),
  };
}

function auditEntry(
  request: AdminRequest,
  outcome: AdminOutcome,
  call: Call,
  deps: AdminCoreDeps,
): AuditEntry {
  const { match } = request;
  return {
    at: new Date(deps.clock.now()),
    route: match.kind === 'not_found' ? 'unknown' : match.template,
    method: match.method,
    outcome: auditOutcomeOf(outcome),
    status: statusOf(outcome),
    sourceIp: request.sourceIp,
    requestId: request.requestId,
    caller: call.fingerprint,
    ...(call.caller ? { credential: call.caller.id, role: call.caller.roles.join(',') } : {}),
    ...(call.detail ? { detail: call.detail } : {}),
  };
}

async function record(
  request: AdminRequest,
  outcome: AdminOutcome,
  call: Call,
  deps: AdminCoreDeps,
): Promise<AdminOutcome> {
  const { match } = request;
  const entry = auditEntry(request, outcome, call, deps);
  // `caller` is a log key the redactor masks as a phone number, so the fingerprint goes under its own name;
  // the time is the log line's own.
  const { at: _at, caller, ...rest } = entry;
  const logged = { ...rest, fingerprint: caller };
  deps.logger.info(LogEvent.adminCall, logged);
  if (call.audited) return outcome;
  try {
    await deps.audit.append(entry);
  } catch (error) {
    deps.logger.error(LogEvent.adminAuditFailed, { entry: logged, error });
    // Data and actions are only handed out when they are on record; health stays answerable.
    const healthOnly = match.kind === 'route' && match.name === 'health';
    if ((outcome.kind === 'ok' || outcome.kind === 'accepted') && !healthOnly) return UNAVAILABLE;
  }
  return outcome;
}
