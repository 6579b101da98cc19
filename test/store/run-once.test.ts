/**
 * pay.runOnce(key, fn): at most one run per key across paths, processes and instances; a
 * concurrent caller waits (bounded) and gets `ran: false`; a failed run frees the key; with
 * `trx` the claim commits or rolls back with the caller's transaction.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect } from 'chai';
import {
  createRegistry,
  type DatabaseSetting,
  type Payments,
  payments,
  RunOnceBusyError,
} from '../../src/index.js';
import { count, createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { gate, until } from '../helpers/sync.js';

/** Starts test/fixtures/once-child.ts; resolves once it is ready for the go. */
async function onceChild(database: DatabaseSetting, callers: number, total: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/once-child.ts'], {
    env: {
      ...process.env,
      KP_DATABASE: JSON.stringify(
        typeof database === 'string' ? { filename: database, busyTimeoutMs: 30_000 } : database,
      ),
      KP_CALLERS: String(callers),
      KP_TOTAL: String(total),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = once(child, 'exit');
  await Promise.race([
    until(() => out.includes('READY 0'), { timeoutMs: 60_000 }),
    exited.then(() => {
      throw new Error(`the child exited before it was ready:\n${out}`);
    }),
  ]);
  return {
    go: () => child.stdin.write('go\n'),
    async done(): Promise<{ ran: number; not: number; errors: number; output: string }> {
      await exited;
      const [, ran, not, errors] = /DONE (\d+) (\d+) (\d+)/.exec(out) ?? [];
      if (ran === undefined) throw new Error(`the child printed no result:\n${out}`);
      return { ran: Number(ran), not: Number(not), errors: Number(errors), output: out };
    },
    kill: () => child.exitCode === null && child.kill('SIGKILL'),
  };
}

for (const dialect of DIALECTS)
  describe(`pay.runOnce on ${dialect}`, function () {
    this.timeout(120_000);
    let db: TestDatabase;
    let pay: Payments;
    let other: Payments;

    const instance = async () => {
      const created = payments({
        database: db.config(),
        registry: createRegistry(),
        worker: false,
        logger: false,
        variants: { stripe: { provider: 'stripe', endpointSecret: 'whsec_run_once' } },
      });
      await created.migrate();
      return created;
    };

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      pay = await instance();
      other = await instance(); // another app instance on the same database
    });
    afterEach(async () => {
      await pay.close();
      await other.close();
      await db.cleanup();
    });

    const keyRow = (key: string) => db.reader('payments_once').where({ key }).first();

    it('runs once per key, returns the result to the caller that ran it, and ran: false to the others', async () => {
      const runs: string[] = [];
      const first = await pay.runOnce('order-1', async () => {
        runs.push('first');
        return { fulfilled: 'order-1' };
      });
      expect(first).to.deep.equal({ ran: true, result: { fulfilled: 'order-1' } });
      expect(await other.runOnce('order-1', () => runs.push('second'))).to.deep.equal({
        ran: false,
      });
      expect(await pay.runOnce('order-2', () => runs.push('other key'))).to.include({ ran: true });
      expect(runs).to.deep.equal(['first', 'other key']);
      expect(await keyRow('order-1')).to.include({ status: 'done', locked_until: null });
    });

    it('makes a concurrent caller wait for the run in progress, then answers it ran: false', async () => {
      const hold = gate();
      const runs: string[] = [];
      const first = pay.runOnce('order-3', async () => {
        runs.push('first');
        await hold.opened;
        return 'paid';
      });
      await until(async () => (await keyRow('order-3'))?.status === 'running');
      let settled = false;
      const second = other
        .runOnce('order-3', () => runs.push('second'))
        .finally(() => {
          settled = true;
        });
      // It has not settled while the first runs (held until the test opens the gate).
      await until(async () => (await count(db.reader, 'payments_once')) === 1);
      expect(settled).to.equal(false);
      hold.open();
      expect(await first).to.deep.equal({ ran: true, result: 'paid' });
      expect(await second).to.deep.equal({ ran: false });
      expect(runs).to.deep.equal(['first']);
    });

    it('frees the key when the run throws: its caller gets the error, and a waiting caller runs it', async () => {
      const hold = gate();
      const runs: string[] = [];
      const first = pay.runOnce('order-4', async () => {
        runs.push('first');
        await hold.opened;
        throw new Error('the warehouse API is down');
      });
      await until(async () => (await keyRow('order-4'))?.status === 'running');
      const second = other.runOnce('order-4', async () => {
        runs.push('second');
        return 'shipped';
      });
      hold.open();
      let error: unknown;
      await first.catch((e: unknown) => {
        error = e;
      });
      expect((error as Error).message).to.equal('the warehouse API is down');
      expect(await second).to.deep.equal({ ran: true, result: 'shipped' });
      expect(runs).to.deep.equal(['first', 'second']);
      expect(await pay.runOnce('order-4', () => runs.push('third'))).to.deep.equal({
        ran: false,
      });
    });

    it('stops waiting after waitMs with a RunOnceBusyError, having run nothing', async () => {
      const hold = gate();
      const first = pay.runOnce('order-5', () => hold.opened);
      await until(async () => (await keyRow('order-5'))?.status === 'running');
      let ran = false;
      let error: unknown;
      await other
        .runOnce(
          'order-5',
          () => {
            ran = true;
          },
          { waitMs: 50 },
        )
        .catch((e: unknown) => {
          error = e;
        });
      expect(error).to.be.instanceOf(RunOnceBusyError);
      expect(error).to.include({ code: 'run_once_busy', status: 503, key: 'order-5' });
      expect((error as Error).message).to.match(/still running elsewhere after \d+ ms \(waitMs\)/);
      expect(ran).to.equal(false);
      hold.open();
      expect(await first).to.include({ ran: true });
    });

    it('takes over a key whose run never finished once its lease expired (its process died)', async () => {
      await db.reader('payments_once').insert({
        key: 'order-6',
        status: 'running',
        token: 'dead-process',
        locked_until: new Date(Date.now() - 1),
        created_at: new Date(),
      });
      expect(await pay.runOnce('order-6', () => 'recovered')).to.deep.equal({
        ran: true,
        result: 'recovered',
      });
      expect(await keyRow('order-6')).to.include({ status: 'done' });
    });

    it('with trx, commits the claim with the caller transaction and rolls it back with it', async () => {
      await pay.knex.schema.createTable('fulfilments', (t) => {
        t.string('reference');
      });
      const fulfil = (reference: string) =>
        pay.knex.transaction((trx) =>
          pay.runOnce(reference, () => trx('fulfilments').insert({ reference }), { trx }),
        );
      // Rolled back: neither the work nor the claim stays; the key runs again.
      await pay.knex
        .transaction(async (trx) => {
          const { ran } = await pay.runOnce(
            'order-7',
            () => trx('fulfilments').insert({ reference: 'order-7' }),
            { trx },
          );
          expect(ran).to.equal(true);
          throw new Error('the payment page failed after fulfilling');
        })
        .catch(() => {});
      expect(await keyRow('order-7')).to.equal(undefined);
      expect(await fulfil('order-7')).to.include({ ran: true });
      expect(await fulfil('order-7')).to.deep.equal({ ran: false });
      expect(await other.runOnce('order-7', () => 'again')).to.deep.equal({ ran: false });
      expect(await db.reader('fulfilments').select('reference')).to.deep.equal([
        { reference: 'order-7' },
      ]);
      // fn throws and the caller commits all the same: the key is free.
      await pay.knex.transaction(async (trx) => {
        await pay
          .runOnce('order-8', () => Promise.reject(new Error('no stock')), { trx })
          .catch(() => {});
      });
      expect(await keyRow('order-8')).to.equal(undefined);
    });

    if (dialect === 'postgres')
      it("makes a caller wait for another transaction's uncommitted claim, bounded by waitMs", async () => {
        const hold = gate();
        const claimed = gate();
        const first = pay.knex.transaction(async (trx) => {
          const outcome = await pay.runOnce('order-9', () => 'in trx', { trx });
          claimed.open();
          await hold.opened;
          return outcome;
        });
        await claimed.opened;
        let error: unknown;
        await other
          .runOnce('order-9', () => 'too soon', { waitMs: 50 })
          .catch((e: unknown) => {
            error = e;
          });
        expect(error).to.be.instanceOf(RunOnceBusyError);
        const second = other.runOnce('order-9', () => 'second');
        hold.open();
        expect(await first).to.deep.equal({ ran: true, result: 'in trx' });
        expect(await second).to.deep.equal({ ran: false });
      });
    else
      it('refuses at once, inside a SQLite transaction, to wait for a key running elsewhere', async () => {
        const hold = gate();
        const first = pay.runOnce('order-9', () => hold.opened);
        await until(async () => (await keyRow('order-9'))?.status === 'running');
        let error: unknown;
        await other.knex
          .transaction((trx) => other.runOnce('order-9', () => 'inside', { trx }))
          .catch((e: unknown) => {
            error = e;
          });
        expect(error).to.be.instanceOf(RunOnceBusyError);
        expect((error as Error).message).to.match(/inside a SQLite transaction cannot wait/);
        hold.open();
        expect(await first).to.include({ ran: true });
      });

    it('runs once among 50 concurrent callers in two processes', async () => {
      await pay.knex.schema.createTable('callers', (t) => {
        t.integer('pid');
        t.integer('caller');
      });
      await pay.knex.schema.createTable('runs', (t) => {
        t.integer('pid');
        t.integer('caller');
      });
      const children = [await onceChild(db.setting, 25, 50), await onceChild(db.setting, 25, 50)];
      try {
        for (const child of children) child.go();
        const results = await Promise.all(children.map((c) => c.done()));
        const sum = (field: 'ran' | 'not' | 'errors') =>
          results.reduce((total, r) => total + r[field], 0);
        expect(sum('errors'), results.map((r) => r.output).join('\n')).to.equal(0);
        expect(sum('ran')).to.equal(1);
        expect(sum('not')).to.equal(49);
        expect(await count(db.reader, 'callers')).to.equal(50);
        expect(await count(db.reader, 'runs')).to.equal(1);
        expect(await keyRow('order-42')).to.include({ status: 'done' });
      } finally {
        for (const child of children) child.kill();
      }
    });
  });
