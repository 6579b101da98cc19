/** Signed Stripe `charge.succeeded` webhooks, for tests that only need some event to arrive. */
import { signWebhook } from '../../src/testing/index.js';
import { post } from './server.js';

/** A `charge.succeeded` event with the provider event id `id`. */
export function chargeEvent(id: string) {
  return {
    id,
    object: 'event',
    type: 'charge.succeeded',
    created: 1_700_000_000,
    data: { object: { id: `ch_${id}` } },
  };
}

/** POSTs a signed `charge.succeeded` to the stripe variant's route under `origin`. */
export function sendCharge(origin: string | undefined, id: string, secret: string) {
  const { body, headers } = signWebhook('stripe', { payload: chargeEvent(id), secret });
  return post(`${origin}/payments/process/stripe/`, body, headers);
}
