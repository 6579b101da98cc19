/**
 * Mollie in the testing kit. Without a secret, the "signer" builds a classic webhook: the form
 * `id=tr_…` of the payment given (Mollie signs nothing; the API, or a fake of it, must hold the
 * payment). With a secret (the variant's `signingSecret`), it builds a next-gen webhook: the
 * object wrapped in an event (`resource: 'event'`, `type`, `entityId`, `_embedded.entity`),
 * signed in `X-Mollie-Signature` with the verifier's scheme. Samples in ./samples.ts.
 */
import { createHash } from 'node:crypto';
import type { ProviderTesting, SignedRequest, SignerInput } from '../../testing/types.js';
import { isMolliePayment, molliePaymentChange } from './events.js';
import { mollieSamples } from './samples.js';
import {
  MOLLIE_FORM_CONTENT_TYPE,
  MOLLIE_PAYMENT_ID,
  MOLLIE_SIGNATURE_HEADER,
  mollieClassicBody,
  mollieSignature,
} from './scheme.js';

export { mollieClassicBody, mollieSignature } from './scheme.js';

function fail(message: string): TypeError {
  return new TypeError(`koa-payments/testing: mollie signer: ${message}`);
}

type Json = Record<string, unknown>;

function objectOf(body: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw fail('the payload must be a Mollie object (a payment, a refund, ...) or an event');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw fail('the payload must be a Mollie object (a payment, a refund, ...) or an event');
  }
  return parsed as Json;
}

/** The next-gen event type of an object: a payment's change, `refund.<status>`, ... */
function typeOf(entity: Json): string {
  if (isMolliePayment(entity)) return molliePaymentChange(entity).type;
  if (entity.resource === 'refund') return `refund.${String(entity.status)}`;
  if (entity.resource === 'chargeback') {
    return entity.reversedAt ? 'chargeback.reversed' : 'chargeback.received';
  }
  throw fail(`no next-gen event type for a '${String(entity.resource)}' object; pass the event`);
}

/**
 * The next-gen event carrying `entity`, as Mollie's full payload does. Its id is derived from the
 * object, so the same payload sent twice is a redelivery.
 *
 * @example
 * mollieEvent(samplePayload('mollie', 'payment.paid')).type; // 'payment.paid'
 */
export function mollieEvent(entity: Json, type = typeOf(entity)): Json {
  const digest = createHash('sha256').update(JSON.stringify(entity)).digest('hex');
  const eventId = `event_${digest.slice(0, 22)}`;
  return {
    resource: 'event',
    id: eventId,
    type,
    entityId: entity.id,
    createdAt: `${new Date().toISOString().slice(0, 19)}+00:00`,
    _embedded: { entity },
    _links: {
      self: { href: `https://api.mollie.com/v2/events/${eventId}`, type: 'application/hal+json' },
    },
  };
}

/** A classic webhook (no secret) or a signed next-gen one (see the module comment). */
function signRequest({ body, secret }: SignerInput): SignedRequest {
  if (secret === '') {
    if (/^id=/.test(body)) {
      return { body, headers: { 'content-type': MOLLIE_FORM_CONTENT_TYPE } };
    }
    const payment = objectOf(body);
    const paymentId = payment.resource === 'event' ? payment.entityId : payment.id;
    if (typeof paymentId !== 'string' || !MOLLIE_PAYMENT_ID.test(paymentId)) {
      throw fail(
        'a classic webhook carries a payment id (tr_...); give a payment, or a signingSecret for a next-gen webhook',
      );
    }
    return {
      body: mollieClassicBody(paymentId),
      headers: { 'content-type': MOLLIE_FORM_CONTENT_TYPE },
    };
  }
  const object = objectOf(body);
  const event = object.resource === 'event' ? object : mollieEvent(object);
  const text = JSON.stringify(event);
  return {
    body: text,
    headers: {
      'content-type': 'application/json',
      [MOLLIE_SIGNATURE_HEADER]: mollieSignature(text, secret),
    },
  };
}

/** The testing kit's view of the mollie provider. */
export const testing: ProviderTesting = {
  secretOption: 'signingSecret',
  // Classic webhooks have no secret; without one, the kit builds them.
  secretOptional: true,
  sign: (input) => signRequest(input).headers,
  signRequest,
  samples: mollieSamples,
};
