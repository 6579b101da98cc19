export type { DashboardOptions } from './dashboard/options.js';
export { BACKOFF_FACTOR, backoffCeiling, backoffDelay } from './dispatch/backoff.js';
export { RetryLater, type RetryLaterOptions } from './dispatch/retry-later.js';
export {
  ConfigurationError,
  type ErrorCode,
  PaymentsError,
  ReceiverFailedError,
  RunOnceBusyError,
  SecretUnavailableError,
  type SignatureFailureReason,
  SignatureVerificationError,
  StoreUnavailableError,
  WebhookUnauthorizedError,
} from './errors.js';
export type {
  ObjectFilter,
  ObjectState,
  ObjectsApi,
  PaymentFacts,
  PaymentSignalName,
} from './objects/types.js';
export { type Payments, payments } from './payments.js';
export { type AdyenOptions, adyenEventId } from './providers/adyen/index.js';
export type {
  AdyenAmount,
  AdyenNotificationItem,
  AdyenSignals,
} from './providers/adyen/signals.js';
export type { BraintreeOptions } from './providers/braintree/index.js';
export type {
  BraintreeDisbursement,
  BraintreeDispute,
  BraintreeSignals,
  BraintreeSubject,
  BraintreeSubscription,
  BraintreeTransaction,
} from './providers/braintree/signals.js';
export type { DummyOptions } from './providers/dummy/index.js';
export type { FlutterwaveOptions } from './providers/flutterwave/index.js';
export type {
  FlutterwaveSignals,
  FlutterwaveV3Charge,
  FlutterwaveV3Transfer,
  FlutterwaveV4Charge,
  FlutterwaveV4Transfer,
} from './providers/flutterwave/signals.js';
export type { HmacOptions } from './providers/hmac/index.js';
export type { BuiltinProviderName, BuiltinProviderOptions } from './providers/index.js';
export { type LemonSqueezyOptions, lemonSqueezyEventId } from './providers/lemonsqueezy/index.js';
export { MOLLIE_CLASSIC_BODY_LIMIT, type MollieOptions } from './providers/mollie/index.js';
export type {
  MollieAmountValue,
  MollieChargeback,
  MolliePayment,
  MollieRefund,
  MollieSignals,
} from './providers/mollie/signals.js';
export type { PaddleOptions } from './providers/paddle/index.js';
export type {
  PayPalEnvironment,
  PayPalOptions,
  PayPalVerification,
} from './providers/paypal/index.js';
export type {
  PayPalCapture,
  PayPalDispute,
  PayPalMoney,
  PayPalOrder,
  PayPalRefund,
  PayPalSignals,
  PayPalSubscription,
} from './providers/paypal/signals.js';
export { PAYSTACK_IPS, type PaystackOptions } from './providers/paystack/index.js';
export type {
  PaystackAuthorization,
  PaystackCharge,
  PaystackCustomer,
  PaystackDispute,
  PaystackDomain,
  PaystackExpiringCard,
  PaystackInvoice,
  PaystackMetadata,
  PaystackPlan,
  PaystackRefund,
  PaystackSignals,
  PaystackSubscription,
  PaystackTransfer,
} from './providers/paystack/signals.js';
export type { PayvostOptions } from './providers/payvost/index.js';
export type { RazorpayOptions } from './providers/razorpay/index.js';
export {
  NotFoundAtProviderError,
  ProviderApiError,
  type ProviderCall,
  ProviderUnavailableError,
  type ProviderUnavailableReason,
} from './providers/shared/api-errors.js';
export type { ApiHttpOptions } from './providers/shared/http.js';
export type { SecretCacheSettings } from './providers/shared/secret-resolver.js';
export type { SquareOptions } from './providers/square/index.js';
export type { StandardOptions } from './providers/standard/index.js';
export type { StripeOptions } from './providers/stripe/index.js';
export type {
  ApiEventPage,
  EventFacts,
  ListEventsOptions,
  ObjectRef,
  PaymentReport,
  Provider,
  ProviderApi,
  ProviderContext,
  ProviderDefinition,
  ReconcileFinding,
  Secret,
  SecretOption,
  SecretResolver,
  SuccessAnswer,
  Verified,
  VerifiedEvent,
  WebhookRequest,
} from './providers/types.js';
export { MAX_EVENTS_PER_REQUEST } from './providers/types.js';
export type {
  BuiltinVariantSettings,
  CommonVariantSettings,
  CustomVariantSettings,
  DatabaseSetting,
  EventsSettings,
  GroupCommitSettings,
  PaymentsSettings,
  RequestLogSettings,
  RetrySettings,
  SqliteFileSettings,
  VariantMode,
  VariantSettings,
  WorkerSettings,
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
export { REDACTED_HEADERS } from './store/requests.js';
export { ReconcileError, SyncError } from './sync/errors.js';
export type {
  ReconcileResult,
  ReconcileStatus,
  SyncOptions,
  SyncOutcome,
  SyncProgress,
  SyncResult,
  SyncRunRecord,
  SyncSchedule,
  SyncState,
} from './sync/types.js';
export type { TelemetrySettings } from './telemetry/telemetry.js';
export type {
  Delivery,
  DeliveryStatus,
  EventDetails,
  EventFilter,
  EventSource,
  EventStatus,
  EventsApi,
  IgnoredReason,
  Logger,
  PausedReceiver,
  PaymentsHooks,
  PruneOptions,
  PruneResult,
  Received,
  ReceivedEvent,
  ReceiverPause,
  ReplayOptions,
  RequestFilter,
  RequestLogEntry,
  RequestsApi,
  RunOnceOptions,
  RunOnceResult,
  StoredEvent,
} from './types.js';
