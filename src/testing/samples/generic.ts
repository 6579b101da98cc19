/**
 * Samples for the providers without a fixed vocabulary: `standard` (Standard Webhooks and Svix),
 * `hmac` (any gateway) and `dummy`. They build an event of any type, with a small data object
 * named after the type's first segment (`invoice.paid` → `{ id: 'invoice_...', object: 'invoice' }`).
 */
import { id, isoNow } from './ids.js';
import type { SampleCatalogue, SamplePayload } from './types.js';

/** The data object of a generic sample. */
function dataFor(type: string): SamplePayload {
  const object = (type.split('.')[0] ?? '').replace(/[^A-Za-z0-9_]/g, '') || 'object';
  return { id: id(`${object}_`), object, created_at: isoNow() };
}

/** Standard Webhooks: `{ type, timestamp, data }`; the id is the `webhook-id` header. */
export const standardSamples: SampleCatalogue = {
  dataPath: ['data'],
  events: {},
  any: (type) => ({ type, timestamp: isoNow(), data: dataFor(type) }),
};

/**
 * The generic `hmac` provider: `{ id, type, created_at, data }`, which a variant configured with
 * `typePath: 'type'` and `idPath: 'id'` reads. `signal.data` is the whole body unless the variant
 * sets `dataPath`.
 */
export const hmacSamples: SampleCatalogue = {
  dataPath: [],
  events: {},
  any: (type) => ({ id: id('evt_'), type, created_at: isoNow(), data: dataFor(type) }),
};

/** The dummy provider: `{ id, type, data }`. */
export const dummySamples: SampleCatalogue = {
  dataPath: ['data'],
  events: {},
  any: (type) => ({ id: id('dummy_evt_'), type, data: dataFor(type) }),
};
