/**
 * A provider may set its own success answer (Adyen expects `[accepted]`): sent for a new event and
 * for a redelivery alike, while errors keep the JSON answers; a custom provider's answer is
 * validated at `payments()`.
 */
import { expect } from 'chai';
import {
  ConfigurationError,
  createRegistry,
  type Provider,
  payments,
  SignatureVerificationError,
} from '../../src/index.js';
import { sendWebhook } from '../../src/testing/index.js';
import { count, DIALECTS } from '../helpers/databases.js';
import { servedForEach } from '../helpers/provider.js';
import { post } from '../helpers/server.js';

const ACCEPTED = { status: 200, contentType: 'text/plain', body: '[accepted]' } as const;

const accepting: Provider = {
  name: 'accepting',
  successAnswer: ACCEPTED,
  verify({ headers, rawBody }) {
    if (headers['x-token'] !== 'ok') {
      throw new SignatureVerificationError('no_matching_signature', 'Bad token.');
    }
    const payload = JSON.parse(rawBody.toString('utf8'));
    return { id: payload.id, type: payload.type, data: payload, payload };
  },
};

for (const dialect of DIALECTS)
  describe(`a provider's own success answer on ${dialect}`, () => {
    const ran: string[] = [];
    const served = servedForEach(dialect, (db) => {
      ran.length = 0;
      const registry = createRegistry();
      registry.receiver('order.paid', async function fulfil({ event }) {
        ran.push(event.eventId);
      });
      return {
        database: db.setting,
        registry,
        worker: false,
        variants: { acc: { provider: accepting } },
      };
    });
    const send = (id: string, token = 'ok') =>
      post(served.url('acc'), JSON.stringify({ id, type: 'order.paid' }), {
        'content-type': 'application/json',
        'x-token': token,
      });

    it('answers a new event and its redelivery with it', async () => {
      for (const _ of [1, 2]) {
        const res = await send('evt_1');
        expect(res.status).to.equal(200);
        expect(res.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
        expect(res.body).to.equal('[accepted]');
      }
      expect(ran).to.deep.equal(['evt_1']);
      expect(await count(served.db.reader, 'payments_events')).to.equal(1);
    });

    it('keeps the JSON error answers', async () => {
      const res = await send('evt_2', 'wrong');
      expect(res.status).to.equal(400);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(res.body.error).to.include({ code: 'invalid_signature' });
    });

    it('is what pay.receive() hands back, and what sendWebhook() reports for a payments() target', async () => {
      const received = await served.pay.receive('acc', {
        headers: { 'x-token': 'ok' },
        rawBody: Buffer.from(JSON.stringify({ id: 'evt_3', type: 'order.paid' })),
        url: served.url('acc'),
        receivedAt: new Date(),
      });
      await received.dispatched;
      expect(received.answer).to.deep.equal(ACCEPTED);
      const sent = await sendWebhook(
        served.pay,
        'acc',
        { id: 'evt_3', type: 'order.paid' },
        { provider: 'dummy', headers: { 'x-token': 'ok' } },
      );
      expect(sent).to.include({ status: 200, ok: true, body: '[accepted]', duplicate: true });
    });
  });

describe("a custom provider's success answer", () => {
  const build = (successAnswer: unknown) =>
    payments({
      database: ':memory:',
      variants: { acc: { provider: { ...accepting, successAnswer } as Provider } },
    });

  it('is refused at payments() unless it is a 2xx with a content type and a string body', () => {
    const cases: [unknown, string][] = [
      ['[accepted]', 'variants.acc.provider.successAnswer'],
      [{ ...ACCEPTED, status: 302 }, 'variants.acc.provider.successAnswer.status'],
      [{ ...ACCEPTED, status: 204 }, 'variants.acc.provider.successAnswer.status'],
      [
        { ...ACCEPTED, contentType: 'text/plain\r\nX-Evil: 1' },
        'variants.acc.provider.successAnswer.contentType',
      ],
      [{ ...ACCEPTED, body: Buffer.from('x') }, 'variants.acc.provider.successAnswer.body'],
    ];
    for (const [answer, option] of cases) {
      let caught: unknown;
      try {
        build(answer);
      } catch (error) {
        caught = error;
      }
      expect(caught, option).to.be.instanceOf(ConfigurationError);
      expect((caught as ConfigurationError).option, option).to.equal(option);
    }
  });
});
