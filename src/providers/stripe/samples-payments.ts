/**
 * Stripe samples of one-off payments: the PaymentIntent, the Charge and the Checkout Session a
 * card payment produces, succeeded, failed, refunded or expired.
 */
import type Stripe from 'stripe';
import { id } from '../../testing/ids.js';
import { AMOUNT, address, CURRENCY, DAY, type Refs, type Sample } from './samples-common.js';

export function paymentIntent(
  r: Refs,
  status: 'succeeded' | 'requires_payment_method',
): Sample<Stripe.PaymentIntent> {
  const succeeded = status === 'succeeded';
  return {
    id: r.paymentIntent,
    object: 'payment_intent',
    amount: AMOUNT,
    amount_capturable: 0,
    amount_received: succeeded ? AMOUNT : 0,
    automatic_payment_methods: { allow_redirects: 'always', enabled: true },
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic_async',
    client_secret: `${r.paymentIntent}_secret_${id('', 25)}`,
    confirmation_method: 'automatic',
    created: r.now,
    currency: CURRENCY,
    customer: r.customer,
    description: null,
    last_payment_error: succeeded
      ? null
      : {
          code: 'card_declined',
          decline_code: 'generic_decline',
          doc_url: 'https://stripe.com/docs/error-codes/card-declined',
          message: 'Your card was declined.',
          type: 'card_error',
        },
    latest_charge: r.charge,
    livemode: false,
    metadata: {},
    payment_method: succeeded ? r.paymentMethod : null,
    payment_method_types: ['card'],
    receipt_email: null,
    status,
  };
}

export function charge(
  r: Refs,
  outcome: 'succeeded' | 'failed' | 'refunded',
): Sample<Stripe.Charge> {
  const failed = outcome === 'failed';
  const refunded = outcome === 'refunded';
  return {
    id: r.charge,
    object: 'charge',
    amount: AMOUNT,
    amount_captured: failed ? 0 : AMOUNT,
    amount_refunded: refunded ? AMOUNT : 0,
    balance_transaction: failed ? null : id('txn_'),
    billing_details: {
      address: address(),
      email: 'jenny.rosen@example.com',
      name: 'Jenny Rosen',
      phone: null,
    },
    captured: !failed,
    created: r.now,
    currency: CURRENCY,
    customer: r.customer,
    description: null,
    disputed: false,
    failure_code: failed ? 'card_declined' : null,
    failure_message: failed ? 'Your card was declined.' : null,
    livemode: false,
    metadata: {},
    outcome: failed
      ? {
          network_status: 'declined_by_network',
          reason: 'generic_decline',
          risk_level: 'normal',
          seller_message: 'The bank did not return any further details with this decline.',
          type: 'issuer_declined',
        }
      : {
          network_status: 'approved_by_network',
          reason: null,
          risk_level: 'normal',
          seller_message: 'Payment complete.',
          type: 'authorized',
        },
    paid: !failed,
    payment_intent: r.paymentIntent,
    payment_method: r.paymentMethod,
    payment_method_details: {
      card: {
        brand: 'visa',
        checks: {
          address_line1_check: 'pass',
          address_postal_code_check: 'pass',
          cvc_check: 'pass',
        },
        country: 'US',
        exp_month: 12,
        exp_year: new Date().getUTCFullYear() + 3,
        funding: 'credit',
        last4: failed ? '0002' : '4242',
        network: 'visa',
      },
      type: 'card',
    },
    receipt_email: null,
    receipt_url: failed ? null : `https://pay.stripe.com/receipts/payment/${id('', 40)}`,
    refunded,
    status: failed ? 'failed' : 'succeeded',
  };
}

export function checkoutSession(
  r: Refs,
  status: 'complete' | 'expired',
): Sample<Stripe.Checkout.Session> {
  const complete = status === 'complete';
  return {
    id: id('cs_test_a1', 56),
    object: 'checkout.session',
    amount_subtotal: AMOUNT,
    amount_total: AMOUNT,
    cancel_url: 'https://example.com/cancel',
    client_reference_id: null,
    created: r.now - 60,
    currency: CURRENCY,
    customer: complete ? r.customer : null,
    customer_creation: 'if_required',
    customer_details: complete
      ? {
          address: address(),
          email: 'jenny.rosen@example.com',
          name: 'Jenny Rosen',
          phone: null,
          tax_exempt: 'none',
          tax_ids: [],
        }
      : null,
    expires_at: r.now - 60 + DAY,
    invoice: null,
    livemode: false,
    locale: null,
    metadata: {},
    mode: 'payment',
    payment_intent: complete ? r.paymentIntent : null,
    payment_method_types: ['card'],
    payment_status: complete ? 'paid' : 'unpaid',
    status,
    subscription: null,
    success_url: 'https://example.com/success',
    url: null,
  };
}
