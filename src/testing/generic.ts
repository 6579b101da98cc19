/**
 * Sample data for the providers without a fixed vocabulary (`standard`, `hmac`, `dummy`): a small
 * data object named after the type's first segment (`invoice.paid` → `{ id: 'invoice_...',
 * object: 'invoice' }`).
 */
import { id, isoNow } from './ids.js';
import type { SamplePayload } from './types.js';

/** The data object of a generic sample of `type`. */
export function genericData(type: string): SamplePayload {
  const object = (type.split('.')[0] ?? '').replace(/[^A-Za-z0-9_]/g, '') || 'object';
  return { id: id(`${object}_`), object, created_at: isoNow() };
}
