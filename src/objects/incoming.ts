/**
 * What an incoming event's facts ask of the storing transaction and of its first dispatch: the
 * object to write to the mirror, and the payment signal to emit with the receivers that listen
 * to it.
 */
import type { Provider, VerifiedEvent } from '../providers/types.js';
import type { RegistryCore } from '../signals/registry.js';
import type { PaymentEmission } from '../store/store-event.js';
import type { Logger } from '../types.js';
import { type PaymentSignal, paymentFactsOf, readFacts } from './facts.js';
import { type ObjectWrite, objectWrite } from './mirror.js';

/** See {@link incomingFacts}. */
export interface IncomingFacts {
  /** The object for the mirror, when the event names one. */
  object?: ObjectWrite | undefined;
  /** The payment signal, when the event reports one that a receiver listens to. */
  payment?: PaymentSignal | undefined;
  /** Its emission: the key and the receivers, for the storing transaction. */
  emission?: PaymentEmission | undefined;
}

/** Reads a verified event's facts (logging what is wrong with them) for `variant`. */
export function incomingFacts(
  provider: Provider,
  verified: VerifiedEvent,
  variant: string,
  receivedAt: Date,
  registry: RegistryCore,
  options: {
    logger: Logger;
    /**
     * Whether the payload text the event is stored with parses to `verified.payload`, so that
     * a mirror entry may point into it instead of holding a copy (src/objects/mirror.ts).
     */
    payloadIsStored: boolean;
  },
): IncomingFacts {
  const { logger, payloadIsStored } = options;
  const facts = readFacts(
    provider,
    verified.payload,
    { variant, eventId: verified.id, type: verified.type },
    logger,
  );
  const result: IncomingFacts = {};
  if (facts.object !== undefined) {
    // A tie can be settled by asking the provider only where the variant has API access.
    result.object = objectWrite(
      facts.object,
      verified.data,
      payloadIsStored ? verified.payload : undefined,
      provider.api !== undefined,
    );
  }
  const report = facts.payment;
  const receivers = report === undefined ? [] : registry.match(report.signal, variant);
  // Recorded only where a receiver listens: an app that uses no payment signal pays nothing
  // for them (docs/objects-and-payments.md#receiving-the-payment-signals).
  if (report !== undefined && receivers.length > 0) {
    result.payment = {
      signal: report.signal,
      data: paymentFactsOf(report, {
        provider: provider.name,
        variant,
        createdAt: verified.createdAt,
        receivedAt,
      }),
    };
    result.emission = { signal: report.signal, key: report.key, receivers };
  }
  return result;
}
