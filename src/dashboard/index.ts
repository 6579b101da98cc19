/**
 * `pay.dashboard()`: the operator pages, as one named Koa middleware mounted inside the host app
 * (Sidekiq::Web's idea). Server-rendered HTML without a script: every page works without
 * JavaScript, every action is a POST form with a CSRF token, and the app's own login decides who
 * gets in through `authorize`.
 */
import type { Context, Middleware, Next } from 'koa';
import {
  type ActionResult,
  pauseAction,
  readForm,
  replayAction,
  resumeAction,
  retryAction,
  retryDeadAction,
} from './actions.js';
import { Csrf, signer } from './csrf.js';
import { Flash } from './flash.js';
import { html } from './html.js';
import { type DashboardOptions, resolveDashboardOptions } from './options.js';
import {
  deliveriesPage,
  eventPage,
  eventsPage,
  overviewPage,
  requestPage,
  requestsPage,
} from './pages.js';
import { STYLE_HASH } from './style.js';
import {
  type DashboardDependencies,
  DashboardError,
  type PageResult,
  type RouteContext,
} from './types.js';
import { layout, type PageParts } from './views/layout.js';

export type { DashboardOptions } from './options.js';
export type { DashboardDependencies } from './types.js';

/** Headers of every answer under the dashboard's path, a refusal included. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  // No script at all; the one stylesheet by its hash; forms post to this origin only.
  'Content-Security-Policy': `default-src 'none'; style-src ${STYLE_HASH}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

type Page = (route: RouteContext, id: string) => Promise<PageResult>;
type Action = (route: RouteContext, form: URLSearchParams, id: string) => Promise<ActionResult>;

/** The pages (GET) and actions (POST), by path under the dashboard. */
const PAGES: readonly [RegExp, Page][] = [
  [/^\/?$/, overviewPage],
  [/^\/requests\/?$/, requestsPage],
  [/^\/requests\/([^/]+)\/?$/, requestPage],
  [/^\/events\/?$/, eventsPage],
  [/^\/events\/([^/]+)\/?$/, eventPage],
  [/^\/deliveries\/?$/, deliveriesPage],
];
const ACTIONS: readonly [RegExp, Action][] = [
  [/^\/events\/([^/]+)\/replay$/, replayAction],
  [/^\/deliveries\/retry-dead$/, retryDeadAction],
  [/^\/deliveries\/([^/]+)\/retry$/, retryAction],
  [/^\/receivers\/pause$/, pauseAction],
  [/^\/receivers\/resume$/, resumeAction],
];

function find<T>(routes: readonly [RegExp, T][], path: string): [T, string] | undefined {
  for (const [pattern, handler] of routes) {
    const match = pattern.exec(path);
    if (match === null) continue;
    try {
      return [handler, decodeURIComponent(match[1] ?? '')];
    } catch {
      throw new DashboardError(400, 'The address is malformed.');
    }
  }
  return undefined;
}

/**
 * Builds the dashboard middleware (named `koaPaymentsDashboard`); `pay.dashboard()` calls it with
 * its instance's parts.
 */
export function createDashboard(
  options: DashboardOptions,
  deps: DashboardDependencies,
): Middleware {
  const settings = resolveDashboardOptions(options);
  const base = settings.path;
  const sign = signer(settings.secret);
  const csrf = new Csrf(sign, base);
  const flash = new Flash(sign, base);

  const send = (ctx: Context, status: number, parts: Omit<PageParts, 'base' | 'title'>): void => {
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = layout({ base, title: settings.title, ...parts });
  };
  const refuse = (ctx: Context, status: number, message: string, nav = true): void => {
    const heading = status === 403 ? 'Forbidden' : `Error ${status}`;
    send(ctx, status, { heading, nav, body: html`<h1>${heading}</h1><p>${message}</p>` });
  };

  return async function koaPaymentsDashboard(ctx: Context, next: Next): Promise<void> {
    const path = ctx.path;
    if (path !== base && !path.startsWith(`${base}/`)) return next();
    ctx.set(SECURITY_HEADERS);
    if ((await settings.authorize(ctx)) !== true) {
      refuse(ctx, 403, 'You are not allowed to see this page.', false);
      return;
    }
    const sub = path.slice(base.length);
    const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
    const route: RouteContext = {
      deps,
      options: settings,
      view: { base, title: settings.title, csrf: '', now: new Date() },
      query: new URLSearchParams(ctx.querystring),
    };
    try {
      const page = find(PAGES, sub);
      const action = find(ACTIONS, sub);
      if (page !== undefined && method === 'GET') {
        route.view.csrf = csrf.token(ctx);
        const result = await page[0](route, page[1]);
        send(ctx, 200, { ...result, notice: flash.take(ctx) });
        return;
      }
      if (action !== undefined && method === 'POST') {
        const form = await readForm(ctx);
        const failure = csrf.check(ctx, form.get('_csrf') ?? undefined);
        if (failure !== undefined) {
          refuse(
            ctx,
            403,
            failure === 'cross_site'
              ? 'This form was sent from another site, so it was not acted on.'
              : 'This form has expired or lacks its token, so it was not acted on. Go back, reload the page and try again.',
          );
          return;
        }
        const result = await action[0](route, form, action[1]);
        flash.set(ctx, result.notice);
        ctx.status = 303;
        ctx.redirect(`${base}${result.back}`);
        return;
      }
      if (page !== undefined || action !== undefined) {
        ctx.set('Allow', page !== undefined ? 'GET, HEAD' : 'POST');
        refuse(ctx, 405, `${ctx.method} is not allowed here.`);
        return;
      }
      refuse(ctx, 404, 'There is no such page in the dashboard.');
    } catch (error) {
      if (!(error instanceof DashboardError)) throw error;
      refuse(ctx, error.status, error.message);
    }
  };
}
