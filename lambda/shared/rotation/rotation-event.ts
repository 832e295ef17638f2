// The event Secrets Manager sends a rotation function, parsed so a malformed event is a clear fault.

import * as z from 'zod';

export const RotationStep = z.enum(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
export type RotationStep = z.infer<typeof RotationStep>;

export const RotationEvent = z.object({
  Step: RotationStep,
  SecretId: z.string().min(1),
  ClientRequestToken: z.string().min(1),
  /** Present when Secrets Manager rotates on behalf of another principal; not needed here. */
  RotationToken: z.string().optional(),
});
export type RotationEvent = z.infer<typeof RotationEvent>;
