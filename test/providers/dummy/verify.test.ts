import { expect } from 'chai';
import { createRegistry, type Payments, payments } from '../../../src/index.js';
import { dummy } from '../../../src/providers/dummy/verify.js';
import { signWebhook } from '../../../src/testing/index.js';
import { reasonOf, verifySync, webhookRequest } from '../../helpers/provider.js';
import { appWith, listen, post, type TestServer, tempDir } from '../../helpers/server.js';

const context = { variant: 'dev', webhookUrl: () => 'http://localhost/payments/process/dev/' };

describe('dummy provider', () => {
  const provider = dummy({}, context);

  it('accepts an unsigned JSON body with a type, and keeps its id and data', () => {
    const body = JSON.stringify({ id: 'dev_1', type: 'order.paid', data: { order: 7 } });
    const event = verifySync(provider, webhookRequest(body, {}));
    expect(event).to.deep.include({ id: 'dev_1', type: 'order.paid', data: { order: 7 } });
  });

  it('derives a stable id from the body when there is none', () => {
    const body = JSON.stringify({ type: 'order.paid' });
    const a = verifySync(provider, webhookRequest(body, {})).id;
    const b = verifySync(provider, webhookRequest(body, {})).id;
    const c = verifySync(
      provider,
      webhookRequest(JSON.stringify({ type: 'order.refunded' }), {}),
    ).id;
    expect(a).to.match(/^dummy_[0-9a-f]{32}$/);
    expect(a).to.equal(b);
    expect(a).not.to.equal(c);
  });

  it('still refuses a body that is not a JSON object with a type', () => {
    for (const body of ['', 'nope', '[]', '{"id":"x"}']) {
      expect(reasonOf(() => verifySync(provider, webhookRequest(body, {})))).to.equal(
        'invalid_payload',
      );
    }
  });

  describe('over HTTP', () => {
    let tmp: ReturnType<typeof tempDir>;
    let pay: Payments;
    let server: TestServer;
    const seen: unknown[] = [];

    before(async () => {
      tmp = tempDir();
      const registry = createRegistry();
      registry.receiver('order.*', async function record({ data }) {
        seen.push(data);
      });
      pay = payments({
        database: tmp.file(),
        registry,
        worker: false,
        variants: { dev: { provider: 'dummy' } },
      });
      await pay.migrate();
      server = await listen(appWith(pay));
    });
    after(async () => {
      await server.close();
      await pay.close();
      tmp.remove();
    });

    it('stores the event, runs receivers, and answers a redelivery as a duplicate', async () => {
      const { body, headers } = signWebhook('dummy', {
        payload: { type: 'order.paid', data: { order: 7 } },
        secret: '',
      });
      const first = await post(`${server.origin}/payments/process/dev/`, body, headers);
      const second = await post(`${server.origin}/payments/process/dev/`, body, headers);
      expect(first.status).to.equal(200);
      expect(first.body.duplicate).to.equal(false);
      expect(second.body).to.deep.equal({ ...first.body, duplicate: true });
      expect(seen).to.deep.equal([{ order: 7 }]);
    });
  });
});
