/** Standard Webhooks in the testing kit: signs with the verifier's scheme; samples of any type. */
import { createHash, randomBytes } from 'node:crypto';
import { genericData } from '../../testing/generic.js';
import { isoNow } from '../../testing/ids.js';
import type { ProviderTesting, SignerInput } from '../../testing/types.js';
import { standardSignatureHeader } from './scheme.js';
import { STANDARD_DATA_PATH } from './verify.js';

export { standardSignatureHeader } from './scheme.js';

/**
 * Headers a Standard Webhooks sender sends with `body`: `webhook-id` (`input.id`, else a fresh
 * `msg_...`), `webhook-timestamp`, `webhook-signature`; the `svix-*` names instead when
 * `options.svix` is true.
 */
function sign({ body, secret, timestamp, id, options }: SignerInput): Record<string, string> {
  const messageId = id ?? `msg_${randomBytes(16).toString('hex')}`;
  const prefix = options?.svix === true ? 'svix' : 'webhook';
  return {
    [`${prefix}-id`]: messageId,
    [`${prefix}-timestamp`]: String(timestamp),
    [`${prefix}-signature`]: standardSignatureHeader(body, secret, messageId, timestamp),
  };
}

/** The testing kit's view of the standard provider. */
export const testing: ProviderTesting = {
  secretOption: 'secret',
  sign,
  samples: {
    dataPath: STANDARD_DATA_PATH,
    events: {},
    // Standard Webhooks: `{ type, timestamp, data }`; the id is the `webhook-id` header.
    any: (type) => ({ type, timestamp: isoNow(), data: genericData(type) }),
  },
  // Derived from the body, so that sending the same payload twice is a redelivery, while two
  // samples (fresh ids inside) are two events.
  messageIdOf: (body) => `msg_${createHash('sha256').update(body).digest('hex').slice(0, 32)}`,
};
