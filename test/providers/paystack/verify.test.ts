import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { createRegistry, payments } from '../../../src/index.js';
import { paystackSignature } from '../../../src/providers/paystack/scheme.js';
import type { PaystackCharge } from '../../../src/providers/paystack/signals.js';
import {
  PAYSTACK_IPS,
  paystackEventId,
  paystack as paystackProvider,
} from '../../../src/providers/paystack/verify.js';
import { signWebhook } from '../../../src/testing/index.js';
import { count, DIALECTS } from '../../helpers/databases.js';
import { recordingLogger } from '../../helpers/logs.js';
import {
  configurationErrorOf,
  reasonOf,
  servedForEach,
  verifySync,
  webhookRequest,
} from '../../helpers/provider.js';
import { post, tempDir } from '../../helpers/server.js';

const SECRET = 'sk_test_koa_payments_paystack_secret';
const context = {
  variant: 'paystack',
  webhookUrl: () => 'https://shop.test/payments/process/paystack/',
};

// Payloads trimmed from the samples of Paystack's webhook docs, as published in
// github.com/PaystackOSS/doc-code-snippets (dist/doc/payments/webhooks/events.js).
function chargeSuccess(overrides: Record<string, unknown> = {}) {
  return {
    event: 'charge.success',
    data: {
      id: 302961,
      domain: 'live',
      status: 'success',
      reference: 'qTPrJoy9Bx',
      amount: 10000,
      message: null,
      gateway_response: 'Approved by Financial Institution',
      paid_at: '2016-09-30T21:10:19.000Z',
      created_at: '2016-09-30T21:09:56.000Z',
      channel: 'card',
      currency: 'NGN',
      ip_address: '41.242.49.37',
      metadata: 0,
      fees: null,
      customer: {
        id: 68324,
        first_name: 'BoJack',
        last_name: 'Horseman',
        email: 'bojack@horseman.com',
        customer_code: 'CUS_qo38as2hpsgk2r0',
        phone: null,
        metadata: null,
        risk_action: 'default',
      },
      authorization: {
        authorization_code: 'AUTH_f5rnfq9p',
        bin: '539999',
        last4: '8877',
        exp_month: '08',
        exp_year: '2020',
        card_type: 'mastercard DEBIT',
        bank: 'Guaranty Trust Bank',
        country_code: 'NG',
        brand: 'mastercard',
        account_name: 'BoJack Horseman',
      },
      plan: {},
      ...overrides,
    },
  };
}

function transfer(event: string, overrides: Record<string, unknown> = {}) {
  return {
    event,
    data: {
      id: 37272792,
      amount: 30000,
      currency: 'NGN',
      domain: 'test',
      reference: '1jhbs3ozmen0k7y5efmw',
      status: event.slice('transfer.'.length),
      transfer_code: 'TRF_wpl1dem4967avzm',
      created_at: '2020-10-26T12:28:57.000Z',
      updated_at: '2020-10-26T12:28:57.000Z',
      ...overrides,
    },
  };
}

function refund(event: string, overrides: Record<string, unknown> = {}) {
  return {
    event,
    data: {
      status: event.slice('refund.'.length),
      transaction_reference: 'tvunjbbd_412829_4b18075d_c7had',
      refund_reference: null,
      amount: '10000',
      currency: 'NGN',
      processor: 'instant-transfer',
      customer: { first_name: 'Drew', last_name: 'Berry', email: 'demo@email.com' },
      integration: 412829,
      domain: 'live',
      ...overrides,
    },
  };
}

function signed(payload: unknown, secret = SECRET) {
  return signWebhook('paystack', { payload, secret });
}

function request(body: string, headers: Record<string, string>, remoteIp?: string) {
  return webhookRequest(
    body,
    headers,
    remoteIp === undefined
      ? { url: context.webhookUrl() }
      : { url: context.webhookUrl(), remoteIp },
  );
}

/** The HMAC computed here with node:crypto directly, independently of src/. */
function independentSignature(body: string, secret: string): string {
  return createHmac('sha512', secret).update(body, 'utf8').digest('hex');
}

describe('paystack provider', () => {
  const provider = paystackProvider({ secretKey: SECRET }, context);

  it('accepts a signature computed independently with node:crypto', () => {
    const body = JSON.stringify(chargeSuccess());
    const headers = { 'x-paystack-signature': independentSignature(body, SECRET) };
    const event = verifySync(provider, request(body, headers));
    expect(event).to.include({ id: 'charge.success:302961', type: 'charge.success' });
    expect(event.data).to.deep.equal(chargeSuccess().data);
    expect(event.payload).to.deep.equal(chargeSuccess());
  });

  it('signs test webhooks exactly as the independent computation does', () => {
    const body = JSON.stringify(chargeSuccess());
    const { headers } = signed(body);
    expect(headers['x-paystack-signature']).to.equal(independentSignature(body, SECRET));
    expect(headers['content-type']).to.match(/^application\/json/);
  });

  it('reproduces fixed vectors computed outside Node', () => {
    // Body and secret from djpaystack's test_signature_verification
    // (github.com/HummingByteDev/paystack-django, djpaystack/tests/test_webhooks.py), which
    // computes its expected value at run time; the hex below was computed with
    // `printf '%s' '<body>' | openssl dgst -sha512 -hmac test_secret` and with Python's hmac module.
    const body = '{"event": "charge.success", "data": {}}';
    const expected =
      '3f1a3117f2f31ea0a5c877e5fccdbc1f7247ae55962832c6ac0246a84d3d1fb2' +
      'decf360e09af9307429bf7793ea4193f4dca874f83c664d3e2ba982c8d0e8a3a';
    expect(paystackSignature(body, 'test_secret')).to.equal(expected);
    const vectorProvider = paystackProvider({ secretKey: 'test_secret' }, context);
    const event = verifySync(vectorProvider, request(body, { 'x-paystack-signature': expected }));
    expect(event.type).to.equal('charge.success');
  });

  it('accepts the hex digest in upper case too', () => {
    const body = JSON.stringify(chargeSuccess());
    const headers = { 'x-paystack-signature': paystackSignature(body, SECRET).toUpperCase() };
    expect(verifySync(provider, request(body, headers)).id).to.equal('charge.success:302961');
  });

  it('accepts a rotated secret list and verifies with either key', () => {
    const rotating = paystackProvider({ secretKey: ['sk_test_new_key', SECRET] }, context);
    const body = JSON.stringify(chargeSuccess());
    for (const secret of ['sk_test_new_key', SECRET]) {
      expect(verifySync(rotating, request(body, signed(body, secret).headers)).type).to.equal(
        'charge.success',
      );
    }
    expect(
      reasonOf(() => verifySync(rotating, request(body, signed(body, 'sk_test_old').headers))),
    ).to.equal('no_matching_signature');
  });

  it('rejects a missing header with missing_signature', () => {
    const body = JSON.stringify(chargeSuccess());
    expect(reasonOf(() => verifySync(provider, request(body, {})))).to.equal('missing_signature');
    expect(
      reasonOf(() => verifySync(provider, request(body, { 'x-paystack-signature': ' ' }))),
    ).to.equal('missing_signature');
  });

  it('rejects a header that is not 128 hex digits with malformed_signature', () => {
    const body = JSON.stringify(chargeSuccess());
    const good = paystackSignature(body, SECRET);
    for (const value of [
      'garbage',
      good.slice(0, 64),
      `sha512=${good}`,
      `${good.slice(0, 127)}z`,
    ]) {
      expect(
        reasonOf(() => verifySync(provider, request(body, { 'x-paystack-signature': value }))),
      ).to.equal('malformed_signature');
    }
  });

  it('rejects the wrong key, a tampered body and a re-serialised body with no_matching_signature', () => {
    const body = JSON.stringify(chargeSuccess());
    const wrong = signed(body, 'sk_test_someone_else').headers;
    expect(reasonOf(() => verifySync(provider, request(body, wrong)))).to.equal(
      'no_matching_signature',
    );
    const right = signed(body).headers;
    for (const altered of [body.replace('10000', '1'), JSON.stringify(JSON.parse(body), null, 2)]) {
      expect(reasonOf(() => verifySync(provider, request(altered, right)))).to.equal(
        'no_matching_signature',
      );
    }
  });

  it('explains the raw-body mistake without echoing the secret', () => {
    const body = JSON.stringify(chargeSuccess());
    const reparsed = JSON.stringify(JSON.parse(body), null, 2);
    try {
      verifySync(provider, request(reparsed, signed(body).headers));
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as Error).message).to.match(/raw request body/);
      expect((error as Error).message).not.to.contain(SECRET);
    }
  });

  it('rejects a signed body that is not JSON, or lacks event or data, with invalid_payload', () => {
    for (const body of [
      'not json',
      '[1,2]',
      JSON.stringify({ data: { id: 1 } }),
      JSON.stringify({ event: '', data: { id: 1 } }),
      JSON.stringify({ event: 'charge.success' }),
      JSON.stringify({ event: 'charge.success', data: null }),
      JSON.stringify({ event: 'charge.success', data: 'x' }),
    ]) {
      expect(
        reasonOf(() => verifySync(provider, request(body, signed(body).headers))),
        body,
      ).to.equal('invalid_payload');
    }
  });

  it('takes livemode from data.domain', () => {
    const live = JSON.stringify(chargeSuccess());
    expect(verifySync(provider, request(live, signed(live).headers)).livemode).to.equal(true);
    const test = JSON.stringify(chargeSuccess({ domain: 'test' }));
    expect(verifySync(provider, request(test, signed(test).headers)).livemode).to.equal(false);
    const none = JSON.stringify({
      event: 'customeridentification.success',
      data: { email: 'a@b.c' },
    });
    expect(verifySync(provider, request(none, signed(none).headers))).not.to.have.property(
      'livemode',
    );
  });

  it('finds the same data in a stored payload as verify() returned', () => {
    const body = JSON.stringify(chargeSuccess());
    const event = verifySync(provider, request(body, signed(body).headers));
    expect(provider.dataOf?.(JSON.parse(body))).to.deep.equal(event.data);
  });

  describe('event id derivation', () => {
    const idOf = (payload: { event: string; data: unknown }) => {
      const body = JSON.stringify(payload);
      return verifySync(provider, request(body, signed(body).headers)).id;
    };

    it('keys once-per-object events by the object: transaction id, refund reference, codes', () => {
      expect(idOf(chargeSuccess())).to.equal('charge.success:302961');
      expect(idOf(transfer('transfer.success'))).to.equal('transfer.success:37272792');
      expect(idOf(refund('refund.processed', { refund_reference: '132013318360' }))).to.equal(
        'refund.processed:132013318360',
      );
      expect(
        paystackEventId('subscription.create', { subscription_code: 'SUB_vsyqdmlzble3uii' }),
      ).to.equal('subscription.create:SUB_vsyqdmlzble3uii');
      expect(paystackEventId('invoice.create', { invoice_code: 'INV_thy2vkmirn2urwv' })).to.equal(
        'invoice.create:INV_thy2vkmirn2urwv',
      );
    });

    it('keys every other event by a digest of its data', () => {
      expect(idOf(refund('refund.pending'))).to.match(/^refund\.pending:sha256-[0-9a-f]{32}$/);
      expect(idOf(transfer('transfer.failed'))).to.match(/^transfer\.failed:sha256-[0-9a-f]{32}$/);
      const expiring = {
        event: 'subscription.expiring_cards',
        data: [{ expiry_date: '12/2021', description: 'visa ending with 4081', brand: 'visa' }],
      };
      expect(idOf(expiring)).to.match(/^subscription\.expiring_cards:sha256-[0-9a-f]{32}$/);
    });

    it('derives the same id for a redelivery, however the body is serialised', () => {
      for (const payload of [
        chargeSuccess(),
        refund('refund.pending'),
        transfer('transfer.failed'),
      ]) {
        const compact = JSON.stringify(payload);
        const pretty = JSON.stringify(payload, null, 2);
        const reordered = JSON.stringify({
          data: Object.fromEntries(Object.entries(payload.data).reverse()),
          event: payload.event,
        });
        const ids = [compact, compact, pretty, reordered].map(
          (body) => verifySync(provider, request(body, signed(body).headers)).id,
        );
        expect(new Set(ids).size, payload.event).to.equal(1);
      }
    });

    it('derives distinct ids for distinct events, including repeats on one object', () => {
      const ids = [
        idOf(chargeSuccess()),
        idOf(chargeSuccess({ id: 302962, reference: 'other' })),
        idOf(transfer('transfer.success')),
        idOf(transfer('transfer.failed')),
        idOf(transfer('transfer.reversed')),
        // A failed transfer retried and failing again: same object, new state.
        idOf(transfer('transfer.failed', { updated_at: '2020-10-27T08:00:00.000Z' })),
        // Two partial refunds of one transaction, both pending, without a refund reference yet.
        idOf(refund('refund.pending')),
        idOf(refund('refund.pending', { amount: '2500' })),
        idOf(refund('refund.processing')),
        idOf(refund('refund.processed', { refund_reference: 'R1' })),
        idOf(refund('refund.processed', { refund_reference: 'R2' })),
        // One invoice updated twice.
        idOf({ event: 'invoice.update', data: { invoice_code: 'INV_1', status: 'pending' } }),
        idOf({ event: 'invoice.update', data: { invoice_code: 'INV_1', status: 'success' } }),
        idOf({
          event: 'charge.dispute.remind',
          data: { id: 358950, dueAt: '2020-11-25T18:00:00Z' },
        }),
        idOf({
          event: 'charge.dispute.remind',
          data: { id: 358950, dueAt: '2020-11-26T18:00:00Z' },
        }),
      ];
      expect(new Set(ids).size).to.equal(ids.length);
    });

    it('falls back to the digest when a once-per-object event lacks its key', () => {
      const id = paystackEventId('charge.success', { reference: 'no-id' });
      expect(id).to.match(/^charge\.success:sha256-[0-9a-f]{32}$/);
      expect(paystackEventId('charge.success', { reference: 'no-id' })).to.equal(id);
      expect(paystackEventId('charge.success', { reference: 'other' })).not.to.equal(id);
    });
  });

  describe('IP allow-list', () => {
    const body = JSON.stringify(chargeSuccess());
    const headers = () => signed(body).headers;

    it('is off by default: any address with a valid signature passes', () => {
      expect(verifySync(provider, request(body, headers(), '10.1.2.3')).type).to.equal(
        'charge.success',
      );
      expect(verifySync(provider, request(body, headers())).type).to.equal('charge.success');
    });

    it('exports the addresses Paystack publishes', () => {
      expect(PAYSTACK_IPS).to.deep.equal(['52.31.139.75', '52.49.173.169', '52.214.14.220']);
      expect(Object.isFrozen(PAYSTACK_IPS)).to.equal(true);
    });

    it("with allowedIps: true, accepts Paystack's addresses and refuses others with ip_not_allowed", () => {
      const guarded = paystackProvider({ secretKey: SECRET, allowedIps: true }, context);
      for (const ip of [...PAYSTACK_IPS, '::ffff:52.31.139.75']) {
        expect(verifySync(guarded, request(body, headers(), ip)).type, ip).to.equal(
          'charge.success',
        );
      }
      for (const ip of ['10.1.2.3', '127.0.0.1', '52.31.139.76', '::1', '::ffff:10.1.2.3']) {
        expect(
          reasonOf(() => verifySync(guarded, request(body, headers(), ip))),
          ip,
        ).to.equal('ip_not_allowed');
      }
      expect(reasonOf(() => verifySync(guarded, request(body, headers())))).to.equal(
        'ip_not_allowed',
      );
    });

    it('checks the address before the signature', () => {
      const guarded = paystackProvider({ secretKey: SECRET, allowedIps: true }, context);
      expect(reasonOf(() => verifySync(guarded, request(body, {}, '10.1.2.3')))).to.equal(
        'ip_not_allowed',
      );
      expect(reasonOf(() => verifySync(guarded, request(body, {}, PAYSTACK_IPS[0])))).to.equal(
        'missing_signature',
      );
    });

    it('accepts an explicit list, IPv6 included, compared in canonical form', () => {
      const guarded = paystackProvider(
        { secretKey: SECRET, allowedIps: ['10.0.0.7', '2001:db8::1'] },
        context,
      );
      for (const ip of ['10.0.0.7', '::ffff:10.0.0.7', '2001:DB8:0:0:0:0:0:1']) {
        expect(verifySync(guarded, request(body, headers(), ip)).type, ip).to.equal(
          'charge.success',
        );
      }
      expect(
        reasonOf(() => verifySync(guarded, request(body, headers(), PAYSTACK_IPS[0]))),
      ).to.equal('ip_not_allowed');
    });

    it('ignores X-Forwarded-For unless trustProxy is set', () => {
      const guarded = paystackProvider({ secretKey: SECRET, allowedIps: true }, context);
      const forwarded = { ...headers(), 'x-forwarded-for': PAYSTACK_IPS[0]! };
      expect(reasonOf(() => verifySync(guarded, request(body, forwarded, '10.0.0.2')))).to.equal(
        'ip_not_allowed',
      );
      const spoofed = { ...headers(), 'x-forwarded-for': '10.9.9.9' };
      expect(verifySync(guarded, request(body, spoofed, PAYSTACK_IPS[1])).type).to.equal(
        'charge.success',
      );
    });

    it('with trustProxy, reads the first X-Forwarded-For address, else the socket', () => {
      const proxied = paystackProvider(
        { secretKey: SECRET, allowedIps: true, trustProxy: true },
        context,
      );
      const via = (xff: string) => ({ ...headers(), 'x-forwarded-for': xff });
      expect(
        verifySync(proxied, request(body, via(`${PAYSTACK_IPS[0]}, 10.0.0.2`), '10.0.0.2')).type,
      ).to.equal('charge.success');
      expect(
        verifySync(proxied, request(body, via(`::ffff:${PAYSTACK_IPS[2]}`), '10.0.0.2')).type,
      ).to.equal('charge.success');
      expect(
        reasonOf(() =>
          verifySync(proxied, request(body, via(`10.9.9.9, ${PAYSTACK_IPS[0]}`), PAYSTACK_IPS[0])),
        ),
      ).to.equal('ip_not_allowed');
      // A first entry that is no address falls back to the socket, as the top-level trustProxy
      // does: behind a proxy that is the proxy's address, which the list refuses.
      expect(
        reasonOf(() => verifySync(proxied, request(body, via('unknown'), '10.0.0.2'))),
      ).to.equal('ip_not_allowed');
      expect(verifySync(proxied, request(body, headers(), PAYSTACK_IPS[1])).type).to.equal(
        'charge.success',
      );
    });

    it('with trustProxy, reads bracketed, ported and IPv4-mapped X-Forwarded-For entries', () => {
      const proxied = paystackProvider(
        { secretKey: SECRET, allowedIps: [PAYSTACK_IPS[0]!, '2001:db8::1'], trustProxy: true },
        context,
      );
      const via = (xff: string) => ({ ...headers(), 'x-forwarded-for': xff });
      const allowed = [
        `${PAYSTACK_IPS[0]}:5678`,
        `::ffff:${PAYSTACK_IPS[0]}`,
        `[::ffff:${PAYSTACK_IPS[0]}]:443`,
        '[2001:db8::1]:443',
        '[2001:DB8::1]',
        ` ${PAYSTACK_IPS[0]}:5678 , 10.0.0.2`,
      ];
      for (const xff of allowed) {
        expect(verifySync(proxied, request(body, via(xff), '10.0.0.2')).type, xff).to.equal(
          'charge.success',
        );
      }
      for (const xff of ['10.9.9.9:5678', '[2001:db8::2]:443', '::ffff:10.9.9.9', '[::1]:443']) {
        expect(
          reasonOf(() => verifySync(proxied, request(body, via(xff), '10.0.0.2'))),
          xff,
        ).to.equal('ip_not_allowed');
      }
    });

    it('warns at start-up that the variant trustProxy is deprecated, and still honours it', () => {
      const logger = recordingLogger();
      const proxied = paystackProvider(
        { secretKey: SECRET, allowedIps: true, trustProxy: true },
        { ...context, logger },
      );
      expect(logger.at('warn').map((entry) => entry.fields)).to.deep.equal([
        { variant: 'paystack' },
      ]);
      expect(logger.at('warn')[0]!.message).to.match(/trustProxy is deprecated.*top-level/);
      const via = { ...headers(), 'x-forwarded-for': `${PAYSTACK_IPS[0]}:443` };
      expect(verifySync(proxied, request(body, via, '10.0.0.2')).type).to.equal('charge.success');
      paystackProvider({ secretKey: SECRET, allowedIps: true }, { ...context, logger });
      expect(logger.at('warn')).to.have.length(1);
    });
    it('warns at start-up that a variant trustProxy of false is deprecated and changes nothing, without sending to the top-level setting', () => {
      const logger = recordingLogger();
      const direct = paystackProvider(
        { secretKey: SECRET, allowedIps: true, trustProxy: false },
        { ...context, logger },
      );
      expect(logger.at('warn').map((entry) => entry.message)).to.deep.equal([
        'koa-payments: variants.paystack.trustProxy is deprecated; false is the default and changes nothing: remove it (behind a proxy, the top-level trustProxy gives allowedIps and the request log the client address). See docs/providers/paystack.md#behind-a-proxy.',
      ]);
      // As without it: the socket address is checked, a forwarded one is not believed.
      const forwarded = { ...headers(), 'x-forwarded-for': PAYSTACK_IPS[0]! };
      expect(reasonOf(() => verifySync(direct, request(body, forwarded, '10.0.0.2')))).to.equal(
        'ip_not_allowed',
      );
      expect(verifySync(direct, request(body, headers(), PAYSTACK_IPS[1])).type).to.equal(
        'charge.success',
      );
    });
  });

  describe('options', () => {
    let tmp: ReturnType<typeof tempDir>;
    beforeEach(() => {
      tmp = tempDir();
    });
    afterEach(() => tmp.remove());

    const build = (variant: Record<string, unknown>) => () =>
      payments({
        host: 'shop.test',
        database: tmp.file(),
        registry: createRegistry(),
        logger: false,
        variants: { shop: { provider: 'paystack', ...variant } as any },
      });

    it('requires secretKey and names it', () => {
      for (const value of [undefined, '', [], [''], 42]) {
        const error = configurationErrorOf(build({ secretKey: value }));
        expect(error.option, String(value)).to.equal('variants.shop.secretKey');
        expect(error.variant).to.equal('shop');
      }
    });

    it('refuses a public key and a key with whitespace, never printing the key', () => {
      const pk = configurationErrorOf(build({ secretKey: 'pk_live_abcdef123456' }));
      expect(pk.option).to.equal('variants.shop.secretKey');
      expect(pk.message).to.match(/public key/);
      expect(pk.message).not.to.contain('pk_live_abcdef123456');
      const spaced = configurationErrorOf(build({ secretKey: `${SECRET} ` }));
      expect(spaced.message).to.match(/whitespace/);
      expect(spaced.message).not.to.contain(SECRET);
    });

    it('refuses an unknown option, naming it', () => {
      const error = configurationErrorOf(build({ secretKey: SECRET, allowedIP: true }));
      expect(error.option).to.equal('variants.shop.allowedIP');
      expect(error.message).to.match(/secretKey, allowedIps, trustProxy/);
    });

    it('refuses a wrong allowedIps and names it', () => {
      for (const value of ['yes', 1, [], ['not-an-ip'], ['10.0.0.0/8'], [42]]) {
        const error = configurationErrorOf(build({ secretKey: SECRET, allowedIps: value }));
        expect(error.option, JSON.stringify(value)).to.equal('variants.shop.allowedIps');
      }
    });

    it('refuses a non-boolean trustProxy and names it', () => {
      const error = configurationErrorOf(build({ secretKey: SECRET, trustProxy: 'yes' }));
      expect(error.option).to.equal('variants.shop.trustProxy');
    });

    it('accepts every documented option', async () => {
      const pay = build({
        secretKey: [SECRET, 'sk_live_other'],
        allowedIps: ['10.0.0.1'],
        trustProxy: true,
      })();
      expect(pay.variants).to.deep.equal(['shop']);
      await pay.close();
    });
  });
});

for (const dialect of DIALECTS)
  describe(`paystack provider over HTTP on ${dialect}`, () => {
    const received: PaystackCharge[] = [];

    const served = servedForEach(dialect, (db) => {
      received.length = 0;
      const registry = createRegistry<{ 'charge.success': PaystackCharge }>();
      registry.receiver('charge.success', async function recordCharge({ data }) {
        received.push(data);
      });
      return {
        host: 'shop.test',
        database: db.setting,
        registry,
        variants: {
          paystack: { provider: 'paystack', secretKey: SECRET },
          guarded: { provider: 'paystack', secretKey: SECRET, allowedIps: true },
          local: { provider: 'paystack', secretKey: SECRET, allowedIps: ['127.0.0.1'] },
          proxied: { provider: 'paystack', secretKey: SECRET, allowedIps: true, trustProxy: true },
        },
      };
    });

    const url = (variant = 'paystack') => `${served.server.origin}/payments/process/${variant}/`;

    it('stores a valid event with its derived id, runs its receiver with data and answers 200', async () => {
      const { body, headers } = signed(chargeSuccess());
      const res = await post(url(), body, headers);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({
        received: true,
        event: 'charge.success:302961',
        duplicate: false,
      });
      expect(received).to.deep.equal([chargeSuccess().data]);
      const rows = await served.pay.knex('payments_events').select();
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({
        variant: 'paystack',
        provider: 'paystack',
        event_id: 'charge.success:302961',
        type: 'charge.success',
        status: 'processed',
      });
      expect(Boolean(rows[0].livemode)).to.equal(true);
      expect(JSON.parse(rows[0].payload)).to.deep.equal(chargeSuccess());
    });

    it('answers a redelivery as a duplicate without running the receiver again', async () => {
      const first = signed(chargeSuccess());
      expect((await post(url(), first.body, first.headers)).body.duplicate).to.equal(false);
      // Paystack resends the same event; here re-serialised to show the id does not hang on bytes.
      const again = signed(JSON.stringify(chargeSuccess(), null, 2));
      const res = await post(url(), again.body, again.headers);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({
        received: true,
        event: 'charge.success:302961',
        duplicate: true,
      });
      expect(received).to.have.length(1);
      expect(await count(served.pay.knex, 'payments_events')).to.equal(1);
    });

    it('stores two partial refunds of one transaction as two events', async () => {
      for (const amount of ['10000', '2500']) {
        const { body, headers } = signed(refund('refund.pending', { amount }));
        const res = await post(url(), body, headers);
        expect(res.status).to.equal(200);
        expect(res.body.duplicate).to.equal(false);
      }
      const ids = (await served.pay.knex('payments_events').select('event_id')).map(
        (r) => r.event_id,
      );
      expect(ids).to.have.length(2);
      expect(new Set(ids).size).to.equal(2);
    });

    it('answers each verification failure with 400 and its reason, storing nothing', async () => {
      const body = JSON.stringify(chargeSuccess());
      const cases: [string, string, string, Record<string, string>][] = [
        ['missing_signature', 'paystack', body, {}],
        ['malformed_signature', 'paystack', body, { 'x-paystack-signature': 'garbage' }],
        ['no_matching_signature', 'paystack', body, signed(body, 'sk_test_wrong').headers],
        ['invalid_payload', 'paystack', 'nope', signed('nope').headers],
        ['invalid_payload', 'paystack', '{"data":{}}', signed('{"data":{}}').headers],
        // The test client connects from 127.0.0.1, which is not one of Paystack's addresses.
        ['ip_not_allowed', 'guarded', body, signed(body).headers],
        // Without trustProxy, a forged X-Forwarded-For is not believed.
        [
          'ip_not_allowed',
          'guarded',
          body,
          { ...signed(body).headers, 'x-forwarded-for': PAYSTACK_IPS[0]! },
        ],
      ];
      for (const [reason, variant, b, headers] of cases) {
        const res = await post(url(variant), b, headers);
        expect(res.status, reason).to.equal(400);
        expect(res.body.error).to.include({ code: 'invalid_signature', reason });
        expect(JSON.stringify(res.body)).not.to.contain(SECRET);
      }
      expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
      expect(received).to.have.length(0);
    });

    it('accepts an allowed socket address, and a forwarded one when the variant trustProxy is set', async () => {
      const local = signed(chargeSuccess());
      expect((await post(url('local'), local.body, local.headers)).status).to.equal(200);
      const proxied = signed(chargeSuccess());
      const res = await post(url('proxied'), proxied.body, {
        ...proxied.headers,
        'x-forwarded-for': `${PAYSTACK_IPS[1]}, 10.0.0.2`,
      });
      expect(res.status).to.equal(200);
      const rows = await served.pay.knex('payments_events').select('variant').orderBy('id');
      expect(rows.map((r) => r.variant)).to.deep.equal(['local', 'proxied']);
      expect(received).to.have.length(2);
    });
  });

for (const dialect of DIALECTS)
  describe(`paystack allow-list behind a proxy (top-level trustProxy) on ${dialect}`, () => {
    const served = servedForEach(dialect, (db) => {
      const registry = createRegistry();
      registry.receiver('charge.success', async function recordCharge() {});
      return {
        host: 'shop.test',
        database: db.setting,
        registry,
        trustProxy: true,
        variants: {
          guarded: { provider: 'paystack', secretKey: SECRET, allowedIps: true },
          v6: { provider: 'paystack', secretKey: SECRET, allowedIps: ['2001:db8::1'] },
        },
      };
    });

    it('checks the forwarded address the request log records, ports and brackets stripped', async () => {
      const accepted: [string, string, string][] = [
        ['guarded', `${PAYSTACK_IPS[0]}:5678, 10.0.0.2`, PAYSTACK_IPS[0]!],
        ['guarded', `[::ffff:${PAYSTACK_IPS[1]}]:443`, PAYSTACK_IPS[1]!],
        ['guarded', `::ffff:${PAYSTACK_IPS[2]}`, PAYSTACK_IPS[2]!],
        ['v6', '[2001:db8::1]:443', '2001:db8::1'],
      ];
      for (const [variant, xff] of accepted) {
        const { body, headers } = signed(chargeSuccess());
        const res = await post(served.url(variant), body, { ...headers, 'x-forwarded-for': xff });
        expect(res.status, xff).to.equal(200);
      }
      for (const xff of ['10.9.9.9:5678', '[::1]:443', `10.9.9.9, ${PAYSTACK_IPS[0]}`]) {
        const { body, headers } = signed(chargeSuccess());
        const res = await post(served.url('guarded'), body, { ...headers, 'x-forwarded-for': xff });
        expect(res.status, xff).to.equal(400);
        expect(res.body.error.reason, xff).to.equal('ip_not_allowed');
      }
      const lines = await served.pay.knex('payments_requests').select('remote_ip').orderBy('id');
      expect(lines.map((line) => line.remote_ip)).to.deep.equal([
        ...accepted.map(([, , ip]) => ip),
        '10.9.9.9',
        '::1',
        '10.9.9.9',
      ]);
    });
  });
