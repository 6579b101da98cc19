/**
 * Warnings for events that find no receiver: an empty registry when the instance starts serving,
 * and each event type (per variant) stored with no receiver to run. The usual cause is a module
 * of receivers that is never imported: a decorator registers only when its class is loaded.
 */
import type { Logger } from '../types.js';
import type { RegistryCore } from './registry.js';

/** Most event types remembered as warned about; past it, no more warnings of that kind. */
const MAX_WARNED_TYPES = 1_000;

const IMPORT_HINT =
  'Make sure the modules that register receivers are imported before webhooks arrive ' +
  '(a decorated class registers only when its module is loaded), and that payments() is ' +
  'given the registry they write to.';

/** Warns once about what nothing listens to. */
export class ReceiverCoverage {
  readonly #registry: RegistryCore;
  readonly #logger: Logger;
  #checkedRegistry = false;
  readonly #warnedTypes = new Set<string>();

  constructor(registry: RegistryCore, logger: Logger) {
    this.#registry = registry;
    this.#logger = logger;
  }

  /** Warns, the first time it is called, when no receiver is registered at all. */
  checkRegistry(): void {
    if (this.#checkedRegistry) return;
    this.#checkedRegistry = true;
    if (this.#registry.list().length > 0) return;
    this.#logger.warn(
      {},
      `koa-payments: no receivers are registered, so every webhook is stored as ignored. ${IMPORT_HINT}`,
    );
  }

  /** Warns, once per variant and type, that an event was stored with no receiver to run. */
  ignored(variant: string, type: string, eventId: string): void {
    const key = `${variant}\u0000${type}`;
    if (this.#warnedTypes.has(key) || this.#warnedTypes.size >= MAX_WARNED_TYPES) return;
    this.#warnedTypes.add(key);
    this.#logger.warn(
      { variant, type, eventId },
      `koa-payments: no receiver matches this event type; its events are stored as ignored (warned once per type). ${IMPORT_HINT}`,
    );
  }
}
