/**
 * Every decorator form that README.md, docs/ and example-app/ show, type-checked in both decorator
 * modes (TC39 standard decorators and `experimentalDecorators`) on TypeScript 5.9 and 7 by
 * test/types/decorators.test.ts. Never executed. Each `@ts-expect-error` line must fail to
 * compile in both modes.
 */
import 'koa-payments/stripe';
import { createRegistry, receiver, type Signal } from 'koa-payments';

// README.md, docs/getting-started.md: a named receiver on a static async method.
export class Orders {
  @receiver('checkout.session.completed', { name: 'orders.mark-paid' })
  static async markPaid({ data, event }: Signal<'checkout.session.completed'>) {
    const session = data as { id: string; client_reference_id: string | null };
    return `order ${session.client_reference_id} paid (event ${event.eventId})`;
  }
}

// docs/receivers.md: the default name, and options.
export class Refunds {
  @receiver('checkout.session.completed')
  static async markPaid({ data, event }: Signal<'checkout.session.completed'>) {
    void [data, event];
  }

  @receiver('charge.refunded', { name: 'orders.refund', variants: ['stripe'] })
  static async refund({ data }: Signal<'charge.refunded'>) {
    void data;
  }
}

// docs/receivers.md, with koa-payments/stripe: data is Stripe's own type.
export class Billing {
  @receiver('invoice.paid', { name: 'billing.invoice-paid' })
  static async paid({ data }: Signal<'invoice.paid'>) {
    const id: string | undefined = data.id;
    return id;
  }
}

// example-app/receivers.ts: an atomic receiver writing through signal.trx.
export class Shop {
  @receiver('payment_intent.succeeded', { atomic: true, name: 'shop.mark-paid-intent' })
  static async markPaidFromIntent({ data, event, trx }: Signal<'payment_intent.succeeded'>) {
    await trx?.raw('select 1');
    return [data.id, event.eventId];
  }

  // A method without parameters, and a synchronous one.
  @receiver('charge.succeeded', { name: 'shop.no-parameters' })
  static async noParameters() {}

  @receiver('charge.captured', { name: 'shop.synchronous' })
  static synchronous(signal: Signal<'charge.captured'>): void {
    void signal;
  }
}

// docs/receivers.md: a typed registry.
interface ShopSignals {
  'order.paid': { orderId: string; amount: number };
  'order.refunded': { orderId: string; reason: string };
}

const shop = createRegistry<ShopSignals>();

export class TypedOrders {
  @shop.receiver('order.refunded')
  static async refund({ data }: Signal<'order.refunded', ShopSignals>) {
    const reason: string = data.reason;
    return reason;
  }

  @shop.receiver('order.*', { name: 'typed-orders.any' })
  static async any({ data }: Signal<'order.*', ShopSignals>) {
    const id: string = data.orderId;
    return id;
  }

  // @ts-expect-error: the method expects another event's data.
  @shop.receiver('order.paid', { name: 'typed-orders.wrong' })
  static async wrong(_signal: Signal<'order.refunded', ShopSignals>) {}
}

// docs/receivers.md: static methods only; an instance method does not compile either.
export class Instance {
  // @ts-expect-error: @receiver decorates static methods only.
  @receiver('charge.refunded', { name: 'instance.refund' })
  async refund(_signal: Signal<'charge.refunded'>) {}
}
