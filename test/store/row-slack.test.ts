import { statSync } from 'node:fs';
import { expect } from 'chai';
import { createRegistry, type Payments, payments, type Registry } from '../../src/index.js';
import { ROW_SLACK_TOTAL } from '../../src/store/row-slack.js';
import { signWebhook } from '../../src/testing/index.js';
import { webhookRequest } from '../helpers/provider.js';
import { tempDir } from '../helpers/server.js';

const SECRET = 'whsec_row_slack';
/** The WAL file's header, and a frame: a 24-byte header and a 4 KB page. */
const WAL_HEADER = 32;
const FRAME = 24 + 4096;

function request(id: string, type: string, padding = '') {
  const signed = signWebhook('stripe', {
    secret: SECRET,
    payload: { id, type, created: 1_700_000_000, data: { object: { id: `ch_${id}`, padding } } },
  });
  return webhookRequest(signed.body, signed.headers);
}

describe('SQLite event rows keep one size whatever their status', () => {
  let tmp: ReturnType<typeof tempDir>;
  let pay: Payments;

  async function start(registry: Registry) {
    pay = payments({
      database: tmp.file(),
      registry,
      worker: false,
      variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
    });
    await pay.migrate();
  }

  /** status, processed_at and row_slack of every event, with the bytes they take together. */
  async function sizes() {
    return (await pay.knex.raw(
      `SELECT event_id AS id, status, typeof(processed_at) AS time,
         length(status) + CASE WHEN processed_at IS NULL THEN 0 ELSE 6 END + length(row_slack) AS bytes
       FROM payments_events ORDER BY id`,
    )) as { id: string; status: string; time: string; bytes: number }[];
  }

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await pay.close();
    tmp.remove();
  });

  it('through every status: ignored, processed, failed, pending, and processed by atomic receivers', async () => {
    let seenWhilePending: Awaited<ReturnType<typeof sizes>> = [];
    const registry = createRegistry();
    registry.receiver('charge.succeeded', async function ok() {});
    registry.receiver('charge.failed', async function broken() {
      throw new Error('receiver down');
    });
    registry.receiver('charge.pending', async function look() {
      seenWhilePending = await sizes();
    });
    registry.receiver('charge.captured', async function book() {}, { atomic: true });
    await start(registry);
    for (const [id, type] of [
      ['evt_ignored', 'charge.refunded'],
      ['evt_processed', 'charge.succeeded'],
      ['evt_failed', 'charge.failed'],
      ['evt_pending', 'charge.pending'],
      ['evt_atomic', 'charge.captured'],
    ] as const) {
      await (await pay.receive('stripe', request(id, type))).dispatched;
    }
    const pending = { id: 'evt_pending', status: 'pending', time: 'null', bytes: ROW_SLACK_TOTAL };
    expect(seenWhilePending).to.deep.include(pending);
    expect(await sizes()).to.deep.equal([
      { id: 'evt_atomic', status: 'processed', time: 'integer', bytes: ROW_SLACK_TOTAL },
      { id: 'evt_failed', status: 'failed', time: 'null', bytes: ROW_SLACK_TOTAL },
      { id: 'evt_ignored', status: 'ignored', time: 'integer', bytes: ROW_SLACK_TOTAL },
      { id: 'evt_pending', status: 'processed', time: 'integer', bytes: ROW_SLACK_TOTAL },
      { id: 'evt_processed', status: 'processed', time: 'integer', bytes: ROW_SLACK_TOTAL },
    ]);
  });

  it('so settling an event with a 64 KB payload writes a few pages, not the payload again', async () => {
    const registry = createRegistry();
    registry.receiver('charge.succeeded', async function ok() {});
    await start(registry);
    // A first webhook creates the tables' pages and the WAL.
    await (await pay.receive('stripe', request('evt_warm', 'charge.succeeded'))).dispatched;
    const wal = tmp.file('payments.sqlite3-wal');
    const frames = () => (statSync(wal).size - WAL_HEADER) / FRAME;

    const before = frames();
    const received = await pay.receive(
      'stripe',
      request('evt_large', 'charge.succeeded', 'x'.repeat(64 * 1024)),
    );
    const stored = frames();
    await received.dispatched;
    const settled = frames();

    const [row] = await pay.knex('payments_events').where({ event_id: 'evt_large' });
    expect(row.status).to.equal('processed');
    // The payload alone fills 16 pages; its INSERT writes them once.
    expect(stored - before).to.be.at.least(17);
    // The settle step (its own COMMIT) writes the delivery, the event row's first page, their
    // status indexes and the database header: no overflow page of the payload.
    expect(settled - stored).to.be.at.most(6);
  });
});
