/**
 * What signing a test webhook for a variant needs: its provider, its current secret and the
 * provider-specific signing options, read from the variant's settings as given to `payments()`.
 */
import type { BuiltinProviderName } from '../providers/index.js';
import type { VariantSettings } from '../settings.js';
import { kitOf } from './kits.js';
import type { ProviderTesting } from './types.js';

/** How to sign for one variant. */
export interface SigningPlan {
  provider: BuiltinProviderName;
  /** The secret to sign with ('' for the dummy provider). */
  secret: string;
  /** Options for the provider's test signer (the `hmac` provider's header, algorithm, ...). */
  signOptions: Record<string, unknown> | undefined;
  /** The URL the provider signs, when the variant names it (Square's `notificationUrl`, hmac's `url`). */
  signedUrl: string | undefined;
  /** Where `signal.data` sits in the payload. */
  dataPath: readonly string[];
  /** The provider's testing kit. */
  kit: ProviderTesting;
  /** The variant's settings as given (for the kit's settings-driven helpers). */
  settings: Readonly<Record<string, unknown>>;
}

/** What a caller may state explicitly instead of (or on top of) the variant's settings. */
export interface ExplicitSigning {
  provider?: BuiltinProviderName | undefined;
  secret?: string | undefined;
  signOptions?: Record<string, unknown> | undefined;
}

function fail(message: string): TypeError {
  return new TypeError(`koa-payments/testing: ${message}`);
}

function stringOption(options: Record<string, unknown>, key: string): string | undefined {
  const value = options[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Combines a variant's settings with explicit values (which win) into a signing plan. Throws a
 * TypeError that says what is missing when neither gives the provider or the secret.
 */
export function signingPlan(
  variant: string,
  settings: VariantSettings | undefined,
  explicit: ExplicitSigning,
): SigningPlan {
  const options = { ...(settings ?? {}) } as Record<string, unknown>;
  const configured = options.provider;
  if (
    configured !== undefined &&
    typeof configured !== 'string' &&
    explicit.provider === undefined
  ) {
    const name = (configured as { name?: unknown }).name;
    throw fail(
      `variant '${variant}' uses a custom provider${typeof name === 'string' ? ` (${name})` : ''}; ` +
        'only built-in providers can be signed for: build the request yourself',
    );
  }
  const provider = explicit.provider ?? (configured as BuiltinProviderName | undefined);
  if (provider === undefined) {
    throw fail(
      `cannot tell which provider variant '${variant}' uses: pass { settings } (the variant's ` +
        "settings, e.g. config.variants.stripe) or { provider: 'stripe', secret }",
    );
  }
  const kit = kitOf(provider, 'signer');
  const { secretOption } = kit;
  let secret = explicit.secret;
  if (secret === undefined && secretOption !== undefined) {
    const configuredSecret = options[secretOption];
    // While rotating, the first secret is the current one.
    secret = Array.isArray(configuredSecret) ? configuredSecret[0] : configuredSecret;
  }
  if (
    secretOption !== undefined &&
    kit.secretOptional !== true &&
    (typeof secret !== 'string' || secret === '')
  ) {
    throw fail(
      `no secret to sign variant '${variant}' with: pass { secret } or the variant's settings ` +
        `(with its ${secretOption})`,
    );
  }

  const signOptions =
    kit.signOptionsOf === undefined
      ? explicit.signOptions
      : { ...kit.signOptionsOf(options), ...explicit.signOptions };
  return {
    provider,
    secret: typeof secret === 'string' ? secret : '',
    signOptions,
    signedUrl:
      kit.signedUrlOption === undefined ? undefined : stringOption(options, kit.signedUrlOption),
    dataPath: kit.dataPathOf?.(options) ?? kit.samples.dataPath,
    kit,
    settings: options,
  };
}
