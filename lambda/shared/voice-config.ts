// The voice configuration of an environment (issue 14): which TwiML answers an incoming call. One
// schema for the CDK config (lib/config), the local stack and the webhook's VOICE_CONFIG variable.

import * as z from 'zod';

/** How long a stream health-check result is trusted, by default (seconds). */
export const DEFAULT_HEALTH_CHECK_SECONDS = 30;

/**
 * The schemas, built on first use rather than at import (as voice-schemas.ts): the webhook parses
 * VOICE_CONFIG only where voice is configured, and a voice-off cold start never builds them.
 */
function buildVoiceConfigSchemas() {
  const E164 = /^\+[1-9]\d{1,14}$/;
  // Spoken text and parameter values: printable, no control characters (TwiML is XML; Twilio caps <Say> at 4,096).
  const printable = (max: number) =>
    z
      .string()
      .min(1)
      .max(max)
      .regex(/^[^\p{Cc}]+$/u, 'must hold no control characters');

  /** <Say> attributes: Twilio's voice names (`alice`, `Polly.Joanna`, `Google.en-US-Standard-C`) and BCP 47 languages. */
  const sayOptions = {
    voice: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9.-]{0,63}$/)
      .optional(),
    language: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/)
      .optional(),
  };

  const SayAnswer = z.strictObject({
    kind: z.literal('say'),
    text: printable(4096),
    ...sayOptions,
  });

  /**
   * Connect the call's audio to a media-stream endpoint (<Connect><Stream>). Only `wss://` (Twilio's
   * bidirectional streams require it). Custom parameters are fixed values from configuration: nothing of
   * the call (never the caller's number) is put in them; the endpoint gets the CallSid in Twilio's own
   * `start` message.
   */
  const StreamAnswer = z.strictObject({
    kind: z.literal('stream'),
    url: z
      .url({ protocol: /^wss$/ })
      .max(1024)
      .refine((u) => u.startsWith('wss://'), 'must be a wss:// URL'),
    parameters: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/), printable(500))
      .refine((p) => Object.keys(p).length <= 32, 'at most 32 parameters')
      .default({}),
  });

  const RejectAnswer = z.strictObject({
    kind: z.literal('reject'),
    /** <Reject reason>: what the caller hears, a busy signal or Twilio's "rejected". @default rejected */
    reason: z.enum(['rejected', 'busy']).optional(),
  });

  const VoiceAnswer = z.discriminatedUnion('kind', [StreamAnswer, SayAnswer, RejectAnswer]);

  const VoiceConfig = z.strictObject({
    /** Whether the voice routes exist: when false, they answer 404 as any unknown route. */
    enabled: z.boolean(),
    /** Answer for a called number without its own entry. */
    defaultAnswer: VoiceAnswer,
    /** Per called number (E.164, the `To` Twilio sends): its own answer. */
    numbers: z.record(z.string().regex(E164, 'keys must be E.164 numbers'), VoiceAnswer).default({}),
    /** Said (then hang up) instead of connecting a stream while the stream target is unavailable. */
    fallback: SayAnswer,
    /** Set false to take the stream target out of service (every stream answer becomes the fallback). */
    streamAvailable: z.boolean().default(true),
    /**
     * An https URL answering 2xx while the stream target is up. The webhook checks it in the background
     * and caches the result; an answer never waits for it.
     */
    healthCheckUrl: z
      .url({ protocol: /^https?$/ })
      .max(1024)
      .optional(),
    /** How long a health-check result is trusted. */
    healthCheckSeconds: z.number().int().min(5).max(3600).default(DEFAULT_HEALTH_CHECK_SECONDS),
  });
  return { VoiceAnswer, VoiceConfig };
}

type VoiceConfigSchemas = ReturnType<typeof buildVoiceConfigSchemas>;
let built: VoiceConfigSchemas | undefined;
const schemas = (): VoiceConfigSchemas => {
  built ??= buildVoiceConfigSchemas();
  return built;
};

/** The voice configuration (z.lazy: built on its first parse). */
export const VoiceConfig = z.lazy(() => schemas().VoiceConfig);
export type VoiceConfig = z.infer<typeof VoiceConfig>;
export type VoiceConfigInput = z.input<typeof VoiceConfig>;
export type VoiceAnswer = z.infer<VoiceConfigSchemas['VoiceAnswer']>;

/**
 * Voice switched off: the routes answer 404. Written out rather than parsed, so that a voice-off cold start
 * builds no voice schema; a test checks it is what VoiceConfig.parse gives for the same input.
 */
export const VOICE_DISABLED: VoiceConfig = {
  enabled: false,
  defaultAnswer: { kind: 'reject' },
  numbers: {},
  fallback: { kind: 'say', text: 'Sorry, we cannot take your call right now. Please try again later.' },
  streamAvailable: true,
  healthCheckSeconds: DEFAULT_HEALTH_CHECK_SECONDS,
};

/** The answer configured for a called number, or the default. */
export function answerFor(config: VoiceConfig, called: string | undefined): VoiceAnswer {
  return (called !== undefined ? config.numbers[called] : undefined) ?? config.defaultAnswer;
}
