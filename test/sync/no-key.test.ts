/**
 * The API key never leaves the `Authorization` header: for each provider with an API, sync,
 * reconcile, the periodic catch-up and `signal.fetch()` are run to success and to every kind of
 * failure, and no log line (at any level), error (its message, its JSON, everything it holds),
 * HTTP answer or stored row (events, deliveries, the request log, sync_state) contains the key.
 */
import { inspect } from 'node:util';
import { expect } from 'chai';
import { createRegistry, type VariantSettings } from '../../src/index.js';
import { builtinProviders } from '../../src/providers/index.js';
import { fakeForEach } from '../fakes/server.js';
import { recordingLogger } from '../helpers/logs.js';
import { rejection, servedForEach } from '../helpers/provider.js';
import { post } from '../helpers/server.js';
import { CASES } from './cases.js';

for (const c of CASES)
  describe(`${c.provider}: the API key in logs, errors and rows`, () => {
    const api = fakeForEach(() => c.fake());
    const logger = recordingLogger();
    const served = servedForEach('sqlite', (db) => {
      const registry = createRegistry();
      registry.receiver('*', async function load(signal) {
        await signal.fetch();
      });
      const options = c.options(api.current.origin);
      // The same provider with retries that do not wait, for the failures.
      const tuned = builtinProviders[c.provider].create(options as never, {
        variant: 'tuned',
        webhookUrl: () => '',
        logger,
        http: { timeoutMs: 150, sleep: async () => {} },
      });
      return {
        database: db.setting,
        registry,
        logger,
        worker: false,
        variants: {
          direct: { provider: c.provider, ...options } as VariantSettings,
          tuned: { provider: tuned, sync: { every: '1s', lookback: '1h' } },
        },
      };
    });

    it('appears in no log line, error, answer or stored row, whatever fails', async () => {
      const fake = api.current;
      const errors: unknown[] = [];
      const answers: unknown[] = [];
      const failure = { status: 500, body: { message: 'Internal error' } };
      const refused = { status: 401, body: { message: 'Invalid key' } };

      // Success: a page listed, an event stored, its receiver loading the object.
      const first = c.payment(fake, 5);
      expect(await served.pay.sync('direct', { since: '1h' })).to.deep.include({ stored: 1 });
      // A webhook of it, a duplicate.
      answers.push((await post(served.url('direct'), first.body, first.headers)).body);

      // In the other variant, the receivers' fetches fail after the retries: the deliveries
      // store the error.
      c.payment(fake, 4);
      fake.script((request) => !c.listing(request), ...Array(6).fill(failure));
      expect(await served.pay.sync('tuned', { since: '1h' })).to.deep.include({ stored: 2 });

      // Sync fails: 5xx after the retries, a refused key, a hung socket.
      c.payment(fake, 3);
      fake.script(c.listing, failure, failure, failure);
      errors.push(await rejection(served.pay.sync('tuned', { since: '1h' })));
      fake.script(c.listing, refused);
      errors.push(await rejection(served.pay.sync('tuned', { since: '1h' })));
      fake.script(c.listing, 'hang', 'hang', 'hang');
      errors.push(await rejection(served.pay.sync('tuned', { since: '1h' })));

      // Reconcile: found, unknown, and a failure.
      const results = await served.pay.reconcile('tuned', [first.reference, c.unknown]);
      expect(results.map((result) => result.status)).to.deep.equal(['duplicate', 'not_found']);
      answers.push(results);
      fake.script(() => true, refused);
      errors.push(await rejection(served.pay.reconcile('tuned', [first.reference])));

      // The periodic catch-up fails and records why.
      fake.script(c.listing, refused);
      expect(await served.pay.runDueSyncs()).to.deep.equal(['tuned']);
      const state = await served.pay.syncState('tuned');
      expect(state?.lastStatus).to.equal('failed');

      expect(errors).to.have.length(4);
      expect(logger.entries.length).to.be.above(0);
      const knex = served.pay.knex;
      const rows = {
        events: await knex('payments_events'),
        deliveries: await knex('payments_deliveries'),
        requests: await knex('payments_requests'),
        syncState: await knex('payments_sync_state'),
      };
      expect(rows.deliveries.some((row) => row.last_error !== null)).to.equal(true);
      const text = [
        ...errors.map((error) => `${String(error)} ${JSON.stringify(error)}`),
        inspect(errors, { depth: Number.POSITIVE_INFINITY }),
        inspect(logger.entries, { depth: Number.POSITIVE_INFINITY }),
        JSON.stringify([answers, rows, state]),
      ].join('\n');
      expect(text).not.to.contain(c.key);
      // The key reached the API, in the Authorization header only.
      expect(fake.requests.every((request) => JSON.stringify(request).includes(c.key))).to.equal(
        true,
      );
      for (const request of fake.requests) {
        expect(`${request.path}?${request.query} ${request.body ?? ''}`).not.to.contain(c.key);
      }
    });
  });
