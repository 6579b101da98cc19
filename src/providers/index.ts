/**
 * The built-in providers, by the name a variant's `provider:` option uses. Each lives in its own
 * folder; adding a gateway adds a folder and a line here.
 */
import { type AdyenOptions, definition as adyen } from './adyen/index.js';
import { type BraintreeOptions, definition as braintree } from './braintree/index.js';
import { type DummyOptions, definition as dummy } from './dummy/index.js';
import { type FlutterwaveOptions, definition as flutterwave } from './flutterwave/index.js';
import { type HmacOptions, definition as hmac } from './hmac/index.js';
import { type LemonSqueezyOptions, definition as lemonsqueezy } from './lemonsqueezy/index.js';
import { type MollieOptions, definition as mollie } from './mollie/index.js';
import { type PaddleOptions, definition as paddle } from './paddle/index.js';
import { type PayPalOptions, definition as paypal } from './paypal/index.js';
import { type PaystackOptions, definition as paystack } from './paystack/index.js';
import { type PayvostOptions, definition as payvost } from './payvost/index.js';
import { type RazorpayOptions, definition as razorpay } from './razorpay/index.js';
import { type SquareOptions, definition as square } from './square/index.js';
import { type StandardOptions, definition as standard } from './standard/index.js';
import { type StripeOptions, definition as stripe } from './stripe/index.js';
import type { ProviderDefinition } from './types.js';

/** Options of each built-in provider, by name. */
export interface BuiltinProviderOptions {
  stripe: StripeOptions;
  dummy: DummyOptions;
  paystack: PaystackOptions;
  flutterwave: FlutterwaveOptions;
  payvost: PayvostOptions;
  standard: StandardOptions;
  razorpay: RazorpayOptions;
  paddle: PaddleOptions;
  square: SquareOptions;
  lemonsqueezy: LemonSqueezyOptions;
  hmac: HmacOptions;
  braintree: BraintreeOptions;
  paypal: PayPalOptions;
  mollie: MollieOptions;
  adyen: AdyenOptions;
}

/** The built-in providers. */
export const builtinProviders: {
  [P in keyof BuiltinProviderOptions]: ProviderDefinition<BuiltinProviderOptions[P]>;
} = {
  stripe,
  dummy,
  paystack,
  flutterwave,
  payvost,
  standard,
  razorpay,
  paddle,
  square,
  lemonsqueezy,
  hmac,
  braintree,
  paypal,
  mollie,
  adyen,
};

/** The name of a built-in provider. */
export type BuiltinProviderName = keyof BuiltinProviderOptions;
