// The two token rotation functions' timings: their timeouts (lib/stacks/api-stack.ts) and the grace floor
// they need (lib/config/schema.ts, lambda/shared/rotation/pending-age.ts) come from here.
import { PROMOTION_DELAY_MS } from '../../lambda/rotate-twilio-token/twilio-token-rotation.js';
import type { RotationTiming } from '../../lambda/shared/rotation/pending-age.js';

export const ROTATION_TIMINGS = {
  /** Admin holder tokens: nothing to switch outside Secrets Manager. */
  admin: { promotionDelayMs: 0, stepTimeoutMs: 30_000 },
  /** Twilio auth tokens: finishSecret waits PROMOTION_DELAY_MS before promoting at Twilio, then calls Twilio. */
  twilio: { promotionDelayMs: PROMOTION_DELAY_MS, stepTimeoutMs: PROMOTION_DELAY_MS + 40_000 },
} as const satisfies Record<string, RotationTiming>;
