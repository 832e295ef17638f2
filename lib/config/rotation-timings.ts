// The two token rotation functions' timings: their timeouts (lib/stacks/api-stack.ts) and the grace floor
// they need (lib/config/schema.ts, lambda/shared/rotation/pending-age.ts) come from here.
import {
  TWILIO_CALLS_IN_FINISH_SECRET,
  TWILIO_REQUEST_TIMEOUT_MS,
} from '../../lambda/rotate-twilio-token/twilio-accounts.js';
import { PROMOTION_DELAY_MS } from '../../lambda/rotate-twilio-token/twilio-token-rotation.js';
import type { RotationTiming } from '../../lambda/shared/rotation/pending-age.js';

export const ROTATION_TIMINGS = {
  /** Admin holder tokens: nothing to switch outside Secrets Manager. */
  admin: { promotionDelayMs: 0, stepTimeoutMs: 30_000 },
  /**
   * Twilio auth tokens: finishSecret waits PROMOTION_DELAY_MS before promoting at Twilio and makes at most
   * six Twilio calls, each bounded; 10 s more for its Secrets Manager calls. 60 s with today's values.
   */
  twilio: {
    promotionDelayMs: PROMOTION_DELAY_MS,
    stepTimeoutMs: PROMOTION_DELAY_MS + TWILIO_CALLS_IN_FINISH_SECRET * TWILIO_REQUEST_TIMEOUT_MS + 10_000,
  },
} as const satisfies Record<string, RotationTiming>;
