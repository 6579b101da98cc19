/** The built-in providers, by the name a variant's `provider:` option uses. */
import { type DummyOptions, dummy } from './dummy.js';
import { type StripeOptions, stripe } from './stripe.js';
import type { Provider, ProviderContext } from './types.js';

/** Options of each built-in provider, by name. */
export interface BuiltinProviderOptions {
  stripe: StripeOptions;
  dummy: DummyOptions;
}

/** A built-in provider: its accepted option keys and its factory. */
export interface ProviderDefinition<O> {
  /** Every option key the provider accepts (besides `provider`); others are refused. */
  readonly options: readonly (keyof O & string)[];
  /** Validates the options (throwing `ConfigurationError`) and builds the provider. */
  create(options: O, context: ProviderContext): Provider;
}

/** The built-in providers. */
export const builtinProviders: {
  [P in keyof BuiltinProviderOptions]: ProviderDefinition<BuiltinProviderOptions[P]>;
} = {
  stripe: { options: ['endpointSecret', 'tolerance'], create: stripe },
  dummy: { options: ['allowInProduction'], create: dummy },
};

/** The name of a built-in provider. */
export type BuiltinProviderName = keyof BuiltinProviderOptions;
