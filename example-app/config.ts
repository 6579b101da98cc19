/**
 * The example's development secrets, used when STRIPE_WEBHOOK_SECRET or PAYSTACK_SECRET_KEY is
 * not set. They only protect a local demo; set the real ones (`stripe listen` prints a Stripe
 * endpoint secret; Paystack signs with your secret key) otherwise.
 */
export const DEFAULT_SECRET = 'whsec_koa_payments_example_only';

/** The Paystack secret key of the local demo. */
export const DEFAULT_PAYSTACK_SECRET = 'sk_test_koa_payments_example_only';
