// The webhook body limit, defined once: the webhook core answers 413 above it (AWS and the local stack
// run the same core) and the CDK app gives it to the WAF's size rule and body inspection window.

/**
 * Largest webhook body accepted (bytes). It must fit the largest genuine Twilio payload, since a signed
 * request refused for its size is a lost message (ARCHITECTURE §1): a WhatsApp body of 4,096 four-byte
 * characters is 49,152 bytes percent-encoded, plus 10 media URLs and content types and the other
 * parameters (~4 KB). 64 KiB is also the most AWS WAF can inspect for API Gateway (`KB_64`); API
 * Gateway itself accepts up to 10 MB.
 */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;
