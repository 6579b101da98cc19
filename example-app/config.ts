/**
 * The example's development secret, used when STRIPE_WEBHOOK_SECRET is not set. It only
 * protects a local demo; set the real endpoint secret (`stripe listen` prints one) otherwise.
 */
export const DEFAULT_SECRET = 'whsec_koa_payments_example_only';
