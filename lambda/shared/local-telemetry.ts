// What every function's local wiring shares: the local stack's environment name, and its logs and EMF
// lines written where the local stack says (the log file, the tally /admin/metrics reads).

import { createLogger, type Logger, type LogSink } from './logger.js';
import { createEmfMetrics, type Metrics } from './metrics.js';

/** The `Environment` dimension and name of the local stack. */
export const LOCAL_ENVIRONMENT = 'local';

export interface LocalSinks {
  readonly logs: LogSink;
  readonly metrics: LogSink;
}

/** One function's logger and metrics in the local stack, as createLogger/createEmfMetrics make them in AWS. */
export function localTelemetry(service: string, sinks: LocalSinks): { metrics: Metrics; logger: Logger } {
  return {
    metrics: createEmfMetrics(LOCAL_ENVIRONMENT, sinks.metrics),
    logger: createLogger(service, sinks.logs),
  };
}
