/**
 * `bodyTimeout`: a client whose body does not arrive in time is answered 408, on a real server
 * and a raw socket (a slow client is what fetch cannot be). The clock is driven through the
 * setting: a small bodyTimeout, and each test waits for the answer, never a fixed time.
 */
import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import Koa from 'koa';
import { createRegistry, type Payments, type PaymentsSettings, payments } from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { count, createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { appWith, listen, post, type TestServer } from '../helpers/server.js';

const SECRET = 'whsec_body_timeout';
const PATH = '/payments/process/stripe/';

function signed(id: string) {
  const payload = { id, type: 'charge.succeeded', created: 1_700_000_000, data: { object: {} } };
  return signWebhook('stripe', { payload, secret: SECRET });
}

/** An HTTP/1.1 client on a raw socket, which sends its request in parts. */
class SlowClient {
  readonly #socket: Socket;
  readonly #answer: Promise<string>;
  #received = '';

  constructor(origin: string) {
    const { hostname, port } = new URL(origin);
    this.#socket = connect(Number(port), hostname);
    this.#socket.setEncoding('utf8');
    this.#answer = new Promise((resolve, reject) => {
      this.#socket.on('data', (chunk: string) => {
        this.#received += chunk;
      });
      // The answer is complete when the server closes the connection.
      this.#socket.on('close', () => resolve(this.#received));
      this.#socket.on('error', reject);
    });
  }

  /** Whether any byte of an answer has come back yet. */
  get answered(): boolean {
    return this.#received !== '';
  }

  /** Sends the request line and the headers, announcing `length` body bytes. */
  head(headers: Record<string, string>, length: number): void {
    const lines = Object.entries({ ...headers, 'content-length': String(length) })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    this.#socket.write(
      `POST ${PATH} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n${lines}\r\n`,
    );
  }

  write(bytes: string): void {
    if (!this.#socket.destroyed) this.#socket.write(bytes);
  }

  /** Resolves with the status and the JSON body once the server has answered and closed. */
  async answer(): Promise<{ status: number; headers: string; body: any }> {
    const text = await this.#answer;
    const [head = '', body = ''] = text.split('\r\n\r\n');
    return { status: Number(head.split(' ')[1]), headers: head, body: JSON.parse(body) };
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

for (const dialect of DIALECTS)
  describe(`bodyTimeout on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments | undefined;
    let server: TestServer | undefined;
    let clients: SlowClient[];

    async function start(settings: Partial<PaymentsSettings>, app?: (p: Payments) => Koa) {
      const registry = createRegistry();
      registry.receiver('charge.succeeded', async function noop() {});
      pay = payments({
        database: db.setting,
        registry,
        worker: false,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
        ...settings,
      });
      await pay.migrate();
      server = await listen((app ?? appWith)(pay));
      return { pay, origin: server.origin };
    }

    function slowClient(origin: string): SlowClient {
      const client = new SlowClient(origin);
      clients.push(client);
      return client;
    }

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      clients = [];
    });

    afterEach(async () => {
      for (const client of clients) client.destroy();
      await server?.close();
      server = undefined;
      await pay?.close();
      pay = undefined;
      await db.cleanup();
    });

    it('answers 408 body_timeout when the body stops arriving, closes the connection and stores nothing', async () => {
      const { pay, origin } = await start({ bodyTimeout: 200 });
      const { body, headers } = signed('evt_stalled');
      const client = slowClient(origin);
      client.head(headers, Buffer.byteLength(body));
      client.write(body.slice(0, 10));
      const answer = await client.answer();
      expect(answer.status).to.equal(408);
      expect(answer.headers).to.match(/\r\nconnection: close\r\n/i);
      expect(answer.body.error.code).to.equal('body_timeout');
      expect(answer.body.error.message).to.match(/bodyTimeout/);
      expect(await count(pay.knex, 'payments_events')).to.equal(0);
      const [line] = await pay.knex('payments_requests').select('status_code', 'error', 'valid');
      expect(line).to.deep.include({ status_code: 408, error: 'body_timeout' });
      expect(Boolean(line.valid)).to.equal(false);
    });

    it('cuts a body that trickles in a byte at a time: the timeout counts from the start', async () => {
      const { pay, origin } = await start({ bodyTimeout: 200 });
      const { body, headers } = signed('evt_trickled');
      const client = slowClient(origin);
      client.head(headers, Buffer.byteLength(body));
      // A byte every 20 ms never leaves the connection idle for long, and would take seconds.
      let sent = 0;
      const trickle = setInterval(() => client.write(body.charAt(sent++)), 20);
      try {
        const answer = await client.answer();
        expect(answer.status).to.equal(408);
        expect(answer.body.error.code).to.equal('body_timeout');
        expect(sent).to.be.lessThan(Buffer.byteLength(body));
      } finally {
        clearInterval(trickle);
      }
      expect(await count(pay.knex, 'payments_events')).to.equal(0);
    });

    it('stores a webhook whose body arrives in parts within the timeout', async () => {
      const { pay, origin } = await start({ bodyTimeout: 10_000 });
      const { body, headers } = signed('evt_in_parts');
      const client = slowClient(origin);
      client.head(headers, Buffer.byteLength(body));
      client.write(body.slice(0, 20));
      client.write(body.slice(20));
      const answer = await client.answer();
      expect(answer.status).to.equal(200);
      expect(answer.body).to.deep.equal({
        received: true,
        event: 'evt_in_parts',
        duplicate: false,
      });
      expect(await count(pay.knex, 'payments_events')).to.equal(1);
    });

    it('does not let a request whose body has not arrived hold a group-commit batch open', async () => {
      // A commit that waited for the stalled request would wait for up to a minute (maxWaitMs),
      // or until the stalled request times out (bodyTimeout).
      let arrived: () => void = () => {};
      const stalledArrived = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const { pay, origin } = await start(
        { bodyTimeout: 5_000, groupCommit: { maxWaitMs: 60_000 } },
        (instance) => {
          const app = new Koa();
          app.use(async (ctx, next) => {
            if (ctx.get('x-test') === 'stalled') arrived();
            await next();
          });
          app.use(instance.middleware);
          return app;
        },
      );
      const stalled = signed('evt_stalled_body');
      const client = slowClient(origin);
      client.head({ ...stalled.headers, 'x-test': 'stalled' }, Buffer.byteLength(stalled.body));
      await stalledArrived;

      const fast = signed('evt_fast');
      const res = await post(`${origin}${PATH}`, fast.body, fast.headers);
      expect(res.status).to.equal(200);
      expect(client.answered, 'the stalled request was answered first').to.equal(false);

      // The stalled body arrives after all, well within bodyTimeout, and is stored too.
      client.write(stalled.body);
      const answer = await client.answer();
      expect(answer.status).to.equal(200);
      expect(await count(pay.knex, 'payments_events')).to.equal(2);
    });

    it('refuses a bodyTimeout that is not a positive number of milliseconds', () => {
      for (const bad of [0, -1, Number.NaN, '30s'] as unknown[]) {
        expect(() =>
          payments({
            database: db.setting,
            bodyTimeout: bad as number,
            variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
          }),
        ).to.throw(/bodyTimeout: must be a positive number/);
      }
    });
  });
