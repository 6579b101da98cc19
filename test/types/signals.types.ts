/**
 * Type-level tests, checked by `npm run typecheck` (this file is never executed). Each
 * `@ts-expect-error` line must fail to compile: if it compiled, tsc would report the directive
 * as unused and the type-check would fail.
 */
import { createRegistry, receiver, type Signal } from 'koa-payments';

interface ShopSignals {
  'order.paid': { orderId: string; amount: number };
  'order.refunded': { orderId: string; reason: string };
  'customer.created': { email: string };
}

const shop = createRegistry<ShopSignals>();

// A correct receiver compiles, and its data is typed.
shop.receiver('order.paid', async function bookRevenue({ data, type }) {
  const amount: number = data.amount;
  const paid: 'order.paid' = type;
  return [amount, paid];
});

// A prefix pattern gets the union of the matching data types.
shop.receiver('order.*', async function anyOrder({ data }) {
  const id: string = data.orderId;
  return id;
});

// The wildcard gets the union of every data type.
shop.receiver('*', async function audit({ data }) {
  const value: ShopSignals[keyof ShopSignals] = data;
  return value;
});

// @ts-expect-error: a misspelled event type fails to compile against a typed map.
shop.receiver('order.payed', async function misspelled() {});

// @ts-expect-error: a prefix that matches no type fails too.
shop.receiver('invoice.*', async function noSuchPrefix() {});

shop.receiver('order.paid', async function wrongField({ data }) {
  // @ts-expect-error: the data of order.paid has no `reason`.
  return data.reason;
});

// A receiver declared for another event's data does not fit. (On one line: TypeScript 5.9 reports
// the call, TypeScript 7 the argument.)
const wrongData = async (_signal: Signal<'customer.created', ShopSignals>) => {};
// @ts-expect-error: see above.
shop.receiver('order.paid', wrongData);

// A decorated static method is checked against the event's data type.
export class Orders {
  @shop.receiver('order.refunded')
  static async refund({ data }: Signal<'order.refunded', ShopSignals>) {
    const reason: string = data.reason;
    return reason;
  }

  // @ts-expect-error: the decorated method expects another event's data.
  @shop.receiver('order.paid')
  static async wrong(_signal: Signal<'customer.created', ShopSignals>) {}
}

// The module-level receiver accepts any name (unknown names still work), with unknown data.
receiver('anything.at.all', async function loose({ data, type }) {
  const t: string = type;
  const d: unknown = data;
  return [t, d];
});

// Augmenting PaymentSignals types the module-level receiver.
declare module 'koa-payments' {
  interface PaymentSignals {
    'test.augmented': { augmented: true };
  }
}
receiver('test.augmented', async function augmented({ data }) {
  const flag: true = data.augmented;
  return flag;
});
receiver('test.augmented', async function augmentedWrong({ data }) {
  // @ts-expect-error: the augmented data type has no `missing` field.
  return data.missing;
});
