/** The dashboard's pages (GET): each reads what it shows and renders its view. */
import { PaymentsError } from '../errors.js';
import type { Cursor } from '../store/queries.js';
import type { EventStatus } from '../store/types.js';
import type { EventListFilter } from './queries.js';
import { DashboardError, type PageResult, type RouteContext } from './types.js';
import {
  type DeliveryListFilter,
  deliveriesView,
  LISTED_DELIVERY_STATUSES,
} from './views/deliveries.js';
import { EVENT_STATUSES, eventsView, eventView } from './views/events.js';
import { overviewView } from './views/overview.js';
import { type RequestListFilter, requestsView, requestView } from './views/requests.js';

/** A query parameter, trimmed; undefined when absent or empty. */
function param(route: RouteContext, name: string): string | undefined {
  const value = route.query.get(name)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A row id in the URL (a path segment or a cursor). */
export function rowId(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) {
    throw new DashboardError(400, `${what} must be a row id (a whole number), not "${text}".`);
  }
  return Number(text);
}

function cursor(route: RouteContext): Cursor {
  const after = rowId(param(route, 'after'), 'after');
  if (after !== undefined) return { after };
  const before = rowId(param(route, 'before'), 'before');
  return before === undefined ? {} : { before };
}

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  name: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new DashboardError(400, `${name} must be one of ${allowed.join(', ')}, not "${value}".`);
  }
  return value as T;
}

/** `/`: the last 24 hours. */
export async function overviewPage(route: RouteContext): Promise<PageResult> {
  const { deps, view } = route;
  const [data, paused, silent] = await Promise.all([
    deps.queries.overview(view.now),
    deps.operations.pausedReceivers(),
    deps.silent(),
  ]);
  return {
    heading: 'Overview',
    section: 'overview',
    body: overviewView(view, data, {
      variants: deps.variants,
      requestLog: deps.requestLog,
      paused,
      receivers: deps.operations.receiverNames(),
      silent,
    }),
  };
}

/** How far back the requests page looks, when told (a bound on the scan of a rare filter). */
const SINCE_MS: Readonly<Record<string, number>> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
};
const SINCE = Object.keys(SINCE_MS);

/** `/requests`: the request log. */
export async function requestsPage(route: RouteContext): Promise<PageResult> {
  const { deps, view, options } = route;
  const filter: RequestListFilter = {
    variant: param(route, 'variant'),
    valid: oneOf(param(route, 'valid'), ['yes', 'no'] as const, 'valid'),
    status: param(route, 'status'),
    since: oneOf(param(route, 'since'), SINCE, 'since'),
  };
  const status = filter.status;
  if (status !== undefined && !/^[1-5]\d\d$/.test(status)) {
    throw new DashboardError(
      400,
      `status must be an HTTP status code such as 400, not "${status}".`,
    );
  }
  const page = await deps.queries.requests(
    {
      ...cursor(route),
      ...(filter.variant === undefined ? {} : { variant: filter.variant }),
      ...(filter.valid === undefined ? {} : { valid: filter.valid === 'yes' }),
      ...(status === undefined ? {} : { statusCode: Number(status) }),
      ...(filter.since === undefined
        ? {}
        : { since: new Date(view.now.getTime() - (SINCE_MS[filter.since] as number)) }),
    },
    options.pageSize,
  );
  return {
    heading: 'Requests',
    section: 'requests',
    body: requestsView(view, deps.variants, filter, page, deps.requestLog),
  };
}

/** `/requests/:id`: one logged request. */
export async function requestPage(route: RouteContext, id: string): Promise<PageResult> {
  const entry = await route.deps.queries.request(rowId(id, 'A request id') as number);
  if (entry === undefined) throw new DashboardError(404, `No logged request ${id}.`);
  return {
    heading: `Request #${entry.id}`,
    section: 'requests',
    body: requestView(route.view, entry),
  };
}

/** `/events`: filters, search, pages. */
export async function eventsPage(route: RouteContext): Promise<PageResult> {
  const { deps, view, options } = route;
  const q = param(route, 'q');
  const filter: EventListFilter & { q?: string | undefined } = { q };
  const status = oneOf<EventStatus>(param(route, 'status'), EVENT_STATUSES, 'status');
  if (status !== undefined) filter.status = status;
  const type = param(route, 'type');
  if (type !== undefined) filter.type = type;
  const variant = param(route, 'variant');
  if (variant !== undefined) filter.variant = variant;
  const result =
    q === undefined
      ? { page: await deps.queries.events(filter, cursor(route), options.pageSize) }
      : { found: await deps.queries.search(q) };
  return {
    heading: 'Events',
    section: 'events',
    body: eventsView(view, deps.variants, filter, result),
  };
}

/** `/events/:id`: one event, by row id or provider event id. */
export async function eventPage(route: RouteContext, id: string): Promise<PageResult> {
  let event: Awaited<ReturnType<RouteContext['deps']['operations']['details']>>;
  try {
    event = await route.deps.operations.details(/^\d{1,15}$/.test(id) ? Number(id) : id);
  } catch (error) {
    if (error instanceof PaymentsError && error.expose)
      throw new DashboardError(error.status, error.message);
    throw error;
  }
  if (event === undefined) throw new DashboardError(404, `No stored event ${id}.`);
  const paused = new Set((await route.deps.operations.pausedReceivers()).map((p) => p.receiver));
  return {
    heading: `Event #${event.id}`,
    section: 'events',
    body: eventView(route.view, event, paused),
  };
}

/** `/deliveries`: failed and dead deliveries by receiver. */
export async function deliveriesPage(route: RouteContext): Promise<PageResult> {
  const { deps, view, options } = route;
  const filter: DeliveryListFilter = {
    status: oneOf(param(route, 'status'), LISTED_DELIVERY_STATUSES, 'status') ?? 'dead',
    receiver: param(route, 'receiver'),
  };
  const [troubles, page] = await Promise.all([
    deps.queries.troubles(),
    deps.queries.deliveries(
      filter.receiver === undefined
        ? { status: filter.status }
        : { status: filter.status, receiver: filter.receiver },
      cursor(route),
      options.pageSize,
    ),
  ]);
  return {
    heading: 'Failed and dead deliveries',
    section: 'deliveries',
    body: deliveriesView(view, troubles, filter, page, options.retryBatch),
  };
}
