/**
 * Each built-in provider's testing kit, from its own folder (`src/providers/<name>/testing.ts`).
 * Only `koa-payments/testing` loads this table, so the main entry never loads samples.
 */
import { testing as adyen } from '../providers/adyen/testing.js';
import { testing as braintree } from '../providers/braintree/testing.js';
import { testing as dummy } from '../providers/dummy/testing.js';
import { testing as flutterwave } from '../providers/flutterwave/testing.js';
import { testing as hmac } from '../providers/hmac/testing.js';
import type { BuiltinProviderName } from '../providers/index.js';
import { testing as lemonsqueezy } from '../providers/lemonsqueezy/testing.js';
import { testing as mollie } from '../providers/mollie/testing.js';
import { testing as paddle } from '../providers/paddle/testing.js';
import { testing as paypal } from '../providers/paypal/testing.js';
import { testing as paystack } from '../providers/paystack/testing.js';
import { testing as payvost } from '../providers/payvost/testing.js';
import { testing as razorpay } from '../providers/razorpay/testing.js';
import { testing as square } from '../providers/square/testing.js';
import { testing as standard } from '../providers/standard/testing.js';
import { testing as stripe } from '../providers/stripe/testing.js';
import type { ProviderTesting } from './types.js';

const kits: Record<BuiltinProviderName, ProviderTesting> = {
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

/**
 * The kit of a built-in provider. `what` names what the caller wanted (`samples`, a `signer`),
 * for the TypeError an unknown provider gets.
 */
export function kitOf(provider: BuiltinProviderName, what: string): ProviderTesting {
  if (typeof provider !== 'string' || !Object.hasOwn(kits, provider)) {
    throw new TypeError(
      `koa-payments/testing: no ${what} for provider '${String(provider)}'; built-in providers are ${Object.keys(kits).join(', ')}`,
    );
  }
  return kits[provider];
}
