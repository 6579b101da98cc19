/**
 * Options of `pay.dashboard()`: their type, defaults (applied once, with `??`) and validation. A
 * wrong option throws a `ConfigurationError` naming it, when the middleware is built.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { ConfigurationError } from '../errors.js';

/**
 * Options of `pay.dashboard()`.
 *
 * @example
 * app.use(pay.dashboard({
 *   path: '/payments/admin',
 *   authorize: (ctx) => ctx.state.user?.admin === true,
 * }));
 */
export interface DashboardOptions {
  /**
   * Where the pages are, as the browser sees the path (`/payments/admin`). Requests outside it
   * go to `next()`.
   */
  path: string;
  /**
   * Decides, on every request under `path`, whether it may see the dashboard and act on it.
   * Only `true` lets it in; anything else answers 403. Put your app's own login in front (a
   * session, a bearer token): the dashboard has none of its own. It may throw (`ctx.throw(401)`)
   * to answer otherwise.
   */
  authorize: (ctx: Context) => boolean | Promise<boolean>;
  /**
   * The name in the header and the window title.
   * @default 'koa-payments'
   */
  title?: string;
  /**
   * The key its CSRF tokens and result messages are signed with, at least 32 bytes. Give every
   * instance of the app the same one when a load balancer may send a page and its form to
   * different instances.
   * @default 32 random bytes, new for each `dashboard()` call
   */
  secret?: string | Buffer;
  /**
   * Rows per page of the lists.
   * @default 50
   */
  pageSize?: number;
  /**
   * Dead deliveries the "retry all dead" button runs in one go (it runs them before answering,
   * four events at a time); press it again for the next ones.
   * @default 100
   */
  retryBatch?: number;
}

/** The options, checked and defaulted. */
export interface ResolvedDashboardOptions {
  path: string;
  authorize: (ctx: Context) => boolean | Promise<boolean>;
  title: string;
  secret: Buffer;
  pageSize: number;
  retryBatch: number;
}

const KNOWN: Record<keyof DashboardOptions, true> = {
  path: true,
  authorize: true,
  title: true,
  secret: true,
  pageSize: true,
  retryBatch: true,
};

function count(value: unknown, option: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ConfigurationError(`dashboard.${option}`, `must be a whole number from 1 to ${max}`);
  }
  return value;
}

/** Checks the options of `pay.dashboard()` and fills in the defaults. */
export function resolveDashboardOptions(options: DashboardOptions): ResolvedDashboardOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('dashboard', 'expected { path, authorize }');
  }
  for (const key of Object.keys(options)) {
    if (!(key in KNOWN)) {
      throw new ConfigurationError(
        `dashboard.${key}`,
        `unknown option (expected one of ${Object.keys(KNOWN).join(', ')})`,
      );
    }
  }
  if (typeof options.authorize !== 'function') {
    throw new ConfigurationError(
      'dashboard.authorize',
      'is required: a function (ctx) => boolean that lets only your operators in, e.g. (ctx) => ctx.state.user?.admin === true',
    );
  }
  const raw = options.path;
  if (typeof raw !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(raw)) {
    throw new ConfigurationError('dashboard.path', "must be a URL path such as '/payments/admin'");
  }
  const path = raw.replace(/\/+$/, '');
  if (path === '') {
    throw new ConfigurationError(
      'dashboard.path',
      "must not be '/': mount it under a path of its own",
    );
  }
  const title = options.title ?? 'koa-payments';
  if (typeof title !== 'string' || title.trim() === '') {
    throw new ConfigurationError('dashboard.title', 'must be a non-empty string');
  }
  let secret: Buffer;
  if (options.secret === undefined) secret = randomBytes(32);
  else if (typeof options.secret === 'string' || Buffer.isBuffer(options.secret)) {
    secret = Buffer.from(options.secret);
    if (secret.length < 32) {
      throw new ConfigurationError('dashboard.secret', 'must be at least 32 bytes long');
    }
  } else throw new ConfigurationError('dashboard.secret', 'must be a string or a Buffer');
  return {
    path,
    authorize: options.authorize,
    title,
    secret,
    pageSize: count(options.pageSize, 'pageSize', 500) ?? 50,
    retryBatch: count(options.retryBatch, 'retryBatch', 10_000) ?? 100,
  };
}
