export { backoffDelay } from './dispatch/backoff.js';
export type { PaymentsHooks } from './dispatch/dispatcher.js';
export {
  ConfigurationError,
  type ErrorCode,
  PaymentsError,
  ReceiverFailedError,
  type SignatureFailureReason,
  SignatureVerificationError,
  StoreUnavailableError,
} from './errors.js';
export { type Payments, payments } from './payments.js';
export type { Received } from './pipeline.js';
export type { DummyOptions } from './providers/dummy.js';
export type { FlutterwaveOptions } from './providers/flutterwave.js';
export type { HmacOptions } from './providers/hmac.js';
export type { BuiltinProviderName, BuiltinProviderOptions } from './providers/index.js';
export type { LemonSqueezyOptions } from './providers/lemonsqueezy.js';
export type { PaddleOptions } from './providers/paddle.js';
export type { PaystackOptions } from './providers/paystack.js';
export type { PayvostOptions } from './providers/payvost.js';
export type { RazorpayOptions } from './providers/razorpay.js';
export type { SquareOptions } from './providers/square.js';
export type { StandardOptions } from './providers/standard.js';
export type { StripeOptions } from './providers/stripe.js';
export type {
  Provider,
  ProviderContext,
  ProviderDefinition,
  Secret,
  VerifiedEvent,
  WebhookRequest,
} from './providers/types.js';
export type {
  BuiltinVariantSettings,
  CustomVariantSettings,
  DatabaseSetting,
  Logger,
  PaymentsSettings,
  RetrySettings,
  SqliteFileSettings,
  VariantSettings,
} from './settings.js';
export {
  createRegistry,
  type ReceiverDecorator,
  type RegisteredReceiver,
  type Registry,
  type RegistryCore,
  type RegistryEvents,
  receiver,
} from './signals/registry.js';
export type {
  LooseSignals,
  PaymentSignals,
  ReceiverFunction,
  ReceiverOptions,
  Signal,
  SignalData,
  SignalPattern,
} from './signals/types.js';
export { migrationSource } from './store/migrations.js';
export type {
  Delivery,
  DeliveryStatus,
  EventStatus,
  StoredEvent,
} from './store/types.js';
