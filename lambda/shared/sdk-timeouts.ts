// The AWS SDK clients' time limits, a fact the infrastructure reads too (ingest's redelivery reserve), so it lives
// outside the adapters: lib/ imports no SDK adapter.

/** TCP connect to the endpoint. An endpoint in the same VPC answers in milliseconds. */
export const SDK_CONNECT_TIMEOUT_MS = 2_000;
/** Whole request, response included (the slowest call we make, GetMetricData, answers in < 1 s). */
export const SDK_REQUEST_TIMEOUT_MS = 5_000;
