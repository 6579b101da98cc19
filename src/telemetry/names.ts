/**
 * The names the library's telemetry uses: instruments, spans and attributes, as DESIGN.md names
 * them (`payments.webhooks` {variant, provider, outcome}, ...), with `error.type` from the
 * semantic conventions. Attributes are low-cardinality only: a variant, a provider and a
 * receiver are the app's own names, an outcome and an error type come from short fixed lists.
 * No event id, reference or payload field is ever an attribute: they are unbounded, and
 * payloads carry personal data.
 */

/** The instrumentation scope (meter and tracer name). */
export const SCOPE = 'koa-payments';

export const METRICS = {
  webhooks: 'payments.webhooks',
  webhookDuration: 'payments.webhook.duration',
  deliveries: 'payments.deliveries',
  deliveryDuration: 'payments.delivery.duration',
  due: 'payments.deliveries.due',
  dead: 'payments.deliveries.dead',
  silent: 'payments.variant.silent',
} as const;

export const SPANS = {
  webhook: 'payments.webhook',
  receiver: 'payments.receiver',
} as const;

export const ATTRIBUTES = {
  variant: 'variant',
  provider: 'provider',
  outcome: 'outcome',
  receiver: 'receiver',
  /** On `payments.receiver` spans only (a metric attribute would multiply the series). */
  attempt: 'attempt',
  errorType: 'error.type',
} as const;

/**
 * Bucket boundaries of the duration histograms, in seconds: the semantic conventions' advice for
 * `http.server.request.duration`, so that webhook and HTTP latencies read alike.
 */
export const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** How a webhook ended. */
export type WebhookOutcome = 'stored' | 'duplicate' | 'ignored' | 'refused' | 'failed';

/**
 * How a delivery's run ended: as recorded, or `lost` (another runner had taken the delivery
 * over, and its outcome stands).
 */
export type DeliveryOutcome = 'succeeded' | 'failed' | 'dead' | 'lost' | 'deferred';
