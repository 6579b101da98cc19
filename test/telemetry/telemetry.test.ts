import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { expect } from 'chai';
import {
  ConfigurationError,
  createRegistry,
  type Payments,
  type PaymentsSettings,
  payments,
  type Registry,
} from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { chargeEvent, sendCharge } from '../helpers/charges.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { type MemorySdk, memorySdk, points } from '../helpers/otel.js';
import { appWith, listen, post, type TestServer } from '../helpers/server.js';

const SECRET = 'whsec_telemetry_test';

class MailerDown extends Error {}

/** Every attribute value of every metric point and span, as strings. */
function attributeValues(sdkMetrics: Map<string, { dataPoints: unknown[] }>, sdk: MemorySdk) {
  const values: string[] = [];
  for (const metric of sdkMetrics.values()) {
    for (const point of metric.dataPoints as { attributes: Record<string, unknown> }[]) {
      values.push(...Object.values(point.attributes).map(String));
    }
  }
  for (const span of sdk.spans()) values.push(...Object.values(span.attributes).map(String));
  return values;
}

/** How many values a histogram recorded, over all its points. */
function recorded(metric: unknown): number {
  return (metric as HistogramMetricData | undefined)?.dataPoints.reduce(
    (n, p) => n + p.value.count,
    0,
  ) as number;
}

for (const dialect of DIALECTS)
  describe(`OpenTelemetry on ${dialect}`, () => {
    let db: TestDatabase;
    let registry: Registry;
    let sdk: MemorySdk;
    let pay: Payments | undefined;
    let server: TestServer | undefined;

    async function start(settings: Partial<PaymentsSettings> = {}): Promise<Payments> {
      pay = payments({
        database: db.setting,
        registry,
        worker: false,
        logger: false,
        retry: { maxAttempts: 2 },
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET, expectEvery: '6h' } },
        telemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
        ...settings,
      });
      await pay.migrate();
      server = await listen(appWith(pay));
      return pay;
    }

    before(() => {
      // Spans find their parent through the active context, as under the Node SDK.
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    });
    after(() => {
      context.disable();
    });
    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      sdk = memorySdk();
      registry = createRegistry();
      registry.receiver('charge.succeeded', async function ledger() {}, { name: 'ledger' });
      registry.receiver(
        'charge.succeeded',
        async function mailer() {
          throw new MailerDown('the mail service is down');
        },
        { name: 'mailer' },
      );
    });
    afterEach(async () => {
      await server?.close();
      await pay?.close();
      server = undefined;
      pay = undefined;
      await sdk.shutdown();
      await db.cleanup();
    });

    it('counts webhooks by variant, provider and outcome, and deliveries by receiver and outcome', async () => {
      await start();
      expect((await sendCharge(server?.origin, 'evt_tel_1', SECRET)).status).to.equal(200);
      // A redelivery: the failed mailer runs again at once, and dies (maxAttempts: 2).
      expect((await sendCharge(server?.origin, 'evt_tel_1', SECRET)).status).to.equal(200);
      const forged = signWebhook('stripe', { payload: chargeEvent('evt_tel_2'), secret: 'wrong' });
      const refused = await post(
        `${server?.origin}/payments/process/stripe/`,
        forged.body,
        forged.headers,
      );
      expect(refused.status).to.equal(400);
      const unknown = await post(`${server?.origin}/payments/process/nope/`, '{}', {});
      expect(unknown.status).to.equal(404);

      const m = await sdk.metrics();
      const stripe = { provider: 'stripe', variant: 'stripe' };
      expect(points(m.get('payments.webhooks'))).to.deep.equal([
        [{ 'error.type': 'invalid_signature', outcome: 'refused', ...stripe }, 1],
        [{ 'error.type': 'unknown_variant', outcome: 'refused' }, 1],
        [{ outcome: 'duplicate', ...stripe }, 1],
        [{ outcome: 'stored', ...stripe }, 1],
      ]);
      expect(points(m.get('payments.deliveries'))).to.deep.equal([
        [{ 'error.type': 'MailerDown', outcome: 'dead', receiver: 'mailer' }, 1],
        [{ 'error.type': 'MailerDown', outcome: 'failed', receiver: 'mailer' }, 1],
        [{ outcome: 'succeeded', receiver: 'ledger' }, 1],
      ]);
      expect(recorded(m.get('payments.webhook.duration'))).to.equal(3);
      expect(recorded(m.get('payments.delivery.duration'))).to.equal(3);
      expect(m.get('payments.webhook.duration')?.descriptor.unit).to.equal('s');
      // The gauges: one series per registered receiver, 0 included; the silence of the variant.
      expect(points(m.get('payments.deliveries.dead'))).to.deep.equal([
        [{ receiver: 'ledger' }, 0],
        [{ receiver: 'mailer' }, 1],
      ]);
      expect(points(m.get('payments.deliveries.due'))).to.deep.equal([
        [{ receiver: 'ledger' }, 0],
        [{ receiver: 'mailer' }, 0],
      ]);
      expect(points(m.get('payments.variant.silent'))).to.deep.equal([[{ variant: 'stripe' }, 0]]);
    });

    it("traces each webhook with its receivers' runs as children, and marks a failed run", async () => {
      await start();
      await sendCharge(server?.origin, 'evt_tel_3', SECRET);
      const spans = sdk.spans();
      const webhook = spans.filter((s) => s.name === 'payments.webhook');
      expect(webhook).to.have.length(1);
      expect(webhook[0]?.attributes).to.deep.equal({
        variant: 'stripe',
        provider: 'stripe',
        outcome: 'stored',
      });
      const runs = spans
        .filter((s) => s.name === 'payments.receiver')
        .sort((a, b) => String(a.attributes.receiver).localeCompare(String(b.attributes.receiver)));
      expect(runs.map((s) => s.attributes)).to.deep.equal([
        { receiver: 'ledger', variant: 'stripe', attempt: 1, outcome: 'succeeded' },
        {
          receiver: 'mailer',
          variant: 'stripe',
          attempt: 1,
          outcome: 'failed',
          'error.type': 'MailerDown',
        },
      ]);
      for (const run of runs) {
        expect(run.parentSpanContext?.spanId).to.equal(webhook[0]?.spanContext().spanId);
      }
      expect(runs[1]?.status).to.deep.include({ code: 2 }); // ERROR
      expect(runs[1]?.events.map((e) => e.name)).to.deep.equal(['exception']);
      expect(runs[0]?.status.code).to.equal(0); // UNSET
    });

    it('never puts an event id or a payload value in an attribute or a span name', async () => {
      await start();
      await sendCharge(server?.origin, 'evt_secret_id', SECRET);
      await sendCharge(server?.origin, 'evt_secret_id', SECRET);
      await pay?.runDueDeliveries();
      const values = attributeValues(await sdk.metrics(), sdk);
      expect(values).to.not.be.empty;
      for (const value of values) {
        expect(value).to.not.match(/evt_|ch_|whsec_/);
      }
      expect(new Set(sdk.spans().map((s) => s.name))).to.deep.equal(
        new Set(['payments.webhook', 'payments.receiver']),
      );
    });
  });

describe('OpenTelemetry through the global providers', () => {
  let db: TestDatabase;
  let pay: Payments | undefined;
  let server: TestServer | undefined;
  let sdk: MemorySdk;

  beforeEach(async () => {
    db = await createTestDatabase('sqlite');
    sdk = memorySdk();
  });
  afterEach(async () => {
    metrics.disable();
    trace.disable();
    await server?.close();
    await pay?.close();
    server = undefined;
    pay = undefined;
    await sdk.shutdown();
    await db.cleanup();
  });

  async function start(settings: Partial<PaymentsSettings> = {}): Promise<void> {
    const registry = createRegistry();
    registry.receiver('charge.succeeded', async function ledger() {});
    pay = payments({
      database: db.setting,
      registry,
      worker: false,
      logger: false,
      variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      ...settings,
    });
    await pay.migrate();
    server = await listen(appWith(pay));
  }

  it('uses an SDK registered after payments() from the next webhook on', async () => {
    await start();
    await sendCharge(server?.origin, 'evt_before_sdk', SECRET); // no SDK yet: nothing recorded
    metrics.setGlobalMeterProvider(sdk.meterProvider);
    trace.setGlobalTracerProvider(sdk.tracerProvider);
    await sendCharge(server?.origin, 'evt_after_sdk', SECRET);
    const m = await sdk.metrics();
    expect(points(m.get('payments.webhooks'))).to.deep.equal([
      [{ outcome: 'stored', provider: 'stripe', variant: 'stripe' }, 1],
    ]);
    expect(points(m.get('payments.deliveries.dead'))).to.deep.equal([[{ receiver: 'ledger' }, 0]]);
    expect(sdk.spans().map((s) => s.name)).to.have.members([
      'payments.webhook',
      'payments.receiver',
    ]);
  });

  it('records nothing with telemetry: false', async () => {
    metrics.setGlobalMeterProvider(sdk.meterProvider);
    trace.setGlobalTracerProvider(sdk.tracerProvider);
    await start({ telemetry: false });
    expect((await sendCharge(server?.origin, 'evt_off', SECRET)).status).to.equal(200);
    const m = await sdk.metrics();
    expect([...m.keys()].filter((name) => name.startsWith('payments.'))).to.deep.equal([]);
    expect(sdk.spans()).to.deep.equal([]);
  });

  it('refuses a telemetry setting that is not false or a pair of providers', () => {
    const variants = { stripe: { provider: 'stripe' as const, endpointSecret: SECRET } };
    for (const [telemetry, option] of [
      ['on', 'telemetry'],
      [{ meterProvider: {} }, 'telemetry.meterProvider'],
      [{ tracerProvider: { getMeter() {} } }, 'telemetry.tracerProvider'],
      [{ exporter: {} }, 'telemetry.exporter'],
    ] as const) {
      expect(() =>
        payments({
          database: db.setting,
          worker: false,
          variants,
          telemetry: telemetry as never,
        }),
      )
        .to.throw(ConfigurationError)
        .with.property('option', option);
    }
  });
});
