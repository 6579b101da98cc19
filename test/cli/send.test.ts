import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { DEFAULT_SECRET } from '../../example-app/config.js';
import { createShop, type Shop } from '../../example-app/shop.js';
import { createRegistry, payments } from '../../src/index.js';
import { paypalTestCertificate } from '../../src/testing/index.js';
import { PayPalApiFake } from '../fakes/paypal-api.js';
import { appWith, listen, type TestServer, tempDir } from '../helpers/server.js';
import { ROOT, runCli, runMain, writeConfig } from './run.js';

/**
 * The example shop runs in this process on a temporary SQLite file; the CLI, in a child process,
 * reads a config module pointing at the same file and the same secret, and imports the shop's
 * receivers (for `replay`), as an app's payments.config would.
 */
describe('koa-payments CLI: send, against the example shop', () => {
  let tmp: ReturnType<typeof tempDir>;
  let shop: Shop;
  let server: TestServer;
  let config: string;
  const nodeEnv = process.env.NODE_ENV;

  before(async () => {
    process.env.NODE_ENV = 'test'; // the shop's receipt receiver prints nothing under test
    tmp = tempDir();
    shop = await createShop({
      filename: tmp.file('shop.sqlite3'),
      host: 'localhost:3000',
      stripeSecret: DEFAULT_SECRET,
    });
    server = await listen(shop.app);
    const receivers = pathToFileURL(join(ROOT, 'example-app/receivers.ts')).href;
    config = writeConfig(
      tmp.dir,
      'payments.config.mjs',
      `import ${JSON.stringify(receivers)};
export default {
  host: ${JSON.stringify(new URL(server.origin).host)},
  protocol: 'http',
  database: ${JSON.stringify(tmp.file('shop.sqlite3'))},
  variants: {
    stripe: { provider: 'stripe', endpointSecret: process.env.STRIPE_WEBHOOK_SECRET || ${JSON.stringify(DEFAULT_SECRET)} },
  },
};
`,
    );
  });

  after(async () => {
    await server.close();
    await shop.close();
    tmp.remove();
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  });

  const createOrder = async (): Promise<number> => {
    const response = await fetch(`${server.origin}/orders`, { method: 'POST' });
    return ((await response.json()) as { id: number }).id;
  };
  const order = async (id: number) =>
    (await shop.knex('orders').where({ id }).first()) as { status: string; payment_event: string };
  const run = (...args: string[]) => runMain([...args, '--config', config]);

  it('marks an order paid: send stripe checkout.session.completed', async () => {
    const id = await createOrder();
    const { code, stdout, stderr } = await runCli([
      'send',
      'stripe',
      'checkout.session.completed',
      '--data',
      JSON.stringify({ client_reference_id: String(id) }),
      '--config',
      config,
    ]);
    expect(code).to.equal(0);
    expect(stderr).to.equal(`POST ${server.origin}/payments/process/stripe/\n`);
    const match = /^200 (\{.*\})\n$/.exec(stdout);
    expect(match, stdout).to.not.equal(null);
    const body = JSON.parse(match?.[1] as string);
    expect(body).to.include({ received: true, duplicate: false });
    expect(body.event).to.match(/^evt_/);
    expect(await order(id)).to.include({ status: 'paid', payment_event: body.event });
  });

  it('sends several fresh events with --count and prints them as JSON', async () => {
    const id = await createOrder();
    const { code, stdout, stderr } = await runMain([
      'send',
      'stripe',
      'payment_intent.succeeded',
      '--count',
      '3',
      '--url',
      server.origin,
      '--data',
      JSON.stringify({ metadata: { order_id: String(id) } }),
      '--json',
      '--config',
      config,
    ]);
    expect(code, stderr).to.equal(0);
    expect(stderr).to.include('(3 events)').and.include('3 of 3 accepted.');
    const answers = JSON.parse(stdout) as { status: number; body: { event: string } }[];
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.event)).size).to.equal(3);
    expect((await order(id)).status).to.equal('paid');
    const stored = await shop.pay.events.list({ type: 'payment_intent.succeeded' });
    expect(stored.map((e) => e.eventId)).to.include.members(answers.map((a) => a.body.event));
  });

  it('marks an order refunded with charge.refunded', async () => {
    const id = await createOrder();
    await run(
      'send',
      'stripe',
      'checkout.session.completed',
      '--data',
      `{"client_reference_id":"${id}"}`,
    );
    const { code } = await run(
      'send',
      'stripe',
      'charge.refunded',
      '--data',
      JSON.stringify({ metadata: { order_id: String(id) } }),
    );
    expect(code).to.equal(0);
    expect((await order(id)).status).to.equal('refunded');
  });

  it("shows the stored event with the shop receivers' deliveries, and replays them", async () => {
    const id = await createOrder();
    const sent = await run(
      'send',
      'stripe',
      'checkout.session.completed',
      '--data',
      `{"client_reference_id":"${id}"}`,
    );
    const eventId = JSON.parse(sent.stdout.slice(4)).event as string;

    const show = await run('events', 'show', eventId);
    expect(show.code).to.equal(0);
    expect(show.stdout).to.match(/orders\.mark-paid\s+succeeded\s+1/);
    expect(show.stdout).to.match(/orders\.fulfil\s+succeeded\s+1/);
    expect(show.stdout).to.match(/orders\.send-receipt\s+succeeded\s+1/);
    expect(show.stdout).to.match(/Requests \(1\)\n.*\n\s+\d+\s+\S+ \S+\s+127\.0\.0\.1\s+200\s+yes/);

    // The order lost its status (a bad deploy, say); replaying the event restores it.
    // Fulfilment runs in the shop process only: the command defers it (RetryLater) to the
    // shop's worker, and it ran once already anyway (pay.runOnce).
    await shop.knex('orders').where({ id }).update({ status: 'open' });
    const replay = await runCli(['replay', eventId, '--all', '--config', config]);
    expect(replay.code).to.equal(0);
    expect(replay.stdout).to.include(
      `${eventId} pending: orders.mark-paid succeeded, orders.fulfil deferred: fulfilment runs in the shop process, orders.send-receipt succeeded`,
    );
    expect((await order(id)).status).to.equal('paid');
  });

  it('exits 2 on an unknown event type or variant, listing what exists', async () => {
    const [type, variant] = await Promise.all([
      run('send', 'stripe', 'checkout.completed'),
      run('send', 'paypal', 'checkout.session.completed'),
    ]);
    expect(type.code).to.equal(2);
    expect(type.stderr).to.include("no stripe sample of 'checkout.completed'; samples exist for");
    expect(type.stderr).to.include('checkout.session.completed');
    expect(variant.code).to.equal(2);
    expect(variant.stderr).to.include("unknown variant 'paypal'; the config has stripe");
  });

  it('exits 1 when the app refuses the event or cannot be reached', async () => {
    const wrongSecret = writeConfig(
      tmp.dir,
      'wrong-secret.mjs',
      `export default { host: ${JSON.stringify(new URL(server.origin).host)}, protocol: 'http', database: ${JSON.stringify(tmp.file('shop.sqlite3'))}, variants: { stripe: { provider: 'stripe', endpointSecret: 'whsec_not_the_shops' } } };\n`,
    );
    const refused = await runMain(['send', 'stripe', 'charge.succeeded', '--config', wrongSecret]);
    expect(refused.code).to.equal(1);
    expect(refused.stdout).to.match(
      /^400 \{"error":\{"code":"invalid_signature".*"reason":"no_matching_signature"\}\}\n$/,
    );
    const unreachable = await run(
      'send',
      'stripe',
      'charge.succeeded',
      '--url',
      'http://127.0.0.1:9',
    );
    expect(unreachable.code).to.equal(1);
    expect(unreachable.stderr).to.include(
      'could not reach http://127.0.0.1:9/payments/process/stripe/',
    );
    expect(unreachable.stderr).to.include('Is the app running?');
  });

  it('signs the URL a Square variant verifies, even when posting to another', async () => {
    const square = { provider: 'square', signatureKey: 'square-cli-key' } as const;
    let host = 'localhost:1'; // what payments({ host }) says until the port is known
    const pay = payments({
      registry: createRegistry(),
      database: tmp.file('square.sqlite3'),
      worker: false,
      protocol: 'http',
      host: () => host,
      variants: { square },
    });
    await pay.migrate();
    const squareServer = await listen(appWith(pay));
    host = `localhost:${new URL(squareServer.origin).port}`; // the public host: not what is posted to
    try {
      const squareConfig = writeConfig(
        tmp.dir,
        'square.mjs',
        `export default { protocol: 'http', host: ${JSON.stringify(host)}, database: ${JSON.stringify(tmp.file('square.sqlite3'))}, variants: { square: ${JSON.stringify(square)} } };\n`,
      );
      // Posted to 127.0.0.1, signed with http://localhost:<port>/...: the URL Square would sign.
      const { code, stdout, stderr } = await runMain([
        'send',
        'square',
        'payment.updated',
        '--url',
        squareServer.origin,
        '--config',
        squareConfig,
      ]);
      expect(stderr).to.include(`POST ${squareServer.origin}/payments/process/square/`);
      expect(code).to.equal(0);
      expect(stdout).to.match(/^200 \{"received":true/);
    } finally {
      await squareServer.close();
      await pay.close();
    }
  });

  it('signs a PayPal event with --private-key, its certificate served at the apiBase', async () => {
    const { privateKey, certificate } = paypalTestCertificate();
    const fake = await new PayPalApiFake()
      .addCertificate('/v1/notifications/certs/CERT-koa-payments-test', certificate)
      .start();
    const paypal = { provider: 'paypal', webhookId: 'WH1CLI', apiBase: fake.origin } as const;
    const pay = payments({
      registry: createRegistry(),
      database: tmp.file('paypal.sqlite3'),
      worker: false,
      variants: { paypal },
    });
    await pay.migrate();
    const paypalServer = await listen(appWith(pay));
    const keyFile = join(tmp.dir, 'paypal-key.pem');
    writeFileSync(keyFile, privateKey);
    try {
      const paypalConfig = writeConfig(
        tmp.dir,
        'paypal.mjs',
        `export default { database: ${JSON.stringify(tmp.file('paypal.sqlite3'))}, variants: { paypal: ${JSON.stringify(paypal)} } };\n`,
      );
      const send = (...extra: string[]) =>
        runMain([
          'send',
          'paypal',
          'PAYMENT.CAPTURE.COMPLETED',
          '--url',
          paypalServer.origin,
          '--config',
          paypalConfig,
          ...extra,
        ]);
      const sent = await send('--private-key', keyFile);
      expect(sent.code, sent.stderr).to.equal(0);
      expect(sent.stdout).to.match(/^200 \{"received":true,"event":"WH-/);
      expect(fake.seen('/v1/notifications/certs/')).to.have.length(1);
      const unsigned = await send();
      expect(unsigned.code).to.equal(1);
      expect(unsigned.stderr).to.contain('needs options.privateKey');
      const missing = await send('--private-key', join(tmp.dir, 'nope.pem'));
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.contain('--private-key: cannot read');
    } finally {
      await paypalServer.close();
      await pay.close();
      await fake.close();
    }
  });

  it('refuses to send to a configured host that is not local unless --url names it', async () => {
    const remote = writeConfig(
      tmp.dir,
      'remote.mjs',
      `export default { host: 'shop.example.com', database: ${JSON.stringify(tmp.file('remote.sqlite3'))}, variants: { stripe: { provider: 'stripe', endpointSecret: 'whsec_remote' } } };\n`,
    );
    const { code, stderr } = await runMain([
      'send',
      'stripe',
      'charge.succeeded',
      '--config',
      remote,
    ]);
    expect(code).to.equal(2);
    expect(stderr).to.include(
      'refusing to send a test event to https://shop.example.com/payments/process/stripe/',
    );
    expect(stderr).to.include('pass --url https://shop.example.com if you mean it');
  });
});
