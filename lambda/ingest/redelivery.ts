// How ingest treats a record it could not store (ARCHITECTURE §1, "database outages need no manual
// step"): "the database is unavailable" comes back later with a bounded exponential backoff, sized so
// a 4-hour outage never reaches the dead-letter queue; "this record can never be stored" goes to the
// dead-letter queue at once. The same rules hold in AWS (SQS) and in the local queue.

import { SDK_CONNECT_TIMEOUT_MS, SDK_REQUEST_TIMEOUT_MS } from '../shared/sdk-timeouts.js';

/** A record's way back to the queue (SQS in AWS, the in-process queue locally). */
export interface RedeliveryQueue {
  /**
   * Makes the record visible again `seconds` from now (SQS ChangeMessageVisibility on its receipt
   * handle). The record must also be reported as a batch item failure, or Lambda deletes it.
   */
  defer(receiptHandle: string, seconds: number): Promise<void>;
  /** Moves a record that can never be stored to the dead-letter queue now; the caller then deletes it. */
  deadLetter(record: {
    readonly messageId: string;
    readonly body: string;
    readonly reason: string;
  }): Promise<void>;
}

/**
 * Time kept at the end of an invocation for deferring the records: one SQS call attempt (the defers run
 * in parallel). When SQS does not answer within it, the records come back after the visibility timeout
 * anyway, so a longer reserve would save nothing.
 */
export const REDELIVERY_RESERVE_MILLIS = SDK_CONNECT_TIMEOUT_MS + SDK_REQUEST_TIMEOUT_MS;

export interface BackoffPolicy {
  /** Delay after the first failed receive; it doubles on each further one. */
  readonly baseSeconds: number;
  /** Largest delay between two receives. */
  readonly capSeconds: number;
}

/** SQS ChangeMessageVisibility accepts at most 12 hours (43,200 s). */
export const MAX_VISIBILITY_SECONDS = 43_200;
/** The longest database outage that must need no manual step (issue 10). */
export const OUTAGE_BUDGET_SECONDS = 4 * 3600;
/**
 * Receives are budgeted for 1.5 × the outage: Lambda's poller may receive a little earlier than the
 * visibility expires would suggest, and a function timeout costs a receive without a backoff.
 */
const BUDGET_MARGIN = 1.5;

/**
 * AWS: 30 s doubling to 15 minutes. Early retries catch a failover (RDS Multi-AZ: 1-2 minutes); the
 * 15-minute cap keeps a long outage to ~4 receives per hour per record and drains the backlog within
 * 15 minutes of recovery.
 */
export const AWS_BACKOFF: BackoffPolicy = { baseSeconds: 30, capSeconds: 900 };
/** Local stack: the same rules on a shorter clock (a developer's restart should drain in seconds). */
export const LOCAL_BACKOFF: BackoffPolicy = { baseSeconds: 0.25, capSeconds: 15 };

/** Delay before the next receive of a record that failed on its `receiveCount`-th receive (1-based). */
export function backoffSeconds(policy: BackoffPolicy, receiveCount: number): number {
  const exponent = Math.min(Math.max(receiveCount, 1) - 1, 30);
  return Math.min(policy.baseSeconds * 2 ** exponent, policy.capSeconds, MAX_VISIBILITY_SECONDS);
}

/** How many receives a record gets within `seconds` of its first when every one fails at once (the worst case). */
export function receivesWithin(policy: BackoffPolicy, seconds: number): number {
  let receives = 1;
  let at = 0;
  for (;;) {
    at += backoffSeconds(policy, receives);
    if (at > seconds) return receives;
    receives++;
  }
}

/** The queue's maxReceiveCount for a policy: more receives than an outage of the budgeted length uses. */
export function maxReceiveCountFor(policy: BackoffPolicy, outageSeconds = OUTAGE_BUDGET_SECONDS): number {
  return receivesWithin(policy, outageSeconds * BUDGET_MARGIN) + 1;
}

/**
 * SQLSTATE classes that say "this row can never be stored" (PostgreSQL appendix A): data exceptions (22),
 * integrity constraint violations (23; a duplicate is not one, ON CONFLICT absorbs it) and program limits
 * such as a row too large (54). Everything else, connection errors without a SQLSTATE included, is
 * treated as the database being unavailable: a misjudged fault then waits in the queue instead of being
 * dead-lettered, and the receive budget still bounds it.
 */
const POISON_SQLSTATE_CLASSES = new Set(['22', '23', '54']);

export type FaultKind = 'unavailable' | 'poison';

export function classifyFault(error: unknown): FaultKind {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && POISON_SQLSTATE_CLASSES.has(code.slice(0, 2)))
    return 'poison';
  return 'unavailable';
}

/**
 * SQLSTATE classes by which a server says it cannot serve at all right now (PostgreSQL appendix A):
 * connection exceptions (08), insufficient resources (53), operator intervention such as a shutdown or
 * "cannot connect now" (57).
 */
const UNREACHABLE_SQLSTATE_CLASSES = new Set(['08', '53', '57']);

/**
 * Whether a fault says the database cannot be reached or cannot serve anyone, rather than that it
 * refused this statement: no answer from a server (connect or query timeout, refused or reset
 * connection, RDS Proxy's borrow timeout) or an answer of an unreachable class. Retrying the records of
 * the batch one by one would only wait for the same fault again, record after record. A server error of
 * another class (a trigger, an unknown constraint) is 'unavailable' for the backoff, yet still worth
 * isolating: it may be one row's.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (classifyFault(error) === 'poison') return false;
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  const answered = typeof severity === 'string' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
  return !answered || UNREACHABLE_SQLSTATE_CLASSES.has(code.slice(0, 2));
}
