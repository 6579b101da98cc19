import { createServer } from 'node:net';
import { expect } from 'chai';
import {
  NotFoundAtProviderError,
  ProviderUnavailableError,
} from '../../../src/providers/shared/api-errors.js';
import {
  ApiClient,
  type ApiClientConfig,
  parseRetryAfter,
} from '../../../src/providers/shared/http.js';
import { LoopbackFake } from '../../fakes/server.js';
import { recordingLogger, rejection } from '../../helpers/provider.js';

const KEY = 'sk_test_http_client_secret_1234';

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('provider API HTTP client', () => {
  let fake: LoopbackFake;
  const slept: number[] = [];
  const log = recordingLogger();

  function client(options: Partial<ApiClientConfig> = {}): ApiClient {
    return new ApiClient({
      provider: 'acme',
      label: 'Acme',
      baseUrl: new URL(`${fake.origin}/proxy`),
      headers: { authorization: `Bearer ${KEY}` },
      sleep: async (ms) => {
        slept.push(ms);
      },
      random: () => 0.5,
      logger: log.logger,
      ...options,
    });
  }

  beforeEach(async () => {
    slept.length = 0;
    log.lines.length = 0;
    fake = await new LoopbackFake(() => ({ status: 200, body: { ok: true } })).start();
  });
  afterEach(() => fake.close());

  it('sends the credentials and the query under the base path, and parses the JSON', async () => {
    const body = await client().getJson(
      { path: '/things/a b', query: { page: 2, from: undefined, tag: ['x', 'y'] } },
      'thing a b',
    );
    expect(body).to.deep.equal({ ok: true });
    const [seen] = fake.requests;
    expect(seen?.path).to.equal('/proxy/things/a%20b');
    expect(seen?.query.toString()).to.equal('page=2&tag=x&tag=y');
    expect(seen?.headers.authorization).to.equal(`Bearer ${KEY}`);
    expect(seen?.headers.accept).to.equal('application/json');
    expect(slept).to.deep.equal([]);
  });

  it('retries a 500 with exponential backoff and full jitter, then succeeds', async () => {
    fake.script('/proxy/flaky', { status: 500, body: {} }, { status: 502, body: 'Bad gateway' });
    const response = await client({ baseDelayMs: 100 }).send({ method: 'GET', path: '/flaky' });
    expect(response.status).to.equal(200);
    expect(response.attempts).to.equal(3);
    expect(fake.seen('/proxy/flaky')).to.have.length(3);
    // random() = 0.5 of the ceilings 100 * 2^0 and 100 * 2^1.
    expect(slept).to.deep.equal([50, 100]);
    const retries = log.lines.filter((line) => line.message.includes('retrying'));
    expect(retries.map((line) => line.fields.reason)).to.deep.equal(['500', '502']);
  });

  it('caps the backoff at maxDelayMs', async () => {
    fake.script('/proxy/flaky', { status: 503 }, { status: 503 }, { status: 503 });
    await client({ baseDelayMs: 1000, maxDelayMs: 1500, maxRetries: 3, random: () => 0.999 }).send({
      method: 'GET',
      path: '/flaky',
    });
    expect(slept).to.deep.equal([999, 1499, 1499]);
  });

  it("waits a 429's Retry-After, in seconds or as an HTTP date", async () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    fake.script(
      '/proxy/limited',
      { status: 429, headers: { 'retry-after': '2' } },
      { status: 429, headers: { 'retry-after': 'Mon, 23 Nov 2026 10:00:03 GMT' } },
    );
    const response = await client({ now: () => now }).send({ method: 'GET', path: '/limited' });
    expect(response.status).to.equal(200);
    expect(slept).to.deep.equal([2000, 3000]);
  });

  it('gives up at once on a Retry-After longer than the cap, keeping it on the error', async () => {
    fake.script('/proxy/limited', { status: 429, headers: { 'retry-after': '120' } });
    const error = await rejection(
      client({ maxRetryAfterMs: 10_000 }).getJson({ path: '/limited' }, 'limit'),
    );
    expect(error).to.be.instanceOf(ProviderUnavailableError);
    expect(error).to.include({
      code: 'provider_unavailable',
      status: 503,
      reason: 'rate_limited',
      retryAfterMs: 120_000,
      providerStatus: 429,
      path: '/proxy/limited',
    });
    expect(fake.seen('/proxy/limited')).to.have.length(1);
    expect(slept).to.deep.equal([]);
  });

  it('ends with server_error after the retries of a failing server', async () => {
    fake.script('/proxy/down', { status: 500 }, { status: 500 }, { status: 500 });
    const error = await rejection(client().getJson({ path: '/down' }, 'thing'));
    expect(error).to.include({ reason: 'server_error', providerStatus: 500 });
    expect(error.message).to.equal('The Acme API failed GET /proxy/down (500) (3 attempts).');
    expect(fake.seen('/proxy/down')).to.have.length(3);
  });

  it('does not retry a 4xx, and maps 404 to not_found_at_provider and 401 to unauthorized', async () => {
    fake.script('/proxy/missing', { status: 404, body: { message: 'nope' } });
    const missing = await rejection(client().getJson({ path: '/missing' }, 'thing 42'));
    expect(missing).to.be.instanceOf(NotFoundAtProviderError);
    expect(missing).to.include({ code: 'not_found_at_provider', status: 400, providerStatus: 404 });
    expect(missing.message).to.equal('Acme has no thing 42 (GET /proxy/missing (404)).');
    fake.script('/proxy/locked', { status: 401, body: { message: 'Invalid key' } });
    const locked = await rejection(client().getJson({ path: '/locked' }, 'thing'));
    expect(locked).to.include({ reason: 'unauthorized', providerStatus: 401 });
    fake.script('/proxy/odd', { status: 422 });
    expect(await rejection(client().getJson({ path: '/odd' }, 'thing'))).to.include({
      reason: 'rejected',
    });
    expect(fake.requests).to.have.length(3);
    expect(slept).to.deep.equal([]);
  });

  it('reports a 2xx that is not JSON as invalid_response', async () => {
    fake.script('/proxy/html', { status: 200, body: '<html>maintenance</html>' });
    expect(await rejection(client().getJson({ path: '/html' }, 'thing'))).to.include({
      reason: 'invalid_response',
    });
  });

  it('fails a hung socket within the timeout on every attempt: timeout', async () => {
    fake.script('/proxy/hung', 'hang', 'hang', 'hang');
    const started = Date.now();
    const error = await rejection(client({ timeoutMs: 80 }).getJson({ path: '/hung' }, 'thing'));
    const elapsed = Date.now() - started;
    expect(error).to.be.instanceOf(ProviderUnavailableError);
    expect(error).to.include({ reason: 'timeout', providerStatus: undefined });
    expect(error.message).to.equal(
      'The Acme API did not answer GET /proxy/hung: no answer within 80 ms, 3 attempts.',
    );
    expect(fake.seen('/proxy/hung')).to.have.length(3);
    expect(elapsed).to.be.lessThan(2000);
  });

  it('times out a response whose body stalls after the headers', async () => {
    fake.script('/proxy/stall', 'stall');
    const error = await rejection(
      client({ timeoutMs: 80, maxRetries: 0 }).getJson({ path: '/stall' }, 'thing'),
    );
    expect(error).to.include({ reason: 'timeout' });
    expect(error.message).to.match(/1 attempt\.$/);
  });

  it('retries a refused connection, then reports network', async () => {
    const port = await closedPort();
    const error = await rejection(
      client({ baseUrl: new URL(`http://127.0.0.1:${port}`) }).getJson({ path: '/x' }, 'thing'),
    );
    expect(error).to.include({ reason: 'network', path: '/x' });
    expect(slept).to.have.length(2);
  });

  it('sends every attempt of a POST with one idempotency key, and none on a GET', async () => {
    fake.script('/proxy/create', { status: 500 }, { status: 503 });
    await client().send({ method: 'POST', path: '/create', body: '{}' });
    const keys = fake.seen('/proxy/create').map((request) => request.headers['idempotency-key']);
    expect(keys).to.have.length(3);
    expect(keys[0]).to.match(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).to.equal(1);
    await client().send({ method: 'GET', path: '/read' });
    expect(fake.seen('/proxy/read')[0]?.headers['idempotency-key']).to.equal(undefined);
  });

  it('keeps the API key and the query out of errors and log lines', async () => {
    fake.script('/proxy/secret', { status: 500 }, { status: 500 }, { status: 500 });
    const error = await rejection(
      client().getJson({ path: '/secret', query: { token: 'QUERY_SECRET' } }, 'thing'),
    );
    const text = `${error.message} ${JSON.stringify(error)} ${JSON.stringify(log.lines)}`;
    expect(text).not.to.contain(KEY);
    expect(text).not.to.contain('QUERY_SECRET');
    expect((error as ProviderUnavailableError).path).to.equal('/proxy/secret');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-23T10:00:00Z');

  it('reads delay-seconds and HTTP dates, and nothing else', () => {
    expect(parseRetryAfter('3', now)).to.equal(3000);
    expect(parseRetryAfter(' 0 ', now)).to.equal(0);
    expect(parseRetryAfter('Mon, 23 Nov 2026 10:00:05 GMT', now)).to.equal(5000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 09:00:00 GMT', now)).to.equal(0);
    expect(parseRetryAfter(null, now)).to.equal(undefined);
    expect(parseRetryAfter('soon', now)).to.equal(undefined);
  });
});
