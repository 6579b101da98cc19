/**
 * An instance's members for running code on what happens: the lifecycle hooks (`on`, `once`)
 * and `runOnce`, at most once per key across paths and processes (store/run-once.ts).
 */
import type Emittery from 'emittery';
import type { Payments } from '../payments-types.js';
import type { RunOnce } from '../store/run-once.js';
import type { PaymentsHooks } from '../types.js';

/** What {@link hookMethods} delegate to. */
export interface HookMethodsDependencies {
  hooks: Emittery<PaymentsHooks>;
  once: RunOnce;
}

/** The hook and run-once members of an instance. */
export type HookMethods = Pick<Payments, 'on' | 'once' | 'runOnce'>;

export function hookMethods({ hooks, once }: HookMethodsDependencies): HookMethods {
  return {
    on: hooks.on.bind(hooks),
    once: hooks.once.bind(hooks),
    runOnce: (key, fn, options) => once.run(key, fn, options),
  };
}
