/**
 * `samplePayload(provider, type, overrides?)`: realistic webhook bodies for the common event types
 * of every built-in provider, with fresh ids on every call.
 */
import type { BuiltinProviderName } from '../providers/index.js';
import { kitOf } from './kits.js';
import { mergeDeep } from './paths.js';
import type { SampleCatalogue, SamplePayload } from './types.js';

/** Thrown for an event type a provider has no sample of; lists the ones it has. */
export class UnknownSampleTypeError extends TypeError {
  readonly provider: string;
  readonly type: string;
  /** The types with a sample. */
  readonly known: readonly string[];

  constructor(provider: string, type: string, known: readonly string[]) {
    super(
      `koa-payments/testing: no ${provider} sample of '${type}'; samples exist for ${known.join(', ')}. ` +
        'For another type, build the payload yourself (start from a sample and change it).',
    );
    this.name = 'UnknownSampleTypeError';
    this.provider = provider;
    this.type = type;
    this.known = known;
  }
}

function catalogue(provider: BuiltinProviderName): SampleCatalogue {
  return kitOf(provider, 'samples').samples;
}

/**
 * A realistic webhook body of `type` for a built-in provider, as the provider sends it, with
 * fresh ids (event id, object ids, references) on every call, so that two samples are two events.
 * `overrides` is merged in deeply (objects key by key, anything else replaces); override the id
 * fields to send the same event twice.
 *
 * Stripe: `checkout.session.completed`, `checkout.session.expired`, `payment_intent.succeeded`,
 * `payment_intent.payment_failed`, `charge.succeeded`, `charge.failed`, `charge.refunded`,
 * `invoice.paid`, `invoice.payment_failed`, `customer.created`, `customer.subscription.created`,
 * `.updated` and `.deleted`. Paystack: `charge.success`, `transfer.success`, `.failed`,
 * `.reversed`, `refund.*`, ... `sampleTypes(provider)` lists them all; `standard`, `hmac` and
 * `dummy` build any type. An unknown type throws an {@link UnknownSampleTypeError} listing them.
 *
 * @example
 * const event = samplePayload('stripe', 'checkout.session.completed', {
 *   data: { object: { client_reference_id: String(order.id) } },
 * });
 * event.id; // 'evt_…', new on every call
 */
export function samplePayload(
  provider: BuiltinProviderName,
  type: string,
  overrides?: Record<string, unknown>,
): SamplePayload {
  const samples = catalogue(provider);
  if (typeof type !== 'string' || type === '') {
    throw new TypeError('koa-payments/testing: samplePayload() needs an event type');
  }
  const build = samples.events[type];
  let payload: SamplePayload;
  if (build !== undefined) payload = build();
  else if (samples.any !== undefined) payload = samples.any(type);
  else throw new UnknownSampleTypeError(provider, type, Object.keys(samples.events));
  return overrides === undefined ? payload : mergeDeep(payload, overrides);
}

/**
 * The event types `samplePayload()` has a realistic sample of for `provider`. Empty for
 * `standard`, `hmac` and `dummy`, which build a sample of any type.
 *
 * @example
 * sampleTypes('paystack'); // ['charge.success', 'transfer.success', ...]
 */
export function sampleTypes(provider: BuiltinProviderName): string[] {
  return Object.keys(catalogue(provider).events);
}

/** Where `signal.data` sits in a provider's payload (for merging `data` overrides). */
export function sampleDataPath(provider: BuiltinProviderName): readonly string[] {
  return catalogue(provider).dataPath;
}
