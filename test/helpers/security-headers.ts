// The security headers ARCHITECTURE §2 requires on every response, written out here (never imported
// from the code under test) so a changed or dropped header in the product fails the tests.

/** As the handlers and the local stack send them. */
export const EXPECTED_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
};

/** As an API Gateway gateway response declares them: `gatewayresponse.header.*` with quoted static values. */
export const EXPECTED_GATEWAY_RESPONSE_PARAMETERS: Readonly<Record<string, string>> = {
  'gatewayresponse.header.X-Content-Type-Options': "'nosniff'",
  'gatewayresponse.header.X-Frame-Options': "'DENY'",
  'gatewayresponse.header.Content-Security-Policy': "'default-src \\'none\\'; frame-ancestors \\'none\\''",
  'gatewayresponse.header.Referrer-Policy': "'no-referrer'",
  'gatewayresponse.header.Cache-Control': "'no-store'",
  'gatewayresponse.header.Strict-Transport-Security': "'max-age=63072000; includeSubDomains'",
};
