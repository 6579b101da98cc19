/** A provider's accepted option keys, kept in sync with its options type by the compiler. */

/**
 * The option keys of `O`, given as a record with every key set to `true`: the compiler refuses a
 * missing key and an unknown one, so the list a variant is validated against cannot drift from
 * the options type.
 *
 * @example
 * optionKeys<StripeOptions>({ endpointSecret: true, tolerance: true });
 */
export function optionKeys<O>(keys: { readonly [K in keyof O]-?: true }): (keyof O & string)[] {
  return Object.keys(keys) as (keyof O & string)[];
}
