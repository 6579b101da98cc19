/**
 * The ids koa-payments stores for Flutterwave events, which carry none of their own: derived from
 * the payload, the same way for a webhook and for a transaction fetched from the API.
 */
import { contentKey } from '../shared/content-key.js';

/** Where `signal.data` sits in a Flutterwave event: `data`. */
export const FLUTTERWAVE_DATA_PATH = ['data'] as const;

/** A field usable in an id: a non-empty string or a finite number. */
function idPart(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * The id koa-payments stores for a Flutterwave event: `<type>:<data.id>:<data.status>`, e.g.
 * `charge.completed:285959875:successful` (v3) or `charge.completed:chg_Hq4oBRTJ4r:succeeded`
 * (v4); without a status, `<type>:<data.id>`. The status is part of it because a charge or a
 * transfer that changes state is a new event, while a redelivery carries the same state. Data
 * without an id falls back to a digest of its content: `<type>:sha256-<32 hex>`.
 */
export function flutterwaveEventId(type: string, data: unknown): string {
  const record =
    data !== null && typeof data === 'object' && !Array.isArray(data)
      ? (data as Record<string, unknown>)
      : {};
  const id = idPart(record.id);
  if (id === undefined) return `${type}:${contentKey(data)}`;
  const status = idPart(record.status);
  return status === undefined ? `${type}:${id}` : `${type}:${id}:${status}`;
}
