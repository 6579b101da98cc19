/**
 * The adyen provider over HTTP, on SQLite and Postgres: a batch of notification items stored as
 * one event each, in one transaction, answered `[accepted]` (for a redelivery too); one bad item
 * or wrong Basic credentials store nothing; sendWebhook and `koa-payments send` sign for it.
 */
import { hmacValidator } from '@adyen/api-library';
import { expect } from 'chai';
import { createRegistry, payments } from '../../../src/index.js';
import {
  adyenSignedItem,
  samplePayload,
  sendWebhook,
  signWebhook,
} from '../../../src/testing/index.js';
import { runMain, writeConfig } from '../../cli/run.js';
import { count, DIALECTS } from '../../helpers/databases.js';
import { recordingLogger } from '../../helpers/logs.js';
import { servedForEach } from '../../helpers/provider.js';
import { appWith, listen, post, tempDir } from '../../helpers/server.js';

const KEY = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
const VARIANT = {
  provider: 'adyen',
  hmacKey: KEY,
  username: 'adyen-hooks',
  password: 'hook-pass',
} as const;
const AUTH = { authorization: `Basic ${Buffer.from('adyen-hooks:hook-pass').toString('base64')}` };

function signed(items: unknown[], key = KEY) {
  const request = signWebhook('adyen', {
    payload: items,
    secret: key,
    options: { username: 'adyen-hooks', password: 'hook-pass' },
  });
  return request;
}

for (const dialect of DIALECTS)
  describe(`adyen provider over HTTP on ${dialect}`, () => {
    const ran: string[] = [];
    const served = servedForEach(dialect, (db) => {
      ran.length = 0;
      const registry = createRegistry();
      registry.receiver('*', async function record({ type, event }) {
        ran.push(`${type} ${event.eventId}`);
      });
      registry.receiver('payment:*', async function payments({ type, data }) {
        ran.push(`${type} ${(data as { paymentId: string }).paymentId}`);
      });
      return {
        host: 'shop.test',
        database: db.setting,
        registry,
        worker: false,
        logger: recordingLogger(),
        variants: { adyen: VARIANT, live: { ...VARIANT, mode: 'live' } },
      };
    });

    it('stores each item of a batch as its own event, runs its receivers, and answers [accepted]', async () => {
      const authorised = samplePayload('adyen', 'AUTHORISATION');
      const captured = samplePayload('adyen', 'CAPTURE', {
        originalReference: authorised.pspReference,
      });
      const refunded = samplePayload('adyen', 'REFUND', {
        originalReference: authorised.pspReference,
      });
      const { body, headers } = signed([authorised, captured, refunded]);
      const res = await post(served.url('adyen'), body, headers);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
      expect(res.body).to.equal('[accepted]');
      const rows = await served.db
        .reader('payments_events')
        .orderBy('id')
        .select('event_id', 'type', 'provider', 'livemode', 'payload');
      expect(rows.map((r) => [r.event_id, r.type, r.provider, Boolean(r.livemode)])).to.deep.equal([
        [`${authorised.pspReference}:AUTHORISATION:true`, 'AUTHORISATION', 'adyen', false],
        [`${captured.pspReference}:CAPTURE:true`, 'CAPTURE', 'adyen', false],
        [`${refunded.pspReference}:REFUND:true`, 'REFUND', 'adyen', false],
      ]);
      expect(JSON.parse(rows[0].payload)).to.deep.equal(adyenSignedItem(authorised, KEY));
      expect([...ran].sort()).to.deep.equal(
        [
          `AUTHORISATION ${authorised.pspReference}:AUTHORISATION:true`,
          `CAPTURE ${captured.pspReference}:CAPTURE:true`,
          `REFUND ${refunded.pspReference}:REFUND:true`,
          `payment:succeeded ${authorised.pspReference}`,
          `payment:refunded ${authorised.pspReference}`,
        ].sort(),
      );
      const lines = await served.db.reader('payments_requests').select('valid', 'body', 'headers');
      expect(lines).to.have.length(1);
      expect(lines[0].body).to.equal(body);
      expect(lines[0].headers).not.to.contain('hook-pass');
    });

    it('answers a redelivery [accepted] too, running nothing again', async () => {
      const { body, headers } = signed([samplePayload('adyen', 'AUTHORISATION')]);
      await post(served.url('adyen'), body, headers);
      ran.length = 0;
      const res = await post(served.url('adyen'), body, headers);
      expect([res.status, res.body]).to.deep.equal([200, '[accepted]']);
      expect(ran).to.deep.equal([]);
      expect(await count(served.db.reader, 'payments_events')).to.equal(1);
    });

    it('accepts an item signed by the official HmacValidator', async () => {
      const item = samplePayload('adyen', 'AUTHORISATION');
      item.additionalData.hmacSignature = new hmacValidator().calculateHmac(item as never, KEY);
      const body = JSON.stringify({
        live: 'false',
        notificationItems: [{ NotificationRequestItem: item }],
      });
      const res = await post(served.url('adyen'), body, {
        'content-type': 'application/json',
        ...AUTH,
      });
      expect(res.body).to.equal('[accepted]');
      expect(ran).to.include(`AUTHORISATION ${item.pspReference}:AUTHORISATION:true`);
    });

    it('refuses the whole batch with 400 when one item is not signed by the key, storing nothing', async () => {
      const good = adyenSignedItem(samplePayload('adyen', 'AUTHORISATION'), KEY);
      const bad = adyenSignedItem(samplePayload('adyen', 'REFUND'), 'AB'.repeat(32));
      const body = JSON.stringify({
        live: 'false',
        notificationItems: [{ NotificationRequestItem: good }, { NotificationRequestItem: bad }],
      });
      const res = await post(served.url('adyen'), body, {
        'content-type': 'application/json',
        ...AUTH,
      });
      expect(res.status).to.equal(400);
      expect(res.body.error).to.include({
        code: 'invalid_signature',
        reason: 'no_matching_signature',
      });
      expect(JSON.stringify(res.body)).not.to.contain(KEY);
      expect(await count(served.db.reader, 'payments_events')).to.equal(0);
      expect(ran).to.deep.equal([]);
    });

    it('answers 401 unauthorized with a Basic challenge for wrong credentials, storing nothing', async () => {
      const { body, headers } = signed([samplePayload('adyen', 'AUTHORISATION')]);
      const wrong = `Basic ${Buffer.from('adyen-hooks:guess').toString('base64')}`;
      const res = await post(served.url('adyen'), body, { ...headers, authorization: wrong });
      expect(res.status).to.equal(401);
      expect(res.headers.get('www-authenticate')).to.match(/^Basic realm="koa-payments"/);
      expect(res.body.error.code).to.equal('unauthorized');
      expect(await count(served.db.reader, 'payments_events')).to.equal(0);
      const lines = await served.db
        .reader('payments_requests')
        .select('valid', 'status_code', 'error', 'headers');
      expect(lines.map((l) => [Boolean(l.valid), l.status_code, l.error])).to.deep.equal([
        [false, 401, 'unauthorized'],
      ]);
      expect(lines[0].headers).not.to.contain(Buffer.from('adyen-hooks:guess').toString('base64'));
    });

    it('stores test items that reach a live variant as ignored, running nothing', async () => {
      const { body, headers } = signed([samplePayload('adyen', 'AUTHORISATION')]);
      const res = await post(served.url('live'), body, headers);
      expect(res.body).to.equal('[accepted]');
      const rows = await served.db.reader('payments_events').select('status', 'ignored_reason');
      expect(rows).to.deep.equal([{ status: 'ignored', ignored_reason: 'mode_mismatch' }]);
      expect(ran).to.deep.equal([]);
    });

    it('is sent by sendWebhook from the variant settings, over HTTP and through pay.receive()', async () => {
      const overHttp = await sendWebhook(served.server.origin, 'adyen', 'AUTHORISATION', {
        settings: VARIANT,
      });
      expect([overHttp.status, overHttp.body]).to.deep.equal([200, '[accepted]']);
      const direct = await sendWebhook(served.pay, 'adyen', 'REFUND', {
        settings: VARIANT,
        data: { merchantReference: 'order-42' },
      });
      expect([direct.status, direct.body]).to.deep.equal([200, '[accepted]']);
      expect(direct.event?.type).to.equal('REFUND');
      expect(
        ran.filter((line) => !line.startsWith('payment:')).map((l) => l.split(' ')[0]),
      ).to.deep.equal(['AUTHORISATION', 'REFUND']);
    });
  });

describe('koa-payments send to an adyen variant', () => {
  it('signs a sample with the variant key and credentials and prints [accepted]', async () => {
    const tmp = tempDir();
    const registry = createRegistry();
    const types: string[] = [];
    registry.receiver('*', async function record({ type }) {
      types.push(type);
    });
    const pay = payments({
      registry,
      database: tmp.file(),
      worker: false,
      variants: { adyen: VARIANT },
    });
    await pay.migrate();
    const server = await listen(appWith(pay));
    try {
      const config = writeConfig(
        tmp.dir,
        'adyen.mjs',
        `export default { database: ${JSON.stringify(tmp.file())}, variants: { adyen: ${JSON.stringify(VARIANT)} } };\n`,
      );
      const { code, stdout } = await runMain([
        'send',
        'adyen',
        'CAPTURE',
        '--url',
        server.origin,
        '--config',
        config,
      ]);
      expect(code).to.equal(0);
      expect(stdout).to.equal('200 [accepted]\n');
      expect(types).to.deep.equal(['CAPTURE']);
    } finally {
      await server.close();
      await pay.close();
      tmp.remove();
    }
  });
});
