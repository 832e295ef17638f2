// An in-memory Twilio account with a primary and a secondary auth token, behaving as Twilio documents:
// promotion makes the secondary primary and deletes the old primary.

import { randomBytes } from 'node:crypto';
import {
  type TwilioAccounts,
  TwilioRequestRefusedError,
} from '../../../lambda/rotate-twilio-token/twilio-accounts.js';

export class FakeTwilioAccounts implements TwilioAccounts {
  primary: string;
  secondary: string | undefined;
  readonly calls: string[] = [];
  /** The next call of this operation throws (a crash or a Twilio outage at that exact point). */
  failNext: keyof TwilioAccounts | undefined;
  /** The next call of this operation takes effect at Twilio, then its answer is lost (a timeout). */
  loseAnswerOfNext: keyof TwilioAccounts | undefined;
  /** Every call throws while this is set (Twilio's API unreachable). */
  outage = false;
  /** The next call of this operation is answered 4xx (TwilioRequestRefusedError) and applies nothing. */
  refuseNext: keyof TwilioAccounts | undefined;
  /** isPrimary answers from a read this stale: what was primary before the last promotion (Twilio's propagation). */
  staleReads = false;
  #primaryBeforePromotion: string | undefined;

  constructor(
    readonly accountSid: string,
    primary = randomBytes(16).toString('hex'),
  ) {
    this.primary = primary;
  }

  async createSecondaryToken(accountSid: string, authToken: string): Promise<string> {
    this.#enter('createSecondaryToken', accountSid, authToken);
    this.secondary = randomBytes(16).toString('hex');
    return this.secondary;
  }

  async authenticates(accountSid: string, authToken: string): Promise<boolean> {
    this.#fault('authenticates');
    this.calls.push('authenticates');
    return accountSid === this.accountSid && (authToken === this.primary || authToken === this.secondary);
  }

  async isPrimary(accountSid: string, authToken: string): Promise<boolean> {
    this.#fault('isPrimary');
    this.calls.push('isPrimary');
    const primary = this.staleReads ? (this.#primaryBeforePromotion ?? this.primary) : this.primary;
    return accountSid === this.accountSid && authToken === primary;
  }

  async promoteSecondaryToken(accountSid: string, authToken: string): Promise<void> {
    this.#enter('promoteSecondaryToken', accountSid, authToken);
    if (this.secondary === undefined) throw new Error('Twilio: no secondary auth token to promote');
    this.#primaryBeforePromotion = this.primary;
    this.primary = this.secondary;
    this.secondary = undefined;
    if (this.loseAnswerOfNext === 'promoteSecondaryToken') {
      this.loseAnswerOfNext = undefined;
      throw new Error('promoteSecondaryToken: socket hang up');
    }
  }

  async deleteSecondaryToken(accountSid: string, authToken: string): Promise<void> {
    this.#enter('deleteSecondaryToken', accountSid, authToken);
    this.secondary = undefined;
  }

  #enter(operation: keyof TwilioAccounts, accountSid: string, authToken: string): void {
    this.#fault(operation);
    this.calls.push(operation);
    if (this.refuseNext === operation) {
      this.refuseNext = undefined;
      throw new TwilioRequestRefusedError(operation, 400);
    }
    if (accountSid !== this.accountSid || (authToken !== this.primary && authToken !== this.secondary)) {
      throw new Error('Twilio: 401 authenticate');
    }
  }

  #fault(operation: keyof TwilioAccounts): void {
    if (this.outage) throw new Error(`${operation}: Twilio unreachable`);
    if (this.failNext === operation) {
      this.failNext = undefined;
      throw new Error(`injected ${operation} failure`);
    }
  }
}
