/**
 * The shop's payment receivers, dj-stripe style. Marking an order paid or refunded is `atomic`:
 * it runs inside the transaction that stores the event, so it happens exactly once. The receipt
 * runs after the commit and is retried if it fails.
 */
import { receiver, type Signal } from 'koa-payments';

/** Order id from a Stripe object: Checkout's client_reference_id, else metadata.order_id. */
function orderIdOf(data: unknown): number | undefined {
  const object = data as { client_reference_id?: string | null; metadata?: Record<string, string> };
  const raw = object.client_reference_id ?? object.metadata?.order_id;
  const id = Number(raw);
  return Number.isInteger(id) && id > 0 ? id : undefined;
}

export class Orders {
  @receiver('checkout.session.completed', { atomic: true, name: 'orders.mark-paid-checkout' })
  static async markPaidFromCheckout({ data, event, trx }: Signal<'checkout.session.completed'>) {
    await Orders.setStatus(trx, orderIdOf(data), 'paid', event.eventId);
  }

  @receiver('payment_intent.succeeded', { atomic: true, name: 'orders.mark-paid-intent' })
  static async markPaidFromIntent({ data, event, trx }: Signal<'payment_intent.succeeded'>) {
    await Orders.setStatus(trx, orderIdOf(data), 'paid', event.eventId);
  }

  @receiver('charge.refunded', { atomic: true, name: 'orders.mark-refunded' })
  static async markRefunded({ data, event, trx }: Signal<'charge.refunded'>) {
    await Orders.setStatus(trx, orderIdOf(data), 'refunded', event.eventId);
  }

  static async setStatus(
    trx: Signal['trx'],
    orderId: number | undefined,
    status: 'paid' | 'refunded',
    eventId: string,
  ): Promise<void> {
    if (trx === undefined || orderId === undefined) return; // not one of our orders
    await trx('orders').where({ id: orderId }).update({ status, payment_event: eventId });
  }
}

/** After the commit: a stand-in for e-mailing a receipt. Failures are retried by koa-payments. */
receiver(
  'checkout.session.completed',
  async function sendReceipt({ data, attempt }) {
    const orderId = orderIdOf(data);
    if (orderId !== undefined && process.env.NODE_ENV !== 'test') {
      console.log(`[shop] receipt for order ${orderId} sent (attempt ${attempt})`);
    }
  },
  { name: 'orders.send-receipt' },
);
