/**
 * The shop's payment receivers. They listen to the normalized payment signals
 * (`payment:succeeded`, `payment:refunded`), which koa-payments emits once per payment for every
 * provider with the same data (`PaymentFacts`): the same code serves the Stripe and the Paystack
 * variant. Marking an order paid or refunded is `atomic`: it runs inside the transaction that
 * stores the event, so it happens exactly once. Fulfilment and the receipt run after the commit
 * and are retried if they fail; fulfilment goes through `pay.runOnce`, shared with the
 * checkout-success page (fulfilment.ts).
 */
import { type PaymentFacts, receiver, type Signal } from 'koa-payments';
import { fulfilOnce } from './fulfilment.js';

/**
 * The order a payment is for: the order id the checkout attached to it, as `metadata.order_id`
 * (Stripe's and Paystack's metadata) or as its reference (Stripe Checkout's `client_reference_id`).
 */
export function orderIdOf(facts: PaymentFacts): number | undefined {
  const raw = facts.metadata.order_id ?? facts.reference;
  const id = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : Number.NaN;
  return Number.isInteger(id) && id > 0 ? id : undefined;
}

export class Orders {
  /** Any provider's successful payment marks its order paid, with what was paid. */
  @receiver('payment:succeeded', { atomic: true, name: 'orders.mark-paid' })
  static async markPaid({ data, event, trx }: Signal<'payment:succeeded'>) {
    const orderId = orderIdOf(data);
    if (trx === undefined || orderId === undefined) return; // not one of our orders
    // A real shop would also compare data.amount and data.currency (integer minor units and an
    // upper-case ISO code, for every provider) with the order's before shipping it.
    await trx('orders').where({ id: orderId }).update({
      status: 'paid',
      provider: data.provider,
      payment_id: data.paymentId,
      paid_amount: data.amount,
      paid_currency: data.currency,
      payment_event: event.eventId,
    });
  }

  /** A refund marks the order it paid for refunded: found by its payment, else by its order id. */
  @receiver('payment:refunded', { atomic: true, name: 'orders.mark-refunded' })
  static async markRefunded({ data, event, trx }: Signal<'payment:refunded'>) {
    if (trx === undefined) return;
    const paidBy = (await trx('orders')
      .where({ provider: data.provider, payment_id: data.paymentId })
      .first('id')) as { id: number } | undefined;
    const orderId = paidBy?.id ?? orderIdOf(data);
    if (orderId === undefined) return; // not one of our orders
    await trx('orders')
      .where({ id: orderId })
      .update({ status: 'refunded', payment_event: event.eventId });
  }
}

// A local name: the receiver's text, which the registry compares when a loader evaluates this
// module twice, then reads the same whether the module is compiled as ESM or CommonJS.
const fulfilFromWebhook = (orderId: number) => fulfilOnce(orderId, 'webhook');

/**
 * After the commit: fulfil the order the payment is for, unless the checkout-success page did
 * (or is doing) it.
 */
receiver(
  'payment:succeeded',
  async function fulfil({ data }) {
    const orderId = orderIdOf(data);
    if (orderId !== undefined) await fulfilFromWebhook(orderId);
  },
  { name: 'orders.fulfil' },
);

/** After the commit: a stand-in for e-mailing a receipt. Failures are retried by koa-payments. */
receiver(
  'payment:succeeded',
  async function sendReceipt({ data, attempt }) {
    const orderId = orderIdOf(data);
    if (orderId !== undefined && process.env.NODE_ENV !== 'test') {
      console.log(
        `[shop] receipt for order ${orderId} sent via ${data.provider} (attempt ${attempt})`,
      );
    }
  },
  { name: 'orders.send-receipt' },
);
