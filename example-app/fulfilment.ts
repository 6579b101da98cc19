/**
 * Fulfilment: what the shop does once an order is paid (here, a row in `fulfilments` and a call
 * to the warehouse). Two paths reach it: the checkout-success page, when the customer comes back
 * from Stripe, and the `orders.fulfil` receiver, when Stripe's webhook arrives. Whichever comes
 * first, and however they overlap, `pay.runOnce` runs it once per order (docs/exactly-once.md).
 */
import type { Knex } from 'knex';
import { type Payments, RetryLater, type RunOnceResult } from 'koa-payments';

/** Who fulfilled an order. */
export type FulfilmentSource = 'page' | 'webhook';

/** The shop's parts that fulfilment needs; `createShop()` sets them for this process. */
interface FulfilmentContext {
  pay: Payments;
  knex: Knex;
  /** The warehouse call (a stand-in). */
  ship(orderId: number): Promise<void>;
}

// Kept on globalThis, not in a module variable: a loader that evaluates this module twice (the
// koa-payments command importing the receivers, tsx) still finds the shop.
const CONTEXT = Symbol.for('koa-payments-example.fulfilment');
const holder = globalThis as { [CONTEXT]?: FulfilmentContext | undefined };

/** Called by `createShop()`: fulfilment runs on this shop's database. */
export function useFulfilment(shop: FulfilmentContext | undefined): void {
  holder[CONTEXT] = shop;
}

/** Fulfils an order once, whichever path calls first; `ran` says whether this call did it. */
export async function fulfilOnce(
  orderId: number,
  source: FulfilmentSource,
): Promise<RunOnceResult<void>> {
  const context = holder[CONTEXT];
  if (context === undefined) {
    // The koa-payments command (replay, worker) runs receivers without the shop: not here,
    // not yet. The delivery stays pending, and the shop's own worker runs it.
    throw new RetryLater('fulfilment runs in the shop process', { after: '1m' });
  }
  const { pay, knex, ship } = context;
  return pay.runOnce(`fulfil:order:${orderId}`, async () => {
    await knex('fulfilments').insert({ order_id: orderId, source, created_at: new Date() });
    await ship(orderId);
  });
}
