/** Shapes shared by the sample catalogues. */

/**
 * A sample webhook body: a JSON object. Its fields are typed `any` on purpose, so that a test can
 * read `payload.data.object.id` without a cast; the shape is the provider's, see its page in
 * docs/providers.
 */
// biome-ignore lint/suspicious/noExplicitAny: a test fixture is read field by field without casts
export type SamplePayload = { [key: string]: any };

/** One provider's samples. */
export interface SampleCatalogue {
  /**
   * Where the event's data object (`signal.data`) sits in the payload, e.g. `['data', 'object']`
   * for Stripe; `[]` for the whole body.
   */
  readonly dataPath: readonly string[];
  /** A builder per event type with a realistic sample; each call returns fresh ids. */
  readonly events: Readonly<Record<string, () => SamplePayload>>;
  /**
   * For providers without a fixed vocabulary (`standard`, `hmac`, `dummy`): builds a sample of
   * any type. Absent for the others, where an unknown type is a mistake worth reporting.
   */
  readonly any?: (type: string) => SamplePayload;
}
