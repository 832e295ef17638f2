// CloudWatch Embedded Metric Format (ARCHITECTURE §6): namespace Signalgate, dimension Environment.
//
// Written here rather than with Powertools Metrics because Powertools always writes EMF straight to
// process.stdout, and the alarm ↔ metric consistency test must capture exactly what each handler
// emits through an injected sink (no module mocking). The EMF document shape is the one specified
// in https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

import type { LogSink } from './logger.js';
import { stdoutSink } from './logger.js';
import { ENVIRONMENT_DIMENSION, METRIC_NAMESPACE, type MetricName } from './names.js';

export interface Metrics {
  count(name: MetricName, value?: number): void;
  /** Writes one EMF document with every count since the last flush; a no-op when there are none. */
  flush(): void;
}

export function createEmfMetrics(
  environment: string,
  sink: LogSink = stdoutSink,
  now = () => Date.now(),
): Metrics {
  const counts = new Map<MetricName, number>();
  return {
    count(name, value = 1) {
      counts.set(name, (counts.get(name) ?? 0) + value);
    },
    flush() {
      if (counts.size === 0) return;
      const names = [...counts.keys()];
      const document: Record<string, unknown> = {
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [
            {
              Namespace: METRIC_NAMESPACE,
              Dimensions: [[ENVIRONMENT_DIMENSION]],
              Metrics: names.map((name) => ({ Name: name, Unit: 'Count' })),
            },
          ],
        },
        [ENVIRONMENT_DIMENSION]: environment,
      };
      for (const [name, value] of counts) document[name] = value;
      counts.clear();
      sink(JSON.stringify(document));
    },
  };
}
