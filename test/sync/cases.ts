/**
 * One payment per provider that has an API (Stripe, Paystack, Flutterwave), as the loopback fake
 * of its API lists it and as its webhook carries it, for the sync and reconcile tests.
 */
import type { BuiltinProviderName } from '../../src/providers/index.js';
import { samplePayload, signWebhook } from '../../src/testing/index.js';
import { FlutterwaveApiFake } from '../fakes/flutterwave-api.js';
import { PaystackApiFake } from '../fakes/paystack-api.js';
import type { LoopbackFake, SeenRequest } from '../fakes/server.js';
import { StripeApiFake } from '../fakes/stripe-api.js';

type Json = Record<string, unknown>;

/** A payment the fake API knows, and its signed webhook. */
export interface Payment {
  /** The event id koa-payments stores for it (webhook and API alike). */
  id: string;
  type: string;
  /** What `pay.reconcile()` takes for it. */
  reference: string;
  /** The signed webhook. */
  body: string;
  headers: Record<string, string>;
}

/** A fake of one provider's API, with the page size its listing can be held to. */
export type ApiFake = LoopbackFake & { pageSize: number };

/** One provider. */
export interface SyncCase {
  provider: Extract<BuiltinProviderName, 'stripe' | 'paystack' | 'flutterwave'>;
  /** The API key (Paystack: the secret key). */
  key: string;
  fake(): ApiFake;
  /** Variant options pointing at the fake. */
  options(origin: string): Json;
  /** Adds a settled payment made `minutesAgo` to the fake; returns it with its webhook. */
  payment(fake: ApiFake, minutesAgo: number): Payment;
  /** Adds a payment still in progress; returns its reference. */
  pending(fake: ApiFake): string;
  /** A reference of the provider's form that the fake does not know. */
  unknown: string;
  /** Whether a request asks for a listing page after the first. */
  laterPage(request: SeenRequest): boolean;
  /** Whether a request asks for a listing page. */
  listing(request: SeenRequest): boolean;
}

const STRIPE_KEY = 'sk_test_51SyncReconcileKey';
const STRIPE_SECRET = 'whsec_sync_reconcile';
const PAYSTACK_KEY = 'sk_test_sync_reconcile_paystack';
const FLW_KEY = 'FLWSECK_TEST-syncreconcilekey01234567-X';
const FLW_HASH = 'sync-reconcile-secret-hash';

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);

export const CASES: readonly SyncCase[] = [
  {
    provider: 'stripe',
    key: STRIPE_KEY,
    fake: () => new StripeApiFake(STRIPE_KEY),
    options: (origin) => ({ endpointSecret: STRIPE_SECRET, apiKey: STRIPE_KEY, apiBase: origin }),
    payment(fake, minutesAgo) {
      const created = Math.floor(ago(minutesAgo).getTime() / 1000);
      const event = samplePayload('stripe', 'payment_intent.succeeded', {
        created,
        data: { object: { created } },
      });
      const intent = (event.data as { object: Json }).object;
      (fake as StripeApiFake).addEvent(event).addObject(intent);
      const { body, headers } = signWebhook('stripe', { payload: event, secret: STRIPE_SECRET });
      return {
        id: String(event.id),
        type: 'payment_intent.succeeded',
        reference: String(intent.id),
        body,
        headers,
      };
    },
    pending(fake) {
      const event = samplePayload('stripe', 'payment_intent.succeeded');
      const intent: Json = { ...(event.data as { object: Json }).object, status: 'processing' };
      (fake as StripeApiFake).addObject(intent);
      return String(intent.id);
    },
    unknown: 'pi_3NoSuchPaymentIntent',
    listing: (request) => request.path === '/v1/events',
    laterPage: (request) => request.path === '/v1/events' && request.query.has('starting_after'),
  },
  {
    provider: 'paystack',
    key: PAYSTACK_KEY,
    fake: () => new PaystackApiFake(PAYSTACK_KEY),
    options: (origin) => ({ secretKey: PAYSTACK_KEY, apiBase: origin }),
    payment(fake, minutesAgo) {
      const sent = samplePayload('paystack', 'charge.success');
      const data: Json = { ...(sent.data as Json), created_at: ago(minutesAgo).toISOString() };
      (fake as PaystackApiFake).addTransaction(data);
      const payload = { event: 'charge.success', data };
      const { body, headers } = signWebhook('paystack', { payload, secret: PAYSTACK_KEY });
      return {
        id: `charge.success:${data.id}`,
        type: 'charge.success',
        reference: String(data.reference),
        body,
        headers,
      };
    },
    pending(fake) {
      const data = samplePayload('paystack', 'charge.success').data as Json;
      (fake as PaystackApiFake).addTransaction({ ...data, status: 'ongoing' });
      return String(data.reference);
    },
    unknown: 'no-such-reference',
    listing: (request) => request.path === '/transaction',
    laterPage: (request) => request.path === '/transaction' && request.query.get('page') !== '1',
  },
  {
    provider: 'flutterwave',
    key: FLW_KEY,
    fake: () => new FlutterwaveApiFake(FLW_KEY),
    options: (origin) => ({ secretHash: FLW_HASH, apiKey: FLW_KEY, apiBase: origin }),
    payment(fake, minutesAgo) {
      const sent = samplePayload('flutterwave', 'charge.completed');
      const data: Json = { ...(sent.data as Json), created_at: ago(minutesAgo).toISOString() };
      (fake as FlutterwaveApiFake).addTransaction(data);
      const payload = { ...sent, data };
      const { body, headers } = signWebhook('flutterwave', { payload, secret: FLW_HASH });
      return {
        id: `charge.completed:${data.id}:successful`,
        type: 'charge.completed',
        reference: String(data.tx_ref),
        body,
        headers,
      };
    },
    pending(fake) {
      const data = samplePayload('flutterwave', 'charge.completed').data as Json;
      (fake as FlutterwaveApiFake).addTransaction({ ...data, status: 'pending' });
      return String(data.tx_ref);
    },
    unknown: 'no-such-reference',
    listing: (request) => request.path === '/v3/transactions',
    laterPage: (request) =>
      request.path === '/v3/transactions' && request.query.get('page') !== '1',
  },
];
