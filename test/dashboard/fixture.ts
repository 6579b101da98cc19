/**
 * A shop with the dashboard mounted behind a fake login (the `x-operator` header), its webhook
 * route, three receivers, and an HTTP client that keeps cookies as a browser does, for the
 * dashboard tests and the screenshots.
 *
 * Receivers: `orders.fulfil` (checkout.session.completed), `ledger.book` (charge.*, throws
 * while `ledgerDown`), `subscriptions.sync` (customer.subscription.*, skipStale), `audit` (every
 * event).
 */
import Koa from 'koa';
import {
  createRegistry,
  type DashboardOptions,
  type Payments,
  type PaymentsSettings,
  payments,
} from '../../src/index.js';
import { signWebhook } from '../../src/testing/index.js';
import { createTestDatabase, type Dialect, type TestDatabase } from '../helpers/databases.js';
import { listen, type TestServer } from '../helpers/server.js';

export const BASE = '/payments/admin';
export const SECRET = 'whsec_dashboard_test';
export const OPERATOR = { 'x-operator': 'yes' } as const;

/** What the receivers did. */
export interface Runs {
  fulfil: string[];
  ledger: string[];
  sync: string[];
  audit: string[];
}

/** The running shop. */
export interface Shop {
  db: TestDatabase;
  pay: Payments;
  server: TestServer;
  runs: Runs;
  /** While true, `ledger.book` throws. */
  ledgerDown: boolean;
  /** POSTs a signed Stripe event to the webhook route; returns the HTTP status. */
  send(payload: Record<string, unknown>, variant?: string): Promise<number>;
  /** POSTs a request the route refuses (bad signature), with extra headers and a body. */
  sendRefused(body: string, headers?: Record<string, string>, variant?: string): Promise<number>;
  /** The row id of a stored event. */
  rowIdOf(eventId: string): Promise<number>;
  close(): Promise<void>;
}

/** A Stripe event. */
export function stripeEvent(
  id: string,
  type: string,
  object: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    object: 'event',
    type,
    created: 1_700_000_000,
    livemode: false,
    data: { object: { id: `obj_${id}`, object: type.split('.')[0], ...object } },
  };
}

/** Starts the shop on a fresh database of `dialect`; it logs nothing unless `settings` has a logger. */
export async function startShop(
  dialect: Dialect,
  options: Partial<DashboardOptions> = {},
  settings: Partial<PaymentsSettings> = {},
): Promise<Shop> {
  const db = await createTestDatabase(dialect);
  const runs: Runs = { fulfil: [], ledger: [], sync: [], audit: [] };
  const registry = createRegistry();
  const state = { ledgerDown: false };
  registry.receiver(
    'checkout.session.completed',
    async ({ event }) => {
      runs.fulfil.push(event.eventId);
    },
    { name: 'orders.fulfil' },
  );
  registry.receiver(
    'charge.*',
    async ({ event }) => {
      runs.ledger.push(event.eventId);
      if (state.ledgerDown) throw new Error('ledger unavailable: connection refused');
    },
    { name: 'ledger.book' },
  );
  registry.receiver(
    'customer.subscription.*',
    async ({ event }) => {
      runs.sync.push(event.eventId);
    },
    { name: 'subscriptions.sync', skipStale: true },
  );
  registry.receiver(
    '*',
    async ({ event }) => {
      runs.audit.push(event.eventId);
    },
    { name: 'audit' },
  );
  const pay = payments({
    database: db.setting,
    registry,
    worker: false,
    retry: { maxAttempts: 2, minDelayMs: 3_600_000, maxDelayMs: 3_600_000 },
    logger: false,
    variants: {
      stripe: { provider: 'stripe', endpointSecret: SECRET },
      stripe_eu: { provider: 'stripe', endpointSecret: SECRET },
    },
    ...settings,
  });
  await pay.migrate();
  const app = new Koa();
  app.use(
    pay.dashboard({
      path: BASE,
      authorize: (ctx) => ctx.get('x-operator') === 'yes',
      ...options,
    }),
  );
  app.use(pay.middleware);
  app.use((ctx) => {
    ctx.status = 418;
    ctx.body = 'next';
  });
  const server = await listen(app);
  const post = async (variant: string, body: string, headers: Record<string, string>) =>
    (
      await fetch(`${server.origin}/payments/process/${variant}/`, {
        method: 'POST',
        body,
        headers,
      })
    ).status;
  return {
    db,
    pay,
    server,
    runs,
    get ledgerDown() {
      return state.ledgerDown;
    },
    set ledgerDown(value: boolean) {
      state.ledgerDown = value;
    },
    send(payload, variant = 'stripe') {
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      return post(variant, body, headers);
    },
    sendRefused(body, headers = {}, variant = 'stripe') {
      return post(variant, body, {
        'content-type': 'application/json',
        'stripe-signature': 't=1,v1=00',
        ...headers,
      });
    },
    async rowIdOf(eventId) {
      const row = await db.reader('payments_events').where({ event_id: eventId }).first('id');
      return Number(row.id);
    },
    async close() {
      await server.close();
      await pay.close();
      await db.cleanup();
    },
  };
}

/** An answer of the dashboard. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The Location of a redirect. */
  location: string | null;
}

/** An HTTP client with a cookie jar, sending the operator header unless told otherwise. */
export class Client {
  readonly cookies = new Map<string, string>();
  readonly #origin: string;
  readonly #headers: Record<string, string>;

  constructor(origin: string, headers: Record<string, string> = { ...OPERATOR }) {
    this.#origin = origin;
    this.#headers = headers;
  }

  #keep(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some(
        (a) =>
          /^\s*max-age=0\s*$/i.test(a) ||
          (/^\s*expires=/i.test(a) && new Date(a.split('=')[1] as string).getTime() < Date.now()),
      );
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  #cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return {
      cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
    };
  }

  async #send(path: string, init: RequestInit): Promise<Answer> {
    const response = await fetch(`${this.#origin}${path}`, { ...init, redirect: 'manual' });
    this.#keep(response.headers);
    return {
      status: response.status,
      headers: response.headers,
      text: await response.text(),
      location: response.headers.get('location'),
    };
  }

  /** GETs a path. */
  get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    return this.#send(path, { headers: { ...this.#headers, ...this.#cookieHeader(), ...headers } });
  }

  /** POSTs a urlencoded form. */
  post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    return this.#send(path, {
      method: 'POST',
      body: new URLSearchParams(fields).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...this.#headers,
        ...this.#cookieHeader(),
        ...headers,
      },
    });
  }

  /**
   * Submits the form of a page whose action ends with `action`, with its hidden fields (the
   * CSRF token among them) and `fields`; follows the redirect; returns the page it lands on.
   */
  async submit(
    page: Answer,
    action: string,
    fields: Record<string, string> = {},
  ): Promise<{ post: Answer; landed: Answer }> {
    const form = formOf(page.text, action);
    const post = await this.post(new URL(form.action, this.#origin).pathname, {
      ...form.fields,
      ...fields,
    });
    if (post.status !== 303 || post.location === null) {
      throw new Error(`expected a 303 from ${form.action}, got ${post.status}: ${post.text}`);
    }
    return { post, landed: await this.get(post.location) };
  }
}

/** The first form of `html` whose action ends with `action`: its action and hidden fields. */
export function formOf(
  html: string,
  action: string,
): { action: string; fields: Record<string, string> } {
  for (const match of html.matchAll(
    /<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g,
  )) {
    const target = decodeEntities(match[1] as string);
    if (!target.endsWith(action)) continue;
    const fields: Record<string, string> = {};
    for (const input of (match[2] as string).matchAll(
      /<input type="hidden" name="([^"]+)" value="([^"]*)">/g,
    )) {
      fields[decodeEntities(input[1] as string)] = decodeEntities(input[2] as string);
    }
    return { action: target, fields };
  }
  throw new Error(`no form posting to …${action} on the page`);
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The text of the notice a page shows after an action, if any. */
export function noticeOf(html: string): { kind: string; text: string } | undefined {
  const match = /<div class="notice (ok|error)" role="status">([\s\S]*?)<\/div>/.exec(html);
  return match === null
    ? undefined
    : { kind: match[1] as string, text: decodeEntities(match[2] as string) };
}
