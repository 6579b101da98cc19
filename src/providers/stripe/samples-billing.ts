/**
 * Stripe samples of billing: a subscription, its monthly price and the invoice of a cycle, paid
 * or open, in the shape of the current API version (the subscription under the invoice's
 * `parent`, the payment under its `payments`, the current period per item).
 */
import type Stripe from 'stripe';
import { id } from '../../testing/ids.js';
import { AMOUNT, CURRENCY, DAY, type Refs, type Sample } from './samples-common.js';

function price(r: Refs): Sample<Stripe.Price> {
  return {
    id: r.price,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: r.now - 30 * DAY,
    currency: CURRENCY,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: r.product,
    recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
    type: 'recurring',
    unit_amount: AMOUNT,
  };
}

export function invoice(r: Refs, paid: boolean): Sample<Stripe.Invoice> {
  const periodStart = r.now - 30 * DAY;
  const subscriptionItem = id('si_', 14);
  return {
    id: r.invoice,
    object: 'invoice',
    account_country: 'US',
    amount_due: AMOUNT,
    amount_paid: paid ? AMOUNT : 0,
    amount_remaining: paid ? 0 : AMOUNT,
    attempt_count: 1,
    attempted: true,
    billing_reason: 'subscription_cycle',
    collection_method: 'charge_automatically',
    created: r.now,
    currency: CURRENCY,
    customer: r.customer,
    customer_email: 'jenny.rosen@example.com',
    customer_name: 'Jenny Rosen',
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_test/${id('test_', 40)}`,
    invoice_pdf: `https://pay.stripe.com/invoice/acct_test/${id('test_', 40)}/pdf`,
    lines: {
      object: 'list',
      data: [
        {
          id: id('il_'),
          object: 'line_item',
          amount: AMOUNT,
          currency: CURRENCY,
          description: '1 × Pro (at $20.00 / month)',
          invoice: r.invoice,
          livemode: false,
          metadata: {},
          parent: {
            invoice_item_details: null,
            subscription_item_details: {
              invoice_item: null,
              proration: false,
              proration_details: { credited_items: null },
              subscription: r.subscription,
              subscription_item: subscriptionItem,
            },
            type: 'subscription_item_details',
          },
          period: { end: r.now, start: periodStart },
          pricing: {
            price_details: { price: r.price, product: r.product },
            type: 'price_details',
            unit_amount_decimal: null,
          },
          quantity: 1,
          subtotal: AMOUNT,
        },
      ],
      has_more: false,
      url: `/v1/invoices/${r.invoice}/lines`,
    },
    livemode: false,
    metadata: {},
    next_payment_attempt: paid ? null : r.now + 3 * DAY,
    number: `${id('', 8).toUpperCase()}-0002`,
    // Since API version 2025-03-31 the subscription is under parent, not invoice.subscription.
    parent: {
      quote_details: null,
      subscription_details: { metadata: {}, subscription: r.subscription },
      type: 'subscription_details',
    },
    // And the payment under payments, not invoice.charge / invoice.payment_intent.
    payments: {
      object: 'list',
      data: [
        {
          id: id('inpay_'),
          object: 'invoice_payment',
          amount_paid: paid ? AMOUNT : null,
          amount_requested: AMOUNT,
          created: r.now,
          currency: CURRENCY,
          invoice: r.invoice,
          is_default: true,
          livemode: false,
          payment: { payment_intent: r.paymentIntent, type: 'payment_intent' },
          status: paid ? 'paid' : 'open',
        },
      ],
      has_more: false,
      url: `/v1/invoice_payments?invoice=${r.invoice}`,
    },
    period_end: r.now,
    period_start: periodStart,
    status: paid ? 'paid' : 'open',
    status_transitions: {
      finalized_at: r.now,
      marked_uncollectible_at: null,
      paid_at: paid ? r.now : null,
      voided_at: null,
    },
    subtotal: AMOUNT,
    total: AMOUNT,
  };
}

export function subscription(
  r: Refs,
  status: 'active' | 'canceled',
  cancelAtPeriodEnd = false,
): Sample<Stripe.Subscription> {
  const start = r.now - 30 * DAY;
  return {
    id: r.subscription,
    object: 'subscription',
    billing_cycle_anchor: start,
    cancel_at: cancelAtPeriodEnd ? r.now + DAY : null,
    cancel_at_period_end: cancelAtPeriodEnd,
    canceled_at: status === 'canceled' || cancelAtPeriodEnd ? r.now : null,
    collection_method: 'charge_automatically',
    created: start,
    currency: CURRENCY,
    customer: r.customer,
    default_payment_method: r.paymentMethod,
    ended_at: status === 'canceled' ? r.now : null,
    items: {
      object: 'list',
      data: [
        {
          id: id('si_', 14),
          object: 'subscription_item',
          created: start,
          // Since API version 2025-03-31 the current period is per item.
          current_period_end: r.now + DAY,
          current_period_start: start + DAY,
          metadata: {},
          price: price(r),
          quantity: 1,
          subscription: r.subscription,
        },
      ],
      has_more: false,
      url: `/v1/subscription_items?subscription=${r.subscription}`,
    },
    latest_invoice: r.invoice,
    livemode: false,
    metadata: {},
    start_date: start,
    status,
    trial_end: null,
    trial_start: null,
  };
}
