/**
 * The library's OpenTelemetry: two counters, two histograms and three observable gauges on one
 * meter, and two spans, through `@opentelemetry/api`. Without the API installed, or with
 * `telemetry: false`, every call is a no-op on a shared object; with the API but no SDK
 * registered, the API's own no-op meter and tracer take the calls (and no gauge query ever
 * runs: a no-op meter never calls back).
 */
import type {
  Attributes,
  BatchObservableResult,
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  ObservableGauge,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api';
import type { Logger } from '../types.js';
import { libraryVersion, loadOtelApi, type OtelApi } from './load.js';
import {
  ATTRIBUTES,
  type DeliveryOutcome,
  DURATION_BUCKETS,
  METRICS,
  SCOPE,
  SPANS,
  type WebhookOutcome,
} from './names.js';

/**
 * Where the library's metrics and spans go (`telemetry` in the settings of `payments()`).
 * Shaped like the API's providers, so that the library's public types do not need the API.
 */
export interface TelemetrySettings {
  /**
   * The meter provider (an SDK `MeterProvider`).
   * @default the global one (`metrics.setGlobalMeterProvider`, which the Node SDK calls)
   */
  meterProvider?: { getMeter(name: string, version?: string, options?: object): object };
  /**
   * The tracer provider (an SDK `TracerProvider`).
   * @default the global one (`trace.setGlobalTracerProvider`, which the Node SDK calls)
   */
  tracerProvider?: { getTracer(name: string, version?: string, options?: object): object };
}

/** What the gauges show, read from the database. */
export interface GaugeReadings {
  /** Deliveries due now, by receiver. */
  due: ReadonlyMap<string, number>;
  /** Dead deliveries, by receiver. */
  dead: ReadonlyMap<string, number>;
  /** Each variant with `expectEvery`: whether it is silent now. */
  silent: ReadonlyMap<string, boolean>;
}

/** What the gauges read. */
export interface TelemetrySources {
  /** One query's worth of readings (the telemetry caches it). */
  read(): Promise<GaugeReadings>;
  /** The registered receivers: each gets a value, 0 included, so a series never goes stale. */
  receivers(): readonly string[];
}

/** A webhook on its way: its span and its timer. */
export interface WebhookRecord {
  /** Runs `fn` with the webhook's span active (receivers' spans become its children). */
  run<T>(fn: () => T): T;
  /** Ends it: one count, one duration, the span ended. `errorType` is the error code. */
  end(outcome: WebhookOutcome, errorType?: string): void;
}

/** A run of a receiver: its span and its timer. */
export interface RunRecord {
  /** Runs `fn` (the receiver) with the run's span active. */
  run<T>(fn: () => T): T;
  /** Ends it: one duration, the span ended (with the error, when it threw). */
  end(outcome: DeliveryOutcome, error?: unknown): void;
}

/** The telemetry of one `payments()` instance. */
export interface Telemetry {
  /** Starts the record of a webhook to a configured variant. */
  webhook(variant: string, provider: string): WebhookRecord;
  /** Counts a POST under the prefix to a variant that does not exist (no variant attribute). */
  unknownVariant(): void;
  /** Starts the record of a receiver's run. */
  run(receiver: string, variant: string, attempt: number): RunRecord;
  /** Counts a delivery's outcome, once it is recorded (or lost to another runner). */
  delivered(receiver: string, outcome: DeliveryOutcome, error?: unknown): void;
  /** Stops the gauges' callback (the instance is closing). */
  close(): void;
}

const NOOP_RECORD: WebhookRecord & RunRecord = {
  run: (fn) => fn(),
  end() {},
};

/** The telemetry that does nothing. */
export const NO_TELEMETRY: Telemetry = {
  webhook: () => NOOP_RECORD,
  unknownVariant() {},
  run: () => NOOP_RECORD,
  delivered() {},
  close() {},
};

/** The instruments of one meter. */
interface Instruments {
  meter: Meter;
  webhooks: Counter;
  webhookDuration: Histogram;
  deliveries: Counter;
  deliveryDuration: Histogram;
  gauges: ObservableGauge[];
  due: ObservableGauge;
  dead: ObservableGauge;
  silent: ObservableGauge;
}

/** Instruments are created once per meter, whatever the number of instances using it. */
const instrumentsOf = new WeakMap<Meter, Instruments>();

function instruments(meter: Meter): Instruments {
  let found = instrumentsOf.get(meter);
  if (found !== undefined) return found;
  const advice = { explicitBucketBoundaries: DURATION_BUCKETS };
  const due = meter.createObservableGauge(METRICS.due, {
    description:
      'Deliveries due to run now (pending or failed, not leased, not paused), by receiver.',
    unit: '{delivery}',
  });
  const dead = meter.createObservableGauge(METRICS.dead, {
    description: 'Dead deliveries (every attempt failed), by receiver.',
    unit: '{delivery}',
  });
  const silent = meter.createObservableGauge(METRICS.silent, {
    description:
      'Whether a variant with expectEvery has received no valid webhook for that long (1) or not (0).',
    unit: '1',
  });
  found = {
    meter,
    webhooks: meter.createCounter(METRICS.webhooks, {
      description: 'Webhook requests received, by variant, provider and outcome.',
      unit: '{request}',
    }),
    webhookDuration: meter.createHistogram(METRICS.webhookDuration, {
      description:
        'Time from a webhook request to its answer (with inline dispatch, its receivers included).',
      unit: 's',
      advice,
    }),
    deliveries: meter.createCounter(METRICS.deliveries, {
      description: 'Delivery outcomes recorded, by receiver and outcome.',
      unit: '{delivery}',
    }),
    deliveryDuration: meter.createHistogram(METRICS.deliveryDuration, {
      description: 'Time a receiver took to run once.',
      unit: 's',
      advice,
    }),
    gauges: [due, dead, silent],
    due,
    dead,
    silent,
  };
  instrumentsOf.set(meter, found);
  return found;
}

/** How long the gauges' readings are reused: scrapes more often than this cost nothing. */
export const GAUGE_CACHE_MS = 10_000;

/** The exception's class, as the conventions' `error.type`: bounded by the app's own code. */
function errorType(error: unknown): string {
  return error instanceof Error ? error.constructor.name || error.name : '_OTHER';
}

/** The telemetry of one instance, on the API. */
class OtelTelemetry implements Telemetry {
  readonly #api: OtelApi;
  readonly #version: string;
  readonly #tracer: Tracer;
  /** The configured meter provider; undefined: the global one, read again on each use. */
  readonly #meterProvider: MeterProvider | undefined;
  #instruments: Instruments;
  /** The meter provider the instruments come from. */
  #provider: MeterProvider;
  #closed = false;
  readonly #sources: TelemetrySources;
  readonly #logger: Logger;
  readonly #callback: (result: BatchObservableResult) => Promise<void>;
  #cached: { at: number; readings: GaugeReadings } | undefined;
  #reading: Promise<GaugeReadings | undefined> | undefined;

  constructor(
    api: OtelApi,
    settings: TelemetrySettings,
    sources: TelemetrySources,
    logger: Logger,
  ) {
    this.#api = api;
    this.#version = libraryVersion();
    this.#meterProvider = settings.meterProvider as MeterProvider | undefined;
    // The global tracer provider is a proxy: a tracer taken now follows an SDK registered later.
    const tracerProvider = (settings.tracerProvider ??
      api.trace.getTracerProvider()) as TracerProvider;
    this.#tracer = tracerProvider.getTracer(SCOPE, this.#version);
    this.#sources = sources;
    this.#logger = logger;
    this.#callback = (result) => this.#observe(result);
    this.#provider = this.#meterProvider ?? api.metrics.getMeterProvider();
    this.#instruments = this.#attach(this.#provider);
  }

  #attach(provider: MeterProvider): Instruments {
    const found = instruments(provider.getMeter(SCOPE, this.#version));
    found.meter.addBatchObservableCallback(this.#callback, found.gauges);
    return found;
  }

  /**
   * The instruments of the meter provider in force. The global meter provider has no proxy:
   * one registered after `payments()` (an SDK started late) is picked up here, at the next
   * webhook or run, and the gauges move to it.
   */
  #current(): Instruments {
    if (this.#meterProvider !== undefined || this.#closed) return this.#instruments;
    const provider = this.#api.metrics.getMeterProvider();
    if (provider === this.#provider) return this.#instruments;
    this.#instruments.meter.removeBatchObservableCallback(this.#callback, this.#instruments.gauges);
    this.#provider = provider;
    this.#instruments = this.#attach(provider);
    return this.#instruments;
  }

  webhook(variant: string, provider: string): WebhookRecord {
    const api = this.#api;
    const attributes: Attributes = {
      [ATTRIBUTES.variant]: variant,
      [ATTRIBUTES.provider]: provider,
    };
    const parent = api.context.active();
    const span = this.#tracer.startSpan(
      SPANS.webhook,
      { kind: api.SpanKind.INTERNAL, attributes },
      parent,
    );
    const started = performance.now();
    const { webhooks, webhookDuration } = this.#current();
    return {
      run: (fn) => api.context.with(api.trace.setSpan(parent, span), fn),
      end: (outcome, error) => {
        attributes[ATTRIBUTES.outcome] = outcome;
        if (error !== undefined) attributes[ATTRIBUTES.errorType] = error;
        webhooks.add(1, attributes);
        webhookDuration.record((performance.now() - started) / 1000, attributes);
        span.setAttributes(attributes);
        // A refusal (4xx) is the sender's mistake, not this server's: the span's status is left
        // unset, as the HTTP conventions say of server spans. A 5xx is an error.
        if (outcome === 'failed') {
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: error ?? 'failed' });
        }
        span.end();
      },
    };
  }

  unknownVariant(): void {
    this.#current().webhooks.add(1, {
      [ATTRIBUTES.outcome]: 'refused',
      [ATTRIBUTES.errorType]: 'unknown_variant',
    });
  }

  run(receiver: string, variant: string, attempt: number): RunRecord {
    const api = this.#api;
    const parent = api.context.active();
    const span = this.#tracer.startSpan(
      SPANS.receiver,
      {
        kind: api.SpanKind.INTERNAL,
        attributes: {
          [ATTRIBUTES.receiver]: receiver,
          [ATTRIBUTES.variant]: variant,
          [ATTRIBUTES.attempt]: attempt,
        },
      },
      parent,
    );
    const started = performance.now();
    const { deliveryDuration } = this.#current();
    return {
      run: (fn) => api.context.with(api.trace.setSpan(parent, span), fn),
      end: (outcome, error) => {
        const attributes: Attributes = {
          [ATTRIBUTES.receiver]: receiver,
          [ATTRIBUTES.outcome]: outcome,
        };
        if (outcome === 'failed' || outcome === 'dead') {
          attributes[ATTRIBUTES.errorType] = errorType(error);
          if (error instanceof Error) span.recordException(error);
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: outcome });
        }
        deliveryDuration.record((performance.now() - started) / 1000, attributes);
        span.setAttributes(attributes);
        span.end();
      },
    };
  }

  delivered(receiver: string, outcome: DeliveryOutcome, error?: unknown): void {
    const attributes: Attributes = {
      [ATTRIBUTES.receiver]: receiver,
      [ATTRIBUTES.outcome]: outcome,
    };
    if (outcome === 'failed' || outcome === 'dead') {
      attributes[ATTRIBUTES.errorType] = errorType(error);
    }
    this.#current().deliveries.add(1, attributes);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const { meter, gauges } = this.#instruments;
    meter.removeBatchObservableCallback(this.#callback, gauges);
  }

  /** The readings: the cached ones while fresh, else one query shared by callers. */
  async #readings(): Promise<GaugeReadings | undefined> {
    const cached = this.#cached;
    if (cached !== undefined && performance.now() - cached.at < GAUGE_CACHE_MS) {
      return cached.readings;
    }
    this.#reading ??= this.#sources
      .read()
      .then(
        (readings) => {
          this.#cached = { at: performance.now(), readings };
          return readings;
        },
        (error: unknown) => {
          this.#logger.debug(
            { err: error },
            'koa-payments: could not read the deliveries for the gauges',
          );
          return this.#cached?.readings;
        },
      )
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }

  async #observe(result: BatchObservableResult): Promise<void> {
    const readings = await this.#readings();
    if (readings === undefined) return;
    const { due, dead, silent } = this.#instruments;
    for (const [variant, isSilent] of readings.silent) {
      result.observe(silent, isSilent ? 1 : 0, { [ATTRIBUTES.variant]: variant });
    }
    const receivers = new Set([
      ...this.#sources.receivers(),
      ...readings.due.keys(),
      ...readings.dead.keys(),
    ]);
    for (const receiver of receivers) {
      const attributes = { [ATTRIBUTES.receiver]: receiver };
      result.observe(due, readings.due.get(receiver) ?? 0, attributes);
      result.observe(dead, readings.dead.get(receiver) ?? 0, attributes);
    }
  }
}

/**
 * The telemetry of an instance: on the OpenTelemetry API when it is installed and `setting` is
 * not false, else {@link NO_TELEMETRY}.
 */
export function createTelemetry(
  setting: TelemetrySettings | false,
  sources: TelemetrySources,
  logger: Logger,
): Telemetry {
  if (setting === false) return NO_TELEMETRY;
  const api = loadOtelApi();
  if (api === null) return NO_TELEMETRY;
  return new OtelTelemetry(api, setting, sources, logger);
}
