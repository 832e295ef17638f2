// How hard the adversarial suite pushes: `npm test` runs it reduced, `npm run test:adversarial` in full.
// The one place ADVERSARIAL_SCALE is read.

import * as z from 'zod';

export type ScaleName = 'reduced' | 'full';

export interface AdversarialScale {
  readonly name: ScaleName;
  /** fast-check runs per in-process property (each run is one request through a handler). */
  readonly inProcessRuns: number;
  /** Admin runs against the real Postgres: each one writes an audit row, so fewer than above. */
  readonly adminRuns: number;
  /** Raw HTTP requests fuzzed at the running local stack. */
  readonly httpRequests: number;
  /** Signed messages sent across the Postgres outage (a third before, during and after). */
  readonly outageMessages: number;
  /** How long Postgres stays down while traffic flows. */
  readonly outageMs: number;
  /** Storms of 50 identical deliveries, sent one storm at a time. */
  readonly duplicateStorms: number;
  /** Messages sent through a Twilio token rotation, per property run. */
  readonly rotationMessages: number;
}

// Reduced: about a minute of the `npm test` run on 2 cores. Full: a few minutes, well under ten.
const SCALES: Readonly<Record<ScaleName, AdversarialScale>> = {
  reduced: {
    name: 'reduced',
    inProcessRuns: 300,
    adminRuns: 150,
    httpRequests: 300,
    outageMessages: 60,
    outageMs: 2_000,
    duplicateStorms: 2,
    rotationMessages: 60,
  },
  full: {
    name: 'full',
    inProcessRuns: 3_000,
    adminRuns: 1_000,
    httpRequests: 3_000,
    outageMessages: 600,
    outageMs: 10_000,
    duplicateStorms: 10,
    rotationMessages: 300,
  },
};

const ScaleEnv = z.object({
  ADVERSARIAL_SCALE: z.enum(['reduced', 'full']).default('reduced'),
  /** Overrides the Postgres outage length, to measure a long one (docs/RELIABILITY.md). */
  ADVERSARIAL_OUTAGE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(4 * 3600)
    .optional(),
});

function load(): AdversarialScale {
  const parsed = ScaleEnv.safeParse({
    ADVERSARIAL_SCALE: process.env.ADVERSARIAL_SCALE || undefined,
    ADVERSARIAL_OUTAGE_SECONDS: process.env.ADVERSARIAL_OUTAGE_SECONDS || undefined,
  });
  if (!parsed.success)
    throw new Error(
      'invalid environment: ADVERSARIAL_SCALE must be "reduced" or "full", ADVERSARIAL_OUTAGE_SECONDS 1-14400',
    );
  const chosen = SCALES[parsed.data.ADVERSARIAL_SCALE];
  const outage = parsed.data.ADVERSARIAL_OUTAGE_SECONDS;
  return outage === undefined ? chosen : { ...chosen, outageMs: outage * 1000 };
}

export const scale: AdversarialScale = load();
