/**
 * The receiver registry: named receivers keyed by the event types they listen to. Like Django
 * signals, the default registry is module-level (`receiver` writes to it); `createRegistry()`
 * makes a separate one for tests and for apps that mount several instances.
 */
import Emittery from 'emittery';
import { ConfigurationError } from '../errors.js';
import { isPaymentPattern, isPaymentSignal, PAYMENT_PATTERNS } from '../objects/patterns.js';
import { type KeysOf, keySet } from '../option-keys.js';
import type {
  LooseSignals,
  ReceiverFunction,
  ReceiverOptions,
  Signal,
  SignalPattern,
} from './types.js';

/** A receiver as the registry keeps it. */
export interface RegisteredReceiver {
  readonly name: string;
  readonly pattern: string;
  readonly variants: ReadonlySet<string> | undefined;
  readonly atomic: boolean;
  /** Stale events (`signal.stale`) give this receiver a `skipped` delivery instead of a run. */
  readonly skipStale: boolean;
  /** Most concurrent runs in one process; undefined: no limit. */
  readonly concurrency: number | undefined;
  readonly fn: ReceiverFunction<Signal>;
}

/** Events a registry emits (through emittery) when receivers come and go. */
export interface RegistryEvents {
  registered: RegisteredReceiver;
  unregistered: RegisteredReceiver;
}

/** A class: what `experimentalDecorators` passes as the target of a static method. */
type ClassConstructor = abstract new (...args: never) => unknown;

/**
 * A decorator for a static method, usable both as a TC39 standard decorator and with
 * TypeScript's `experimentalDecorators`. The method's own type `F` is inferred, so that a method
 * returning `Promise<void>` fits (a property descriptor's type is invariant), and it must accept
 * the signal. On an instance method it does not compile, in either mode.
 */
export interface ReceiverDecorator<S> {
  <F extends ReceiverFunction<S>>(
    value: F,
    context: ClassMethodDecoratorContext<unknown, F> & { readonly static: true },
  ): void;
  <F extends ReceiverFunction<S>>(
    target: ClassConstructor,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<F>,
  ): void;
}

/** The part of a registry that does not depend on its signal map: what `payments()` uses. */
export interface RegistryCore {
  /** The receivers that run for an event of `type` from `variant`, in registration order. */
  match(type: string, variant: string): RegisteredReceiver[];
  /** The receiver registered under `name`. */
  get(name: string): RegisteredReceiver | undefined;
  /** Every registered receiver. */
  list(): RegisteredReceiver[];
  /** Removes a receiver; returns whether it was registered. */
  unregister(name: string): boolean;
  /** Removes every receiver (for tests). */
  clear(): void;
  /** Emits `registered` / `unregistered`. */
  readonly events: Emittery<RegistryEvents>;
}

/** A receiver registry for the signal map `M`. */
export interface Registry<M = LooseSignals> extends RegistryCore {
  /**
   * Registers `fn` for events matching `type` (`'charge.succeeded'`, `'charge.*'` or `'*'`), or
   * for a normalized payment signal (`'payment:succeeded'`, `'payment:*'`), and returns it.
   *
   * @example
   * registry.receiver('charge.refunded', async function refundOrder({ data }) {});
   */
  receiver<P extends SignalPattern<M>>(
    type: P,
    fn: ReceiverFunction<Signal<P, M>>,
    options?: ReceiverOptions,
  ): ReceiverFunction<Signal<P, M>>;
  /**
   * Returns a decorator for a static method.
   *
   * @example
   * class Orders {
   *   @registry.receiver('checkout.session.completed')
   *   static async markPaid({ data }: Signal<'checkout.session.completed'>) {}
   * }
   */
  receiver<P extends SignalPattern<M>>(
    type: P,
    options?: ReceiverOptions,
  ): ReceiverDecorator<Signal<P, M>>;
}

/**
 * What a registry made by {@link createRegistry} keeps beside {@link RegistryCore}; internal, so
 * not on the public types. Read it through {@link hasAtomicReceiver}.
 */
interface RegistryState {
  /** Whether any registered receiver is atomic, kept up to date as receivers come and go. */
  readonly hasAtomic: boolean;
}

/**
 * Whether any receiver of `registry` is atomic: the registry's own flag, read on every webhook
 * (store a paused atomic receiver's delivery instead of running it, pipeline.ts). A registry
 * without it (made by another copy of the library, which may share the default registry, or an
 * app's own) is asked for its receivers instead.
 */
export function hasAtomicReceiver(registry: RegistryCore): boolean {
  const flag = (registry as Partial<RegistryState>).hasAtomic;
  return typeof flag === 'boolean' ? flag : registry.list().some((r) => r.atomic);
}

/** A provider event type, a dot-segment prefix (`charge.*`) or `*`. */
const PATTERN = /^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?)$/;
const RECEIVER_OPTION_KEYS = keySet({
  name: true,
  variants: true,
  atomic: true,
  skipStale: true,
  concurrency: true,
} satisfies KeysOf<ReceiverOptions>);

/**
 * Creates a separate registry. Pass a signal map to type it strictly: misspelled types and
 * mismatched data then fail to compile.
 *
 * @example
 * const registry = createRegistry();
 * registry.receiver('charge.succeeded', async function book({ data }) {});
 * const pay = payments({ registry, variants: { ... } });
 */
export function createRegistry<M = LooseSignals>(): Registry<M> {
  const receivers = new Map<string, RegisteredReceiver>();
  // What each name was registered with, to tell a re-registration from a name clash.
  const sources = new Map<string, string>();
  const events = new Emittery<RegistryEvents>();
  // Whether any receiver is atomic: set again on every change to `receivers`.
  let atomic = false;
  const changed = (): void => {
    atomic = [...receivers.values()].some((entry) => entry.atomic);
  };
  // TC39 decorators register from a class initializer, before transpilers such as esbuild have
  // given the class its final name (`_Orders` for a moment): the name is read on next access.
  const pending: (() => void)[] = [];
  const flush = (): void => {
    while (pending.length > 0) pending.shift()?.();
  };

  function add(
    pattern: string,
    fn: ReceiverFunction<Signal>,
    options: ReceiverOptions,
    name: string | undefined,
    original?: ReceiverFunction<Signal>,
  ): void {
    if (typeof fn !== 'function') {
      throw new TypeError(`koa-payments: receiver('${pattern}') needs a function`);
    }
    if (name === undefined || name === '') {
      throw new ConfigurationError(
        'receiver.name',
        `the receiver for '${pattern}' has no name. Pass { name: '...' } or use a named function: ` +
          'the name keys its delivery rows, so it must be stable across deploys',
      );
    }
    const existing = receivers.get(name);
    const source = `${pattern}|${JSON.stringify(options)}|${String(original ?? fn)}`;
    if (existing !== undefined && sources.get(name) === source) {
      // The same receiver registered again by a second evaluation of its module (a loader that
      // imports a file twice, a test re-importing): the latest copy replaces it.
      receivers.delete(name);
    } else if (existing !== undefined) {
      throw new ConfigurationError(
        'receiver.name',
        `a receiver named '${name}' is already registered (for '${existing.pattern}'); names must be unique`,
      );
    }
    const entry: RegisteredReceiver = {
      name,
      pattern,
      variants: options.variants === undefined ? undefined : new Set(options.variants),
      atomic: options.atomic ?? false,
      skipStale: options.skipStale ?? false,
      concurrency: options.concurrency,
      fn,
    };
    receivers.set(name, entry);
    sources.set(name, source);
    changed();
    void events.emit('registered', entry);
  }

  function validate(pattern: unknown, options: ReceiverOptions | undefined): ReceiverOptions {
    if (typeof pattern !== 'string' || !(PATTERN.test(pattern) || isPaymentPattern(pattern))) {
      const colon = typeof pattern === 'string' && pattern.includes(':');
      throw new ConfigurationError(
        'receiver.type',
        colon
          ? `a colon marks the normalized payment signals, one of ${PAYMENT_PATTERNS.map((p) => `'${p}'`).join(', ')}; got ${JSON.stringify(pattern)}`
          : `expected an event type ('charge.succeeded'), a prefix ('charge.*'), '*' or a payment signal ('payment:succeeded', 'payment:*'), got ${JSON.stringify(pattern)}`,
      );
    }
    const opts = options ?? {};
    for (const key of Object.keys(opts)) {
      if (!RECEIVER_OPTION_KEYS.has(key)) {
        throw new ConfigurationError(`receiver.${key}`, `unknown option for '${pattern}'`);
      }
    }
    if (
      opts.variants !== undefined &&
      (!Array.isArray(opts.variants) || opts.variants.some((v) => typeof v !== 'string'))
    ) {
      throw new ConfigurationError('receiver.variants', 'must be an array of variant names');
    }
    for (const flag of ['atomic', 'skipStale'] as const) {
      if (opts[flag] !== undefined && typeof opts[flag] !== 'boolean') {
        throw new ConfigurationError(`receiver.${flag}`, `must be true or false for '${pattern}'`);
      }
    }
    if (opts.skipStale === true && isPaymentPattern(pattern)) {
      // Each normalized signal reports an occurrence once per payment: the first event to report
      // it may be stale about its object, and skipping it would lose the payment for good.
      throw new ConfigurationError(
        'receiver.skipStale',
        `'${pattern}' is never stale: a payment signal reports what happened once per payment, whatever the order its events arrive in`,
      );
    }
    const limit = opts.concurrency;
    if (limit !== undefined) {
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
        throw new ConfigurationError(
          'receiver.concurrency',
          `must be a whole number of runs, 1 or more, for '${pattern}'`,
        );
      }
      if (opts.atomic === true) {
        throw new ConfigurationError(
          'receiver.concurrency',
          `an atomic receiver runs inside the transaction that stores its event, where waiting for a turn would hold that transaction (and others committed with it); drop concurrency or atomic for '${pattern}'`,
        );
      }
    }
    return opts;
  }

  function decorator(pattern: string, options: ReceiverOptions) {
    return (target: unknown, context: unknown, descriptor?: PropertyDescriptor): void => {
      if (typeof context === 'object' && context !== null && 'kind' in context) {
        // TC39 standard decorator.
        const ctx = context as ClassMethodDecoratorContext;
        const method = String(ctx.name);
        if (ctx.kind !== 'method' || !ctx.static) {
          throw new ConfigurationError(
            'receiver',
            `@receiver('${pattern}') decorates static methods only (${method} is not one)`,
          );
        }
        const fn = target as ReceiverFunction<Signal>;
        ctx.addInitializer(function (this: unknown) {
          const owner = this as { name?: string };
          pending.push(() =>
            add(pattern, fn.bind(owner), options, options.name ?? `${owner.name}.${method}`, fn),
          );
        });
        return;
      }
      // experimentalDecorators: (constructor, name, descriptor) for a static method.
      const method = String(context);
      if (typeof target !== 'function' || typeof descriptor?.value !== 'function') {
        throw new ConfigurationError(
          'receiver',
          `@receiver('${pattern}') decorates static methods only (${method} is not one)`,
        );
      }
      const fn = descriptor.value as ReceiverFunction<Signal>;
      add(pattern, fn.bind(target), options, options.name ?? `${target.name}.${method}`, fn);
    };
  }

  const registry = {
    receiver(type: string, fnOrOptions?: unknown, maybeOptions?: ReceiverOptions) {
      flush();
      if (typeof fnOrOptions === 'function') {
        const options = validate(type, maybeOptions);
        const fn = fnOrOptions as ReceiverFunction<Signal>;
        add(type, fn, options, options.name ?? fn.name);
        return fn;
      }
      return decorator(type, validate(type, fnOrOptions as ReceiverOptions | undefined));
    },
    match(type: string, variant: string): RegisteredReceiver[] {
      flush();
      const found: RegisteredReceiver[] = [];
      for (const entry of receivers.values()) {
        if (entry.variants !== undefined && !entry.variants.has(variant)) continue;
        if (matches(entry.pattern, type)) found.push(entry);
      }
      return found;
    },
    get(name: string): RegisteredReceiver | undefined {
      flush();
      return receivers.get(name);
    },
    list(): RegisteredReceiver[] {
      flush();
      return [...receivers.values()];
    },
    unregister(name: string): boolean {
      flush();
      const entry = receivers.get(name);
      if (entry === undefined) return false;
      receivers.delete(name);
      sources.delete(name);
      changed();
      void events.emit('unregistered', entry);
      return true;
    },
    clear(): void {
      flush();
      for (const name of [...receivers.keys()]) registry.unregister(name);
    },
    events,
    get hasAtomic(): boolean {
      flush();
      return atomic;
    },
  };
  return registry as unknown as Registry<M>;
}

/**
 * Whether a receiver pattern matches a signal: exact, a dot-segment prefix, `'*'` (every provider
 * event, never a normalized signal) or `'payment:*'` (the normalized payment signals).
 */
export function matches(pattern: string, type: string): boolean {
  if (pattern === '*') return !isPaymentSignal(type);
  if (pattern === 'payment:*') return isPaymentSignal(type);
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

const DEFAULT_KEY = Symbol.for('koa-payments.defaultRegistry');

/**
 * The module-level registry that `receiver` writes to and `payments()` uses by default. It is
 * kept on `globalThis`, so that two loaded copies of the library (the built one and the source,
 * or two installed versions) share it instead of silently splitting the receivers.
 */
const shared = globalThis as Record<symbol, Registry | undefined>;
shared[DEFAULT_KEY] ??= createRegistry();
export const defaultRegistry: Registry = shared[DEFAULT_KEY];

/**
 * Registers a receiver on the module-level registry, as a plain function or as a decorator
 * (TC39 standard or `experimentalDecorators`) on a static method.
 *
 * @example
 * class Orders {
 *   @receiver('checkout.session.completed')
 *   static async markPaid({ data }: Signal<'checkout.session.completed'>) {}
 * }
 * receiver('charge.refunded', async function refundOrder({ data }) {});
 * receiver('*', auditLog, { variants: ['stripe'], name: 'audit-log' });
 */
export const receiver: Registry['receiver'] = defaultRegistry.receiver.bind(defaultRegistry);
