/**
 * Payload depth: a correctly signed body nested deeper than MAX_PAYLOAD_DEPTH is a 400
 * invalid_payload, stored nowhere, on every provider; nothing recurses to the sender's depth.
 */
import { expect } from 'chai';
import { createRegistry } from '../../../src/index.js';
import {
  MAX_PAYLOAD_DEPTH,
  nestsDeeperThan,
  parseJsonObject,
} from '../../../src/providers/shared/signature.js';
import { signWebhook } from '../../../src/testing/index.js';
import { count, DIALECTS } from '../../helpers/databases.js';
import { reasonOf, servedForEach } from '../../helpers/provider.js';
import { post } from '../../helpers/server.js';

/** `{"a":{"a":...{"a":1}...}}` with `depth` objects. */
function nested(depth: number): string {
  return `${'{"a":'.repeat(depth - 1)}{"a":1}${'}'.repeat(depth - 1)}`;
}

describe('payload depth', () => {
  it('counts objects and arrays, not brackets inside strings or after escapes', () => {
    expect(nestsDeeperThan(Buffer.from('{"a":[{"b":[]}]}'), 4)).to.equal(false);
    expect(nestsDeeperThan(Buffer.from('{"a":[{"b":[]}]}'), 3)).to.equal(true);
    const tricky = `{"s":"${'[{'.repeat(100)}\\"${'{'.repeat(100)}","t":"\\\\"}`;
    expect(JSON.parse(tricky)).to.be.an('object');
    expect(nestsDeeperThan(Buffer.from(tricky), 1)).to.equal(false);
    expect(nestsDeeperThan(Buffer.from('{"é":{"ü":1}}'), 1)).to.equal(true);
  });

  it(`accepts ${MAX_PAYLOAD_DEPTH} levels and refuses one more as invalid_payload`, () => {
    expect(parseJsonObject(Buffer.from(nested(MAX_PAYLOAD_DEPTH)), 'test')).to.have.property('a');
    expect(
      reasonOf(() => parseJsonObject(Buffer.from(nested(MAX_PAYLOAD_DEPTH + 1)), 'test')),
    ).to.equal('invalid_payload');
  });

  for (const dialect of DIALECTS)
    describe(`over HTTP on ${dialect}`, () => {
      const ran: string[] = [];
      const served = servedForEach(dialect, (db) => {
        ran.length = 0;
        const registry = createRegistry();
        registry.receiver('*', async function record({ type }) {
          ran.push(type);
        });
        return {
          database: db.setting,
          registry,
          variants: {
            paystack: { provider: 'paystack', secretKey: 'sk_test_depth' },
            flutterwave: { provider: 'flutterwave', secretHash: 'flw-depth-hash' },
          },
        };
      });

      const cases = [
        { variant: 'paystack', secret: 'sk_test_depth', typeField: 'event' },
        { variant: 'flutterwave', secret: 'flw-depth-hash', typeField: 'event' },
      ] as const;

      for (const { variant, secret, typeField } of cases) {
        it(`answers a deeply nested, correctly signed ${variant} webhook 400 and stores nothing`, async () => {
          // A type whose id is a digest of the content: the path that recursed before.
          const deep = `{"${typeField}":"refund.pending","data":{"n":${nested(100_000)}}}`;
          const signed = signWebhook(variant, { payload: deep, secret });
          const res = await post(served.url(variant), signed.body, signed.headers);
          expect(res.status).to.equal(400);
          expect(res.body.error).to.include({
            code: 'invalid_signature',
            reason: 'invalid_payload',
          });
          expect(await count(served.pay.knex, 'payments_events')).to.equal(0);
          expect(ran).to.deep.equal([]);

          const shallow = `{"${typeField}":"refund.pending","data":{"n":${nested(10)}}}`;
          const ok = signWebhook(variant, { payload: shallow, secret });
          expect((await post(served.url(variant), ok.body, ok.headers)).status).to.equal(200);
          expect(ran).to.deep.equal(['refund.pending']);
        });
      }
    });
});
