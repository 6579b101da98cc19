import { expect } from 'chai';
import { ReceiverLimits } from '../../src/dispatch/limits.js';
import {
  ConfigurationError,
  createRegistry,
  type Payments,
  type PaymentsSettings,
  payments,
  type Registry,
} from '../../src/index.js';
import { chargeEvent, sendCharge } from '../helpers/charges.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { appWith, listen, type TestServer } from '../helpers/server.js';
import { gate, until } from '../helpers/sync.js';

const SECRET = 'whsec_limits_test';

/** A receiver body that counts its concurrent runs and waits for `release` before returning. */
function counted(release: Promise<void>) {
  const state = { active: 0, max: 0, runs: 0 };
  const fn = async () => {
    state.active += 1;
    state.max = Math.max(state.max, state.active);
    try {
      await release;
    } finally {
      state.active -= 1;
      state.runs += 1;
    }
  };
  return { state, fn };
}

describe('receiver concurrency limits', () => {
  it('gives out at most `limit` turns, then one per release, in arrival order', async () => {
    const limits = new ReceiverLimits();
    const order: string[] = [];
    const turn = async (limit: number | undefined) => {
      const release = await limits.acquire('orders', limit);
      if (release === undefined) throw new Error('expected a turn');
      return release;
    };
    const first = await turn(2);
    const second = await turn(2);
    const third = turn(2).then((release) => {
      order.push('third');
      return release;
    });
    const fourth = turn(2).then((release) => {
      order.push('fourth');
      return release;
    });
    expect(limits.usage('orders')).to.deep.equal({ running: 2, waiting: 2 });
    expect(limits.saturated()).to.deep.equal(['orders']);
    first();
    first(); // a second call gives back nothing more
    (await third)();
    second();
    (await fourth)();
    expect(order).to.deep.equal(['third', 'fourth']);
    expect(limits.usage('orders')).to.deep.equal({ running: 0, waiting: 0 });
    expect(limits.saturated()).to.deep.equal([]);
    // Without a limit, nothing is counted.
    (await limits.acquire('audit', undefined))?.();
    expect(limits.usage('audit')).to.deep.equal({ running: 0, waiting: 0 });
  });

  it('wakes every waiting run without a turn on cancelWaiting(), the runs going on keeping theirs', async () => {
    const limits = new ReceiverLimits();
    const first = await limits.acquire('orders', 1);
    const old = await limits.acquire('refunds', 1);
    const waiting = [
      limits.acquire('orders', 1),
      limits.acquire('orders', 1),
      // Registered again with another limit: the old queue is woken too.
      limits.acquire('refunds', 1),
    ];
    const renewed = await limits.acquire('refunds', 2);
    limits.cancelWaiting();
    expect(await Promise.all(waiting)).to.deep.equal([undefined, undefined, undefined]);
    expect(limits.usage('orders')).to.deep.equal({ running: 1, waiting: 0 });
    first?.();
    old?.();
    renewed?.();
    expect(limits.usage('orders')).to.deep.equal({ running: 0, waiting: 0 });
    expect(limits.usage('refunds')).to.deep.equal({ running: 0, waiting: 0 });
  });

  it('refuses a limit that is not a whole number of runs, and a limit on an atomic receiver', () => {
    const registry = createRegistry();
    for (const concurrency of [0, 1.5, -1, Number.NaN, '5']) {
      expect(() =>
        registry.receiver('charge.succeeded', async function bad() {}, {
          concurrency: concurrency as number,
        }),
      )
        .to.throw(ConfigurationError, /receiver\.concurrency/)
        .with.property('message')
        .that.matches(/whole number/);
    }
    expect(() =>
      registry.receiver('charge.succeeded', async function book() {}, {
        concurrency: 2,
        atomic: true,
      }),
    ).to.throw(ConfigurationError, /atomic receiver runs inside the transaction/);
    registry.receiver('charge.succeeded', async function book() {}, { concurrency: 2 });
    expect(registry.get('book')?.concurrency).to.equal(2);
  });
});

for (const dialect of DIALECTS)
  describe(`receiver concurrency over HTTP on ${dialect}`, () => {
    let db: TestDatabase;
    let registry: Registry;
    let pay: Payments | undefined;
    let server: TestServer | undefined;

    async function start(settings: Partial<PaymentsSettings> = {}): Promise<Payments> {
      pay = payments({
        database: db.setting,
        registry,
        worker: false,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
        ...settings,
      });
      await pay.migrate();
      server = await listen(appWith(pay));
      return pay;
    }
    const send = (id: string) => sendCharge(server?.origin, id, SECRET);
    const statuses = async (receiver: string) =>
      (
        (await db.reader('payments_deliveries').where({ receiver }).orderBy('id')) as {
          status: string;
        }[]
      ).map((d) => d.status);

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      registry = createRegistry();
    });
    afterEach(async () => {
      await server?.close();
      await pay?.close();
      server = undefined;
      pay = undefined;
      await db.cleanup();
    });

    it('runs at most `concurrency` background runs at once; the others wait and run after', async () => {
      const release = gate();
      const ledger = counted(release.opened);
      registry.receiver('charge.succeeded', ledger.fn, { name: 'ledger', concurrency: 2 });
      await start({ dispatch: 'background' });
      const answers = await Promise.all(['evt_1', 'evt_2', 'evt_3', 'evt_4', 'evt_5'].map(send));
      expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200, 200]);
      await until(() => ledger.state.active === 2);
      // Every delivery is in this process's hands; two run, three wait for a turn.
      expect(ledger.state).to.include({ active: 2, runs: 0 });
      release.open();
      await until(async () => (await statuses('ledger')).every((s) => s === 'succeeded'));
      expect(ledger.state).to.deep.equal({ active: 0, max: 2, runs: 5 });
    });

    it('holds inline requests past the limit until a turn is free, and answers them all', async () => {
      const release = gate();
      const ledger = counted(release.opened);
      registry.receiver('charge.succeeded', ledger.fn, { name: 'ledger', concurrency: 1 });
      await start({ dispatch: 'inline' });
      const answers = Promise.all(['evt_a', 'evt_b', 'evt_c'].map(send));
      await until(() => ledger.state.active === 1);
      release.open();
      expect((await answers).map((a) => a.status)).to.deep.equal([200, 200, 200]);
      expect(ledger.state).to.deep.equal({ active: 0, max: 1, runs: 3 });
      expect(await statuses('ledger')).to.deep.equal(['succeeded', 'succeeded', 'succeeded']);
    });

    it("lets the worker leave a saturated receiver's due deliveries for later and run the others", async () => {
      const release = gate();
      const ledger = counted(release.opened);
      registry.receiver('charge.succeeded', ledger.fn, { name: 'ledger', concurrency: 1 });
      let audited = 0;
      registry.receiver('charge.succeeded', async function audit() {
        audited += 1;
      });
      const p = await start({ dispatch: 'background' });
      await send('evt_busy');
      await until(() => ledger.state.active === 1 && audited === 1);
      // Another event's deliveries, both due now (as after a crash: pending, no lease).
      const [stored] = (await p
        .knex('payments_events')
        .insert({
          variant: 'stripe',
          provider: 'stripe',
          event_id: 'evt_due',
          type: 'charge.succeeded',
          status: 'pending',
          received_at: new Date(),
          payload: JSON.stringify(chargeEvent('evt_due')),
        })
        .returning('id')) as { id: number }[];
      await p.knex('payments_deliveries').insert(
        ['ledger', 'audit'].map((receiver) => ({
          event: stored?.id,
          receiver,
          status: 'pending',
          attempts: 0,
          created_at: new Date(),
        })),
      );
      expect(await p.runDueDeliveries()).to.equal(1); // audit only: ledger's one turn is taken
      expect(audited).to.equal(2);
      expect(await statuses('ledger')).to.deep.equal(['pending', 'pending']);
      release.open();
      await until(async () => (await statuses('ledger'))[0] === 'succeeded');
      expect(await p.runDueDeliveries()).to.equal(1);
      expect(await statuses('ledger')).to.deep.equal(['succeeded', 'succeeded']);
      expect(ledger.state.max).to.equal(1);
    });
  });
