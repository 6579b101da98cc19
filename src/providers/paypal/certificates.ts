/**
 * PayPal's signing certificates: which `paypal-cert-url` values are trusted, and a bounded cache
 * of the certificates downloaded from them.
 *
 * A URL is trusted when it is `https://` on PayPal's API host of the variant's mode
 * (`api.paypal.com` / `api-m.paypal.com` live, `api.sandbox.paypal.com` /
 * `api-m.sandbox.paypal.com` in sandbox, both with mode `'any'`; the webhooks PayPal sends name
 * `api.`), on the default
 * port, under `/v1/notifications/certs/`, with no credentials, query or fragment; or, when the
 * variant sets `apiBase` (a proxy, a test fake), on that origin under the same path. The trust is
 * that of the TLS connection to PayPal's host: PayPal documents no certificate chain to check.
 * As PayPal's Java SDK does, the certificate must name `messageverificationcerts.paypal.com`
 * (or `.sandbox.paypal.com`) and be within its validity dates when the webhook arrives.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import { SignatureVerificationError } from '../../errors.js';
import { ProviderUnavailableError } from '../shared/api-errors.js';
import type { PayPalApi } from './api.js';

/** PayPal's two environments. */
export type PayPalEnvironment = 'live' | 'sandbox';

/** The hosts whose certificates each environment trusts. */
export const PAYPAL_CERT_HOSTS: Readonly<Record<PayPalEnvironment, readonly string[]>> = {
  live: ['api.paypal.com', 'api-m.paypal.com'],
  sandbox: ['api.sandbox.paypal.com', 'api-m.sandbox.paypal.com'],
};

/** The path PayPal serves its certificates under. */
export const PAYPAL_CERT_PATH = '/v1/notifications/certs/';

/** Certificates kept in memory; PayPal signs with one at a time and rotates rarely. */
export const MAX_CACHED_CERTIFICATES = 16;

/** The subject PayPal's webhook certificates carry (the rule of PayPal's Java SDK). */
const SUBJECT = /^messageverificationcerts(\.sandbox)?\.paypal\.com$/;

function untrusted(message: string): SignatureVerificationError {
  return new SignatureVerificationError('no_matching_signature', message);
}

/** A trusted certificate URL, and the environment its host says. */
export interface TrustedCertUrl {
  url: URL;
  /** True on PayPal's live hosts, false on the sandbox's, undefined on `apiBase`. */
  livemode: boolean | undefined;
}

/**
 * The `paypal-cert-url` when it is trusted: on PayPal's hosts of the environments `accepted`
 * (both when the variant's mode is `'any'`), or on `apiBase`'s origin when the variant set one.
 * Throws `no_matching_signature` saying why not.
 */
export function trustedCertUrl(
  value: string,
  accepted: readonly PayPalEnvironment[],
  apiBase: URL | undefined,
): TrustedCertUrl {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SignatureVerificationError(
      'malformed_signature',
      'The paypal-cert-url header is not a URL.',
    );
  }
  const clean = url.username === '' && url.password === '' && url.search === '' && url.hash === '';
  const environment = (['live', 'sandbox'] as const).find((name) =>
    PAYPAL_CERT_HOSTS[name].includes(url.hostname),
  );
  const onPayPal =
    environment !== undefined &&
    accepted.includes(environment) &&
    url.protocol === 'https:' &&
    url.port === '';
  if (clean && onPayPal && url.pathname.startsWith(PAYPAL_CERT_PATH)) {
    return { url, livemode: environment === 'live' };
  }
  const basePath = apiBase?.pathname.replace(/\/+$/, '') ?? '';
  if (
    clean &&
    apiBase !== undefined &&
    url.origin === apiBase.origin &&
    url.pathname.startsWith(`${basePath}${PAYPAL_CERT_PATH}`)
  ) {
    return { url, livemode: undefined };
  }
  if (environment !== undefined && !accepted.includes(environment)) {
    throw untrusted(
      `The paypal-cert-url is on PayPal's ${environment} host, and this variant's mode accepts ` +
        `${accepted.join(' and ')} only: a variant serves one PayPal environment (mode: 'live' or 'sandbox').`,
    );
  }
  const example = accepted.map(
    (name) => `https://${PAYPAL_CERT_HOSTS[name][0]}${PAYPAL_CERT_PATH}...`,
  );
  throw untrusted(
    `The paypal-cert-url is not one of PayPal's certificate URLs (${example.join(', ')}): ` +
      'the request is not from PayPal.',
  );
}

/** A downloaded certificate, as koa-payments checks it. */
interface Certificate {
  key: KeyObject;
  validFrom: number;
  validTo: number;
  subject: string | undefined;
}

/** The first certificate of a PEM document, or undefined when there is none. */
function parse(pem: string): Certificate | undefined {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    return undefined;
  }
  const cn = certificate.subject
    .split('\n')
    .find((part) => part.startsWith('CN='))
    ?.slice(3);
  return {
    key: certificate.publicKey,
    validFrom: Date.parse(certificate.validFrom),
    validTo: Date.parse(certificate.validTo),
    subject: cn,
  };
}

/** The certificates of one variant, downloaded once per URL, the last few kept. */
export class PayPalCertificates {
  readonly #api: PayPalApi;
  readonly #cache = new Map<string, Promise<Certificate>>();

  constructor(api: PayPalApi) {
    this.#api = api;
  }

  /** How many certificates are kept (at most {@link MAX_CACHED_CERTIFICATES}). */
  get size(): number {
    return this.#cache.size;
  }

  /**
   * The public key of the certificate at `url` (trusted already), checked for its subject, its
   * key type and its validity at `at`. Throws `SignatureVerificationError` for a certificate
   * that cannot verify, `ProviderUnavailableError` when it cannot be downloaded.
   */
  async key(url: URL, at: Date): Promise<KeyObject> {
    const certificate = await this.#get(url);
    if (certificate.subject === undefined || !SUBJECT.test(certificate.subject)) {
      throw untrusted(
        'The certificate at the paypal-cert-url is not a PayPal webhook certificate ' +
          '(its subject is not messageverificationcerts.paypal.com).',
      );
    }
    if (certificate.key.asymmetricKeyType !== 'rsa') {
      throw untrusted('The certificate at the paypal-cert-url has no RSA key.');
    }
    const time = at.getTime();
    if (!(time >= certificate.validFrom && time <= certificate.validTo)) {
      throw untrusted(
        `The certificate at the paypal-cert-url is ${time < certificate.validFrom ? 'not yet valid' : 'expired'} ` +
          'at the time the webhook arrived.',
      );
    }
    return certificate.key;
  }

  #get(url: URL): Promise<Certificate> {
    const key = url.href;
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      // Most recently used last: the oldest is the one dropped.
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return cached;
    }
    const loading = this.#download(url);
    this.#cache.set(key, loading);
    // A failed download is not kept: the next webhook tries again.
    loading.catch(() => {
      if (this.#cache.get(key) === loading) this.#cache.delete(key);
    });
    while (this.#cache.size > MAX_CACHED_CERTIFICATES) {
      this.#cache.delete(this.#cache.keys().next().value as string);
    }
    return loading;
  }

  async #download(url: URL): Promise<Certificate> {
    const pem = await this.#api.certificate(url);
    if (pem === undefined) {
      throw untrusted('PayPal has no certificate at the paypal-cert-url (404).');
    }
    const certificate = parse(pem);
    if (certificate === undefined) {
      throw new ProviderUnavailableError(
        'invalid_response',
        { provider: 'paypal', method: 'GET', path: url.pathname, providerStatus: 200 },
        `PayPal answered GET ${url.pathname} with something that is not a PEM certificate.`,
      );
    }
    return certificate;
  }
}
