/**
 * Adyen in the testing kit: builds the notification Adyen posts (`{ live, notificationItems }`)
 * from one item, several, or a whole notification, each item signed with the verifier's scheme
 * (its `additionalData.hmacSignature` set, any earlier one replaced), with Basic credentials when
 * the variant has them. Samples in ./samples.ts.
 */
import type {
  ProviderTesting,
  SignedRequest,
  SignerInput,
  VariantOptions,
} from '../../testing/types.js';
import { adyenSamples } from './samples.js';
import { ADYEN_SIGNATURE_FIELD, adyenHmac } from './scheme.js';

export { adyenHmac, adyenSignedData } from './scheme.js';

function fail(message: string): TypeError {
  return new TypeError(`koa-payments/testing: adyen signer: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The items a test body stands for, and the `live` it states, if any. */
function itemsOf(body: string): { items: Record<string, unknown>[]; live?: unknown } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw fail('the payload must be a notification item, an array of items, or a notification');
  }
  if (isObject(parsed) && Array.isArray(parsed.notificationItems)) {
    const items = parsed.notificationItems.map((entry: unknown) => {
      const item = isObject(entry) ? entry.NotificationRequestItem : undefined;
      if (!isObject(item))
        throw fail('each notificationItems entry needs a NotificationRequestItem');
      return item;
    });
    return { items, live: parsed.live };
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (list.length === 0 || !list.every(isObject)) {
    throw fail('the payload must be a notification item, an array of items, or a notification');
  }
  return { items: list as Record<string, unknown>[] };
}

/** An item with its signature under `hmacKey`. */
export function signedItem(
  item: Record<string, unknown>,
  hmacKey: string,
): Record<string, unknown> {
  const additionalData = isObject(item.additionalData) ? item.additionalData : {};
  return {
    ...item,
    additionalData: { ...additionalData, [ADYEN_SIGNATURE_FIELD]: adyenHmac(hmacKey, item) },
  };
}

/**
 * The notification Adyen posts for the items in `body`, each signed with `secret` (the HMAC key,
 * hex). `options.live` (boolean) sets `live` unless the body is a notification that states it;
 * `options.username` and `options.password` add Basic credentials.
 */
function signRequest({ body, secret, options = {} }: SignerInput): SignedRequest {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(secret)) throw fail('the secret is the HMAC key, in hex');
  const { items, live } = itemsOf(body);
  const notification = {
    live: live ?? (options.live === true ? 'true' : 'false'),
    notificationItems: items.map((item) => ({ NotificationRequestItem: signedItem(item, secret) })),
  };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const { username, password } = options;
  if (typeof username === 'string' && typeof password === 'string') {
    headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  return { body: JSON.stringify(notification), headers };
}

/** The variant's first password (the current one while rotating). */
function first(value: unknown): string | undefined {
  const candidate = Array.isArray(value) ? value[0] : value;
  return typeof candidate === 'string' && candidate !== '' ? candidate : undefined;
}

/** The testing kit's view of the adyen provider. */
export const testing: ProviderTesting = {
  secretOption: 'hmacKey',
  // The signatures travel in the body (signRequest); the headers are the content type and auth.
  sign: (input) => signRequest(input).headers,
  signRequest,
  signOptionsOf(settings: VariantOptions) {
    const options: Record<string, unknown> = {};
    const username = first(settings.username);
    const password = first(settings.password);
    if (username !== undefined && password !== undefined) {
      options.username = username;
      options.password = password;
    }
    if (settings.mode === 'live') options.live = true;
    return options;
  },
  samples: adyenSamples,
};
