// The Twilio account operations a token rotation needs (ARCHITECTURE §5, §9), as a port so the
// rotation is tested with an in-memory Twilio and the real adapter stays a thin layer over twilio-node.

/**
 * Each Twilio API call gives up after this (twilio-node's default is 30 s): finishSecret makes up to
 * TWILIO_CALLS_IN_FINISH_SECRET calls besides the promotion delay, and must end within the rotation function's
 * timeout so that what it found out is acted on (lib/config/rotation-timings.ts).
 */
export const TWILIO_REQUEST_TIMEOUT_MS = 5_000;

/**
 * isPrimary and authenticates before the delay, the promotion, isPrimary after a failure, and after a
 * rollback authenticates and deleteSecondaryToken (test/unit/rotation/rotate-twilio-token.test.ts counts them).
 */
export const TWILIO_CALLS_IN_FINISH_SECRET = 6;

export interface TwilioAccounts {
  /** Creates the account's secondary auth token, authenticated with `authToken`; returns the new token. */
  createSecondaryToken(accountSid: string, authToken: string): Promise<string>;
  /** Whether `authToken` (primary or secondary) authenticates API calls: false on 401, throws on other faults. */
  authenticates(accountSid: string, authToken: string): Promise<boolean>;
  /** Whether `authToken` is the primary token, the only one Twilio signs webhooks with. */
  isPrimary(accountSid: string, authToken: string): Promise<boolean>;
  /**
   * Promotes the secondary token to primary; Twilio deletes the old primary at that moment. Throws
   * TwilioRequestRefusedError when Twilio refused it with the old token still valid (400, 403, 429); any
   * other error leaves it unknown whether the promotion took effect (a timeout, a 5xx, 401, 404).
   */
  promoteSecondaryToken(accountSid: string, authToken: string): Promise<void>;
  /** Deletes the account's secondary auth token (none: nothing to do). */
  deleteSecondaryToken(accountSid: string, authToken: string): Promise<void>;
}

/** Twilio answered a request with a 4xx status: it refused it, and applied nothing. */
export class TwilioRequestRefusedError extends Error {
  constructor(
    operation: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(`Twilio refused ${operation} with HTTP ${status}`, options);
    this.name = 'TwilioRequestRefusedError';
  }
}
