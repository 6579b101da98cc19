import { expect } from 'chai';
import knexFactory from 'knex';
import {
  ConfigurationError,
  createRegistry,
  type PaymentsSettings,
  payments,
} from '../src/index.js';
import { parseBytes, resolveSettings } from '../src/settings.js';
import { configurationErrorOf } from './helpers/provider.js';
import { tempDir } from './helpers/server.js';

const stripe = { provider: 'stripe', endpointSecret: 'whsec_settings' } as const;

describe('payments() settings', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  function configError(settings: unknown): ConfigurationError {
    return configurationErrorOf(() => {
      const pay = payments({ database: tmp.file(), ...(settings as PaymentsSettings) });
      void pay.close();
    });
  }

  it('refuses an unknown provider, naming the variant and the option', () => {
    const error = configError({ variants: { main: { provider: 'stripee', endpointSecret: 'x' } } });
    expect(error.option).to.equal('variants.main.provider');
    expect(error.variant).to.equal('main');
    expect(error.message).to.match(/unknown provider 'stripee'.*stripe, dummy/);
  });

  it('refuses a missing secret, naming the variant and the option', () => {
    const error = configError({ variants: { eu: { provider: 'stripe' } } });
    expect(error.option).to.equal('variants.eu.endpointSecret');
    expect(error.message).to.match(/is required/);
  });

  it('refuses a variant name that is not URL-safe', () => {
    for (const name of ['Stripe', 'stripe eu', 'stripe/eu', 'strípe', '']) {
      const error = configError({ variants: { [name]: stripe } });
      expect(error.option, name).to.equal(`variants.${name}`);
      expect(error.message).to.match(/lowercase letters, digits, - and _/);
    }
  });

  it('refuses unknown option keys at every level', () => {
    expect(configError({ variants: { stripe }, bodylimit: '1mb' }).option).to.equal('bodylimit');
    expect(configError({ variants: { stripe: { ...stripe, tolerence: 10 } } }).option).to.equal(
      'variants.stripe.tolerence',
    );
    expect(configError({ variants: { stripe }, retry: { maxAttempt: 3 } }).option).to.equal(
      'retry.maxAttempt',
    );
  });

  it('refuses bad values with the option named', () => {
    expect(configError({ variants: {} }).option).to.equal('variants');
    expect(configError({ variants: { stripe }, protocol: 'ftp' }).option).to.equal('protocol');
    expect(configError({ variants: { stripe }, host: 'https://shop.test' }).option).to.equal(
      'host',
    );
    expect(configError({ variants: { stripe }, worker: { poll: 1 } }).option).to.equal(
      'worker.poll',
    );
    expect(configError({ variants: { stripe }, requestLog: { maxBody: 0 } }).option).to.equal(
      'requestLog.maxBody',
    );
    expect(configError({ variants: { stripe }, trustProxy: 'yes' }).option).to.equal('trustProxy');
    expect(configError({ variants: { stripe }, events: { retentionDays: 0 } }).option).to.equal(
      'events.retentionDays',
    );
    expect(configError({ variants: { stripe }, events: { retentionDays: '90d' } }).option).to.equal(
      'events.retentionDays',
    );
    expect(configError({ variants: { stripe }, events: { keepDays: 9 } }).option).to.equal(
      'events.keepDays',
    );
    expect(configError({ variants: { stripe }, events: 'forever' }).option).to.equal('events');
    expect(configError({ variants: { stripe }, dispatch: 'later' }).option).to.equal('dispatch');
    expect(configError({ variants: { stripe }, bodyLimit: 'huge' }).option).to.equal('bodyLimit');
    expect(configError({ variants: { stripe }, retry: { maxAttempts: 0 } }).option).to.equal(
      'retry.maxAttempts',
    );
    expect(configError({ variants: { stripe }, prefix: 'payments' }).option).to.equal('prefix');
    expect(configError({ variants: { stripe }, tablePrefix: 'drop table;' }).option).to.equal(
      'tablePrefix',
    );
    expect(configError({ variants: { stripe }, logger: { info() {} } }).option).to.equal('logger');
    expect(configError({ variants: { stripe }, registry: {} }).option).to.equal('registry');
    expect(configError({ variants: { main: { provider: { name: 'x' } } } }).option).to.equal(
      'variants.main.provider',
    );
  });

  it('refuses a Knex transaction as the database', async () => {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: tmp.file() },
      useNullAsDefault: true,
    });
    try {
      await knex.transaction(async (trx) => {
        expect(() => payments({ database: trx, variants: { stripe } })).to.throw(
          ConfigurationError,
          /transaction/,
        );
      });
    } finally {
      await knex.destroy();
    }
  });

  it('refuses the dummy provider under NODE_ENV=production unless allowInProduction', async () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const error = configError({ variants: { dev: { provider: 'dummy' } } });
      expect(error.option).to.equal('variants.dev.provider');
      const pay = payments({
        database: tmp.file(),
        variants: { dev: { provider: 'dummy', allowInProduction: true } },
      });
      await pay.close();
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  it('accepts a custom provider object', async () => {
    const pay = payments({
      database: tmp.file(),
      registry: createRegistry(),
      variants: {
        acme: {
          provider: {
            name: 'acme',
            verify: () => ({ id: '1', type: 't', data: null, payload: {} }),
          },
        },
      },
    });
    expect(pay.variants).to.deep.equal(['acme']);
    await pay.close();
  });

  it("takes a variant's mode, on built-in and custom providers alike, and refuses other values", async () => {
    const acme = { name: 'acme', verify: () => ({ id: '1', type: 't', data: null, payload: {} }) };
    const pay = payments({
      database: tmp.file(),
      registry: createRegistry(),
      variants: {
        live: { ...stripe, mode: 'live' },
        test: { provider: 'paystack', secretKey: 'sk_test_x', mode: 'test' },
        acme: { provider: acme, mode: 'any' },
      },
    });
    expect(pay.variants).to.deep.equal(['live', 'test', 'acme']);
    await pay.close();
    for (const mode of ['production', true, 'LIVE']) {
      const error = configError({ variants: { stripe: { ...stripe, mode } } });
      expect(error.option).to.equal('variants.stripe.mode');
      expect(error.variant).to.equal('stripe');
      expect(error.message).to.match(/must be 'live', 'test' or 'any'/);
    }
  });

  it('takes retry.deferFor as milliseconds or a duration string, and refuses other values', async () => {
    for (const deferFor of [0, 3_600_000, '24h', '90m']) {
      const pay = payments({ database: tmp.file(), retry: { deferFor }, variants: { stripe } });
      await pay.close();
    }
    for (const deferFor of ['a day', -1, '24 hours', Number.POSITIVE_INFINITY]) {
      const error = configError({ variants: { stripe }, retry: { deferFor } });
      expect(error.option).to.equal('retry.deferFor');
      expect(error.message).to.match(/duration such as '24h'/);
    }
  });

  it('takes trustProxy as true, false or a hop count, and refuses anything else at start-up', async () => {
    for (const trustProxy of [false, true, 1, 2, 32]) {
      expect(resolveSettings({ variants: { stripe }, trustProxy }).trustProxy).to.equal(trustProxy);
      const pay = payments({ database: tmp.file(), trustProxy, variants: { stripe } });
      await pay.close();
    }
    expect(resolveSettings({ variants: { stripe } }).trustProxy).to.equal(false);
    const refused: [unknown, string][] = [
      [0, 'got 0'],
      [-1, 'got -1'],
      [1.5, 'got 1.5'],
      [Number.NaN, 'got NaN'],
      [Number.POSITIVE_INFINITY, 'got Infinity'],
      [33, 'got 33'],
      [1e21, 'got 1e+21'],
      ['1', 'got a string'],
      ['yes', 'got a string'],
      [[1], 'got an array of 1'],
    ];
    for (const [trustProxy, got] of refused) {
      const error = configError({ variants: { stripe }, trustProxy });
      expect(error.option, String(trustProxy)).to.equal('trustProxy');
      expect(error.message).to.contain('must be a whole number from 1 to 32 (how many proxies');
      expect(error.message).to.contain(got);
    }
  });

  it("takes a variant's dedupeGroup, and refuses one that is not a short name", async () => {
    const pay = payments({
      database: tmp.file(),
      variants: {
        old: { ...stripe, dedupeGroup: 'stripe-account' },
        new: { ...stripe, dedupeGroup: 'stripe-account' },
      },
    });
    await pay.close();
    for (const dedupeGroup of ['', 'two words', 7, 'x'.repeat(65)]) {
      const error = configError({ variants: { stripe: { ...stripe, dedupeGroup } } });
      expect(error.option).to.equal('variants.stripe.dedupeGroup');
      expect(error.variant).to.equal('stripe');
    }
  });

  it('applies defaults with ?? so that explicit values, even small ones, are kept', async () => {
    const pay = payments({
      database: tmp.file(),
      host: () => 'dynamic.test:8443',
      protocol: 'http',
      prefix: '/hooks/',
      variants: { stripe },
    });
    expect(pay.webhookUrl('stripe')).to.equal('http://dynamic.test:8443/hooks/stripe/');
    await pay.close();
    const noHost = payments({ database: tmp.file(), variants: { stripe } });
    expect(() => noHost.webhookUrl('stripe')).to.throw(ConfigurationError, /host/);
    await noHost.close();
  });

  it('parses body limits', () => {
    expect(parseBytes('2mb')).to.equal(2 * 1024 * 1024);
    expect(parseBytes('64kb')).to.equal(65536);
    expect(parseBytes(100)).to.equal(100);
    expect(() => parseBytes(0)).to.throw(ConfigurationError);
    expect(() => parseBytes('-1mb')).to.throw(ConfigurationError);
  });

  it('never mutates the caller settings object', async () => {
    const settings: PaymentsSettings = {
      database: tmp.file(),
      variants: { stripe: { ...stripe } },
    };
    const copy = JSON.stringify(settings);
    const pay = payments(settings);
    expect(JSON.stringify(settings)).to.equal(copy);
    await pay.close();
  });
});
