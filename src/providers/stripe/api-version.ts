/**
 * Stripe shapes every event after the API version of the endpoint that delivers it, while
 * receivers typed with `koa-payments/stripe` read the shape of the version the installed `stripe`
 * package describes. When the two differ, a receiver reads fields that moved (`invoice.subscription`
 * became `invoice.parent.subscription_details.subscription` in 2025-03-31), so it is worth a
 * warning, once per version.
 */
import type { Logger } from '../../types.js';

let installed: Promise<string | undefined> | undefined;

/**
 * The API version of the installed `stripe` package (`Stripe.API_VERSION`), or undefined when it
 * is not installed. Loaded once per process, in the background.
 */
export function installedStripeApiVersion(): Promise<string | undefined> {
  installed ??= import('stripe').then(
    (module) => {
      const version = (module.default as { API_VERSION?: unknown } | undefined)?.API_VERSION;
      return typeof version === 'string' ? version : undefined;
    },
    () => undefined,
  );
  return installed;
}

/**
 * A check to call with each verified event's `api_version`: warns once per version that differs
 * from the installed package's. Never throws; the event is stored either way.
 */
export function apiVersionCheck(
  variant: string,
  logger: Logger | undefined,
): (eventVersion: unknown) => void {
  if (logger === undefined) return () => {};
  const expected = installedStripeApiVersion();
  const seen = new Set<string>();
  return (eventVersion) => {
    if (typeof eventVersion !== 'string' || seen.has(eventVersion)) return;
    seen.add(eventVersion);
    void expected.then((version) => {
      if (version === undefined || version === eventVersion) return;
      logger.warn(
        { variant, apiVersion: eventVersion, typesApiVersion: version },
        `koa-payments: Stripe sends variant '${variant}' events of API version ${eventVersion}, ` +
          `but the installed stripe package's types describe ${version}: typed receivers may read ` +
          'fields that moved. Set the endpoint to that version (a second endpoint during a ' +
          'migration, see docs/providers/stripe.md) or install the stripe package of the same version.',
      );
    });
  };
}
