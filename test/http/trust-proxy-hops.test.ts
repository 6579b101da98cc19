import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { createRegistry, PAYSTACK_IPS } from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { count, DIALECTS } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logs.js';
import { servedForEach } from '../helpers/provider.js';
import { post } from '../helpers/server.js';

const SECRET = 'sk_test_koa_payments_proxy_hops';
const FORGED = PAYSTACK_IPS[0]!; // what a client writes to pass the allow-list
const PAYSTACK = PAYSTACK_IPS[1]!; // what the proxy saw when Paystack itself connected
const CLIENT = '203.0.113.9'; // what the proxy saw when someone else connected

let nextId = 1;
/** A signed charge.success, each a new event (Paystack's event id derives from data.id). */
function signed(reference: string) {
  const payload = {
    event: 'charge.success',
    data: { id: nextId++, reference, domain: 'test', status: 'success', amount: 100 },
  };
  return signWebhook('paystack', { payload, secret: SECRET });
}

/** POSTs with X-Forwarded-For sent as several header lines (fetch would join them itself). */
function postWithHeaderLines(
  url: string,
  body: string,
  headers: Record<string, string>,
  lines: string[],
) {
  return new Promise<number>((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: { ...headers, 'x-forwarded-for': lines, 'content-length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

for (const dialect of DIALECTS)
  describe(`trustProxy as a hop count, through the middleware, on ${dialect}`, () => {
    let logger: ReturnType<typeof recordingLogger>;
    const served = servedForEach(dialect, (db) => {
      logger = recordingLogger();
      const registry = createRegistry();
      registry.receiver('charge.success', async function recordCharge() {});
      return {
        host: 'shop.test',
        database: db.setting,
        registry,
        logger,
        trustProxy: 1,
        variants: {
          guarded: { provider: 'paystack', secretKey: SECRET, allowedIps: true },
          // The deprecated alias reads the first entry; under a hop count it must give way.
          legacy: { provider: 'paystack', secretKey: SECRET, allowedIps: true, trustProxy: true },
        },
      };
    });

    async function remoteIps(): Promise<string[]> {
      const rows = await served.pay.knex('payments_requests').select('remote_ip').orderBy('id');
      return rows.map((row) => row.remote_ip);
    }

    it("refuses a forged first entry and accepts the proxy-appended one, logging the proxy's", async () => {
      const cases: [variant: string, xff: string, status: number][] = [
        ['guarded', `${FORGED}, ${CLIENT}`, 400],
        ['legacy', `${FORGED}, ${CLIENT}`, 400],
        ['guarded', PAYSTACK, 200],
        ['guarded', `10.9.9.9, ${PAYSTACK}`, 200],
        ['legacy', `${CLIENT}, ${PAYSTACK}:443`, 200],
      ];
      for (const [index, [variant, xff, status]] of cases.entries()) {
        const { body, headers } = signed(`ref_${index}`);
        const res = await post(served.url(variant), body, { ...headers, 'x-forwarded-for': xff });
        expect(res.status, `${variant} ${xff}`).to.equal(status);
        if (status === 400) expect(res.body.error.reason).to.equal('ip_not_allowed');
      }
      expect(await remoteIps()).to.deep.equal([CLIENT, CLIENT, PAYSTACK, PAYSTACK, PAYSTACK]);
      expect(await count(served.pay.knex, 'payments_events')).to.equal(3);
      const warning = logger.at('warn').find((entry) => entry.fields.variant === 'legacy');
      expect(warning?.message).to.match(/deprecated.*Ignored here: the top-level trustProxy/);
    });

    it('reads several X-Forwarded-For lines as one list: the last line is the proxy-appended one', async () => {
      const forged = signed('ref_lines_forged');
      const forgedStatus = await postWithHeaderLines(
        served.url('guarded'),
        forged.body,
        forged.headers,
        [FORGED, CLIENT],
      );
      expect(forgedStatus).to.equal(400);
      const genuine = signed('ref_lines_genuine');
      const genuineStatus = await postWithHeaderLines(
        served.url('guarded'),
        genuine.body,
        genuine.headers,
        [`${CLIENT}, 10.9.9.9`, PAYSTACK],
      );
      expect(genuineStatus).to.equal(200);
      expect(await remoteIps()).to.deep.equal([CLIENT, PAYSTACK]);
      expect(await count(served.pay.knex, 'payments_events')).to.equal(1);
    });

    it('takes the socket address when the proxy-appended entry is no address', async () => {
      const { body, headers } = signed('ref_garbage');
      const res = await post(served.url('guarded'), body, {
        ...headers,
        'x-forwarded-for': `${FORGED}, unknown`,
      });
      expect(res.status).to.equal(400);
      expect(res.body.error.reason).to.equal('ip_not_allowed');
      expect(await remoteIps()).to.deep.equal(['127.0.0.1']);
    });
  });
