/**
 * Type-level tests of the normalized payment signals, checked by `npm run typecheck` (this file
 * is never executed). Each `@ts-expect-error` line must fail to compile: if it compiled, tsc would
 * report the directive as unused and the type-check would fail.
 */
import {
  createRegistry,
  type ObjectState,
  type PaymentFacts,
  type PaymentSignalName,
  type PaymentSignals,
  type Payments,
  receiver,
  type Signal,
} from 'koa-payments';

// The module-level receiver of a normalized signal gets PaymentFacts.
receiver('payment:succeeded', async function markPaid({ data, type }) {
  const facts: PaymentFacts = data;
  const amount: number = data.amount;
  const email: string | undefined = data.customer?.email;
  const occurredAt: Date = data.occurredAt;
  const signal: 'payment:succeeded' = type;
  return [facts, amount, email, occurredAt, signal];
});

receiver('payment:refunded', async function refund({ data }: Signal<'payment:refunded'>) {
  // @ts-expect-error: PaymentFacts has no provider-specific field.
  return data.amount_refunded;
});

// 'payment:*' gets PaymentFacts too, with the three names as its type.
receiver('payment:*', async function anyPayment({ data, type }) {
  const facts: PaymentFacts = data;
  const name: PaymentSignalName = type;
  // @ts-expect-error: the type is one of the three, not any string.
  const other: 'payment:disputed' = type;
  return [facts, name, other];
});

// '*' is every provider event, not typed as the normalized signals: its data stays unknown.
receiver('*', async function audit({ data }) {
  // @ts-expect-error: unknown data, not PaymentFacts.
  const facts: PaymentFacts = data;
  return facts;
});

// A strict registry over a map that holds them: '*' leaves them out, 'payment:*' matches them.
interface ShopSignals extends Pick<PaymentSignals, PaymentSignalName> {
  'order.paid': { orderId: string };
}
const shop = createRegistry<ShopSignals>();

shop.receiver('*', async function everyProviderEvent({ data, type }) {
  const order: { orderId: string } = data;
  const orderType: 'order.paid' = type;
  return [order, orderType];
});

shop.receiver('payment:*', async function everyPayment({ data }) {
  const facts: PaymentFacts = data;
  return facts.paymentId;
});

shop.receiver('payment:failed', async function failed({ data }) {
  const status: string = data.status;
  return status;
});

// @ts-expect-error: a namespace no signal of the map has.
shop.receiver('refund:*', async function noSuchNamespace() {});

// @ts-expect-error: not one of the normalized names.
shop.receiver('payment:captured', async function misspelled() {});

// Every signal says whether its event is stale; skipStale is a receiver option.
receiver(
  'customer.subscription.updated',
  async function syncSubscription({ stale }) {
    const isStale: boolean = stale;
    return isStale;
  },
  { skipStale: true },
);

// The objects mirror.
declare const pay: Payments;
export async function mirror(): Promise<unknown> {
  const state: ObjectState | undefined = await pay.objects.get('stripe', 'subscription', 'sub_1');
  const page: ObjectState[] = await pay.objects.list({ variant: 'stripe', before: state?.id });
  const version: number | null | undefined = state?.version;
  // @ts-expect-error: the filter has no such key (typos do not compile).
  await pay.objects.list({ varaint: 'stripe' });
  return [page, version];
}
