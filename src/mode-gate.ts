/**
 * The variants' `mode` rule: which events are stored as ignored because the provider says they
 * come from the other mode, logged at warn once per variant and case, then at debug.
 */
import type { VerifiedEvent } from './providers/types.js';
import type { VariantMode } from './settings.js';
import type { IgnoredReason } from './store/types.js';
import type { Logger } from './types.js';

export class ModeGate {
  readonly #modes: ReadonlyMap<string, VariantMode>;
  readonly #logger: Logger;
  readonly #warned = new Set<string>();

  constructor(modes: ReadonlyMap<string, VariantMode>, logger: Logger) {
    this.#modes = modes;
    this.#logger = logger;
  }

  /**
   * Why the event is to be stored without running receivers, if it is: its variant's `mode`
   * refuses the mode the provider says it comes from. An event whose provider does not say is
   * accepted. Each case is logged at warn once per variant, then at debug.
   */
  reason(variant: string, verified: VerifiedEvent): IgnoredReason | undefined {
    const mode = this.#modes.get(variant) ?? 'any';
    if (mode === 'any') return undefined;
    const { livemode } = verified;
    const fields = { variant, mode, eventId: verified.id, type: verified.type };
    if (livemode === undefined) {
      this.#logOnce(
        `${variant} unknown`,
        fields,
        `koa-payments: the provider does not say whether this event is live or test; variant "${variant}" (mode: '${mode}') accepts it`,
      );
      return undefined;
    }
    if (livemode === (mode === 'live')) return undefined;
    this.#logOnce(
      `${variant} mismatch`,
      fields,
      `koa-payments: a ${livemode ? 'live' : 'test'}-mode event reached variant "${variant}" (mode: '${mode}'); it is stored as ignored and runs no receiver`,
    );
    return 'mode_mismatch';
  }

  /** Logs at warn the first time per `key`, then at debug. */
  #logOnce(key: string, fields: Record<string, unknown>, message: string): void {
    const logger = this.#logger;
    if (this.#warned.has(key)) {
      logger.debug(fields, message);
    } else {
      this.#warned.add(key);
      logger.warn(fields, message);
    }
  }
}
