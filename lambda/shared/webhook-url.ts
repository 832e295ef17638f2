// The URL a Twilio webhook is signed over (ARCHITECTURE §3): the configured public base URL, the route, and
// the query string of the Twilio console URL when one is configured. Never rebuilt from the request: API
// Gateway hands the Lambda only decoded query parameters, and guessing their spelling would verify URLs
// nobody configured.

import * as z from 'zod';

/** The public base URL Twilio calls, without a trailing slash. A query or fragment would land before the route. */
export const publicBaseUrlSchema = z
  .url({ protocol: /^https?$/ })
  .refine((url) => !/[?#]/.test(url), {
    message: 'must not carry a query string or fragment (set the webhook query string in WEBHOOK_QUERY)',
  })
  .transform((url) => url.replace(/\/+$/, ''));

/**
 * The query string of the webhook URLs exactly as set in the Twilio console (a leading `?` is dropped):
 * Twilio signs it with the URL. Printable ASCII only, so there is one spelling of it.
 */
export const webhookQuerySchema = z
  .string()
  .transform((query) => (query.startsWith('?') ? query.slice(1) : query))
  .pipe(
    z
      .string()
      .regex(
        /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]+$/,
        'must be the query string of the Twilio webhook URL, e.g. tenant=acme (printable ASCII, no spaces or #)',
      ),
  );

/** The URL Twilio signed for `route`: the configured base, the route, and the configured query, if any. */
export function webhookUrl(publicBaseUrl: string, route: string, query: string | undefined): string {
  return query ? `${publicBaseUrl}${route}?${query}` : `${publicBaseUrl}${route}`;
}
