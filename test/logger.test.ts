/** The loggers the library ships (src/logger.ts): the default one, and `logger: false`. */
import { expect } from 'chai';
import { createRegistry, type PaymentsSettings, payments } from '../src/index.js';
import { lineLogger } from '../src/logger.js';
import { signWebhook } from '../src/testing/index.js';
import { createTestDatabase, type TestDatabase } from './helpers/databases.js';
import { configurationErrorOf } from './helpers/provider.js';
import { appWith, listen, post } from './helpers/server.js';

const SECRET = 'whsec_logger_test';
const MARKER = 'PAYLOAD-MARKER-9e2f';

describe('the line logger (the default, on stderr)', () => {
  it('prints warnings and errors as one line each, and drops debug and info', () => {
    const lines: string[] = [];
    const logger = lineLogger((line) => lines.push(line));
    const err = new TypeError('order 42\nis not in the database');
    logger.debug({ variant: 'stripe' }, 'koa-payments: webhook refused');
    logger.info({ variant: 'stripe' }, 'koa-payments: informative');
    logger.warn({ variant: 'stripe', inFlight: 2 }, 'koa-payments: closing');
    logger.error(
      {
        err,
        variant: 'stripe',
        eventId: 'evt_1',
        receiver: 'Orders.markPaid',
        attempt: 3,
        nextAttemptAt: new Date('2026-01-02T03:04:05.000Z'),
        note: 'two words',
        statuses: ['failed', 'dead'],
        payload: { description: MARKER },
        nothing: undefined,
      },
      'koa-payments: a receiver threw; it will be retried',
    );
    expect(lines).to.have.length(2);
    for (const line of lines)
      expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).to.equal(true);
    expect(lines[0]).to.match(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z koa-payments warn: closing variant=stripe inFlight=2\n$/,
    );
    const error = (lines[1] as string).replace(/^\S+ /, '');
    expect(error).to.match(
      /^koa-payments error: a receiver threw; it will be retried err="TypeError: order 42 is not in the database \(at .*logger\.test\.ts:\d+:\d+\)?\)" variant=stripe eventId=evt_1 receiver=Orders\.markPaid attempt=3 nextAttemptAt=2026-01-02T03:04:05\.000Z note="two words" statuses=failed,dead\n$/,
    );
    expect(error).not.to.contain(MARKER);
  });

  describe('as the default of payments()', () => {
    let db: TestDatabase;
    let written: string[];
    let write: typeof process.stderr.write;

    beforeEach(async () => {
      db = await createTestDatabase('sqlite');
      written = [];
      write = process.stderr.write;
      process.stderr.write = ((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      }) as typeof process.stderr.write;
    });
    afterEach(async () => {
      process.stderr.write = write;
      await db.cleanup();
    });

    /** Sends a webhook whose receiver throws, through an instance with `settings`. */
    async function failingReceiver(settings: Partial<PaymentsSettings>): Promise<void> {
      const registry = createRegistry();
      registry.receiver('charge.succeeded', async function markPaid() {
        throw new Error('order 42 is not in the database');
      });
      const pay = payments({
        database: db.setting,
        registry,
        worker: false,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
        ...settings,
      });
      await pay.migrate();
      const server = await listen(appWith(pay));
      try {
        const payload = {
          id: 'evt_default_logger',
          type: 'charge.succeeded',
          created: 1,
          data: { object: { description: MARKER } },
        };
        const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
        const answer = await post(`${server.origin}/payments/process/stripe/`, body, headers);
        expect(answer.status).to.equal(200);
      } finally {
        await server.close();
        await pay.close();
      }
    }

    it('writes a failing receiver to stderr, with its error and the event id', async () => {
      await failingReceiver({});
      const ours = written.filter((line) => line.includes('koa-payments'));
      expect(ours).to.have.length(1);
      expect(ours[0]).to.match(
        /koa-payments error: a receiver threw; it will be retried err="Error: order 42 is not in the database \(at .+\)" variant=stripe eventId=evt_default_logger type=charge\.succeeded receiver=markPaid attempt=1 /,
      );
      expect(ours.join('')).not.to.contain(MARKER);
    });

    it('writes nothing with logger: false', async () => {
      await failingReceiver({ logger: false });
      expect(written.filter((line) => line.includes('koa-payments'))).to.deep.equal([]);
    });
  });

  it('refuses a logger that is neither false nor a logger', () => {
    for (const logger of [true, 'pino', { warn() {} }]) {
      const error = configurationErrorOf(() =>
        payments({
          logger: logger as PaymentsSettings['logger'],
          variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
        }),
      );
      expect(error.option).to.equal('logger');
    }
  });
});
