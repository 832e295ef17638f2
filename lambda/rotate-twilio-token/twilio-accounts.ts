// The Twilio account operations a token rotation needs (ARCHITECTURE §5, §9), as a port so the
// rotation is tested with an in-memory Twilio and the real adapter stays a thin layer over twilio-node.

export interface TwilioAccounts {
  /** Creates the account's secondary auth token, authenticated with `authToken`; returns the new token. */
  createSecondaryToken(accountSid: string, authToken: string): Promise<string>;
  /** Whether `authToken` (primary or secondary) authenticates API calls: false on 401, throws on other faults. */
  authenticates(accountSid: string, authToken: string): Promise<boolean>;
  /** Whether `authToken` is the primary token, the only one Twilio signs webhooks with. */
  isPrimary(accountSid: string, authToken: string): Promise<boolean>;
  /** Promotes the secondary token to primary; Twilio deletes the old primary at that moment. */
  promoteSecondaryToken(accountSid: string, authToken: string): Promise<void>;
}
