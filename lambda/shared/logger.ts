// Structured JSON logs with masking applied to every field; the sink is injectable for tests. Inside a
// Lambda invocation every line carries its request id, cold start and X-Ray trace id (invocation.ts).

import { invocationFields } from './invocation.js';
import { redact } from './mask.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogSink = (line: string) => void;

export const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  /** A security event (ARCHITECTURE §6): logged at warn with `security: true` for log-based queries. */
  security(event: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(
  service: string,
  sink: LogSink = stdoutSink,
  base: Record<string, unknown> = {},
): Logger {
  const write = (level: LogLevel, event: string, fields: Record<string, unknown> = {}, extra = {}) => {
    const record = {
      level,
      time: new Date().toISOString(),
      service,
      event,
      ...invocationFields(),
      ...base,
      ...extra,
      ...fields,
    };
    sink(JSON.stringify(redact(record)));
  };
  return {
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
    security: (event, fields) => write('warn', event, fields, { security: true }),
    child: (fields) => createLogger(service, sink, { ...base, ...fields }),
  };
}

/** Discards everything; for benches that must not measure log formatting. */
export const silentLogger: Logger = {
  info: () => {},
  warn: () => {},
  error: () => {},
  security: () => {},
  child: () => silentLogger,
};
