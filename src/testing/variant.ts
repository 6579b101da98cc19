/**
 * What signing a test webhook for a variant needs: its provider, its current secret and the
 * provider-specific signing options, read from the variant's settings as given to `payments()`.
 */
import type { BuiltinProviderName } from '../providers/index.js';
import type { VariantSettings } from '../settings.js';
import { sampleDataPath } from './samples/index.js';

/** The option holding each built-in provider's secret (the dummy provider has none). */
export const SECRET_OPTION: Readonly<Record<BuiltinProviderName, string | undefined>> = {
  stripe: 'endpointSecret',
  dummy: undefined,
  paystack: 'secretKey',
  flutterwave: 'secretHash',
  payvost: 'endpointSecret',
  standard: 'secret',
  razorpay: 'webhookSecret',
  paddle: 'secretKey',
  square: 'signatureKey',
  lemonsqueezy: 'signingSecret',
  hmac: 'secret',
};

/** The `hmac` variant options its test signer needs. */
const HMAC_SIGNER_OPTIONS = [
  'header',
  'algorithm',
  'encoding',
  'prefix',
  'timestampHeader',
  'signedContent',
  'idHeader',
] as const;

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
  /** For `hmac`: where the variant reads the type and the id, and its type header. */
  hmac?: { typePath?: string; idPath?: string; typeHeader?: string; dataPath?: string };
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
  if (!Object.hasOwn(SECRET_OPTION, provider)) {
    throw fail(`unknown provider '${String(provider)}'`);
  }
  const secretOption = SECRET_OPTION[provider];
  let secret = explicit.secret;
  if (secret === undefined && secretOption !== undefined) {
    const configuredSecret = options[secretOption];
    // While rotating, the first secret is the current one.
    secret = Array.isArray(configuredSecret) ? configuredSecret[0] : configuredSecret;
  }
  if (secretOption !== undefined && (typeof secret !== 'string' || secret === '')) {
    throw fail(
      `no secret to sign variant '${variant}' with: pass { secret } or the variant's settings ` +
        `(with its ${secretOption})`,
    );
  }

  let signOptions = explicit.signOptions;
  let dataPath = sampleDataPath(provider);
  let hmac: SigningPlan['hmac'];
  if (provider === 'hmac') {
    const fromSettings: Record<string, unknown> = {};
    for (const key of HMAC_SIGNER_OPTIONS) {
      if (options[key] !== undefined) fromSettings[key] = options[key];
    }
    signOptions = { ...fromSettings, ...signOptions };
    const variantDataPath = stringOption(options, 'dataPath');
    dataPath = variantDataPath === undefined ? [] : variantDataPath.split('.');
    hmac = {};
    for (const key of ['typePath', 'idPath', 'typeHeader', 'dataPath'] as const) {
      const value = stringOption(options, key);
      if (value !== undefined) hmac[key] = value;
    }
  }
  const signedUrl =
    provider === 'square'
      ? stringOption(options, 'notificationUrl')
      : provider === 'hmac'
        ? stringOption(options, 'url')
        : undefined;
  const plan: SigningPlan = { provider, secret: secret ?? '', signOptions, signedUrl, dataPath };
  if (hmac !== undefined) plan.hmac = hmac;
  return plan;
}
