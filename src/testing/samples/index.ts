/**
 * `samplePayload(provider, type, overrides?)`: realistic webhook bodies for the common event types
 * of every built-in provider, with fresh ids on every call.
 */
import type { BuiltinProviderName } from '../../providers/index.js';
import { flutterwaveSamples } from './flutterwave.js';
import { dummySamples, hmacSamples, standardSamples } from './generic.js';
import { lemonsqueezySamples } from './lemonsqueezy.js';
import { paddleSamples } from './paddle.js';
import { paystackSamples } from './paystack.js';
import { payvostSamples } from './payvost.js';
import { razorpaySamples } from './razorpay.js';
import { squareSamples } from './square.js';
import { stripeSamples } from './stripe.js';
import type { SampleCatalogue, SamplePayload } from './types.js';

export type { SamplePayload } from './types.js';

const catalogues: Record<BuiltinProviderName, SampleCatalogue> = {
  stripe: stripeSamples,
  dummy: dummySamples,
  paystack: paystackSamples,
  flutterwave: flutterwaveSamples,
  payvost: payvostSamples,
  standard: standardSamples,
  razorpay: razorpaySamples,
  paddle: paddleSamples,
  square: squareSamples,
  lemonsqueezy: lemonsqueezySamples,
  hmac: hmacSamples,
};

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
  if (typeof provider !== 'string' || !Object.hasOwn(catalogues, provider)) {
    throw new TypeError(
      `koa-payments/testing: no samples for provider '${String(provider)}'; built-in providers are ${Object.keys(catalogues).join(', ')}`,
    );
  }
  return catalogues[provider];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `base` with `overrides` merged in, deeply: objects merge key by key, anything else (arrays
 * included) replaces, `undefined` is skipped. Neither argument is mutated.
 */
export function mergeDeep(
  base: Record<string, unknown>,
  overrides: Record<string, unknown>,
): SamplePayload {
  const out: SamplePayload = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] =
      isPlainObject(current) && isPlainObject(value)
        ? mergeDeep(current, value)
        : isPlainObject(value)
          ? mergeDeep({}, value)
          : value;
  }
  return out;
}

/** The value at `path` (an empty path is `root`). */
export function readAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A copy of `root` with the object at `path` replaced by `update(old)`; creates missing objects. */
export function updateAt(
  root: SamplePayload,
  path: readonly string[],
  update: (current: Record<string, unknown>) => unknown,
): SamplePayload {
  const [head, ...rest] = path;
  if (head === undefined) {
    const result = update(root);
    return isPlainObject(result) ? result : root;
  }
  const child = root[head];
  return {
    ...root,
    [head]:
      rest.length === 0
        ? update(isPlainObject(child) ? child : {})
        : updateAt(isPlainObject(child) ? child : {}, rest, update),
  };
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
