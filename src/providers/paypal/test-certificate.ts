/**
 * A self-signed certificate in PayPal's name, for tests: an RSA key and an X.509 v1 certificate
 * for it, encoded by hand in DER (Node can read certificates but not make them). Part of the
 * testing kit only: a production variant trusts certificates from PayPal's hosts alone, so this
 * one verifies nothing unless a test serves it from the variant's `apiBase`.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';

/** A key and its certificate, both PEM. */
export interface PayPalTestCertificate {
  /** The PKCS #8 private key to sign test webhooks with. */
  privateKey: string;
  /** The certificate to serve at the `paypal-cert-url`. */
  certificate: string;
}

/** Options of {@link paypalTestCertificate}. */
export interface PayPalTestCertificateOptions {
  /**
   * Start of validity.
   * @default a day ago
   */
  notBefore?: Date;
  /**
   * End of validity.
   * @default in a year
   */
  notAfter?: Date;
  /**
   * The subject's common name.
   * @default 'messageverificationcerts.paypal.com' (PayPal's)
   */
  commonName?: string;
  /** An existing key (PEM) to certify instead of a new 2048-bit RSA key. */
  privateKey?: string;
}

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...content: Buffer[]) => tlv(0x30, ...content);

/** UTCTime up to 2049, GeneralizedTime after, as RFC 5280 asks. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${iso}Z`, 'ascii'));
}

function name(commonName: string): Buffer {
  const cn = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]); // 2.5.4.3
  return sequence(tlv(0x31, sequence(cn, tlv(0x0c, Buffer.from(commonName, 'utf8')))));
}

/** sha256WithRSAEncryption (1.2.840.113549.1.1.11), NULL parameters. */
const SHA256_WITH_RSA = sequence(
  Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]),
  Buffer.from([0x05, 0x00]),
);

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * A new key and a self-signed certificate for it, named as PayPal's webhook certificates are.
 * Serve `certificate` from a fake at the variant's `apiBase` (under `/v1/notifications/certs/`)
 * and sign with `privateKey` (`signOptions: { privateKey, certUrl }`).
 *
 * @example
 * const { privateKey, certificate } = paypalTestCertificate();
 */
export function paypalTestCertificate(
  options: PayPalTestCertificateOptions = {},
): PayPalTestCertificate {
  const key =
    options.privateKey === undefined
      ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
      : createPrivateKey(options.privateKey);
  const now = Date.now();
  const serial = Buffer.from([0x01, ...Buffer.from(String(now), 'ascii').subarray(-8)]);
  const subject = name(options.commonName ?? 'messageverificationcerts.paypal.com');
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const tbs = sequence(
    tlv(0x02, serial),
    SHA256_WITH_RSA,
    subject,
    sequence(
      time(options.notBefore ?? new Date(now - 86_400_000)),
      time(options.notAfter ?? new Date(now + 365 * 86_400_000)),
    ),
    subject,
    spki,
  );
  const signature = sign('sha256', tbs, key);
  const certificate = sequence(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.from([0]), signature));
  return {
    privateKey: key.export({ type: 'pkcs8', format: 'pem' }) as string,
    certificate: pem('CERTIFICATE', certificate),
  };
}
