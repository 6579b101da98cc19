/** Shapes shared by the testing kit and by each provider's `testing.ts`. */

/**
 * A sample webhook body: a JSON object. Its fields are typed `any` on purpose, so that a test can
 * read `payload.data.object.id` without a cast; the shape is the provider's, see its page in
 * docs/providers.
 */
// biome-ignore lint/suspicious/noExplicitAny: a test fixture is read field by field without casts
export type SamplePayload = { [key: string]: any };

/** One provider's samples. */
export interface SampleCatalogue {
  /**
   * Where the event's data object (`signal.data`) sits in the payload, e.g. `['data', 'object']`
   * for Stripe; `[]` for the whole body.
   */
  readonly dataPath: readonly string[];
  /** A builder per event type with a realistic sample; each call returns fresh ids. */
  readonly events: Readonly<Record<string, () => SamplePayload>>;
  /**
   * For providers without a fixed vocabulary (`standard`, `hmac`, `dummy`): builds a sample of
   * any type. Absent for the others, where an unknown type is a mistake worth reporting.
   */
  readonly any?: (type: string) => SamplePayload;
}

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

/** A whole signed request: the body to send and its headers, `content-type` included. */
export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/** A variant's settings, as given to `payments()`, read by the kit field by field. */
export type VariantOptions = Readonly<Record<string, unknown>>;

/**
 * What the testing kit knows about one built-in provider, kept in the provider's own folder
 * (`src/providers/<name>/testing.ts`) beside the verifier whose scheme it signs with.
 */
export interface ProviderTesting {
  /** The variant option holding the secret to sign with; undefined when there is none (dummy). */
  readonly secretOption: string | undefined;
  /**
   * Whether a variant without that secret can still be signed for, with the secret `''`
   * (Mollie's classic webhooks carry no signature; `signingSecret` is for next-gen ones).
   */
  readonly secretOptional?: boolean;
  /** The headers the provider sends with a body. */
  sign(input: SignerInput): Record<string, string>;
  /**
   * The whole request, for a provider whose body is not the payload itself (Braintree posts a
   * form carrying the payload as base64 XML, signed in another field). When present,
   * `signWebhook()` sends what it returns instead of the payload with `sign`'s headers.
   */
  signRequest?(input: SignerInput): SignedRequest;
  /** Realistic sample payloads. */
  readonly samples: SampleCatalogue;
  /** The variant option naming the URL the provider signs (Square's `notificationUrl`). */
  readonly signedUrlOption?: string;
  /** Signer options read from the variant's settings (the `hmac` provider's header, ...). */
  signOptionsOf?(settings: VariantOptions): Record<string, unknown>;
  /** Where `signal.data` sits for this variant, when its settings decide (the `hmac` provider). */
  dataPathOf?(settings: VariantOptions): readonly string[];
  /** A sample of `type` shaped after the variant's settings (the `hmac` provider's paths). */
  sampleFor?(type: string, settings: VariantOptions): SamplePayload;
  /** A header that carries the event type, filled from the type sent (hmac's `typeHeader`). */
  typeHeaderOf?(settings: VariantOptions): string | undefined;
  /**
   * The message id to sign with when the caller gives none, for providers that send one in a
   * header: derived from the body, so the same payload sent twice is a redelivery.
   */
  messageIdOf?(body: string, payload: unknown, settings: VariantOptions): string | undefined;
}
