/**
 * The `dummy` provider, for development: it checks no signature. It refuses to start when
 * NODE_ENV=production unless `allowInProduction: true` says that is really meant.
 */
import { createHash } from 'node:crypto';
import { ConfigurationError } from '../../errors.js';
import { dataAt } from '../shared/data-path.js';
import { parseJsonObject, requireString } from '../shared/signature.js';
import type { Provider, ProviderContext, VerifiedEvent, WebhookRequest } from '../types.js';

/** Options of a `provider: 'dummy'` variant. */
export interface DummyOptions {
  /**
   * Allow this unauthenticated variant when NODE_ENV=production.
   * @default false
   */
  allowInProduction?: boolean;
}

/** Where `signal.data` sits in a dummy payload: `data`. */
export const DUMMY_DATA_PATH = ['data'] as const;

const dataOf = dataAt(DUMMY_DATA_PATH);

/**
 * Builds the dummy provider. The body is `{ "type": "...", "id"?: "...", "data"?: {...} }`;
 * without an `id`, the id is the SHA-256 of the body, so the same body is the same event.
 */
export function dummy(options: DummyOptions, context: ProviderContext): Provider {
  if (process.env.NODE_ENV === 'production' && options.allowInProduction !== true) {
    throw new ConfigurationError(
      `variants.${context.variant}.provider`,
      'the dummy provider checks no signature and is refused when NODE_ENV=production; ' +
        'set allowInProduction: true if you really mean it',
      context.variant,
    );
  }
  return {
    name: 'dummy',
    dataOf,
    verify({ rawBody }: WebhookRequest): VerifiedEvent {
      const payload = parseJsonObject(rawBody, 'dummy');
      const type = requireString(payload, 'type', 'dummy');
      const id =
        typeof payload.id === 'string' && payload.id !== ''
          ? payload.id
          : `dummy_${createHash('sha256').update(rawBody).digest('hex').slice(0, 32)}`;
      return { id, type, data: dataOf(payload), payload };
    },
  };
}
