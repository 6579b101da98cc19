import { expect } from 'chai';
import { createRegistry, type Payments, payments } from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { appWith, listen, post, type TestServer } from '../helpers/server.js';

const SECRET = 'whsec_request_queries';

for (const dialect of DIALECTS)
  describe(`pay.requests on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments;
    let server: TestServer;

    before(async () => {
      db = await createTestDatabase(dialect);
      const registry = createRegistry();
      registry.receiver('*', async function audit() {});
      pay = payments({
        database: db.setting,
        registry,
        worker: false,
        requestLog: { maxBody: 16 },
        variants: {
          stripe: { provider: 'stripe', endpointSecret: SECRET },
          other: { provider: 'stripe', endpointSecret: SECRET },
        },
      });
      await pay.migrate();
      server = await listen(appWith(pay));
      const send = (variant: string, id: string, valid = true) => {
        const payload = { id, type: 'charge.succeeded', created: 1_700_000_000, data: {} };
        const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
        if (!valid) headers['stripe-signature'] = 't=1,v1=00';
        return post(`${server.origin}/payments/process/${variant}/`, body, headers);
      };
      expect((await send('stripe', 'evt_q1')).status).to.equal(200);
      expect((await send('stripe', 'evt_q2', false)).status).to.equal(400);
      expect((await send('other', 'evt_q3')).status).to.equal(200);
      expect((await send('stripe', 'evt_q4')).status).to.equal(200);
      expect((await send('other', 'evt_q5', false)).status).to.equal(400);
    });
    after(async () => {
      await server.close();
      await pay.close();
      await db.cleanup();
    });

    const ids = async (filter: Parameters<Payments['requests']['list']>[0]) =>
      (await pay.requests.list(filter)).map((r) => r.id);

    it('lists the log newest first, filtered by variant, validity, status code and time', async () => {
      expect(await ids({})).to.deep.equal([5, 4, 3, 2, 1]);
      expect(await ids({ valid: false })).to.deep.equal([5, 2]);
      expect(await ids({ valid: true, variant: 'other' })).to.deep.equal([3]);
      expect(await ids({ statusCode: 400, variant: 'stripe' })).to.deep.equal([2]);
      expect(await ids({ since: new Date(Date.now() - 60_000) })).to.have.length(5);
      expect(await ids({ since: new Date(Date.now() + 60_000) })).to.deep.equal([]);
    });

    it('pages by keyset cursors in both directions', async () => {
      expect(await ids({ limit: 2 })).to.deep.equal([5, 4]);
      expect(await ids({ limit: 2, before: 4 })).to.deep.equal([3, 2]);
      expect(await ids({ limit: 2, before: 2 })).to.deep.equal([1]);
      expect(await ids({ limit: 2, after: 2 })).to.deep.equal([4, 3]);
      expect(await ids({ limit: 2, after: 4 })).to.deep.equal([5]);
      expect(await ids({ limit: 2, before: 4, valid: false })).to.deep.equal([2]);
    });

    it('gets a line with its headers redacted as stored and its body truncated as stored', async () => {
      const refused = await pay.requests.get(2);
      expect(refused).to.include({ variant: 'stripe', valid: false, statusCode: 400, event: null });
      expect(refused?.error).to.equal('invalid_signature:no_matching_signature');
      expect(refused?.body).to.have.length(16);
      expect(refused?.bodySize).to.be.greaterThan(16);
      const accepted = await pay.requests.get(1);
      // The body of a stored event is read back from the event row, truncated the same way.
      expect(accepted?.body).to.equal('{"id":"evt_q1","');
      expect(accepted?.headers['stripe-signature']).to.match(/^t=\d+,v1=/);
      expect(await pay.requests.get(99)).to.equal(undefined);
    });
  });
