import { createVerify, X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { crc32, tableCrc32 } from '../../../src/providers/paypal/crc32.js';
import { paypalSignedContent } from '../../../src/providers/paypal/scheme.js';
import { paypalTestCertificate, signWebhook } from '../../../src/testing/index.js';

describe('paypal scheme', () => {
  // CRC-32/ISO-HDLC check values (the zlib, Java CRC32 and buffer-crc32 `unsigned` values).
  const vectors: [string, number][] = [
    ['', 0],
    ['a', 0xe8b7be43],
    ['123456789', 0xcbf43926],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ];

  it('computes CRC-32 as an unsigned integer, natively and by table alike', () => {
    for (const [text, expected] of vectors) {
      expect(crc32(Buffer.from(text)), text).to.equal(expected);
      expect(tableCrc32(Buffer.from(text)), text).to.equal(expected);
    }
    const bytes = Buffer.from('€ and ü, a body in UTF-8', 'utf8');
    expect(tableCrc32(bytes)).to.equal(crc32(bytes));
    const large = Buffer.alloc(100_000, 0xa5);
    expect(tableCrc32(large)).to.equal(crc32(large));
    expect(crc32(Buffer.from('123456789'))).to.be.greaterThan(2 ** 31); // never negative
  });

  it('signs with the test kit so that plain node:crypto verifies it with the certificate', () => {
    const { privateKey, certificate } = paypalTestCertificate();
    const body = '{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{}}';
    const certUrl = 'https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1';
    const { headers } = signWebhook('paypal', {
      payload: body,
      secret: 'WEBHOOK_ID',
      timestamp: 1_455_825_695,
      id: '69cd13f0-d67a-11e5-baa3-778b53f4ae55',
      options: { privateKey, certUrl },
    });
    expect(headers).to.include({
      'paypal-transmission-id': '69cd13f0-d67a-11e5-baa3-778b53f4ae55',
      'paypal-transmission-time': '2016-02-18T20:01:35Z',
      'paypal-cert-url': certUrl,
      'paypal-auth-algo': 'SHA256withRSA',
    });
    // Built here from PayPal's documented recipe, independently of src/.
    const signedString = `69cd13f0-d67a-11e5-baa3-778b53f4ae55|2016-02-18T20:01:35Z|WEBHOOK_ID|${crc32(Buffer.from(body))}`;
    expect(
      paypalSignedContent(
        {
          transmissionId: '69cd13f0-d67a-11e5-baa3-778b53f4ae55',
          transmissionTime: '2016-02-18T20:01:35Z',
          webhookId: 'WEBHOOK_ID',
        },
        body,
      ),
    ).to.equal(signedString);
    const verified = createVerify('RSA-SHA256')
      .update(signedString)
      .verify(
        new X509Certificate(certificate).publicKey,
        headers['paypal-transmission-sig'] as string,
        'base64',
      );
    expect(verified).to.equal(true);
  });

  it('makes test certificates in PayPal’s name with the validity asked for', () => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const notAfter = new Date('2055-06-01T12:00:00Z'); // GeneralizedTime past 2049
    const cert = new X509Certificate(paypalTestCertificate({ notBefore, notAfter }).certificate);
    expect(cert.subject).to.equal('CN=messageverificationcerts.paypal.com');
    expect(new Date(cert.validFrom).toISOString()).to.equal(notBefore.toISOString());
    expect(new Date(cert.validTo).toISOString()).to.equal(notAfter.toISOString());
    expect(cert.verify(cert.publicKey)).to.equal(true);
  });

  it('says what the signer needs when a key or a certificate URL is missing', () => {
    const sign = (options: Record<string, unknown>) => () =>
      signWebhook('paypal', { payload: '{}', secret: 'WEBHOOK_ID', options });
    expect(sign({ certUrl: 'https://x' })).to.throw(TypeError, /needs options\.privateKey/);
    expect(sign({ privateKey: paypalTestCertificate().privateKey })).to.throw(
      TypeError,
      /needs options\.certUrl/,
    );
  });
});
