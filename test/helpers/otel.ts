/**
 * The OpenTelemetry SDK in memory, for tests: a meter provider whose metrics are read on demand
 * (the in-memory exporter, flushed by the test), and a tracer provider whose spans are kept.
 */
import {
  AggregationTemporality,
  type DataPoint,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** An SDK that keeps what it records until the test reads it. */
export interface MemorySdk {
  meterProvider: MeterProvider;
  tracerProvider: BasicTracerProvider;
  /** Collects the metrics now (the gauges' callbacks run) and returns them by name. */
  metrics(): Promise<Map<string, MetricData>>;
  /** The ended spans. */
  spans(): ReadableSpan[];
  shutdown(): Promise<void>;
}

export function memorySdk(): MemorySdk {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exports only when flushed: the interval is longer than any test.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spanExporter)],
  });
  return {
    meterProvider,
    tracerProvider,
    async metrics() {
      exporter.reset();
      await reader.forceFlush();
      const byName = new Map<string, MetricData>();
      for (const resource of exporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) {
          for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
        }
      }
      return byName;
    },
    spans: () => spanExporter.getFinishedSpans(),
    async shutdown() {
      await Promise.all([meterProvider.shutdown(), tracerProvider.shutdown()]);
    },
  };
}

/** A metric's points as `[attributes, value]`, sorted by their attributes, for deep equality. */
export function points(metric: MetricData | undefined): [Record<string, unknown>, unknown][] {
  if (metric === undefined) return [];
  return (metric.dataPoints as DataPoint<unknown>[])
    .map((p): [Record<string, unknown>, unknown] => [
      Object.fromEntries(Object.entries(p.attributes).sort(([a], [b]) => a.localeCompare(b))),
      p.value,
    ])
    .sort((a, b) => JSON.stringify(a[0]).localeCompare(JSON.stringify(b[0])));
}
