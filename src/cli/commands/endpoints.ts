/**
 * `koa-payments endpoints create <variant>` and `endpoints list <variant>`: register the app's
 * webhook URL on Stripe with the event types its receivers listen to, and list what Stripe
 * delivers where.
 */
import type { Payments } from '../../payments.js';
import { STRIPE_API_BASE, StripeApi } from '../../providers/stripe/api.js';
import {
  type CreatedEndpoint,
  createThinDestination,
  createWebhookEndpoint,
  expandEventTypes,
  listEndpoints,
  type StripeEndpoint,
} from '../../providers/stripe/endpoints.js';
import { type Command, requireVariant, stringValue } from '../command.js';
import { CliFailure, UsageError } from '../errors.js';
import type { Column, Output } from '../output.js';

/** The Stripe API of a variant, from its settings, and the app's webhook URL for it. */
function stripeOf(
  pay: Payments,
  variant: string,
  command: string,
): { api: StripeApi; url: string } {
  requireVariant(pay, variant, command);
  const settings = pay.variantSettings(variant) as {
    provider: unknown;
    apiKey?: string;
    apiBase?: string;
  };
  if (settings.provider !== 'stripe') {
    throw new UsageError(
      `'${command}' registers Stripe endpoints; variant ${variant} is not a stripe variant`,
      command,
    );
  }
  if (settings.apiKey === undefined) {
    throw new CliFailure(
      `variant ${variant} has no apiKey: '${command}' needs a Stripe secret key (or a restricted key with write access to webhook endpoints)`,
    );
  }
  let url: string;
  try {
    url = pay.webhookUrl(variant);
  } catch {
    throw new CliFailure(
      `the config sets no host: set payments({ host }) so that webhookUrl('${variant}') is the public URL Stripe posts to`,
    );
  }
  const api = new StripeApi({
    apiKey: settings.apiKey,
    apiBase: new URL(settings.apiBase ?? STRIPE_API_BASE),
  });
  return { api, url };
}

/** Whether an endpoint's URL is the app's (with or without the trailing slash). */
function isOurs(endpoint: StripeEndpoint, url: string): boolean {
  return endpoint.url !== null && endpoint.url.replace(/\/+$/, '') === url.replace(/\/+$/, '');
}

/** The patterns the variant's receivers listen to. */
function receiverPatterns(pay: Payments, variant: string): string[] {
  return pay.registry
    .list()
    .filter((receiver) => receiver.variants === undefined || receiver.variants.has(variant))
    .map((receiver) => receiver.pattern);
}

/** Why a pattern enables nothing, for the note `endpoints create` prints. */
function unmatchedNote(pattern: string, payload: 'snapshot' | 'thin'): string {
  if (pattern.includes(':')) {
    return `Note: ${pattern} is a koa-payments signal, not a Stripe event type; enable the Stripe types it comes from (payment_intent.succeeded, charge.refunded, ...).`;
  }
  if (payload === 'thin' && !/^v\d+\./.test(pattern)) {
    return `Note: ${pattern} names snapshot events; a thin destination sends v1.${pattern} instead, which a receiver of ${pattern} does not match; left out.`;
  }
  return `Note: ${pattern} matches no Stripe ${payload === 'thin' ? 'thin ' : ''}event type this version knows; left out.`;
}

/** `--events`: `auto` (the receivers'), `all`, or a comma-separated list. */
function wantedTypes(
  pay: Payments,
  variant: string,
  option: string,
  payload: 'snapshot' | 'thin',
  out: Output,
): string[] {
  let patterns: string[];
  if (option === 'all') patterns = ['*'];
  else if (option === 'auto') {
    patterns = receiverPatterns(pay, variant);
    if (patterns.length === 0) {
      throw new CliFailure(
        `no receiver of variant ${variant} is registered in this process, so --events auto finds no event type. ` +
          'Import your receivers in the config module, or pass --events all or --events <a,b>.',
      );
    }
  } else {
    patterns = option
      .split(',')
      .map((type) => type.trim())
      .filter((type) => type !== '');
    if (patterns.length === 0) throw new UsageError('--events needs a value', 'endpoints create');
  }
  const { types, unknown, unmatched } = expandEventTypes(patterns, payload);
  for (const pattern of unmatched) out.info(unmatchedNote(pattern, payload));
  for (const type of unknown) {
    out.info(`Note: ${type} is not an event type this version knows; Stripe may refuse it.`);
  }
  if (types.length === 0) {
    throw new CliFailure('no Stripe event type to enable: pass --events all or --events <a,b>');
  }
  return types;
}

function printCreated(out: Output, variant: string, created: CreatedEndpoint): void {
  const kind = created.payload === 'thin' ? 'event destination (thin events)' : 'webhook endpoint';
  out.line(`Created ${kind} ${created.id} for ${created.url}`);
  if (created.payload === 'snapshot') {
    out.line(`  api version  ${created.apiVersion ?? "the account's default"}`);
  }
  const events = created.enabledEvents;
  out.line(`  events       ${events.join(', ')} (${events.length})`);
  out.line(`Signing secret (shown this once; set it as the endpointSecret of variant ${variant}):`);
  out.line(created.secret);
}

export const endpointsCreate: Command = {
  name: 'endpoints create',
  summary: "register this app's webhook URL on Stripe",
  args: '<variant>',
  description:
    'Registers webhookUrl(<variant>) on Stripe (POST /v1/webhook_endpoints) with the event types the ' +
    'receivers of the config listen to (--events auto: wildcards such as charge.* widen to the Stripe ' +
    'types they match, * to every type), every type (--events all) or a list (--events a,b), and prints ' +
    "the endpoint's signing secret, which Stripe shows this once: put it in the variant's " +
    'endpointSecret. --api-version pins the API version events are rendered in (default: the ' +
    "account's). --thin creates an event destination with thin payloads instead (POST " +
    '/v2/core/event_destinations; thin events are not pinned to an API version: load their object with ' +
    "signal.fetch()). Refuses when an endpoint for the URL exists, unless --force. Needs the variant's " +
    'apiKey with write access, and host in the config.',
  options: {
    events: {
      type: 'string',
      value: '<auto|all|a,b>',
      description: "event types to enable (default auto: the receivers')",
    },
    'api-version': {
      type: 'string',
      value: '<version>',
      description: 'pin the API version of the events (e.g. 2025-03-31.basil)',
    },
    thin: { type: 'boolean', description: 'an event destination with thin payloads' },
    force: { type: 'boolean', description: 'create it even if an endpoint for the URL exists' },
    json: { type: 'boolean', description: 'print the endpoint (secret included) as JSON' },
  },
  positionals: { min: 1, max: 1 },
  async run({ positionals, values, out, withPayments }) {
    const variant = positionals[0] as string;
    const apiVersion = stringValue(values, 'api-version');
    const thin = values.thin === true;
    if (thin && apiVersion !== undefined) {
      throw new UsageError(
        '--api-version pins snapshot events; thin events are not pinned to an API version (their object is fetched when needed)',
        'endpoints create',
      );
    }
    const option = stringValue(values, 'events') ?? 'auto';
    return withPayments(
      async (pay) => {
        const { api, url } = stripeOf(pay, variant, 'endpoints create');
        const enabledEvents = wantedTypes(pay, variant, option, thin ? 'thin' : 'snapshot', out);
        if (values.force !== true) {
          const existing = (await listEndpoints(api)).find((endpoint) => isOurs(endpoint, url));
          if (existing !== undefined) {
            throw new CliFailure(
              `Stripe already delivers to ${url} (${existing.id}, ${existing.status}): a second endpoint sends every event twice, ` +
                'each signed with its own secret. See `koa-payments endpoints list`; pass --force to create another (to move to a new API version, say).',
            );
          }
        }
        const description = `koa-payments, variant ${variant}`;
        const created = thin
          ? await createThinDestination(api, {
              url,
              enabledEvents,
              name: `koa-payments ${variant}`,
              description,
            })
          : await createWebhookEndpoint(api, {
              url,
              enabledEvents,
              description,
              ...(apiVersion === undefined ? {} : { apiVersion }),
            });
        if (values.json === true) out.json(created);
        else printCreated(out, variant, created);
        return 0;
      },
      { store: 'none' },
    );
  },
};

const LIST_COLUMNS = (url: string): Column<StripeEndpoint>[] => [
  { header: 'OURS', value: (e) => (isOurs(e, url) ? '*' : '') },
  { header: 'ID', value: (e) => e.id },
  { header: 'STATUS', value: (e) => e.status },
  { header: 'PAYLOAD', value: (e) => e.payload },
  { header: 'API VERSION', value: (e) => e.apiVersion ?? '-' },
  {
    header: 'EVENTS',
    value: (e) => (e.enabledEvents.includes('*') ? '*' : String(e.enabledEvents.length)),
  },
  { header: 'URL', value: (e) => e.url ?? '-', max: 80 },
];

export const endpointsList: Command = {
  name: 'endpoints list',
  summary: "list Stripe's webhook endpoints, marking this app's",
  args: '<variant>',
  description:
    "Lists the Stripe account's webhook endpoints and event destinations (with the variant's apiKey) " +
    "and marks with * the ones whose URL is webhookUrl(<variant>), this app's.",
  options: {
    json: { type: 'boolean', description: 'print JSON' },
  },
  positionals: { min: 1, max: 1 },
  async run({ positionals, values, out, withPayments }) {
    const variant = positionals[0] as string;
    return withPayments(
      async (pay) => {
        const { api, url } = stripeOf(pay, variant, 'endpoints list');
        const endpoints = await listEndpoints(api);
        if (values.json === true) {
          out.json(endpoints.map((endpoint) => ({ ...endpoint, ours: isOurs(endpoint, url) })));
          return 0;
        }
        if (endpoints.length > 0) out.table(LIST_COLUMNS(url), endpoints);
        const ours = endpoints.filter((endpoint) => isOurs(endpoint, url));
        out.line(
          ours.length === 0
            ? `${endpoints.length === 0 ? 'No endpoints. ' : ''}None delivers to ${url} (webhookUrl('${variant}')): run \`koa-payments endpoints create ${variant}\`.`
            : `* delivers to ${url} (webhookUrl('${variant}')).`,
        );
        return 0;
      },
      { store: 'none' },
    );
  },
};
