import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { expect } from 'chai';
import { createRegistry, type Payments, payments, type Registry } from '../../src/index.js';
import { ROW_SLACK_TOTAL } from '../../src/store/row-slack.js';
import { signWebhook } from '../../src/testing/index.js';
import { webhookRequest } from '../helpers/provider.js';
import { tempDir } from '../helpers/server.js';

const SECRET = 'whsec_row_slack';
/** A WAL frame: a 24-byte header (the page number first) and a 4 KB page. */
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

  /**
   * status, processed_at and row_slack of every event, with the bytes they take together
   * (processed_at counts 6 bytes: SQLite stores an integer from 2^40 to 2^47 - 1 in 6).
   */
  async function sizes() {
    return (await pay.knex.raw(
      `SELECT event_id AS id, status, typeof(processed_at) AS time,
         processed_at IS NULL OR processed_at BETWEEN 1099511627776 AND 140737488355327 AS sixBytes,
         length(status) + CASE WHEN processed_at IS NULL THEN 0 ELSE 6 END + length(row_slack) AS bytes
       FROM payments_events ORDER BY id`,
    )) as { id: string; status: string; time: string; sixBytes: number; bytes: number }[];
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
    const pending = {
      id: 'evt_pending',
      status: 'pending',
      time: 'null',
      sixBytes: 1,
      bytes: ROW_SLACK_TOTAL,
    };
    expect(seenWhilePending).to.deep.include(pending);
    expect(await sizes()).to.deep.equal([
      {
        id: 'evt_atomic',
        status: 'processed',
        time: 'integer',
        sixBytes: 1,
        bytes: ROW_SLACK_TOTAL,
      },
      { id: 'evt_failed', status: 'failed', time: 'null', sixBytes: 1, bytes: ROW_SLACK_TOTAL },
      {
        id: 'evt_ignored',
        status: 'ignored',
        time: 'integer',
        sixBytes: 1,
        bytes: ROW_SLACK_TOTAL,
      },
      {
        id: 'evt_pending',
        status: 'processed',
        time: 'integer',
        sixBytes: 1,
        bytes: ROW_SLACK_TOTAL,
      },
      {
        id: 'evt_processed',
        status: 'processed',
        time: 'integer',
        sixBytes: 1,
        bytes: ROW_SLACK_TOTAL,
      },
    ]);
  });

  it('so settling an event with a 64 KB payload writes none of its overflow pages again', async () => {
    const registry = createRegistry();
    registry.receiver('charge.succeeded', async function ok() {});
    await start(registry);
    // A first webhook creates the tables' pages and the WAL.
    await (await pay.receive('stripe', request('evt_warm', 'charge.succeeded'))).dispatched;
    const walFile = tmp.file('payments.sqlite3-wal');
    const size = () => statSync(walFile).size;

    const before = size();
    // Random bytes: a repeated one would hide a payload written again at a shifted offset.
    const padding = randomBytes(32 * 1024).toString('hex');
    const received = await pay.receive('stripe', request('evt_large', 'charge.succeeded', padding));
    const stored = size();
    await received.dispatched;
    const settled = size();

    // Which page each WAL frame holds, and which b-tree page that is (dbstat). Checkpoints
    // run every 4 000 pages, so the WAL only grows during the test.
    const wal = readFileSync(walFile);
    const pagesIn = (from: number, to: number) => {
      const pages: number[] = [];
      for (let at = from; at + FRAME <= to; at += FRAME) pages.push(wal.readUInt32BE(at));
      return pages;
    };
    const kinds = new Map(
      (
        (await pay.knex.raw(
          "SELECT pageno, pagetype FROM dbstat WHERE name = 'payments_events'",
        )) as { pageno: number; pagetype: string }[]
      ).map((r) => [r.pageno, r.pagetype]),
    );
    const storing = pagesIn(before, stored).map((page) => kinds.get(page));
    const settling = pagesIn(stored, settled).map((page) => kinds.get(page));

    const [row] = await pay.knex('payments_events').where({ event_id: 'evt_large' });
    expect(row.status).to.equal('processed');
    // The settle step, a COMMIT of its own after the INSERT's, wrote the page where the
    // event's row starts (its status changed), and none of the payload's overflow pages...
    expect(settling).to.include('leaf');
    expect(settling).not.to.include('overflow');
    expect(settling.length).to.be.at.most(6);
    // ...which the INSERT wrote (64 KB: at least 16 of them), and which are still the ones in
    // use (a rewrite would have moved the payload to other pages).
    expect(storing.filter((kind) => kind === 'overflow').length).to.be.at.least(16);
  });
});
