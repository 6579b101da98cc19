/**
 * A variant's signing secret as an async resolver `(request) => string | string[]`: resolved per
 * request, cached per key with a bounded TTL (an injected clock, no sleeps) and size, never
 * logged; a resolver that throws, times out or returns no valid secret answers 503
 * `secret_unavailable` with nothing stored. Over HTTP on SQLite and Postgres.
 */
import { expect } from 'chai';
import {
  ConfigurationError,
  createRegistry,
  payments,
  type VariantSettings,
} from '../../../src/index.js';
import { builtinProviders } from '../../../src/providers/index.js';
import { resolvingProvider } from '../../../src/providers/shared/secret-resolver.js';
import type { SecretResolver, WebhookRequest } from '../../../src/providers/types.js';
import { samplePayload, signWebhook } from '../../../src/testing/index.js';
import { count, DIALECTS } from '../../helpers/databases.js';
import { configurationErrorOf, recordingLogger, servedForEach } from '../../helpers/provider.js';
import { post } from '../../helpers/server.js';

/** What the test resolver does. */
type Behaviour = 'secret' | 'throw' | 'hang' | 'invalid';

const SECRETS: Record<string, string> = {
  a: 'whsec_tenant_a_secret',
  b: 'whsec_tenant_b_secret',
};

function tenantOf(request: WebhookRequest): string {
  return new URL(request.url).searchParams.get('tenant') ?? '';
}

function signed(tenant: string) {
  const event = samplePayload('stripe', 'charge.succeeded');
  const secret = SECRETS[tenant] ?? 'whsec_unknown';
  return { event, ...signWebhook('stripe', { payload: event, secret }) };
}

describe('secret resolvers: configuration', () => {
  const base = { variants: {}, database: ':memory:' };

  it('refuses secretCache when the secret is not a resolver', () => {
    const error = configurationErrorOf(() =>
      payments({
        ...base,
        variants: {
          s: { provider: 'stripe', endpointSecret: 'whsec_x', secretCache: { ttlMs: 1000 } },
        },
      }),
    );
    expect(error.option).to.equal('variants.s.secretCache');
  });

  it("refuses a resolver for a provider whose secret is also its API key (Paystack's secretKey)", () => {
    const error = configurationErrorOf(() =>
      payments({
        ...base,
        variants: {
          p: { provider: 'paystack', secretKey: (async () => 'sk_test_x') as never },
        },
      }),
    );
    expect(error.option).to.equal('variants.p.secretKey');
    expect(error.message).to.contain('cannot be a resolver function');
  });

  it('validates the other options at start-up, and secretCache itself', () => {
    const resolver: SecretResolver = async () => 'whsec_x';
    expect(
      configurationErrorOf(() =>
        payments({
          ...base,
          variants: { s: { provider: 'stripe', endpointSecret: resolver, tolerance: -1 } },
        }),
      ).option,
    ).to.equal('variants.s.tolerance');
    for (const [cache, option] of [
      [{ ttlMs: -1 }, 'variants.s.secretCache.ttlMs'],
      [{ maxEntries: 0 }, 'variants.s.secretCache.maxEntries'],
      [{ timeoutMs: 1.5 }, 'variants.s.secretCache.timeoutMs'],
      [{ key: 'url' }, 'variants.s.secretCache.key'],
      [{ ttl: 5 }, 'variants.s.secretCache.ttl'],
    ] as const) {
      const error = configurationErrorOf(() =>
        payments({
          ...base,
          variants: {
            s: { provider: 'stripe', endpointSecret: resolver, secretCache: cache as never },
          },
        }),
      );
      expect(error).to.be.instanceOf(ConfigurationError);
      expect(error.option).to.equal(option);
    }
  });
});

for (const dialect of DIALECTS)
  describe(`secret resolvers over HTTP on ${dialect}`, () => {
    const calls: string[] = [];
    const received: unknown[] = [];
    const { lines, logger } = recordingLogger();
    let clock = 1_000_000;
    let behaviour: Behaviour = 'secret';
    let release: (() => void) | undefined;

    beforeEach(() => {
      calls.length = 0;
      received.length = 0;
      lines.length = 0;
      clock = 1_000_000;
      behaviour = 'secret';
      release = undefined;
    });

    const resolver: SecretResolver = async (request) => {
      const tenant = tenantOf(request);
      calls.push(tenant);
      if (behaviour === 'throw') throw new Error('tenant store down');
      if (behaviour === 'hang') return new Promise<string>(() => {});
      if (behaviour === 'invalid') return 'sk_test_an_api_key_by_mistake';
      if (release !== undefined)
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      return SECRETS[tenant] ?? [];
    };

    const served = servedForEach(dialect, (db) => {
      const registry = createRegistry();
      registry.receiver('*', async function record({ data }) {
        received.push(data);
      });
      const context = { webhookUrl: () => '', logger, now: () => clock };
      const build = (variant: string, cache: object) =>
        resolvingProvider(
          builtinProviders.stripe,
          { endpointSecret: resolver },
          { ...context, variant },
          cache,
        );
      return {
        database: db.setting,
        registry,
        logger,
        variants: {
          // As users configure it.
          configured: { provider: 'stripe', endpointSecret: resolver } as VariantSettings,
          timed: { provider: build('timed', { ttlMs: 60_000, maxEntries: 2, timeoutMs: 50 }) },
          tiny: { provider: build('tiny', { maxEntries: 1 }) },
        },
      };
    });

    const url = (variant: string, tenant: string) => `${served.url(variant)}?tenant=${tenant}`;

    it("verifies each tenant's webhook with the secret its resolver returns, and refuses another tenant's", async () => {
      const a = signed('a');
      const ok = await post(url('configured', 'a'), a.body, a.headers);
      expect(ok.body).to.deep.equal({ received: true, event: a.event.id, duplicate: false });
      const b = signed('b');
      const okB = await post(url('configured', 'b'), b.body, b.headers);
      expect(okB.status).to.equal(200);
      const crossed = signed('b');
      const refused = await post(url('configured', 'a'), crossed.body, crossed.headers);
      expect(refused.status).to.equal(400);
      expect(refused.body.error.reason).to.equal('no_matching_signature');
      expect(await count(served.pay.knex, 'payments_events')).to.equal(2);
      expect(received).to.have.length(2);
    });

    it('reuses a resolved secret within the TTL and resolves again once it has passed (injected clock)', async () => {
      for (let i = 0; i < 3; i++) {
        const a = signed('a');
        expect((await post(url('timed', 'a'), a.body, a.headers)).status).to.equal(200);
      }
      expect(calls).to.deep.equal(['a']);
      clock += 59_999;
      const stillCached = signed('a');
      await post(url('timed', 'a'), stillCached.body, stillCached.headers);
      expect(calls).to.deep.equal(['a']);
      clock += 1;
      const expired = signed('a');
      expect((await post(url('timed', 'a'), expired.body, expired.headers)).status).to.equal(200);
      expect(calls).to.deep.equal(['a', 'a']);
    });

    it('keeps at most maxEntries keys, dropping the least recently used', async () => {
      for (const tenant of ['a', 'b', 'a']) {
        const webhook = signed(tenant);
        expect((await post(url('tiny', tenant), webhook.body, webhook.headers)).status).to.equal(
          200,
        );
      }
      expect(calls).to.deep.equal(['a', 'b', 'a']);
    });

    it('resolves once for two requests of one key sent together', async () => {
      release = () => {};
      const first = signed('a');
      const second = signed('a');
      const answers = Promise.all([
        post(url('timed', 'a'), first.body, first.headers),
        post(url('timed', 'a'), second.body, second.headers),
      ]);
      // Both requests are waiting on one resolution: let it finish.
      while (calls.length === 0) await new Promise((resolve) => setImmediate(resolve));
      (release as () => void)();
      const statuses = (await answers).map((answer) => answer.status);
      expect(statuses).to.deep.equal([200, 200]);
      expect(calls).to.deep.equal(['a']);
    });

    const failures: [string, Behaviour, string][] = [
      ['throws', 'throw', 'failed'],
      ['times out', 'hang', 'failed'],
      ['returns something that is not a valid secret', 'invalid', 'returned no valid secret'],
    ];
    for (const [what, how, logged] of failures) {
      it(`answers 503 secret_unavailable when the resolver ${what}, storing nothing and caching nothing`, async () => {
        behaviour = how;
        const a = signed('a');
        const res = await post(url('timed', 'a'), a.body, a.headers);
        expect(res.status).to.equal(503);
        expect(res.body.error.code).to.equal('secret_unavailable');
        expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
        expect(received).to.deep.equal([]);
        const [line] = await served.pay.knex('payments_requests');
        expect(line).to.include({ status_code: 503, error: 'secret_unavailable', event: null });
        const error = lines.find((l) => l.level === 'error');
        expect(error?.message).to.contain(logged);
        expect(error?.fields).to.include({ variant: 'timed', option: 'endpointSecret' });
        const text = JSON.stringify([res.body, lines]);
        expect(text).not.to.contain('sk_test_an_api_key_by_mistake');
        expect(text).not.to.contain(SECRETS.a);
        // The provider's redelivery, once the resolver answers, is stored.
        behaviour = 'secret';
        const retried = await post(url('timed', 'a'), a.body, a.headers);
        expect(retried.body).to.deep.equal({ received: true, event: a.event.id, duplicate: false });
      });
    }
  });
