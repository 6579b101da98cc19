/** What a provider signer is given. */
export interface SignerInput {
  /** The exact body to send. */
  body: string;
  /** The secret to sign with. */
  secret: string;
  /** Unix seconds (already defaulted to now). */
  timestamp: number;
  /** Message/event id, for providers that send it in a header (Standard Webhooks, Razorpay). */
  id?: string | undefined;
  /** The notification URL, for providers that sign it (Square). */
  url?: string | undefined;
  /** Provider-specific signing options (the `hmac` provider's header, algorithm, ...). */
  options?: Record<string, unknown> | undefined;
}
