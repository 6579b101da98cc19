/**
 * `validation: 'retrieve'` (dj-stripe's `WEBHOOK_VALIDATION = "retrieve_event"`): after the
 * signature check, the event is fetched from the provider's API and that copy is what is stored
 * and what receivers get. The signature is checked first, so a forged request costs no API call.
 */
import { matches } from '../../signals/registry.js';
import type {
  Provider,
  ProviderApi,
  ProviderContext,
  VerifiedEvent,
  WebhookRequest,
} from '../types.js';
import { ProviderApiError, ProviderUnavailableError } from './api-errors.js';
import type { Validation } from './api-options.js';

/**
 * The `verify` of a provider: `verifySignature` alone, or followed by `api.confirm` in the
 * retrieve mode. A failed confirmation is logged (warn; error for a refused API key) and thrown
 * on: the pipeline answers its status (400 `not_found_at_provider`, 503 `provider_unavailable`).
 */
export function withValidation(
  verifySignature: (request: WebhookRequest) => VerifiedEvent,
  validation: Validation,
  api: ProviderApi | undefined,
  context: ProviderContext,
  provider: string,
): Provider['verify'] {
  if (validation === 'signature' || api === undefined) return verifySignature;
  return async function verifyAndRetrieve(request) {
    const signed = verifySignature(request);
    try {
      return await api.confirm(signed);
    } catch (error) {
      logApiFailure(error, context, provider, signed.id);
      throw error;
    }
  };
}

/**
 * Logs a failed API call made to verify a webhook: warn, or error for a refused API key (nothing
 * will work until it is fixed). Other errors are not logged here: the caller throws them on.
 * `eventId` is left out where the call comes before the body is read (PayPal's signature check).
 */
export function logApiFailure(
  error: unknown,
  context: ProviderContext,
  provider: string,
  eventId?: string,
): void {
  if (!(error instanceof ProviderApiError)) return;
  const reason = error instanceof ProviderUnavailableError ? error.reason : undefined;
  const level = reason === 'unauthorized' ? 'error' : 'warn';
  context.logger?.[level](
    {
      variant: context.variant,
      provider,
      eventId,
      code: error.code,
      reason,
      method: error.method,
      path: error.path,
      providerStatus: error.providerStatus,
      requestId: error.requestId,
    },
    `koa-payments: could not confirm a ${provider} webhook through its API; answering ${error.status}`,
  );
}

/** JSON of values the API may return as bigints (the Stripe SDK's v2 coercion). */
export function bigintsAsStrings(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * An event built from an API object, stored as fetched: `payloadText` is its JSON, and `payload`
 * a plain copy of it (no SDK methods or hidden fields), with `data` read from that copy.
 */
export function fetchedEvent(
  fields: Omit<VerifiedEvent, 'data' | 'payloadText'>,
  dataOf: (payload: unknown) => unknown,
): VerifiedEvent {
  const payloadText = JSON.stringify(fields.payload, bigintsAsStrings);
  const payload: unknown = JSON.parse(payloadText);
  const event: VerifiedEvent = {
    id: fields.id,
    type: fields.type,
    data: dataOf(payload),
    payload,
    payloadText,
  };
  if (fields.livemode !== undefined) event.livemode = fields.livemode;
  if (fields.createdAt !== undefined) event.createdAt = fields.createdAt;
  return event;
}

/** Whether `type` passes a `types` filter (receiver patterns: exact, `prefix.*`, `*`). */
export function typeWanted(type: string, types: readonly string[] | undefined): boolean {
  return types === undefined || types.some((pattern) => matches(pattern, type));
}
