/**
 * Type-level tests of the hand-written Paystack and Flutterwave signal maps, checked by
 * `npm run typecheck` (this file is never executed). Each `@ts-expect-error` line must fail to
 * compile: if it compiled, tsc would report the directive as unused and the type-check would fail.
 *
 * The maps are used through `createRegistry<M>()` and a local `interface ... extends` (the shape
 * of the documented `declare module 'koa-payments' { interface PaymentSignals extends ... {} }`),
 * not through a real augmentation: that would retype the module-level registry for every file of
 * the project.
 */
import { createRegistry, type Signal } from 'koa-payments';
import type { FlutterwaveSignals } from '../../src/providers/flutterwave/signals.js';
import type {
  PaystackCharge,
  PaystackRefund,
  PaystackSignals,
  PaystackSubscription,
  PaystackTransfer,
} from '../../src/providers/paystack/signals.js';

const paystack = createRegistry<PaystackSignals>();

// A correct receiver compiles, and its data is typed.
paystack.receiver('charge.success', async function markPaid({ data, type }) {
  const reference: string = data.reference;
  const amount: number = data.amount;
  const email: string = data.customer.email;
  const authorization: string = data.authorization.authorization_code;
  const eventType: 'charge.success' = type;
  return [reference, amount, email, authorization, eventType];
});

paystack.receiver('transfer.reversed', async function refundPayout({ data }) {
  const transfer: PaystackTransfer = data;
  const code: string = data.transfer_code;
  return [transfer, code];
});

// A prefix gets the union of the matching data types: here every refund.* is a PaystackRefund.
paystack.receiver('refund.*', async function trackRefund({ data, type }) {
  const refund: PaystackRefund = data;
  const pending: string | null = data.refund_reference;
  const refundType:
    | 'refund.pending'
    | 'refund.processing'
    | 'refund.needs-attention'
    | 'refund.processed'
    | 'refund.failed' = type;
  return [refund, pending, refundType];
});

paystack.receiver('subscription.*', async function trackSubscription({ data }) {
  // subscription.expiring_cards carries an array; the others a subscription.
  const subscription: PaystackSubscription | undefined = Array.isArray(data) ? undefined : data;
  return subscription?.subscription_code;
});

// @ts-expect-error: a misspelled event type fails to compile (Stripe's name, not Paystack's).
paystack.receiver('charge.succeeded', async function misspelled() {});

// @ts-expect-error: so does a misspelled prefix.
paystack.receiver('transfers.*', async function noSuchPrefix() {});

paystack.receiver('charge.success', async function wrongField({ data }) {
  // @ts-expect-error: a charge has no `tx_ref` (that is Flutterwave's field).
  return data.tx_ref;
});

paystack.receiver('refund.processed', async function wrongType({ data }) {
  // @ts-expect-error: a refund's amount may be a string, so it is not a plain number.
  const amount: number = data.amount;
  return amount;
});

// A decorated static method is checked against the event's data type.
export class PaystackOrders {
  @paystack.receiver('charge.success')
  static async paid({ data }: Signal<'charge.success', PaystackSignals>) {
    const charge: PaystackCharge = data;
    return charge.id;
  }

  // @ts-expect-error: the decorated method expects a transfer, not a charge.
  @paystack.receiver('charge.success')
  static async wrong(_signal: Signal<'transfer.success', PaystackSignals>) {}
}

// Flutterwave: the data is the union of the v3 and v4 shapes, narrowed with `in`.
const flutterwave = createRegistry<FlutterwaveSignals>();

flutterwave.receiver('charge.completed', async function markPaid({ data }) {
  const amount: number = data.amount;
  const reference: string = 'tx_ref' in data ? data.tx_ref : data.reference;
  return [amount, reference];
});

flutterwave.receiver('charge.completed', async function unnarrowed({ data }) {
  // @ts-expect-error: tx_ref exists on v3 charges only; narrow first.
  return data.tx_ref;
});

// @ts-expect-error: Paystack's event name is not a Flutterwave one.
flutterwave.receiver('charge.success', async function wrongProvider() {});

// Several providers in one map, as `interface PaymentSignals extends ...` does for the module.
interface ShopSignals extends PaystackSignals, FlutterwaveSignals {}
const shop = createRegistry<ShopSignals>();

shop.receiver('charge.*', async function anyCharge({ type }) {
  const known: keyof ShopSignals = type;
  return known;
});

// @ts-expect-error: the merged map still refuses unknown names.
shop.receiver('charge.refunded', async function notInEitherMap() {});
